// Admin commands typed in any chat the relay reads: /relay status | review | approve ID | reject ID | help.
// Only admins listed in the rules get an answer; anyone else gets silence (not even "not allowed"),
// so the bot never advertises its controls in a group of strangers.
import type { InboundMessage, Post } from './domain.ts';
import type { Rules } from './rules/schema.ts';
import type { Store } from './store/store.ts';
import { localDateTime } from './time.ts';

export type AdminCommand =
  | { name: 'status' | 'review' | 'help' }
  | { name: 'approve' | 'reject'; id: string };

/** Pure: the command in a message, or null when it is not one. "/relay@BotName status" is accepted too. */
export function parseAdminCommand(text: string): AdminCommand | null | 'unknown' {
  const m = /^\s*[/／]relay(?:@\w+)?(?:\s+(\S+)(?:\s+(\S+))?)?\s*$/iu.exec(text);
  if (!m) return null;
  const verb = (m[1] ?? 'help').toLowerCase();
  if (verb === 'status' || verb === 'review' || verb === 'help') return { name: verb };
  if ((verb === 'approve' || verb === 'reject') && m[2]) return { name: verb, id: m[2] };
  return 'unknown';
}

export function isAdmin(rules: Rules, m: InboundMessage): boolean {
  return rules.admins.some(
    (a) =>
      a.platform === m.platform &&
      // WeChat has no stable user id over the web protocol: admins are matched by display name there
      // (documented in rules/README.md as the weaker check it is).
      (a.user === m.senderId || (m.platform === 'wechat' && a.user === m.senderName)),
  );
}

export const shortId = (id: string) => id.slice(0, 8);

export interface AdminDeps {
  store: Store;
  rules: () => Rules;
  now: () => Date;
  nextRuns: () => { collegeId: string; next: Date | null }[];
  startedAt: Date;
  /** Students' feedback per college (src/feedback/stats.ts); absent while feedback is off. */
  feedback?: () => { colleges: { collegeId: string; delivered: number; clicks: number; up: number; down: number; subscribers: number }[] } | undefined;
}

const HELP = [
  'alumni-relay 管理命令：',
  '/relay status — 运行状态',
  '/relay review — 待审核（疑似诈骗）的消息',
  '/relay approve ID — 审核通过，进入下次推送',
  '/relay reject ID — 驳回，不再推送',
  '/relay guide — 校友发内推指南（任何人可用）',
  '/relay optout | optin — 月度致谢里不署名 / 恢复（任何人可用）',
].join('\n');

/**
 * The reply to an admin command, or undefined when the message is not a command from an admin
 * (a non-admin's command is swallowed: the caller must not treat it as a referral either).
 */
export async function handleAdminCommand(m: InboundMessage, deps: AdminDeps): Promise<{ command: boolean; reply?: string }> {
  const cmd = parseAdminCommand(m.text);
  if (cmd === null) return { command: false };
  const rules = deps.rules();
  if (!isAdmin(rules, m)) return { command: true };
  if (cmd === 'unknown' || cmd.name === 'help') return { command: true, reply: HELP };
  const { store } = deps;
  switch (cmd.name) {
    case 'status':
      return { command: true, reply: status(deps) };
    case 'review': {
      const held = store.posts().filter((p) => p.status === 'review');
      if (held.length === 0) return { command: true, reply: '没有待审核的消息。' };
      const lines = held.slice(-10).map((p) => `${shortId(p.id)}  ${excerpt(p)}  （诈骗分 ${p.classification.scamScore.toFixed(2)}）`);
      return { command: true, reply: [`待审核 ${held.length} 条${held.length > 10 ? '（显示最近 10 条）' : ''}：`, ...lines, '', '通过：/relay approve ID　驳回：/relay reject ID'].join('\n') };
    }
    case 'approve':
    case 'reject': {
      const matches = store.posts().filter((p) => p.id.startsWith(cmd.id));
      if (matches.length !== 1) return { command: true, reply: matches.length ? `ID ${cmd.id} 对应多条消息，请多写几位。` : `找不到 ID ${cmd.id}。` };
      const post = matches[0]!;
      await store.setStatus(post.id, cmd.name === 'approve' ? 'active' : 'rejected');
      const where = post.classification.colleges.length ? `，将进入下次推送：${post.classification.colleges.join('、')}` : '（未匹配到学院，不会推送）';
      return { command: true, reply: cmd.name === 'approve' ? `已通过 ${shortId(post.id)}${where}` : `已驳回 ${shortId(post.id)}` };
    }
  }
}

function excerpt(p: Post): string {
  const s = p.text.replace(/\s+/g, ' ');
  return [...s].length > 40 ? `${[...s].slice(0, 39).join('')}…` : s;
}

function status(deps: AdminDeps): string {
  const rules = deps.rules();
  const { store } = deps;
  const c = store.counters();
  const tz = rules.defaults.timezone;
  const pending = store.deliveries().filter((d) => d.status === 'pending').length;
  const dead = store.deliveries().filter((d) => d.status === 'dead').length;
  const review = store.posts().filter((p) => p.status === 'review').length;
  const runs = new Map(deps.nextRuns().map((r) => [r.collegeId, r.next]));
  const fb = new Map((deps.feedback?.()?.colleges ?? []).map((x) => [x.collegeId, x]));
  return [
    `alumni-relay 运行中，自 ${localDateTime(deps.startedAt, tz)} 起`,
    `收到消息 ${c.received} 条：内推 ${c.stored}，合并转发 ${c.merged}，疑似诈骗 ${c.scams}（待审核 ${review}），非内推 ${c.notJob}`,
    `待发送 ${pending}，发送失败 ${dead}`,
    ...rules.colleges.map((col) => {
      const next = runs.get(col.id);
      const f = fb.get(col.id);
      const votes = f ? `；送达 ${f.delivered}，点击 ${f.clicks}，👍 ${f.up} 👎 ${f.down}，订阅 ${f.subscribers} 人` : '';
      return `· ${col.name}：待推送 ${store.undigestedFor(col.id).length} 条，下次 ${next ? localDateTime(next, tz) : '—'}${votes}`;
    }),
  ].join('\n');
}
