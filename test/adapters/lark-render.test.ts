// Lark send path: long posts are split between paragraphs and elements, never inside an element's
// markup; an element too big on its own is split (text), shortened (a link's shown text, the href
// kept whole) or sent as a text message in its place — never dropped, never a failed delivery.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createLarkAdapter, type LarkAdapter, postParts } from '../../adapters/lark/index.ts';
import { silentLogger } from '../../src/log.ts';
import { FakeLarkServer } from '../fakes/lark-server.ts';

const CHANNEL = 'oc_students_ee_2026';
type El = { tag: string; text?: string; href?: string; user_id?: string };
const post = (content: El[][], title = '电气学院内推速递') => JSON.stringify({ zh_cn: { title, content } });
const limits = (maxPostBytes: number) => ({ maxChars: 30_000, maxPostBytes, maxTextBytes: 150 * 1024 - 1024 });
const bytes = (chat: string, msgType: string, content: string) => Buffer.byteLength(JSON.stringify({ receive_id: chat, msg_type: msgType, content, uuid: 'x'.repeat(50) }));

/** Everything a reader sees, in order: post elements' text and hrefs, and text messages. */
function visible(parts: { msgType: string; content: string }[]): { texts: string[]; hrefs: string[] } {
  const texts: string[] = [];
  const hrefs: string[] = [];
  for (const p of parts) {
    const c = JSON.parse(p.content);
    if (p.msgType === 'text') texts.push(c.text);
    else for (const para of c.zh_cn.content as El[][]) for (const el of para) (el.tag === 'a' ? hrefs : texts).push(el.tag === 'a' ? el.href! : (el.text ?? ''));
  }
  return { texts, hrefs };
}

describe('lark post parts', () => {
  it('a link with a 5000-character href: shown text shortened, href whole, still one post', () => {
    const href = `https://jobs.example.cn/apply?${'q=x&'.repeat(1250)}`.slice(0, 5000);
    const body = post([[{ tag: 'text', text: '投递：' }, { tag: 'a', text: `南瑞集团嵌入式软件工程师 ${'很长的链接说明'.repeat(60)}`, href }]]);
    const parts = postParts(CHANNEL, body, limits(6000));
    expect(parts.every((p) => p.msgType === 'post')).toBe(true);
    for (const p of parts) expect(bytes(CHANNEL, p.msgType, p.content)).toBeLessThanOrEqual(6000);
    const els = parts.flatMap((p) => JSON.parse(p.content).zh_cn.content.flat() as El[]);
    const link = els.find((e) => e.tag === 'a')!;
    expect(link.href).toBe(href);
    expect(link.text!.length).toBeLessThanOrEqual(80);
    expect(link.text!.endsWith('…')).toBe(true);
  });

  it('a link that cannot fit any post goes out as text with the whole href, in its place', () => {
    const href = `https://x.cn/${'a'.repeat(5000)}`;
    const body = post([[{ tag: 'text', text: '前' }], [{ tag: 'a', text: '投递', href }], [{ tag: 'text', text: '后' }]]);
    const parts = postParts(CHANNEL, body, limits(2000));
    expect(parts.map((p) => p.msgType)).toEqual(['post', 'text', 'post']);
    expect(JSON.parse(parts[1]!.content).text).toBe(`投递 (${href})`);
    expect(JSON.parse(parts[0]!.content).zh_cn.title).toBe('电气学院内推速递');
  });

  it('one huge text element is split between elements, its text kept exactly', () => {
    const text = Array.from({ length: 400 }, (_, i) => `${i}. 国网某省公司 电气工程及其自动化 内推`).join('\n');
    const parts = postParts(CHANNEL, post([[{ tag: 'text', text }]]), limits(1500));
    expect(parts.length).toBeGreaterThan(5);
    for (const p of parts) {
      expect(p.msgType).toBe('post');
      expect(bytes(CHANNEL, p.msgType, p.content)).toBeLessThanOrEqual(1500);
    }
    expect(visible(parts).texts.join('')).toBe(text);
  });

  it('property: any post (links, long elements, a long title) → parts within the limit, every text and href kept in order', () => {
    const piece = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('国网江苏电力', '\n', '"\\', '🔥', 'x'.repeat(3000)));
    const text = fc.array(piece, { maxLength: 6 }).map((a) => a.join(''));
    const el = fc.oneof(
      text.map((t): El => ({ tag: 'text', text: t })),
      fc.tuple(text, fc.integer({ min: 1, max: 6000 })).map(([t, n]): El => ({ tag: 'a', text: t, href: `https://x.cn/${'p'.repeat(n)}` })),
      fc.constant<El>({ tag: 'at', user_id: 'ou_1' }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(el, { maxLength: 5 }), { minLength: 1, maxLength: 8 }), fc.oneof(fc.constant('速递'), text), fc.integer({ min: 1200, max: 8000 }), (content, title, max) => {
        const parts = postParts(CHANNEL, post(content, title), limits(max));
        for (const p of parts) expect(bytes(CHANNEL, p.msgType, p.content)).toBeLessThanOrEqual(p.msgType === 'post' ? max : 150 * 1024);
        const seen = visible(parts);
        const all = seen.texts.join('');
        // Every text element's text appears, in order; every href appears whole (in a link or in text).
        let at = 0;
        for (const para of content) {
          for (const e of para) {
            if (e.tag === 'text' && e.text) {
              const i = all.indexOf(e.text.trim() ? e.text : '', at);
              if (e.text.trim()) {
                expect(i, 'text kept in order').toBeGreaterThanOrEqual(0);
                at = i + e.text.length;
              }
            }
            if (e.tag === 'a') expect(seen.hrefs.includes(e.href!) || all.includes(e.href!)).toBe(true);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('lark send of an over-long element', () => {
  let fake: FakeLarkServer;
  let adapter: LarkAdapter;
  afterEach(async () => {
    await adapter.stop();
    await fake.stop();
  });

  it('delivers a post whose link has a 5000-character href (real limit) and one that cannot fit a post at all', async () => {
    fake = new FakeLarkServer();
    const base = await fake.start();
    adapter = createLarkAdapter({ appId: fake.appId, appSecret: fake.appSecret, domain: base, mode: 'webhook' }, { logger: silentLogger, requestTimeoutMs: 1000, maxChars: 60_000 });
    const href = `https://jobs.example.cn/${'a'.repeat(5000)}`;
    await adapter.send(CHANNEL, { format: 'lark-post', body: post([[{ tag: 'a', text: '投递', href }]]) }, { idempotencyKey: 'd1' });
    const huge = `https://jobs.example.cn/${'b'.repeat(35_000)}`;
    await adapter.send(CHANNEL, { format: 'lark-post', body: post([[{ tag: 'text', text: '见链接：' }, { tag: 'a', text: '投递', href: huge }]]) }, { idempotencyKey: 'd2' });
    const sent = fake.sentTo(CHANNEL);
    expect(sent[0]).toMatchObject({ msgType: 'post', uuid: 'd1' });
    expect(JSON.parse(sent[0]!.content).zh_cn.content[0][0].href).toBe(href);
    expect(sent.slice(1).map((m) => m.msgType)).toEqual(['post', 'text']);
    expect(sent[2]!.text).toBe(`投递 (${huge})`);
  });
});
