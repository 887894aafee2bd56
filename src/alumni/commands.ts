// Pure: the alumni commands in a message. Group commands: "/relay help|guide|optout|optin" and
// "@bot 怎么内推". Private (mentor) commands: "导师 报名 …", "导师 退出", "找导师 …", "找导师 取消",
// "接受 CODE", "婉拒 CODE".
export type AlumniCommand =
  | { name: 'guide' }
  | { name: 'optout' }
  | { name: 'optin' }
  | { name: 'mentor-join'; terms: string[]; topics?: string }
  | { name: 'mentor-leave' }
  | { name: 'student-ask'; terms: string[] }
  | { name: 'student-cancel' }
  | { name: 'mentor-answer'; code: string; accept: boolean };

export interface MessageContext {
  /** The adapter says the message @-mentions the bot (Telegram entity, Lark mention, WeChat mentionSelf). */
  mentionsBot?: boolean;
  /** The bot's names as others @-mention it, for adapters that cannot tell (e.g. "alumni_relay_bot"). */
  botNames?: readonly string[];
}

const HOW_TO = /(怎么|如何|怎样)\s*(发|投|做|转)?\s*内推|内推\s*(怎么|如何)\s*(发|弄|做)/;
const RELAY = /^\s*[/／]relay(?:@\w+)?\s+(help|guide|optout|optin|帮助|指南)\s*$/iu;
const SPLIT = /[\s,，、;；]+/u;

function mentionsBot(text: string, ctx: MessageContext): boolean {
  if (ctx.mentionsBot) return true;
  const names = ctx.botNames ?? [];
  return names.some((n) => n && new RegExp(`(^|\\s)@${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`, 'iu').test(text));
}

const terms = (s: string) => s.split(SPLIT).map((t) => t.trim()).filter(Boolean);

/** A group command, or null (then the message is the pipeline's). */
export function parseGroupCommand(text: string, ctx: MessageContext = {}): AlumniCommand | null {
  const m = RELAY.exec(text);
  if (m) {
    const verb = m[1]!.toLowerCase();
    if (verb === 'optout' || verb === 'optin') return { name: verb };
    return { name: 'guide' };
  }
  // Only when the bot is addressed: "@张三 怎么内推" asks 张三 about their company, not us.
  if (text.length <= 40 && HOW_TO.test(text) && mentionsBot(text, ctx)) return { name: 'guide' };
  return null;
}

/** A private-chat command, or null. Also accepts the group commands (optout works in private too). */
export function parsePrivateCommand(text: string): AlumniCommand | null {
  const t = text.trim();
  let m = /^导师\s*(报名|退出)\s*(.*)$/su.exec(t);
  if (m) {
    if (m[1] === '退出') return { name: 'mentor-leave' };
    const [what, topics] = m[2]!.split(/话题\s*[:：]/u);
    const list = terms(what ?? '');
    return list.length || topics ? { name: 'mentor-join', terms: list, ...(topics?.trim() ? { topics: topics.trim() } : {}) } : { name: 'mentor-join', terms: [] };
  }
  m = /^找导师\s*(.*)$/su.exec(t);
  if (m) return m[1]!.trim() === '取消' ? { name: 'student-cancel' } : { name: 'student-ask', terms: terms(m[1]!) };
  m = /^(接受|婉拒|拒绝)\s*([A-Za-z0-9]{4,8})$/u.exec(t);
  if (m) return { name: 'mentor-answer', code: m[2]!.toUpperCase(), accept: m[1] === '接受' };
  return parseGroupCommand(t);
}
