// Real-browser tests: playwright-core drives Debian's Chromium (/usr/bin/chromium) against the console
// served over a real Store. Skipped, with a notice, where Chromium is absent. Each page's screenshot goes
// to reports/screenshots/ (a test artifact; look at them: they are how the careers office will see the
// console). UPDATE_SCREENSHOTS=1 writes them to docs/screenshots/ instead, the ones the README shows.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type StartedServer } from '../../src/http/index.ts';
import type { Post } from '../../src/domain.ts';
import { post } from '../helpers/posts.ts';
import { type AlumniSeed, withAlumni } from '../http/relay-seed.ts';
import { consoleRig, NOW, type Rig } from '../http/rig.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : join(process.cwd(), 'reports', 'screenshots');
const available = existsSync(CHROMIUM);
if (!available) console.warn(`[browser tests] skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

const COMPANIES = ['国网江苏省电力有限公司', '南方电网广东电网公司', '中国华能集团', '宁德时代', '华为技术有限公司', '中国电建', '国家电投', '特变电工', '许继电气', '阳光电源'];
const CITIES = ['南京', '广州', '北京', '宁德', '深圳', '成都', '上海', '西安'];
const CLASSES: Record<string, { code: string; name: string; confidence: number; evidence: [] }> = {
  electrical: { code: '0806', name: '电气类', confidence: 0.9, evidence: [] },
  energy: { code: '0805', name: '能源动力类', confidence: 0.8, evidence: [] },
  automation: { code: '0808', name: '自动化类', confidence: 0.85, evidence: [] },
};
const COLLEGES = [['electrical'], ['energy'], ['automation'], ['electrical', 'automation'], ['energy', 'electrical']];

function seed(): Post[] {
  const out: Post[] = [];
  for (let i = 0; i < 160; i++) {
    const day = new Date(NOW.getTime() - (i % 40) * 86_400_000 - (i % 7) * 3600_000).toISOString();
    out.push(
      post({
        id: `seed${i}`,
        receivedAt: day,
        colleges: COLLEGES[i % COLLEGES.length],
        digestedFor: i >= 20 || i % 3 === 0 ? COLLEGES[i % COLLEGES.length] : [],
        text: `${COMPANIES[i % COMPANIES.length]}2026届校园招聘内推，${CITIES[i % CITIES.length]}，电气工程及其自动化、能源与动力工程专业，本科及以上。`,
        classification: {
          ...post().classification,
          openToAll: i % 5 === 0,
          colleges: COLLEGES[i % COLLEGES.length]!,
          classes: COLLEGES[i % COLLEGES.length]!.map((c) => CLASSES[c]!),
          fields: {
            roles: [],
            links: [],
            emails: [],
            company: COMPANIES[i % COMPANIES.length],
            city: CITIES[i % CITIES.length],
            cohort: i % 4 === 0 ? '2027届' : '2026届',
            degrees: i % 2 ? ['本科'] : ['本科', '硕士'],
            deadline: i < 12 ? new Date(NOW.getTime() + (i + 1) * 86_400_000).toISOString().slice(0, 10) : undefined,
          },
        },
      }),
    );
  }
  const scam = (id: string, text: string, name: string): Post =>
    post({
      id,
      text,
      status: 'review',
      receivedAt: new Date(NOW.getTime() - 3600_000).toISOString(),
      classification: { ...post().classification, isScam: true, scamScore: 0.91, detection: [{ term: '押金', weight: 3, kind: 'scam-term' }, { term: '日结', weight: 1.5, kind: 'scam-term' }], colleges: ['electrical'] },
      sources: [{ platform: 'wechat', chatId: '东电校友会·北京分会', messageId: `m-${id}`, senderId: `s-${id}`, senderName: name, sentAt: NOW.toISOString() }],
    });
  out.push(scam('held-ok', '【内推】华东某省电力设计院招电气工程师，南京，2026届本科及以上，先交资料审核费？详询', '周校友（2010级电气）'));
  out.push(scam('held-xss', '<script>alert(1)</script>"><img src=x onerror=alert(2)> 刷单日结，先交押金198\u202Egpj.exe', '"><img src=x onerror=alert(3)>'));
  return out;
}

describe.skipIf(!available)('console in a real browser (Chromium)', () => {
  let rig: Rig;
  let server: StartedServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const alumniSeed: Partial<AlumniSeed> = {};

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function setup() {
    // Feedback and alumni on (real FeedbackService and AlumniService over the same store) for 反馈 and 校友.
    rig = await consoleRig({ posts: seed(), extra: withAlumni(alumniSeed, { feedback: true }) });
    server = await startHttpServer(rig.deps, { port: 0, adminPassword: 'correct horse', syncIntervalMs: 300 });
    await server.ctx.tracker.ready;
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('dialog', (d) => void d.accept());
  }
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  it('logs in, shows every page, approves a held post into the preview, and saves rules with an inline error then valid', async () => {
    await setup();
    // Log in through the form.
    await page.goto(`${server.url}/`);
    expect(page.url()).toContain('/login');
    await shot('login');
    await page.fill('input[name=name]', '张老师');
    await page.fill('input[name=password]', 'correct horse');
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/`);
    await expect.poll(() => page.textContent('h1')).toBe('概览');
    expect(await page.textContent('.funnel')).toContain('识别内推');
    await shot('overview');

    // 分析: charts render with data (canvas drawn by ECharts, served from the project).
    await page.goto(`${server.url}/analytics?from=2026-10-01&to=2026-11-20`);
    await page.waitForSelector('[data-chart="timeline"][data-rendered="true"] canvas');
    expect(await page.locator('[data-rendered="true"]').count()).toBe(7);
    expect(await page.textContent('.kpis')).toMatch(/\d+\s*内推/);
    await shot('analytics');

    await page.goto(`${server.url}/report?month=2026-11`);
    await page.waitForSelector('[data-chart="timeline"][data-rendered="true"] canvas');
    await shot('report');

    // 审核: the hostile post is shown as text; approving the other puts it in the electrical digest preview.
    await page.goto(`${server.url}/review`);
    const alerts: string[] = [];
    page.on('dialog', (d) => alerts.push(d.message()));
    expect(await page.locator('#post-held-xss .text').textContent()).toContain('<script>alert(1)</script>');
    expect(await page.locator('#post-held-xss img').count()).toBe(0);
    await shot('review');
    await page.click('#post-held-ok button.primary');
    await page.waitForSelector('#post-held-ok', { state: 'detached' });
    expect(rig.store.postById('held-ok')!.status).toBe('active');
    expect(alerts.filter((a) => a !== '审核通过这条消息？它将进入下次推送。')).toEqual([]); // no script from a post ran
    await page.goto(`${server.url}/preview?college=electrical`);
    expect(await page.textContent('#college-electrical')).toContain('华东某省电力设计院');
    await shot('preview');

    // 规则: an error shows inline at its line, nothing is saved; the fix saves and the relay reloads.
    await page.goto(`${server.url}/rules`);
    const original = readFileSync(rig.rulesFile, 'utf8');
    const line = original.split('\n').findIndex((l) => l.includes('maxItemsPerDigest')) + 1;
    await page.fill('#rules-text', original.replace('maxItemsPerDigest: 30', 'maxItemsPerDigest: lots'));
    await page.click('#rules-save');
    await page.waitForSelector('.problem');
    expect(await page.getAttribute('.problem', 'data-line')).toBe(String(line));
    expect(await page.textContent('.problem')).toContain(`第 ${line} 行第 22 列`);
    expect(await page.isHidden('#rules-diff')).toBe(true);
    expect(readFileSync(rig.rulesFile, 'utf8')).toBe(original);
    await shot('rules-error');
    await page.fill('#rules-text', original.replace('maxItemsPerDigest: 30', 'maxItemsPerDigest: 20'));
    await page.click('#rules-save');
    await page.waitForSelector('#rules-diff:not([hidden])');
    expect(await page.textContent('#rules-diff-body')).toContain('+ ');
    await shot('rules-diff');
    await page.click('#rules-confirm');
    // The badge already read 中继已按此文件运行 for the file as loaded; only the toast is said after the
    // page saw the relay run the saved file, and then the relay must really be running it.
    await expect.poll(() => page.textContent('#toast'), { timeout: 15_000 }).toBe('中继已重新加载新规则');
    expect(rig.rules().defaults.maxItemsPerDigest).toBe(20);
    expect(await page.textContent('#rules-applied')).toBe('中继已按此文件运行');
    await shot('rules-saved');

    await page.goto(`${server.url}/privacy?q=${encodeURIComponent('周校友（2010级电气）')}`);
    expect(await page.textContent('table')).toContain('s-held-ok');
    await shot('privacy');

    // 反馈: the funnel per college, the learnt adjustments; resetting 电气 clears them (after a confirm).
    await page.goto(`${server.url}/feedback`);
    expect(await page.textContent('#college-electrical')).toContain('专业类 0806');
    await shot('feedback');
    await page.click('#college-electrical button.danger');
    await expect.poll(() => page.textContent('#college-electrical'), { timeout: 10_000 }).toContain('上次重置');
    expect(await page.textContent('#college-electrical')).toContain('暂无调整');

    // 校友: the month's records, mentor counts, previews per alumni group; the CSV downloads.
    await page.goto(`${server.url}/alumni?month=2026-11`);
    expect(await page.textContent('main')).toContain('王校友');
    expect(await page.textContent('main')).toContain('校友内推月度致谢 · 2026年11月');
    await shot('alumni');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a.csv')]);
    expect(download.suggestedFilename()).toBe('alumni-contributors-2026-11.csv');

    // A phone: 375 px wide, nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    for (const [path, name] of [['/', 'overview-375'], ['/analytics', 'analytics-375'], ['/review', 'review-375'], ['/feedback', 'feedback-375'], ['/alumni?month=2026-11', 'alumni-375']] as const) {
      await page.goto(`${server.url}${path}`);
      if (path === '/analytics') await page.waitForSelector('[data-rendered="true"] canvas');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, path).toBeLessThanOrEqual(375);
      await shot(name);
    }
    expect(errors).toEqual([]);
  }, 90_000);
});
