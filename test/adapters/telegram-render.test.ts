// Telegram HTML end to end: a digest with a 5,000-character apply link reaches a fake that parses
// HTML and counts the limit as Telegram does; a part whose formatting is refused goes as plain text;
// splitHtml never cuts inside markup.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTelegramAdapter, plainFallback, TELEGRAM_MAX_CHARS, telegramParts } from '../../adapters/telegram/index.ts';
import { buildDigest } from '../../src/digest/build.ts';
import { renderDigest, type RenderOptions } from '../../src/digest/render.ts';
import { silentLogger } from '../../src/log.ts';
import { htmlToText } from '../../src/plain-text.ts';
import { AdapterError, type ChatAdapter } from '../../src/ports.ts';
import { splitHtml, splitHtmlTokens } from '../../src/split.ts';
import { parseTelegramHtml, TelegramFakeServer } from '../fakes/telegram-server.ts';
import { post } from '../helpers/posts.ts';

const CHANNEL = '-1009876543210';
const now = new Date('2026-11-21T02:00:00Z');
const render: RenderOptions = { now, timeZone: 'Asia/Shanghai', privacy: { attribution: 'initials', maskContacts: true }, sourceName: (_p, chat) => chat };
const visible = (html: string) => {
  const parsed = parseTelegramHtml(html);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.text;
};

