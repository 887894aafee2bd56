// How a person acts on each platform, through the loopback fakes, for the feedback scenario
// (test/e2e/feedback-platforms.test.ts): an alumnus posts in the source group, a student reads the
// digest and votes with the platform's own means, writes to the bot privately, reads its answers.
// Each driver only touches its fake: the real adapter (grammY, the Lark SDK, wechaty on PuppetMock)
// sits between it and the relay.
import { parseTelegramHtml } from '../../fakes/telegram-server.ts';
import { until as untilMs, type Rig } from '../../helpers/e2e-rig.ts';

/** Waits on the shared 2-core machine can be slow under load: 10 s, not the rig's default 5. */
const until = <T>(what: string, probe: () => T | undefined | false) => untilMs(what, probe, 10_000);

export type P = 'telegram' | 'lark' | 'wechat';

/** One 👍/👎 a student can give an item: the button's payload, or (WeChat) the reply to type. */
export interface VoteMeans {
  n: number;
  value: 1 | -1;
  /** Telegram callback_data, a Lark button's value.d; undefined on WeChat (a typed reply). */
  data?: string;
  /** The button's label as students see it. */
  label?: string;
}

/** One message the platform accepted from the bot for a chat. */
export interface Received {
  /** What the student reads (HTML parsed, card/post flattened). */
  visible: string;
  /** The wire form: Telegram HTML, Lark content JSON, WeChat text. */
  raw: string;
  /** The vote buttons under it (Telegram keyboard, Lark card), in order. */
  votes: VoteMeans[];
  /** Telegram: the inline keyboard's rows of callback_data (its layout). */
  rows?: string[][];
  /** Lark: the message type sent (interactive for a card). */
  msgType?: string;
  /** The id the platform gave it (a card press names it). */
  messageId: string;
}

export interface Driver {
  platform: P;
  source: string;
  /** Student channels: electrical, automation; and a chat the rules do not know. */
  ee: string;
  auto: string;
  stranger: string;
  /** An alumnus posts `text` in the source group. */
  post(text: string, who: number): Promise<void>;
  /** What the bot sent to `chat`, in order. */
  received(chat: string): Received[];
  /**
   * Student `who` gives item `n` of the latest digest in `chat` a 👍 (1) or 👎 (-1) the platform's way;
   * resolves with what the student was told once the relay handled it (toast, answerCallbackQuery
   * text, a reply in the group), or undefined when nothing was said.
   */
  vote(chat: string, who: number, n: number, value: 1 | -1, opts?: { data?: string }): Promise<string | undefined>;
  /** Student `who` writes to the bot privately; resolves with the bot's answer there. */
  dm(who: number, text: string): Promise<string>;
  /** Everything the bot sent to student `who` privately (answers and personal digests), in order. */
  privately(who: number): Received[];
}

// ───────────────────────────── Telegram ─────────────────────────────

