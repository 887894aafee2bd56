// Property: whatever alumni type (5,000-character apply links, words with no space, emoji, things that
// look like HTML), every rendered part fits its platform's limit as that platform counts it, HTML parts
// parse as Telegram parses them, every item arrives whole in one part, and only what is deliberately
// shortened (with an ellipsis) is cut.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDigest } from '../../src/digest/build.ts';
import { mediaLinker } from '../../src/digest/media-link.ts';
import { canCarry, isMediaName, PICTURE_POLICIES } from '../../src/digest/pictures.ts';
import { PLATFORM_FORMAT, PLATFORM_LIMITS, renderDigest, type RenderOptions } from '../../src/digest/render.ts';
import type { OutboundMessage, Platform, Post, PostImage } from '../../src/domain.ts';
import { larkPostToText } from '../../src/plain-text.ts';
import { parseTelegramHtml } from '../fakes/telegram-server.ts';
import { post } from '../helpers/posts.ts';

const now = new Date('2026-11-21T02:00:00Z');
const render: RenderOptions = { now, timeZone: 'Asia/Shanghai', privacy: { attribution: 'name', maskContacts: true }, sourceName: (_p, chat) => chat };
const college = { id: 'electrical', name: '电气与电子工程学院' };
const PLATFORMS: Platform[] = ['telegram', 'lark', 'wechat', 'local'];

const piece = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('👨‍👩‍👧', '😀', '🇨🇳', '内推', '<a href="x">', '</b>', '&amp;', '&', '<', '>', '"', "'", ' ', '<b>粗</b>', '&#128512;'),
  fc.integer({ min: 50, max: 3000 }).map((n) => 'W'.repeat(n)),
  fc.integer({ min: 20, max: 600 }).map((n) => '电'.repeat(n)),
);
const text = fc.array(piece, { maxLength: 8 }).map((a) => a.join(''));
/** One line, no controls: what identifies an item in the output. */
const company = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map((s) => `C${s.replace(/[\u0000-\u001f\u007f-\u009f\s]/g, '')}`);
const link = fc.oneof(
  fc.webUrl(),
  fc.integer({ min: 100, max: 6000 }).map((n) => `https://campus.example.cn/apply?ref=${'a1B2'.repeat(Math.ceil(n / 4)).slice(0, n)}`),
  fc.constantFrom('https://x.cn/?a=1&b=<2>', 'https://x.cn/"><script>', 'javascript:alert(1)'),
);
// Pictures a poster came with: types each platform takes or refuses, sizes around the 10 MB limits,
// dimensions Telegram refuses, and names that are paths (a crafted store entry), never to be carried.
const picture: fc.Arbitrary<PostImage> = fc.record({
  file: fc.oneof({ arbitrary: fc.stringMatching(/^[0-9a-f]{8}\.(jpg|png|webp|gif)$/), weight: 6 }, { arbitrary: fc.constantFrom('../x.jpg', '..', '', 'a/b.png', 'a\\b.jpg'), weight: 1 }),
  mime: fc.oneof(
    { arbitrary: fc.constantFrom('image/jpeg', 'image/png'), weight: 5 },
    { arbitrary: fc.constantFrom('image/webp', 'image/gif', 'image/bmp', 'image/svg+xml', 'application/pdf'), weight: 2 },
  ),
  bytes: fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 2_000_000 }), weight: 6 },
    { arbitrary: fc.integer({ min: 10 * 1024 * 1024 - 2, max: 10 * 1024 * 1024 + 2 }), weight: 1 },
    { arbitrary: fc.constant(0), weight: 1 },
  ),
  width: fc.option(fc.integer({ min: 1, max: 12_000 }), { nil: undefined }),
  height: fc.option(fc.integer({ min: 1, max: 12_000 }), { nil: undefined }),
}).map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as unknown as PostImage);

