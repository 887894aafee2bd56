// Digest items read from pictures (Post.media): the marker, the pictures each platform carries (type,
// size, dimensions, pictures per part), captions tied to the item number, links where a platform cannot
// carry the picture, and the vote decorations keeping the pictures.
import { describe, expect, it } from 'vitest';
import { buildDigest } from '../../src/digest/build.ts';
import { composeDigest } from '../../src/digest/compose.ts';
import { mediaLinker } from '../../src/digest/media-link.ts';
import { PICTURE_POLICIES } from '../../src/digest/pictures.ts';
import { PLATFORM_LIMITS, renderDigest, type RenderOptions } from '../../src/digest/render.ts';
import type { OutboundMessage, Platform, Post, PostImage } from '../../src/domain.ts';
import { larkCardToText, larkPostToText } from '../../src/plain-text.ts';
import { parseRules } from '../../src/rules/index.ts';
import { loadCatalog } from '../../src/catalog.ts';
import { parseTelegramHtml } from '../fakes/telegram-server.ts';
import { post } from '../helpers/posts.ts';

const now = new Date('2026-11-21T02:00:00Z');
const MEDIA = '/srv/relay/data/media';
const render: RenderOptions = {
  now,
  timeZone: 'Asia/Shanghai',
  privacy: { attribution: 'name', maskContacts: true },
  sourceName: (_p, chat) => chat,
  mediaPath: (file) => `${MEDIA}/${file}`,
};
const college = { id: 'electrical', name: '电气与电子工程学院' };
const MB = 1024 * 1024;

const jpg = (file: string, over: Partial<PostImage> = {}): PostImage => ({ file, mime: 'image/jpeg', bytes: 15_788, width: 728, height: 350, ...over });
const poster = (company: string, media: PostImage[], over: Partial<Post> = {}) =>
  post({ text: `${company}2026届校园招聘，电气工程及其自动化专业，南京。`, fields: { company, roles: ['电气工程师'] }, media, ...over });
const digestOf = (posts: Post[]) => buildDigest(college, posts, { now, timeZone: 'Asia/Shanghai', maxItems: 30, id: 'dg-pic' });

/** The text a reader sees of a part (Telegram after HTML parsing, Lark's post as text). */
function seen(m: OutboundMessage): string {
  if (m.format === 'html') return (parseTelegramHtml(m.body) as { text: string }).text;
  if (m.format === 'lark-post') return larkPostToText(m.body);
  if (m.format === 'lark-card') return larkCardToText(m.body);
  return m.body;
}