export function telegramDriver(rig: Rig): Driver {
  const source = '-1001987650001';
  const studentId = (who: number) => 7_000_000 + who;
  const visible = (html: string) => {
    const p = parseTelegramHtml(html);
    return 'text' in p ? p.text : html;
  };
  const received = (chat: string): Received[] =>
    rig.tg.sentTo(chat).map((s) => {
      const keyboard = (s.payload.reply_markup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined)?.inline_keyboard ?? [];
      const votes = keyboard.flat().flatMap((b) => {
        const m = /^(👍|👎)(\d+)$/u.exec(b.text);
        return m ? [{ n: Number(m[2]), value: m[1] === '👍' ? (1 as const) : (-1 as const), data: b.callback_data, label: b.text }] : [];
      });
      return { visible: visible(s.text), raw: s.text, votes, rows: keyboard.map((r) => r.map((b) => b.callback_data)), messageId: String(s.messageId) };
    });
  return {
    platform: 'telegram',
    source,
    ee: '-1001987650101',
    auto: '-1001987650102',
    stranger: '-1001987650999',
    async post(text, who) {
      rig.tg.injectMessage({ chat: { id: Number(source), type: 'supergroup', title: '海外校友群' }, from: { id: 5_550_000 + who, first_name: `校友${who}` }, text });
    },
    received,
    async vote(chat, who, n, value, opts) {
      // A press under the latest digest message that carries item n (its keyboard holds the payload).
      const msg = [...received(chat)].reverse().find((r) => r.votes.some((v) => v.n === n));
      const data = opts?.data ?? msg?.votes.find((v) => v.n === n && v.value === value)?.data;
      if (!data) throw new Error(`no ${value > 0 ? '👍' : '👎'}${n} button in Telegram chat ${chat}`);
      const id = rig.tg.injectCallbackQuery({
        from: { id: studentId(who), first_name: `学生${who}` },
        message: { chat: { id: Number(chat), type: 'supergroup', title: 'students' }, message_id: Number(msg?.messageId ?? 1) },
        data,
      });
      const answered = await until(`answerCallbackQuery for ${id}`, () => rig.tg.callbacks.get(id)?.answered);
      return answered.text;
    },
    async dm(who, text) {
      const id = studentId(who);
      const before = rig.tg.sentTo(id).length;
      rig.tg.injectMessage({ chat: { id, type: 'private', first_name: `学生${who}` }, from: { id, first_name: `学生${who}` }, text });
      const sent = await until(`the bot's private answer to ${text}`, () => rig.tg.sentTo(id)[before]);
      return visible(sent.text);
    },
    privately: (who) => received(String(studentId(who))),
  };
}

// ───────────────────────────── Lark ─────────────────────────────

type CardElement = { tag?: string; text?: { content?: string }; actions?: { tag?: string; text?: { content?: string }; value?: { d?: unknown } }[] };

export function larkDriver(rig: Rig): Driver {
  const source = 'oc_5ad11d72b830411d72b836c20';
  const openId = (who: number) => `ou_student_${String(who).padStart(4, '0')}`;
  // A person's private (p2p) chat with the bot has its own chat_id, which the message event carries.
  const p2p = (who: number) => `oc_p2p_student_${String(who).padStart(4, '0')}`;
  const received = (chat: string): Received[] => larkReceived(rig.lark.sentTo(chat));
  const larkReceived = (sent: Rig['lark']['sent']): Received[] =>
    sent.map((m) => {
      const votes: VoteMeans[] = [];
      if (m.msgType === 'interactive') {
        const card = JSON.parse(m.content) as { elements?: CardElement[] };
        for (const el of card.elements ?? []) {
          for (const b of el.actions ?? []) {
            const label = b.text?.content ?? '';
            const k = /^(👍|👎)\D*(\d+)$/u.exec(label);
            if (b.tag === 'button' && k && typeof b.value?.d === 'string') votes.push({ n: Number(k[2]), value: k[1] === '👍' ? 1 : -1, data: b.value.d, label });
          }
        }
      }
      return { visible: m.text, raw: m.content, votes, msgType: m.msgType, messageId: m.messageId };
    });
  let eventSeq = 0;
  return {
    platform: 'lark',
    source,
    ee: 'oc_a1b2c3d4e5f60718293a4b5c6d',
    auto: 'oc_0f9e8d7c6b5a49382716051f2e',
    stranger: 'oc_ffff0000ffff0000ffff0000ff',
    async post(text, who) {
      const sender = `ou_alumnus_${who}`;
      rig.lark.users.set(sender, `校友${who}`);
      const res = await rig.lark.injectMessage({ chatId: source, senderOpenId: sender, text });
      if (res.status !== 200) throw new Error(`Lark answered ${res.status} ${res.body}`);
    },
    received,
    async vote(chat, who, n, value, opts) {
      const card = [...received(chat)].reverse().find((r) => r.votes.some((v) => v.n === n));
      const data = opts?.data ?? card?.votes.find((v) => v.n === n && v.value === value)?.data;
      if (!data) throw new Error(`no ${value > 0 ? '👍' : '👎'} ${n} button on a card in Lark chat ${chat}`);
      const answer = await rig.lark.pressButton({ chatId: chat, messageId: card?.messageId ?? 'om_unknown', operatorOpenId: openId(who), value: { d: data }, eventId: `ev_vote_${++eventSeq}_${Date.now()}` });
      if (answer.status !== 200) throw new Error(`card.action.trigger answered ${answer.status}`);
      // 2026-11: Lark waits 3 s for the callback's answer, https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication
      if (answer.ms >= 3000) throw new Error(`card press answered after ${answer.ms} ms (Lark waits 3 s)`);
      return answer.reply?.toast?.content;
    },
    async dm(who, text) {
      const before = rig.lark.sentTo(p2p(who)).length;
      const res = await rig.lark.injectMessage({ chatId: p2p(who), chatType: 'p2p', senderOpenId: openId(who), text });
      if (res.status !== 200) throw new Error(`Lark answered ${res.status} ${res.body}`);
      const sent = await until(`the bot's private answer to ${text}`, () => rig.lark.sentTo(p2p(who))[before]);
      return sent.text;
    },
    // Answers go to the p2p chat_id the message came from; a personal digest to the subscriber's open_id,
    // which message.create delivers into the same p2p chat (2026-11, receive_id_type open_id,
    // https://open.feishu.cn/document/server-docs/im-v1/message/create).
    privately: (who) => larkReceived(rig.lark.sent.filter((m) => m.receiveId === p2p(who) || m.receiveId === openId(who))),
  };
}

