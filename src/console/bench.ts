// Console speed: every page and API answer's p95 with N posts stored (default 100k, a year of history),
// through fastify.inject (no sockets: what is measured is the server's own work). Called by `npm run bench`
// (scripts/bench.ts) as `benchConsole()`; standalone: `npx tsx src/console/bench.ts [posts]`.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlumniService } from '../alumni/service.ts';
import { type Catalog, loadCatalog } from '../catalog.ts';
import type { Delivery, Post } from '../domain.ts';
import { digestKey } from '../feedback/items.ts';
import { FeedbackService, type RelayView } from '../feedback/service.ts';
import { buildServer } from '../http/index.ts';
import { silentLogger } from '../log.ts';
import { projectPath } from '../paths.ts';
import { loadRulesFile } from '../rules/index.ts';
import type { Rules } from '../rules/schema.ts';
import { Store } from '../store/store.ts';
import { storeView } from '../feedback/view.ts';

export interface ConsoleBenchResult {
  posts: number;
  /** ms from server start until the archive was read into the aggregate (background). */
  buildMs: number;
  /** ms of one reconcile pass over the hot posts (runs every 2 s, not per request). */
  syncMs: number;
  routes: { route: string; p50: number; p95: number; max: number }[];
  worstP95: number;
}

const COMPANIES = ['国网江苏电力', '南方电网', '华能集团', '宁德时代', '华为', '中国电建', '国家电投', '特变电工', '许继电气', '阳光电源'];
const CITIES = ['南京', '广州', '北京', '宁德', '深圳', '成都', '上海', '西安', '武汉', '杭州'];