describe('a digest item read from a picture', () => {
  const digest = digestOf([post({ fields: { company: '南瑞集团', roles: ['继保工程师'] } }), poster('国网江苏电力', [jpg('a1b2.jpg')])]);

  it('Telegram: the part carries the photo at its absolute path, captioned with the item, and the item says it came from a picture', () => {
    const [part, ...rest] = renderDigest(digest, 'telegram', render);
    expect(rest).toEqual([]);
    expect(part!.images).toEqual([{ file: `${MEDIA}/a1b2.jpg`, mime: 'image/jpeg', caption: '📷 第2条 · 国网江苏电力｜电气工程师' }]);
    const text = seen(part!);
    expect(text).toContain('2. 国网江苏电力｜电气工程师\n📷 图片内推（文字识别自海报，原图见图注“第2条”）');
    // The text item is not marked.
    expect(text.match(/📷/g)).toHaveLength(1);
    expect(text).toContain('1. 南瑞集团｜继保工程师');
  });

  it('Telegram captions are HTML (the part is sent with parse_mode HTML): a company name with < & is escaped', () => {
    const [part] = renderDigest(digestOf([poster('A&B<电气>', [jpg('x.png', { mime: 'image/png' })])]), 'telegram', render);
    expect(part!.images![0]!.caption).toBe('📷 第1条 · A&amp;B&lt;电气&gt;｜电气工程师');
    expect(parseTelegramHtml(part!.images![0]!.caption!)).not.toHaveProperty('error');
  });

  it('Lark: the caption is a text sent right after the picture, so it points up at it; local prints it on the picture’s line', () => {
    for (const platform of ['lark', 'local'] as const) {
      const [part, ...rest] = renderDigest(digest, platform, render);
      expect(rest).toEqual([]);
      const caption = platform === 'lark' ? '📷 ↑ 第2条 · 国网江苏电力｜电气工程师' : '📷 第2条 · 国网江苏电力｜电气工程师';
      expect(part!.images, platform).toEqual([{ file: `${MEDIA}/a1b2.jpg`, mime: 'image/jpeg', caption }]);
      expect(seen(part!), platform).toMatch(/2\. 国网江苏电力｜电气工程师\n\s*📷 图片内推（文字识别自海报，原图见图注“第2条”）/);
    }
  });

  it('WeChat: each picture is a part of its own, its caption another, before the text (the outbox marks each sent, so a retry never sends them again)', () => {
    const items: number[][][] = [];
    const parts = renderDigest(digest, 'wechat', { ...render, partItems: (p) => items.push(p) });
    expect(parts).toEqual([
      { format: 'plain', body: '', images: [{ file: `${MEDIA}/a1b2.jpg`, mime: 'image/jpeg' }] },
      { format: 'plain', body: '📷 ↑ 第2条 · 国网江苏电力｜电气工程师' },
      { format: 'plain', body: expect.stringMatching(/2\. 国网江苏电力｜电气工程师\n\s*📷 图片内推（文字识别自海报，原图见图注“第2条”）/) },
    ]);
    expect(items).toEqual([[[2], [2], [1, 2]]]);
  });

  it('several pictures of one item are numbered, up to the platform’s per-item cap', () => {
    const many = digestOf([poster('中国电建', [jpg('p1.jpg'), jpg('p2.jpg'), jpg('p3.jpg'), jpg('p4.jpg')])]);
    const [lark] = renderDigest(many, 'lark', render);
    expect(lark!.images!.map((i) => i.caption)).toEqual(['📷 ↑ 第1条（图1/3） · 中国电建｜电气工程师', '📷 ↑ 第1条（图2/3） · 中国电建｜电气工程师', '📷 ↑ 第1条（图3/3） · 中国电建｜电气工程师']);
    // Telegram: one album, one caption (a client shows none when several pictures have one).
    const [tg] = renderDigest(many, 'telegram', render);
    expect(tg!.images!.map((i) => i.caption)).toEqual(['📷 海报依次为：\n图1 · 第1条 · 中国电建｜电气工程师\n图2 · 第1条 · 中国电建｜电气工程师\n图3 · 第1条 · 中国电建｜电气工程师', undefined, undefined]);
    const wx = renderDigest(many, 'wechat', render);
    expect(wx.flatMap((p) => p.images ?? [])).toHaveLength(PICTURE_POLICIES.wechat.maxPerItem);
  });

  it('without mediaPath a part carries the bare file name (the outbox resolves it under the store’s media/)', () => {
    const { mediaPath: _m, ...bare } = render;
    const [part] = renderDigest(digest, 'local', bare);
    expect(part!.images![0]!.file).toBe('a1b2.jpg');
  });

  it('a file name that is a path (a crafted store entry) is never carried or linked', () => {
    const crafted = digestOf([poster('某公司', [jpg('../../etc/passwd'), jpg('..')])]);
    for (const platform of ['telegram', 'lark', 'wechat', 'local'] as const) {
      const [part] = renderDigest(crafted, platform, { ...render, mediaLink: () => 'https://relay.example.cn/x' });
      expect(part!.images).toBeUndefined();
      expect(seen(part!)).not.toContain('📷');
    }
  });
});

