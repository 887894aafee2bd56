// A console server over a real Store in a temp dir, the real rules file watcher, and small fakes for the
// rest of the relay (platform health, scheduler runs, the outbox kick). Requests go through fastify.inject.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog.ts';
import type { Post } from '../../src/domain.ts';
import { buildServer, type BuiltServer, type ConsoleDeps, type ServerOptions } from '../../src/http/index.ts';
import { silentLogger } from '../../src/log.ts';
import type { PlatformHealth } from '../../src/ports.ts';
import { loadRulesFile, watchRules, type Rules } from '../../src/rules/index.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/tmp.ts';

export const NOW = new Date('2026-11-20T04:00:00.000Z'); // 12:00 in Asia/Shanghai

export interface Rig {
  dir: string;
  rulesFile: string;
  store: Store;
  deps: ConsoleDeps;
  server: BuiltServer;
  health: PlatformHealth[];
  kicks: () => number;
  rules: () => Rules;
  /** inject with the jar's cookies; remembers the cookies the answer sets. */
  request(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Signs in (name + password), returns a CSRF token for changes. */
  login(name?: string): Promise<string>;
  csrf(): Promise<string>;
  /** Runs one reconcile now (the timer does it every syncIntervalMs). */
  sync(): void;
}

/** The relay's parts a test adds to the console's deps (feedback, alumni), built over the rig's store. */
export type ExtraDeps = (base: { store: Store; dataDir: string; rules: () => Rules; catalog: Catalog; now: () => Date }) => Promise<{ deps: Partial<ConsoleDeps>; close?(): Promise<void> }>;

export async function consoleRig(opts: { posts?: Post[]; server?: ServerOptions; health?: PlatformHealth[]; now?: Date; extra?: ExtraDeps } = {}): Promise<Rig> {
  const dir = tempDir();
  const rulesFile = join(dir, 'routing.yaml');
  copyFileSync('rules/routing.yaml', rulesFile);
  const catalog = loadCatalog();
  let rules = loadRulesFile(rulesFile, catalog);
  const watcher = watchRules(rulesFile, catalog, { onChange: (r) => (rules = r), onError: () => {} }, 50);
  const dataDir = join(dir, 'data');
  const store = await Store.open(dataDir, { fsync: false, now: () => opts.now ?? NOW });
  if (opts.posts?.length) await store.importPosts(opts.posts);
  const health: PlatformHealth[] = opts.health ?? [
    { platform: 'wechat', state: 'up', since: '2026-11-20T01:00:00.000Z', lastMessageAt: '2026-11-20T03:59:00.000Z' },
    { platform: 'telegram', state: 'up', since: '2026-11-20T01:00:00.000Z' },
  ];
  let kicks = 0;
  const deps: ConsoleDeps = {
    store,
    rules: () => rules,
    rulesFile,
    catalog,
    dataDir,
    health: () => health,
    now: () => opts.now ?? NOW,
    nextRuns: () => rules.colleges.map((c) => ({ collegeId: c.id, next: new Date('2026-11-20T10:00:00.000Z') })),
    kickOutbox: () => void kicks++,
    logger: silentLogger,
  };
  const extra = await opts.extra?.({ store, dataDir, rules: () => rules, catalog, now: deps.now });
  Object.assign(deps, extra?.deps);
  const server = await buildServer(deps, { adminPassword: 'correct horse', syncIntervalMs: 60_000, ...opts.server });
  afterEach(async () => {
    watcher.close();
    await server.close();
    await extra?.close?.();
    await store.close();
  });
  const jar = new Map<string, string>();
  const request = async (o: InjectOptions) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await server.app.inject({ ...o, headers: { ...(cookie ? { cookie } : {}), ...o.headers } });
    for (const c of res.cookies as { name: string; value: string }[]) {
      if (c.value === '') jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
    return res;
  };
  const tokenIn = (body: string) => /name="(?:csrf-token|_csrf)" (?:content|value)="([^"]+)"/.exec(body)?.[1] ?? '';
  const rig: Rig = {
    dir,
    rulesFile,
    store,
    deps,
    server,
    health,
    kicks: () => kicks,
    rules: () => rules,
    request,
    async csrf() {
      const res = await request({ method: 'GET', url: '/api/csrf' });
      return (res.json() as { token: string }).token;
    },
    async login(name = '张老师') {
      const page = await request({ method: 'GET', url: '/login' });
      const res = await request({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ name, password: 'correct horse', _csrf: tokenIn(page.body), next: '/' }).toString(),
      });
      if (res.statusCode !== 303) throw new Error(`login failed: ${res.statusCode} ${res.body.slice(0, 200)}`);
      return rig.csrf();
    },
    sync: () => server.ctx.tracker.sync(),
  };
  return rig;
}