export function syntheticPost(i: number, now: number, colleges: string[]): Post {
  const at = new Date(now - (i % 365) * 86_400_000 - (i % 24) * 3600_000).toISOString();
  const college = colleges[i % colleges.length]!;
  return {
    id: `b${i.toString(36)}`,
    text: `${COMPANIES[i % 10]}2026届校园招聘内推 #${i}`,
    fingerprint: ((BigInt(i) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn).toString(16).padStart(16, '0'),
    sources: [{ platform: 'wechat', chatId: '东电校友会·北京分会', messageId: `m${i}`, senderId: `u${i % 5000}`, senderName: `校友${i % 5000}`, sentAt: at }],
    receivedAt: at,
    status: i % 97 === 0 ? 'review' : 'active',
    classification: {
      isJob: true, jobScore: 0.9, isScam: i % 97 === 0, scamScore: 0.1, detection: [], openToAll: i % 5 === 0,
      classes: [{ code: '0806', name: '电气类', confidence: 0.9, evidence: [] }],
      colleges: [college],
      fields: { company: `${COMPANIES[i % 10]}${i % 300}`, city: CITIES[i % 10], cohort: i % 3 ? '2026届' : '2027届', degrees: ['本科'], roles: [], links: [], emails: [], deadline: undefined },
    },
    digestedFor: i % 2 ? [college] : [],
  };
}

/**
 * A month of digests (two a day per college, up to 12 items each, delivered to every channel), students'
 * votes on them and a few subscriptions: what the 反馈 page reads in use. Returns the running services.
 */
export async function feedbackAndAlumni(store: Store, rules: Rules, catalog: Catalog, dataDir: string, nowMs: number): Promise<{ feedback: FeedbackService; alumni: AlumniService }> {
  const recent = store.posts().filter((p) => p.status === 'active' && nowMs - Date.parse(p.receivedAt) < 30 * 86_400_000);
  let g = 0;
  for (const college of rules.colleges) {
    const mine = recent.filter((p) => p.classification.colleges.includes(college.id));
    for (let i = 0; i * 12 < mine.length && i < 60; i++) {
      const posts = mine.slice(i * 12, i * 12 + 12);
      const at = posts[0]!.receivedAt;
      const id = `bd${g++}`;
      const deliveries: Delivery[] = college.channels.map((channel, k) => ({
        id: `${id}-${k}`, digestId: id, collegeId: college.id, channel, parts: [{ format: 'plain', body: 'digest' }], sentParts: 1, status: 'delivered', attempts: 1, nextAttemptAt: at, createdAt: at, deliveredAt: at,
      }));
      await store.recordDigest({ id, collegeId: college.id, collegeName: college.name, createdAt: at, items: posts.map((post) => ({ post })) }, deliveries);
    }
  }
  const view: RelayView = storeView(store, () => rules);
  const feedback = new FeedbackService({ dataDir, secret: 'bench-secret-0123456789abcdef', catalog, view, fsync: false, limits: { perVoter: { capacity: 1e9, perMinute: 1e9 }, perChat: { capacity: 1e9, perMinute: 1e9 } } });
  // 3 000 votes from 600 students over the month's digests, most of them 👎 on one college's items.
  for (let v = 0; v < 3000; v++) {
    const all = store.digests();
    const d = all[(v * 7) % all.length]!;
    const ch = rules.colleges.find((c) => c.id === d.collegeId)!.channels[0]!;
    feedback.vote({ platform: ch.platform, chatId: ch.chat, userId: `st${v % 600}`, items: [1 + (v % Math.max(1, d.postIds.length))], value: v % 4 === 0 ? 1 : -1, digestKey: digestKey(d.id) });
  }
  for (let k = 0; k < 200; k++) await feedback.handleText({ platform: 'telegram', chatId: `sub${k}`, senderId: `sub${k}`, text: '订阅 电气工程及其自动化' }, 'private');
  const alumni = await AlumniService.open({ store, rules: () => rules, catalog, dataDir, enqueue: async () => {}, logger: silentLogger, readOnly: true, fsync: false });
  alumni.syncOnly();
  return { feedback, alumni };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

export async function benchConsole(opts: { posts?: number; rounds?: number; log?: (line: string) => void } = {}): Promise<ConsoleBenchResult> {
  const n = opts.posts ?? 100_000;
  const rounds = opts.rounds ?? 40;
  const dir = mkdtempSync(join(tmpdir(), 'relay-console-bench-'));
  try {
    const rulesFile = join(dir, 'routing.yaml');
    copyFileSync(projectPath('rules', 'routing.yaml'), rulesFile);
    const catalog = loadCatalog();
    const rules = loadRulesFile(rulesFile, catalog);
    const nowMs = Date.now();
    const store = await Store.open(join(dir, 'data'), { fsync: false });
    const ids = rules.colleges.map((c) => c.id);
    await store.importPosts((function* () {
      for (let i = 0; i < n; i++) yield syntheticPost(i, nowMs, ids);
    })());
    const { feedback, alumni } = await feedbackAndAlumni(store, rules, catalog, join(dir, 'data'), nowMs);
    const t0 = performance.now();
    const server = await buildServer(
      {
        store, rules: () => rules, rulesFile, catalog, dataDir: join(dir, 'data'), health: () => [], now: () => new Date(), nextRuns: () => [], kickOutbox: () => {}, logger: silentLogger,
        feedback: () => feedback, alumni: () => alumni,
      },
      { adminPassword: 'bench', metricsPublic: true },
    );
    await server.ctx.tracker.ready;
    const buildMs = performance.now() - t0;
    const session = server.ctx.sessions.create('bench');
    const cookie = `relay_session=${server.app.signCookie(session.id)}`;
    const routes = ['/', '/analytics', '/analytics?from=2025-01-01&to=2026-12-31', '/report?year=2026', '/review', '/rules', '/preview', '/privacy?q=校友7', '/api/overview', '/api/analytics', '/api/analytics?from=2025-01-01&to=2026-12-31&college=electrical', '/api/analytics.csv?dim=companies&from=2025-01-01&to=2026-12-31', '/api/review', '/api/rules', '/api/preview', '/feedback', '/feedback?college=electrical', '/api/feedback', '/alumni', '/api/alumni/contributors.csv', '/healthz', '/metrics'];
    const results: ConsoleBenchResult['routes'] = [];
    for (const route of routes) {
      const times: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const s = performance.now();
        const res = await server.app.inject({ method: 'GET', url: route, headers: { cookie } });
        times.push(performance.now() - s);
        if (res.statusCode >= 400) throw new Error(`${route}: ${res.statusCode}`);
      }
      results.push({ route, p50: pct(times, 0.5), p95: pct(times, 0.95), max: Math.max(...times) });
    }
    server.ctx.tracker.sync();
    const syncMs = server.ctx.tracker.lastSyncMs;
    await server.close();
    await feedback.close();
    await alumni.stop();
    await store.close();
    const out = { posts: n, buildMs, syncMs, routes: results, worstP95: Math.max(...results.map((r) => r.p95)) };
    opts.log?.(`console @ ${n} posts: worst p95 ${out.worstP95.toFixed(1)} ms; archive read ${buildMs.toFixed(0)} ms; reconcile ${syncMs.toFixed(1)} ms`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchConsole({ posts: Number(process.argv[2] ?? 100_000), log: console.log });
  for (const x of r.routes) console.log(`${x.route.padEnd(70)} p50 ${x.p50.toFixed(1).padStart(6)}  p95 ${x.p95.toFixed(1).padStart(6)}  max ${x.max.toFixed(1).padStart(6)} ms`);
}