describe('where a platform cannot carry the picture', () => {
  const links = mediaLinker('a-secret-of-at-least-16', 'https://relay.example.cn/');
  const big = poster('华为', [jpg('big.jpg', { bytes: 12 * MB })]);
  const gif = poster('腾讯', [{ file: 'anim.gif', mime: 'image/gif', bytes: 40_000 }]);
  const webp = poster('阿里', [{ file: 'p.webp', mime: 'image/webp', bytes: 40_000 }]);
  const strip = poster('小米', [jpg('strip.jpg', { width: 9000, height: 300 })]);

  it('over 10 MB on Telegram: a link to the picture when public links are on', () => {
    const [part] = renderDigest(digestOf([big]), 'telegram', { ...render, mediaLink: links });
    expect(part!.images).toBeUndefined();
    expect(part!.body).toMatch(/📷 图片内推（文字识别自海报） <a href="https:\/\/relay\.example\.cn\/r\/p\/[A-Za-z0-9_-]{16}\/big\.jpg">查看原图<\/a>/);
  });

  it('without public links: the marker says the picture could not be attached', () => {
    const [part] = renderDigest(digestOf([big]), 'telegram', render);
    expect(part!.images).toBeUndefined();
    expect(seen(part!)).toContain('📷 图片内推（文字识别自海报，原图未能附上）');
  });

  it('types: a GIF goes as a Lark image but not as a Telegram photo; WebP not on WeChat (wechat4u would send it as a file)', () => {
    expect(renderDigest(digestOf([gif]), 'lark', render)[0]!.images).toHaveLength(1);
    expect(renderDigest(digestOf([gif]), 'telegram', render)[0]!.images).toBeUndefined();
    expect(renderDigest(digestOf([webp]), 'telegram', render)[0]!.images).toHaveLength(1);
    const [wx, ...none] = renderDigest(digestOf([webp]), 'wechat', { ...render, mediaLink: links });
    expect(none).toEqual([]);
    expect(wx!.images).toBeUndefined();
    expect(wx!.body).toMatch(/📷 图片内推（文字识别自海报） 原图：https:\/\/relay\.example\.cn\/r\/p\/[A-Za-z0-9_-]{16}\/p\.webp/);
  });

  it('dimensions Telegram refuses (width + height over 10,000, or a ratio over 20) go as a link; Lark takes them', () => {
    const [tg] = renderDigest(digestOf([strip]), 'telegram', { ...render, mediaLink: links });
    expect(tg!.images).toBeUndefined();
    expect(tg!.body).toContain('查看原图');
    expect(renderDigest(digestOf([strip]), 'lark', render)[0]!.images).toHaveLength(1);
  });

  it('on Lark the link is an <a> element of the post, on plain text the address itself', () => {
    const [lark] = renderDigest(digestOf([big]), 'lark', { ...render, mediaLink: links });
    const content = JSON.parse(lark!.body).zh_cn.content as { tag: string; href?: string; text: string }[][];
    const line = content.find((l) => l[0]?.text.startsWith('📷'))!;
    expect(line[1]).toMatchObject({ tag: 'a', text: '查看原图' });
    expect(line[1]!.href).toMatch(/^https:\/\/relay\.example\.cn\/r\/p\//);
  });
});

describe('pictures and parts', () => {
  it('each part holds at most the platform’s pictures per part, and every picture goes with the part holding its item', () => {
    const posts = Array.from({ length: 14 }, (_, i) => poster(`公司${i + 1}`, [jpg(`f${i + 1}.jpg`)]));
    for (const platform of ['telegram', 'lark', 'wechat', 'local'] as Platform[]) {
      const all = renderDigest(digestOf(posts), platform, render);
      const policy = PICTURE_POLICIES[platform];
      // WeChat: the pictures and their captions are parts of their own, before the text part holding their items.
      const isCaption = (p: OutboundMessage) => !p.images && p.body.startsWith('📷 ↑');
      const parts = all.filter((p) => !p.images?.length || p.body !== '').filter((p) => !(policy.picturesApart && isCaption(p)));
      expect(parts.length, platform).toBe(Math.ceil(14 / Math.min(policy.maxPerPart, 14)));
      parts.forEach((part) => {
        const k = all.indexOf(part);
        let start = k;
        while (policy.picturesApart && start > 0 && (all[start - 1]!.images || isCaption(all[start - 1]!))) start--;
        const before = all.slice(start, k);
        const images = policy.picturesApart ? before.flatMap((p) => p.images ?? []) : part.images!;
        const album = policy.albumCaption && images.length > 1 ? images[0]!.caption!.split('\n').slice(1) : undefined;
        if (album) expect(images.slice(1).every((i) => i.caption === undefined)).toBe(true);
        const captions = album ?? (policy.picturesApart ? before.filter(isCaption).map((p) => p.body) : images.map((i) => i.caption!));
        expect(images.length).toBeLessThanOrEqual(policy.maxPerPart);
        expect(captions).toHaveLength(images.length);
        const text = seen(part);
        for (const [j, image] of images.entries()) {
          const n = Number(/第(\d+)条/.exec(captions[j]!)![1]);
          expect(image.file).toBe(`${MEDIA}/f${n}.jpg`);
          expect(text.split('\n').some((l) => l.startsWith(`${n}. 公司${n}｜`))).toBe(true);
        }
        expect(platform === 'lark' ? Buffer.byteLength(part.body) : text.length).toBeLessThanOrEqual(PLATFORM_LIMITS[platform]);
      });
      expect(all.flatMap((p) => p.images ?? []).map((i) => i.file)).toEqual(posts.map((_, i) => `${MEDIA}/f${i + 1}.jpg`));
    }
  });

  it('a part split inside one item (a tiny limit) carries its pictures on the first piece only', () => {
    const long = poster('长文公司', [jpg('long.jpg')], { text: `内推 ${'电'.repeat(400)}` });
    const items: number[][][] = [];
    const parts = renderDigest(digestOf([long]), 'local', { ...render, limit: 120, partItems: (p) => items.push(p) });
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]!.images).toHaveLength(1);
    expect(parts.slice(1).every((p) => p.images === undefined)).toBe(true);
    // Its item (the buttons) goes with the last piece.
    expect(items[0]).toEqual([...parts.slice(1).map(() => []), [1]]);
  });
});

