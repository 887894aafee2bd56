// Shared articles through the relay (rules defaults.fetchLinks): an allowlisted link card waits in the durable
// queue, its page is read after the platform was answered, and the post is the card's text plus the page's.
// Off by default; a host not on the list is never asked; a page that cannot be read leaves the card's text.
// The page is served on loopback, which fetchLinkText refuses unless told otherwise: the test's resolver
// and address check let exactly 127.0.0.1 through.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { createRelay, type Relay } from '../../src/app.ts';
import type { Platform } from '../../src/domain.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { until, writeRules } from '../helpers/e2e-rig.ts';
import { tempDir } from '../helpers/tmp.ts';
import { recordingLogger } from './recording-logger.ts';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>南瑞集团2026届校园招聘</title></head>
<body><h1 id="activity-name">南瑞集团2026届校园招聘</h1><div id="js_content"><p>招聘岗位：继电保护软件研发工程师（南京）。</p>
<p>专业要求：电气工程及其自动化、自动化专业硕士优先。内推码NR2026，网申截止12月15日。</p></div></body></html>`;

let server: Server | undefined;
let relay: Relay | undefined;
const hits: string[] = [];
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  hits.length = 0;
});

async function serve(): Promise<number> {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/broken') {
      res.writeHead(500).end('oops');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server!.address() as AddressInfo).port;
}

const rules = (fetchLinks: string) => `
version: 1
defaults:
  timezone: Asia/Shanghai
${fetchLinks}
sources:
  - platform: local
    group: 东电校友会
colleges:
  - id: ee
    name: 电气学院
    classes: ["0806"]
    channels: [{ platform: local, chat: 电气学院就业群 }]
`;

async function start(fetchLinks: string) {
  const dir = tempDir();
  const local = new LocalAdapter({ print: () => {} });
  const { logger, lines } = recordingLogger();
  relay = await createRelay({
    rulesFile: writeRules(dir, rules(fetchLinks)),
    dataDir: `${dir}/data`,
    adapters: new Map<Platform, ChatAdapter>([['local', local]]),
    logger,
    watchRules: false,
    media: { linkFetch: { resolve: async () => [{ address: '127.0.0.1', family: 4 }], isAllowedAddress: (a) => a === '127.0.0.1' } },
  });
  await relay.start();
  return { local, relay, lines };
}

const card = (url: string) => ({
  platform: 'local' as const,
  group: '东电校友会',
  senderId: 'wang',
  senderName: '王磊',
  text: `【内推】南瑞集团校招\n${url}`,
  linkCard: { title: '【内推】南瑞集团校招', url },
});

describe('shared articles (defaults.fetchLinks)', () => {
  it('on, host allowed: the page is read after the answer and its text joins the card', async () => {
    const port = await serve();
    const { local, relay: r, lines } = await start(`  fetchLinks:\n    enabled: true\n    hosts: ["jobs.example.com:${port}"]`);
    const url = `http://jobs.example.com:${port}/s/abc`;
    await local.post(card(url));
    const post = await until(() => `the article post; log: ${lines.map((l) => l.msg).join(' | ')}`, () => r.store.posts()[0], 10_000);
    expect(hits).toEqual(['/s/abc']);
    expect(post.text.startsWith(`【内推】南瑞集团校招\n${url}\n\n`)).toBe(true);
    expect(post.text).toContain('继电保护软件研发工程师');
    expect(post.classification.colleges).toEqual(['ee']);
    expect(post.classification.fields.referralCode).toBe('NR2026');
    expect(lines.some((l) => l.msg === 'article read' && l.host === `jobs.example.com:${port}`)).toBe(true);
    await r.media.drained(5000); // the job ends once the post is durable
  });

  it('on, but the page fails: one log line, and the card still goes in on its own', async () => {
    const port = await serve();
    const { local, relay: r, lines } = await start(`  fetchLinks:\n    enabled: true\n    hosts: ["jobs.example.com:${port}"]`);
    await local.post({ ...card(`http://jobs.example.com:${port}/broken`), text: '【内推】南瑞集团2026届校招：继电保护研发工程师，电气工程及其自动化专业，内推码NR2026' });
    await until('the card handled', () => r.media.pending() === 0 && lines.some((l) => l.msg.startsWith('article not read')), 10_000);
    expect(hits).toEqual(['/broken']);
    expect(lines.filter((l) => l.msg.startsWith('article not read'))).toHaveLength(1);
    const post = await until('the card post', () => r.store.posts()[0], 5000);
    expect(post.text).toBe('【内推】南瑞集团2026届校招：继电保护研发工程师，电气工程及其自动化专业，内推码NR2026');
  });

  it('a host not on the list, or fetching off (the default): the page is never asked for', async () => {
    const port = await serve();
    const on = await start(`  fetchLinks:\n    enabled: true\n    hosts: ["mp.weixin.qq.com"]`);
    await on.local.post(card(`http://jobs.example.com:${port}/s/1`));
    await relay!.stop();
    relay = undefined;
    const off = await start('');
    await off.local.post(card(`http://jobs.example.com:${port}/s/2`));
    await relay!.stop();
    relay = undefined;
    expect(hits).toEqual([]);
    expect(on.relay.store.data.counters.received + off.relay.store.data.counters.received).toBe(2); // both went straight to the pipeline
  });
});
