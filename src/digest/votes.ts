// Pure: the 👍/👎 a digest part carries for its items (issue 12). Telegram gets inline buttons, Lark an
// interactive card (one card shared by the chat: Lark has buttons only in cards), WeChat and the local
// platform a one-line footer telling students to reply `3 不对口`.
import { voteData } from '../feedback/items.ts';

type Button = { text: string; data: string };

/** Five to a row keeps each button wide enough to press on a phone (8 per row is Telegram's practical maximum). */
const PER_ROW = 5;

/**
 * Rows of five 👎n, then rows of five 👍n: a compact keyboard for up to 30 items instead of one row per
 * item. Each button's data is `voteData(digest, n, ±1)` (≤ 64 bytes, Telegram's callback_data limit).
 */
export function voteButtons(digestId: string, items: readonly number[]): Button[][] {
  const rows: Button[][] = [];
  for (const [emoji, value] of [['👎', -1], ['👍', 1]] as const) {
    for (let i = 0; i < items.length; i += PER_ROW) {
      rows.push(items.slice(i, i + PER_ROW).map((n) => ({ text: `${emoji}${n}`, data: voteData(digestId, n, value) })));
    }
  }
  return rows;
}

type PostElement = { tag: string; text?: string; href?: string };

/** Lark markdown's markup characters (bold, strike, links, tags): escaped so a poster's text shows as written. */
const escapeMd = (s: string) => s.replace(/([\\*~[\]])/g, '\\$1').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A rendered lark-post part (renderDigest's `{zh_cn: {title, content}}`) → a Card JSON 1.0 card with a
 * 👍/👎 action row under each item. Items are found by their numbered first line ("3. …"), so the
 * card says exactly what the post said. The button value is `{ "d": data }`, what the Lark adapter reads
 * back from card.action.trigger.
 * 2026-11: card JSON 1.0 (config, header, elements: div/lark_md, action/button, hr),
 * https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v1-structure
 */
export function larkVoteCard(postBody: string, digestId: string, items: readonly number[]): string {
  const post = JSON.parse(postBody) as { zh_cn: { title: string; content: PostElement[][] } };
  const lineMd = (line: PostElement[]) => line.map((e) => (e.tag === 'a' && e.href ? `[${escapeMd(e.text ?? '')}](${e.href})` : escapeMd(e.text ?? ''))).join('');
  const blocks: { n?: number; lines: string[] }[] = [{ lines: [] }];
  let next = 0;
  for (const line of post.zh_cn.content) {
    const first = line[0]?.text ?? '';
    if (next < items.length && first.startsWith(`${items[next]}. `)) blocks.push({ n: items[next++], lines: [] });
    blocks[blocks.length - 1]!.lines.push(lineMd(line));
  }
  const elements: object[] = [];
  const div = (lines: string[]) => ({ tag: 'div', text: { tag: 'lark_md', content: lines.join('\n').trim() } });
  // The footer ends the last item's block: it is the post's last line.
  const last = blocks[blocks.length - 1]!;
  const footer = last.n !== undefined && last.lines.length > 1 ? last.lines.pop() : undefined;
  for (const b of blocks) {
    if (!b.lines.join('').trim()) continue;
    elements.push(div(b.lines));
    if (b.n === undefined) continue;
    elements.push({
      tag: 'action',
      actions: (
        [
          ['👍 有用', 1],
          ['👎 不对口', -1],
        ] as const
      ).map(([text, value]) => ({ tag: 'button', text: { tag: 'plain_text', content: `${text} ${b.n}` }, type: 'default', value: { d: voteData(digestId, b.n!, value) } })),
    });
  }
  if (footer) elements.push({ tag: 'hr' }, div([footer]));
  return JSON.stringify({ config: { wide_screen_mode: true }, header: { title: { tag: 'plain_text', content: post.zh_cn.title } }, elements });
}