describe('composeDigest with votes keeps the pictures', () => {
  const catalog = loadCatalog();
  const rules = parseRules(
    `sources:\n  - { platform: wechat, group: 校友群 }\ncolleges:\n  - id: electrical\n    name: 电气学院\n    classes: ['0806']\n    channels:\n      - { platform: telegram, chat: '-1001' }\n      - { platform: lark, chat: oc_1 }\n      - { platform: wechat, chat: 电气学生群 }\n`,
    'routing.yaml',
    catalog,
  );
  const college = rules.colleges[0]!;
  const posts = [post({ fields: { company: '南瑞集团' } }), poster('国网江苏电力', [jpg('a1b2.jpg')])];
  const composed = composeDigest(rules, college, posts, now, 'dg-v', { votes: true, mediaPath: (f) => `${MEDIA}/${f}` })!;

  it('Telegram: buttons and pictures on the same part (the adapter sends the photos, then the text with the buttons)', () => {
    const [part] = composed.render('telegram');
    expect(part!.buttons?.length).toBeGreaterThan(0);
    expect(part!.images).toHaveLength(1);
  });

  it('Lark: the vote card keeps the part’s pictures (sent after the card, each with its caption)', () => {
    const [part] = composed.render('lark');
    expect(part!.format).toBe('lark-card');
    expect(part!.images).toEqual([{ file: `${MEDIA}/a1b2.jpg`, mime: 'image/jpeg', caption: '📷 ↑ 第2条 · 国网江苏电力｜电气工程师' }]);
    expect(larkCardToText(part!.body)).toContain('📷 图片内推');
  });

  it('WeChat: the picture part first, the reply footer on the text part, last', () => {
    const [picture, caption, text, ...rest] = composed.render('wechat');
    expect(rest).toEqual([]);
    expect(picture).toMatchObject({ body: '', images: [{ file: `${MEDIA}/a1b2.jpg` }] });
    expect(caption!.body).toBe('📷 ↑ 第2条 · 国网江苏电力｜电气工程师');
    expect(text!.body).toMatch(/📷 图片内推[\s\S]*回复/);
    expect(text!.body.length).toBeLessThanOrEqual(PLATFORM_LIMITS.wechat);
  });
});