describe('telegram: HTML reaches Telegram whole', () => {
  let fake: TelegramFakeServer;
  let adapter: ChatAdapter;
  beforeEach(async () => {
    fake = new TelegramFakeServer();
    adapter = createTelegramAdapter({ token: fake.token, apiRoot: await fake.start() }, { logger: silentLogger, throttle: false });
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.stop();
  });

  it('a digest with a 5,000-character apply link arrives whole (one part per rendered message, href intact)', async () => {
    const url = `https://campus.example.cn/apply?ref=${'Ab9'.repeat(1667)}`;
    expect(url.length).toBeGreaterThan(5000);
    const items = [
      post({ text: `国网江苏电力2026届校招内推，电气类，网申 ${url}`, fields: { company: '国网江苏电力', roles: ['电气工程师'], links: [url], referralCode: 'GW2026' } }),
      ...Array.from({ length: 39 }, (_, i) => post({ text: `南瑞集团${i} 嵌入式软件工程师 ${'岗位职责说明'.repeat(25)}`, fields: { company: `南瑞集团${i}`, links: [`https://nari.example.cn/j/${i}`] } })),
    ];
    const digest = buildDigest({ id: 'ee', name: '电气与电子工程学院' }, items, { now, timeZone: 'Asia/Shanghai', maxItems: 40, id: 'dg-long' });
    const parts = renderDigest(digest, 'telegram', render);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) await adapter.send(CHANNEL, p, { idempotencyKey: `dg-long:${parts.indexOf(p)}` });
    const sent = fake.sentTo(CHANNEL);
    // Nothing refused, nothing re-split: the fake accepted exactly the rendered parts, as HTML.
    expect(fake.callsOf('sendMessage').map((c) => c.status).filter((s) => s !== 200)).toEqual([]);
    expect(sent.map((s) => s.text)).toEqual(parts.map((p) => p.body));
    expect(sent.every((s) => s.parseMode === 'HTML')).toBe(true);
    expect(sent.some((s) => s.text.includes(`<a href="${url}">投递链接</a>`))).toBe(true);
    const shown = sent.map((s) => visible(s.text)).join('\n');
    for (let i = 1; i <= 40; i++) expect(shown.split('\n').filter((l) => l.startsWith(`${i}. `))).toHaveLength(1);
    for (const s of sent) expect(visible(s.text).length).toBeLessThanOrEqual(TELEGRAM_MAX_CHARS);
  });

  it('the fake refuses what Telegram refuses: HTML cut inside a tag, or a part left unbalanced', () => {
    const whole = `<b>1. 国网</b>\n<a href="https://x.cn/${'a'.repeat(50)}">投递链接</a>`;
    const cut = whole.indexOf('href=') + 20;
    expect(parseTelegramHtml(whole.slice(0, cut))).toHaveProperty('error');
    expect(parseTelegramHtml(whole.slice(cut))).toHaveProperty('error');
    expect(parseTelegramHtml('<b>open')).toHaveProperty('error');
    expect(parseTelegramHtml('<a href="x" <b>>y</a>')).toHaveProperty('error');
    expect(parseTelegramHtml(whole)).toEqual({ text: '1. 国网\n投递链接' });
  });

  it('resends a part as plain text when Telegram refuses its formatting, and only then', async () => {
    const body = '<b>电气学院</b> 今日内推\n1. <a href="https://x.cn/j?a=1&amp;b=2">南瑞 嵌入式</a> &lt;急招&gt;';
    fake.failNext(1, { kind: 'error', status: 400, description: "Bad Request: can't parse entities: Unsupported start tag \"tg-x\" at byte offset 0" }, { method: 'sendMessage' });
    await adapter.send(CHANNEL, { format: 'html', body });
    expect(fake.callsOf('sendMessage').map((c) => c.status)).toEqual([400, 200]);
    expect(fake.sentTo(CHANNEL)).toMatchObject([{ parseMode: undefined, text: '电气学院 今日内推\n1. 南瑞 嵌入式 https://x.cn/j?a=1&b=2 <急招>' }]);
    expect(plainFallback(body)).toEqual([htmlToText(body)]);

    // Any other 400 is the message's fault, not the formatting's: permanent, no plain resend.
    fake.failNext(1, { kind: 'error', status: 400, description: 'Bad Request: chat not found' }, { method: 'sendMessage' });
    const err = await adapter.send('-1001', { format: 'html', body }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect(err).toMatchObject({ permanent: true, opts: { status: 400 } });
    expect(fake.callsOf('sendMessage')).toHaveLength(3);
  });

  it('a plain fallback longer than one message is split, each piece within the limit', async () => {
    // Hrefs do not count in HTML but do once written out as text.
    const lines = Array.from({ length: 20 }, (_, i) => `${i}. <a href="https://x.cn/${'p'.repeat(400)}/${i}">投递</a>`);
    const body = lines.join('\n');
    expect(telegramParts({ format: 'html', body })).toHaveLength(1);
    fake.failNext(1, { kind: 'error', status: 400, description: "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"" }, { method: 'sendMessage' });
    await adapter.send(CHANNEL, { format: 'html', body });
    const sent = fake.sentTo(CHANNEL);
    expect(sent.length).toBeGreaterThan(1);
    for (const s of sent) expect(s).toMatchObject({ parseMode: undefined });
    for (const s of sent) expect(s.text.length).toBeLessThanOrEqual(TELEGRAM_MAX_CHARS);
    expect(sent.map((s) => s.text).join('\n')).toBe(htmlToText(body));
  });
});

describe('splitHtml', () => {
  const tagged = (inner: fc.Arbitrary<string>) =>
    fc.tuple(fc.constantFrom('b', 'i', 'code', 'a', 'blockquote', 'tg-spoiler'), inner).map(([tag, t]) =>
      tag === 'a' ? `<a href="https://x.cn/?q=1&amp;r=2">${t}</a>` : tag === 'blockquote' ? `<blockquote expandable>${t}</blockquote>` : `<${tag}>${t}</${tag}>`,
    );
  const textPiece = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')),
    fc.constantFrom('\n', '\n\n', '😀', '👨‍👩‍👧', '&amp;', '&#128512;', '内推'),
    fc.integer({ min: 1, max: 300 }).map((n) => 'w'.repeat(n)),
  );
  const flat = fc.array(textPiece, { maxLength: 6 }).map((a) => a.join(''));
  const html = fc.array(fc.oneof(textPiece, tagged(flat), tagged(tagged(flat))), { maxLength: 12 }).map((a) => a.join(''));
  const squeeze = (s: string) => s.replace(/\s+/g, '');

  it('every part is balanced Telegram HTML within max visible characters, and no visible text is lost', () => {
    fc.assert(
      fc.property(html, fc.integer({ min: 2, max: 400 }), (h, max) => {
        const parts = splitHtml(h, max);
        const shown = parts.map((p) => {
          const parsed = parseTelegramHtml(p);
          expect(parsed, `${'error' in parsed ? parsed.error : ''} in ${JSON.stringify(p)}`).not.toHaveProperty('error');
          const t = (parsed as { text: string }).text;
          expect(t.length).toBeLessThanOrEqual(max);
          expect(t.trim()).not.toBe('');
          return t;
        });
        expect(squeeze(shown.join(''))).toBe(squeeze(visible(h)));
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 500) },
    );
  });

  it('its shortcut for HTML that fits returns what the full split does', () => {
    // Markup-like noise too: stray '<', '&', unbalanced and crossed tags, line ends before any text.
    const noise = fc.array(fc.constantFrom('<', '>', '&', ';', '\n', ' ', '<b>', '</b>', '<i>', '</i>', '&nbsp;', '&#x1F600;', '&bogus;', 'a', '内'), { maxLength: 20 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(html, noise), fc.integer({ min: 2, max: 400 }), (h, max) => {
        expect(splitHtml(h, max)).toEqual(splitHtmlTokens(h, max));
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 500) * 4 },
    );
  });

  it('cuts at line ends when lines fit, and leaves a fitting text alone', () => {
    expect(splitHtml('<b>a</b>\n<i>bb</i>\ncc', 5)).toEqual(['<b>a</b>\n<i>bb</i>', 'cc']);
    expect(splitHtml('<b>abcdef</b>', 4)).toEqual(['<b>abcd</b>', '<b>ef</b>']);
    expect(splitHtml('x<b>yz</b>', 1 + 1)).toEqual(['x<b>y</b>', '<b>z</b>']);
    expect(splitHtml('<a href="https://x.cn/very/long">ab</a>', 2)).toEqual(['<a href="https://x.cn/very/long">ab</a>']);
  });
});