const email = fc.oneof(fc.constantFrom('hr@sgcc.com.cn', 'a"b@x.cn'), fc.integer({ min: 10, max: 3000 }).map((n) => `${'h'.repeat(n)}@x.cn`));

const anyPost = fc
  .record({
    text,
    company,
    role: text,
    city: fc.option(text, { nil: undefined }),
    links: fc.array(link, { maxLength: 3 }),
    emails: fc.array(email, { maxLength: 2 }),
    code: fc.option(text, { nil: undefined }),
    sender: text,
    group: text,
    media: fc.option(fc.array(picture, { minLength: 1, maxLength: 5 }), { nil: undefined, freq: 4 }),
  })
  .map((h) => {
    const p = post({
      ...(h.media && { media: h.media }),
      text: h.text || '内推',
      fields: { company: h.company, roles: h.role ? [h.role] : [], links: h.links, emails: h.emails, deadline: '2026-11-23', ...(h.city ? { city: h.city } : {}), ...(h.code ? { referralCode: h.code } : {}) },
    });
    return { ...p, sources: [{ ...p.sources[0]!, senderName: h.sender, chatId: h.group || 'g' }] } as Post;
  });

/** What a reader sees of one part, and how the platform measures it. */
function visible(platform: Platform, m: OutboundMessage): { text: string; size: number } {
  if (m.format === 'html') {
    const parsed = parseTelegramHtml(m.body);
    expect(parsed, `Telegram would refuse: ${'error' in parsed ? parsed.error : ''}`).not.toHaveProperty('error');
    const t = (parsed as { text: string }).text;
    return { text: t, size: t.length };
  }
  if (m.format === 'lark-post') {
    JSON.parse(m.body);
    return { text: larkPostToText(m.body), size: Buffer.byteLength(m.body) };
  }
  return { text: m.body, size: m.body.length };
}