// ───────────────────────────── WeChat ─────────────────────────────

/** What the bot says in a group to a subscription command there: the WeChat driver's sync marker. */
const GROUP_MARKER_ANSWER = '订阅请私聊我';

export function wechatDriver(rig: Rig): Driver {
  const source = '东电校友会·北京分会';
  const student = (who: number) => ({ id: `wxid_student_${who}`, name: `学生${who}` });
  return {
    platform: 'wechat',
    source,
    ee: '电气学院2026届就业信息群',
    auto: '自动化系2026届就业群',
    stranger: '同城老乡闲聊群',
    async post(text, who) {
      await rig.wx.say(source, { id: `wxid_alumnus_${who}`, name: `校友${who}` }, text);
    },
    received: (chat) => rig.wx.sentTexts(chat).map((t, i) => ({ visible: t, raw: t, votes: [], messageId: String(i) })),
    async vote(chat, who, n, value) {
      // The web protocol has no buttons: a reply in the group (`3 不对口`, `👍2`). Messages of one group
      // are handled in order, so a `我的订阅` said after the vote (answered in the group: "订阅请私聊我")
      // tells when the vote was handled, and whatever the bot said in between answered the vote.
      const before = rig.wx.sentTexts(chat).length;
      await rig.wx.say(chat, student(who), value > 0 ? `👍${n}` : `${n} 不对口`);
      await rig.wx.say(chat, student(who), '我的订阅');
      const said = await until(`the bot's marker answer in ${chat}`, () => {
        const after = rig.wx.sentTexts(chat).slice(before);
        const at = after.findIndex((t) => t.startsWith(GROUP_MARKER_ANSWER));
        return at >= 0 ? after.slice(0, at) : undefined;
      });
      return said.length ? said.join('\n') : undefined;
    },
    async dm(who, text) {
      const s = student(who);
      const before = rig.wx.sentPrivately(s.id).length;
      await rig.wx.sayPrivately(s, text);
      return until(`the bot's private answer to ${text}`, () => rig.wx.sentPrivately(s.id)[before]);
    },
    privately: (who) => rig.wx.sentPrivately(student(who).id).map((t, i) => ({ visible: t, raw: t, votes: [], messageId: String(i) })),
  };
}

export const DRIVERS: Record<P, (rig: Rig) => Driver> = { telegram: telegramDriver, lark: larkDriver, wechat: wechatDriver };
