// Votes on digests (issue 12): each part carries the 👍/👎 of its own items (Telegram), a Lark part
// becomes a card with a vote row per item, WeChat gets the reply footer within its limit, and apply
// links are rewritten per channel. Pure: composeDigest over hand-made posts.
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog.ts';
import { composeDigest } from '../../src/digest/compose.ts';
import { PLATFORM_LIMITS } from '../../src/digest/render.ts';
import { voteButtons } from '../../src/digest/votes.ts';
import { WECHAT_FOOTER } from '../../src/feedback/commands.ts';
import { parseVoteData, digestKey } from '../../src/feedback/items.ts';
import { loadRulesFile } from '../../src/rules/index.ts';
import { post } from '../helpers/posts.ts';

const rules = loadRulesFile('rules/routing.yaml', loadCatalog());
const college = rules.colleges.find((c) => c.id === 'electrical')!;
const NOW = new Date('2026-11-20T02:00:00Z');
const posts = (k: number) =>
  Array.from({ length: k }, (_, i) => post({ text: `国网第${i + 1}分公司招聘电气工程及其自动化专业 ${'详情'.repeat(60)}`, fields: { company: `国网第${i + 1}分公司`, links: [`https://jobs.example.com/${i + 1}`] } }));

describe('votes on digests', () => {
  it('Telegram: rows of five 👎n then five 👍n, each part carrying only its own items, data within 64 bytes', () => {
    const composed = composeDigest({ ...rules, defaults: { ...rules.defaults, explain: false } }, college, posts(12), NOW, 'dg-electrical-test', { votes: true })!;
    const parts = composed.render('telegram', { platform: 'telegram', chat: '-1001987650101' });
    expect(parts.length).toBe(1);
    const rows = parts[0]!.buttons!;
    expect(rows.map((r) => r.map((b) => b.text).join(' '))).toEqual([
      '👎1 👎2 👎3 👎4 👎5',
      '👎6 👎7 👎8 👎9 👎10',
      '👎11 👎12',
      '👍1 👍2 👍3 👍4 👍5',
      '👍6 👍7 👍8 👍9 👍10',
      '👍11 👍12',
    ]);
    for (const b of rows.flat()) {
      expect(Buffer.byteLength(b.data)).toBeLessThanOrEqual(64);
      expect(parseVoteData(b.data)).toMatchObject({ digestKey: digestKey('dg-electrical-test'), n: Number(b.text.slice(2)) });
    }
    // Split into parts (a long digest): every item's buttons are on the part that shows it, once.
    const many = composeDigest(rules, college, posts(30), NOW, 'dg-many', { votes: true })!.render('telegram', { platform: 'telegram', chat: 'x' });
    expect(many.length).toBeGreaterThan(1);
    const seen: number[] = [];
    for (const part of many) {
      const items = [...new Set(part.buttons!.flat().map((b) => parseVoteData(b.data)!.n))];
      for (const n of items) expect(part.body).toContain(`<b>${n}. `);
      seen.push(...items);
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('Lark: the part is a card with 👍/👎 under each item (value {d}); WeChat: the footer, within the limit', () => {
    const composed = composeDigest(rules, college, posts(3), NOW, 'dg-l', { votes: true })!;
    const [card] = composed.render('lark', { platform: 'lark', chat: 'oc_x' });
    expect(card!.format).toBe('lark-card');
    const json = JSON.parse(card!.body) as { header: { title: { content: string } }; elements: { tag: string; actions?: { value: { d: string } }[] }[] };
    expect(json.header.title.content).toContain('电气与电子工程学院');
    const actions = json.elements.filter((e) => e.tag === 'action');
    expect(actions.map((a) => a.actions!.map((b) => parseVoteData(b.value.d)))).toEqual([1, 2, 3].map((n) => [expect.objectContaining({ n, value: 1 }), expect.objectContaining({ n, value: -1 })]));
    const wx = composeDigest(rules, college, posts(30), NOW, 'dg-w', { votes: true })!.render('wechat', { platform: 'wechat', chat: 'g' });
    expect(wx.at(-1)!.body.endsWith(WECHAT_FOOTER)).toBe(true);
    for (const p of wx) expect(p.body.length).toBeLessThanOrEqual(PLATFORM_LIMITS.wechat);
    // Off: nothing added.
    const off = composeDigest(rules, college, posts(3), NOW, 'dg-o')!;
    expect(off.render('telegram', { platform: 'telegram', chat: 'x' })[0]!.buttons).toBeUndefined();
    expect(off.render('lark')[0]!.format).toBe('lark-post');
  });

  it('apply links are rewritten for the channel they go to', () => {
    const seen: string[] = [];
    const composed = composeDigest(rules, college, posts(1), NOW, 'dg-k', {
      votes: false,
      link: (url, where) => {
        seen.push(`${where.channel.platform}:${where.channel.chat}:${where.collegeId}`);
        return `https://relay.example.edu/r/${url.length}`;
      },
    })!;
    const [part] = composed.render('wechat', { platform: 'wechat', chat: '电气学院2026届就业信息群' });
    expect(part!.body).toContain('🔗 https://relay.example.edu/r/');
    expect(seen).toEqual(['wechat:电气学院2026届就业信息群:electrical']);
    expect(voteButtons('d', [])).toEqual([]);
  });
});