const hrefsOf = (m: OutboundMessage): string[] =>
  m.format === 'html'
    ? [...m.body.matchAll(/<a href="([^"]*)">/g)].map((x) => x[1]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'))
    : m.format === 'lark-post'
      ? [...m.body.matchAll(/"href":("(?:[^"\\]|\\.)*")/g)].map((x) => JSON.parse(x[1]!) as string)
      : [];

const MEDIA = '/data/media';
const mediaPath = (file: string) => `${MEDIA}/${file}`;
const usable = (p: Post) => (p.media ?? []).filter((m) => isMediaName(m.file));

/** Pictures: each goes with the part holding its item, within the platform's rules and caps; picture items say so. */
function checkPictures(platform: Platform, digestPosts: Post[], parts: OutboundMessage[], texts: string[], link?: (file: string) => string | undefined): void {
  const policy = PICTURE_POLICIES[platform];
  const markers = texts.flatMap((t) => t.split('\n').filter((l) => l.trim().startsWith('📷 图片内推')));
  expect(markers, `${platform} markers`).toHaveLength(digestPosts.filter((p) => usable(p).length > 0).length);
  const perItem = new Map<number, number>();
  parts.forEach((part, i) => {
    const images = part.images ?? [];
    expect(images.length, `${platform} pictures per part`).toBeLessThanOrEqual(policy.maxPerPart);
    const isCaption = (m: OutboundMessage | undefined) => !m?.images && !!m?.body.startsWith('📷 ↑ 第');
    // An album (Telegram, several pictures): one caption on the first picture, a line per picture in order.
    const album = policy.albumCaption && images.length > 1 ? images[0]!.caption!.split('\n') : undefined;
    if (album) {
      expect(album[0]).toBe('📷 海报依次为：');
      expect(album).toHaveLength(images.length + 1);
      expect(images.slice(1).every((im) => im.caption === undefined), `${platform}: one caption per album`).toBe(true);
    }
    for (const [j, image] of images.entries()) {
      // A platform whose pictures are parts of their own: the caption is the next part.
      const caption = album ? album[j + 1] : policy.picturesApart ? parts[i + 1]?.body : image.caption;
      if (album) expect(caption).toMatch(new RegExp(`^图${j + 1} · 第\\d+条 · `));
      if (policy.picturesApart) {
        expect(image.caption, `${platform}: the caption is a part of its own`).toBeUndefined();
        expect(isCaption(parts[i + 1]), `${platform}: a caption part follows the picture`).toBe(true);
      }
      const n = Number(/第(\d+)条/.exec(caption ?? '')?.[1]);
      const item = digestPosts[n - 1];
      expect(item, `${platform} caption ${caption}`).toBeDefined();
      // Tied to its item: the item is in this very part (the first piece of it, when split), or — a
      // platform whose pictures are parts of their own — in the first text part after it.
      const holder = policy.picturesApart ? parts.findIndex((p, j) => j > i && !p.images && !isCaption(p)) : i;
      if (policy.picturesApart) expect(part.body, `${platform}: a picture part carries one picture, no text`).toBe('');
      if (policy.picturesApart) expect(images).toHaveLength(1);
      expect(texts[holder]?.split('\n').some((l) => l.startsWith(`${n}. `)), `${platform} item ${n} with its picture`).toBe(true);
      const source = item!.media!.find((m) => mediaPath(m.file) === image.file);
      expect(source, `${platform} ${image.file}`).toBeDefined();
      expect(isMediaName(source!.file) && canCarry(source!, policy)).toBe(true);
      expect(image.mime).toBe(source!.mime);
      perItem.set(n, (perItem.get(n) ?? 0) + 1);
      if (platform === 'telegram' && (j === 0 || !album)) {
        const parsed = parseTelegramHtml(image.caption!);
        expect(parsed).not.toHaveProperty('error');
        expect((parsed as { text: string }).text.length).toBeLessThanOrEqual(1024);
      }
    }
  });
  for (const count of perItem.values()) expect(count).toBeLessThanOrEqual(policy.maxPerItem);
  // Every carryable picture item has at least one picture (packing keeps each part within its pictures).
  digestPosts.forEach((p, i) => {
    if (usable(p).some((m) => canCarry(m, policy))) expect(perItem.get(i + 1), `${platform} item ${i + 1} carried`).toBeGreaterThan(0);
    else if (usable(p).length && link) {
      // Not carried: the part holding the item links to its first picture, whole.
      const url = link(usable(p)[0]!.file)!;
      const k = texts.findIndex((t) => t.split('\n').some((l) => l.startsWith(`${i + 1}. `)));
      const where = parts[k]!.format === 'plain' ? texts[k]! : parts[k]!.body;
      expect(where.includes(url) || where.includes(JSON.stringify(url).slice(1, -1)), `${platform} item ${i + 1} links ${url}`).toBe(true);
    }
  });
}

describe('renderDigest properties', () => {
  it('every part fits its platform, HTML parses, each item arrives once and links stay whole', () => {
    fc.assert(
      fc.property(fc.array(anyPost, { minLength: 1, maxLength: 10 }), fc.boolean(), (posts, links) => {
        const digest = buildDigest(college, posts, { now, timeZone: 'Asia/Shanghai', maxItems: 30, id: 'dg-p' });
        const mediaLink = links ? mediaLinker('property-secret-0123456789', 'https://relay.example.cn') : undefined;
        const opts: RenderOptions = { ...render, mediaPath, ...(mediaLink && { mediaLink }) };
        for (const platform of PLATFORMS) {
          const parts = renderDigest(digest, platform, opts);
          expect(parts.length).toBeGreaterThan(0);
          const seen = parts.map((m) => {
            expect(m.format).toBe(PLATFORM_FORMAT[platform]);
            const v = visible(platform, m);
            expect(v.size, `${platform} limit`).toBeLessThanOrEqual(PLATFORM_LIMITS[platform]);
            return { ...v, hrefs: hrefsOf(m) };
          });
          checkPictures(platform, digest.items.map((it) => it.post), parts, seen.map((s) => s.text), mediaLink);
          digest.items.forEach((item, i) => {
            const n = i + 1;
            // The item's first line ("n. company…") is in exactly one part, with the company's start.
            const holders = seen.filter((s) => s.text.split('\n').some((l) => l.startsWith(`${n}. `)));
            expect(holders, `item ${n} on ${platform}`).toHaveLength(1);
            const shown = holders[0]!;
            const head = [...item.post.classification.fields.company!].slice(0, 15).join('');
            expect(shown.text).toContain(`${n}. ${head}`);
            for (const url of item.post.classification.fields.links.slice(0, 2)) {
              if (!/^https?:\/\//i.test(url)) continue;
              if (platform === 'telegram' || platform === 'lark') {
                // Telegram does not count an href; Lark's 28 kB hold two 6,000-character links.
                expect(shown.hrefs).toContain(url);
              } else {
                // Plain text shows the URL: whole, or its start and an ellipsis.
                const whole = shown.text.includes(url);
                const cut = [...shown.text.matchAll(/🔗 ([^\s｜]*)…/g)].some((x) => x[1]!.length >= 10 && url.startsWith(x[1]!));
                expect(whole || cut, `${url.slice(0, 60)}… on ${platform}`).toBe(true);
              }
            }
          });
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150) },
    );
  }, 120_000);

  it('many short picture items: each part within its platform’s pictures, each picture with its item', () => {
    const small = fc.record({ company, media: fc.option(fc.array(picture, { minLength: 1, maxLength: 4 }), { nil: undefined, freq: 5 }) }).map((h) =>
      post({ text: `${h.company}招聘，电气专业。`, fields: { company: h.company, roles: ['工程师'] }, ...(h.media && { media: h.media }) }),
    );
    fc.assert(
      fc.property(fc.array(small, { minLength: 1, maxLength: 30 }), (posts) => {
        const digest = buildDigest(college, posts, { now, timeZone: 'Asia/Shanghai', maxItems: 30, id: 'dg-s' });
        for (const platform of PLATFORMS) {
          const parts = renderDigest(digest, platform, { ...render, mediaPath });
          const texts = parts.map((m) => {
            const v = visible(platform, m);
            expect(v.size, `${platform} limit`).toBeLessThanOrEqual(PLATFORM_LIMITS[platform]);
            return v.text;
          });
          checkPictures(platform, posts, parts, texts);
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150) },
    );
  }, 120_000);

  it('a referral with a 5,000-character apply link renders as one Telegram part, href whole', () => {
    const url = `https://campus.example.cn/apply?ref=${'x'.repeat(5000)}`;
    const p = post({ text: `国网江苏电力2026届校招内推，电气类，网申 ${url}`, fields: { company: '国网江苏电力', roles: ['电气工程师'], links: [url] } });
    const digest = buildDigest(college, [p, post({ fields: { company: '南瑞集团' } })], { now, timeZone: 'Asia/Shanghai', maxItems: 30, id: 'dg-l' });
    const [only, ...rest] = renderDigest(digest, 'telegram', render);
    expect(rest).toEqual([]);
    expect(only!.body.length).toBeGreaterThan(5000);
    expect(only!.body).toContain(`<a href="${url}">投递链接</a>`);
    const parsed = parseTelegramHtml(only!.body) as { text: string };
    expect(parsed.text.length).toBeLessThanOrEqual(4096);
    expect(parsed.text).toContain('2. 南瑞集团');
    // WeChat shows links as text: there the URL is shortened, and says so.
    const wechat = renderDigest(digest, 'wechat', render);
    for (const m of wechat) expect(m.body.length).toBeLessThanOrEqual(PLATFORM_LIMITS.wechat);
    expect(wechat.map((m) => m.body).join('\n')).toMatch(/🔗 https:\/\/campus\.example\.cn\/apply\?ref=x+…/);
  });
});
