// Event builders of the Lark fake: what Lark pushes (im.message.receive_v1, card.action.trigger) in
// the v2 envelope, its encryption, and a POST to a webhook signed as Lark signs it.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

export interface FakeMention {
  key: string;
  openId: string;
  name: string;
}

export interface FakeMessageSpec {
  chatId: string;
  /** Default 'group'. */
  chatType?: string;
  senderOpenId: string;
  /** Default 'user'; the bot's own messages come as 'app'. */
  senderType?: string;
  /** Default 'text'. */
  messageType?: string;
  /** For text: the text (placeholders such as @_user_1 as Lark sends them). Ignored when `content` is given. */
  text?: string;
  /** The raw content object (or string, sent as is) for post/image/…. */
  content?: unknown;
  mentions?: FakeMention[];
  messageId?: string;
  eventId?: string;
  createTime?: number;
  /** The message this one replies to. */
  parentId?: string;
}

export interface LarkEventEnvelope {
  schema: '2.0';
  header: { event_id: string; event_type: string; create_time: string; token: string; app_id: string; tenant_key: string };
  event: unknown;
}

let seq = 0;
const nextId = (prefix: string) => `${prefix}${Date.now().toString(36)}${(seq++).toString(36).padStart(4, '0')}`;

/** An im.message.receive_v1 event in the v2 envelope Lark pushes. */
export function messageEvent(spec: FakeMessageSpec, app: { appId: string; verificationToken?: string }): LarkEventEnvelope {
  const createTime = spec.createTime ?? Date.now();
  const content =
    typeof spec.content === 'string' ? spec.content : JSON.stringify(spec.content !== undefined ? spec.content : { text: spec.text ?? '' });
  return {
    schema: '2.0',
    header: {
      event_id: spec.eventId ?? nextId('ev_'),
      event_type: 'im.message.receive_v1',
      create_time: String(createTime),
      token: app.verificationToken ?? '',
      app_id: app.appId,
      tenant_key: 'tenant-fake',
    },
    event: {
      sender: {
        sender_id: { open_id: spec.senderOpenId, union_id: `on_${spec.senderOpenId}`, user_id: spec.senderOpenId.slice(3) },
        sender_type: spec.senderType ?? 'user',
        tenant_key: 'tenant-fake',
      },
      message: {
        message_id: spec.messageId ?? nextId('om_'),
        create_time: String(createTime),
        update_time: String(createTime),
        chat_id: spec.chatId,
        chat_type: spec.chatType ?? 'group',
        message_type: spec.messageType ?? 'text',
        content,
        mentions: (spec.mentions ?? []).map((m) => ({
          key: m.key,
          id: { open_id: m.openId, union_id: `on_${m.openId}`, user_id: m.openId.slice(3) },
          name: m.name,
          tenant_key: 'tenant-fake',
        })),
        user_agent: 'fake',
        ...(spec.parentId ? { parent_id: spec.parentId, root_id: spec.parentId } : {}),
      },
    },
  };
}

/** Lark's event encryption: AES-256-CBC, key sha256(encryptKey), random IV prepended, base64. */
export function encryptForLark(plain: string, encryptKey: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(encryptKey).digest(), iv);
  return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

export interface PostEventOptions {
  /** Encrypt the body as {"encrypt": …} (needs encryptKey). */
  encrypt?: boolean;
  /** Sign with X-Lark-Signature (default: when encryptKey is given). */
  sign?: boolean;
  encryptKey?: string;
  /** Send a wrong signature. */
  badSignature?: boolean;
  timeoutMs?: number;
}

/** POSTs an event (or challenge) to a webhook the way Lark does; resolves with the HTTP answer. */
export async function postEvent(url: string, payload: unknown, opts: PostEventOptions = {}): Promise<{ status: number; body: string }> {
  let body = JSON.stringify(payload);
  if (opts.encrypt) {
    if (!opts.encryptKey) throw new Error('encrypt needs encryptKey');
    body = JSON.stringify({ encrypt: encryptForLark(body, opts.encryptKey) });
  }
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (opts.sign ?? Boolean(opts.encryptKey)) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(8).toString('hex');
    let signature = createHash('sha256')
      .update(timestamp + nonce + (opts.encryptKey ?? '') + body)
      .digest('hex');
    if (opts.badSignature) signature = signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    Object.assign(headers, { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': signature });
  }
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
  return { status: res.status, body: await res.text() };
}

export interface FakeCardActionSpec {
  /** open_chat_id of the chat the card is in. */
  chatId: string;
  /** open_message_id of the card. */
  messageId: string;
  operatorOpenId: string;
  /** The pressed button's `value` as the card defined it (the relay's buttons use {"d": data}). */
  value: unknown;
  eventId?: string;
  tag?: string;
}

/**
 * A card.action.trigger callback (schema 2.0), as Lark pushes it over the long connection or to the
 * callback URL (2026-11, https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication).
 */
export function cardActionEvent(spec: FakeCardActionSpec, app: { appId: string; verificationToken?: string }): LarkEventEnvelope {
  const now = Date.now();
  return {
    schema: '2.0',
    header: {
      event_id: spec.eventId ?? nextId('ev_card_'),
      event_type: 'card.action.trigger',
      create_time: String(now * 1000),
      token: app.verificationToken ?? '',
      app_id: app.appId,
      tenant_key: 'tenant-fake',
    },
    event: {
      operator: { tenant_key: 'tenant-fake', user_id: spec.operatorOpenId.slice(3), open_id: spec.operatorOpenId, union_id: `on_${spec.operatorOpenId}` },
      token: `c-${randomBytes(8).toString('hex')}`,
      action: { value: spec.value, tag: spec.tag ?? 'button' },
      host: 'im_message',
      context: { open_message_id: spec.messageId, open_chat_id: spec.chatId },
    },
  };
}
