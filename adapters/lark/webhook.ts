// Webhook mode: Lark POSTs each event to a URL. A request is checked (signature, token), decrypted
// and handed to `dispatch`, which resolves once the event is durably handled; only then is it 200.
// Framework-agnostic: (raw body, headers) → {status, body}, plus a node:http (req, res) wrapper.
import { createCipheriv, createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../src/log.ts';

/** The X-Lark-Signature Lark puts on event requests when an Encrypt Key is set: sha256(timestamp + nonce + encryptKey + raw body). */
export function larkSignature(timestamp: string, nonce: string, encryptKey: string, rawBody: string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey + rawBody).digest('hex');
}

/** AES-256-CBC with key sha256(encryptKey), a random IV prepended, base64 — the inverse of what the SDK's AESCipher decrypts. */
export function larkEncrypt(plain: string, encryptKey: string, iv: Buffer): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

export function larkDecrypt(encrypted: string, encryptKey: string): string {
  const buf = Buffer.from(encrypted, 'base64');
  if (buf.length < 32) throw new Error('encrypted payload too short');
  const key = createHash('sha256').update(encryptKey).digest();
  const decipher = createDecipheriv('aes-256-cbc', key, buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
}

const safeEqual = (a: string, b: string): boolean => {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export type WebhookHeaders = Record<string, string | string[] | undefined>;
export interface WebhookReply {
  status: number;
  body: string;
}

/** Why an event was not acknowledged; the status tells Lark to deliver it again later. */
export class NotAcknowledged extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'NotAcknowledged';
  }
}

export interface WebhookDeps {
  encryptKey?: string | undefined;
  verificationToken?: string | undefined;
  log: Logger;
  /**
   * Handles a verified, decrypted event or callback; resolves once it is durably handled, with the
   * answer's body for a callback (a card press's toast), undefined for an event. Throws NotAcknowledged (or anything: 500).
   */
  dispatch(data: Record<string, unknown>): Promise<unknown>;
}

const reply = (status: number, body: unknown = {}): WebhookReply => ({ status, body: JSON.stringify(body) });
const header = (h: WebhookHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The webhook, framework-agnostic: the raw body and the (lower-case) headers in, the answer out. Never throws. */
export function createWebhookHandler(deps: WebhookDeps): (rawBody: string, headers: WebhookHeaders) => Promise<WebhookReply> {
  const { encryptKey, verificationToken, log } = deps;
  return async (raw, headers) => {
    // Signature: present when an Encrypt Key is configured; sha256(timestamp + nonce + encryptKey + raw body).
    // Checked over the raw body (the SDK's own check re-serialises the parsed JSON, which breaks on any
    // formatting difference) — https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case (checked 2026-11).
    const signature = header(headers, 'x-lark-signature');
    let signed = false;
    if (encryptKey && signature) {
      const expected = larkSignature(header(headers, 'x-lark-request-timestamp') ?? '', header(headers, 'x-lark-request-nonce') ?? '', encryptKey, raw);
      if (!safeEqual(expected, signature)) {
        log.warn('lark webhook: bad signature');
        return reply(401, { msg: 'bad signature' });
      }
      signed = true;
    }

    let data: Record<string, unknown>;
    try {
      const outer: unknown = JSON.parse(raw);
      if (!isObject(outer)) throw new Error('not an object');
      if (typeof outer.encrypt === 'string') {
        if (!encryptKey) throw new Error('encrypted event but no encrypt key configured');
        const inner: unknown = JSON.parse(larkDecrypt(outer.encrypt, encryptKey));
        if (!isObject(inner)) throw new Error('decrypted event is not an object');
        data = inner;
      } else data = outer;
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'lark webhook: unreadable body');
      return reply(400, { msg: 'bad request' });
    }

    const eventHeader = isObject(data.header) ? data.header : undefined;
    const token = eventHeader ? eventHeader.token : data.token;
    if (verificationToken && token !== verificationToken) {
      log.warn('lark webhook: bad verification token');
      return reply(401, { msg: 'bad token' });
    }
    // URL verification (the challenge) is not signed (https://github.com/larksuite/node-sdk/issues/67, 2023-12);
    // every other request must be when an Encrypt Key is configured.
    if (data.type === 'url_verification') return reply(200, { challenge: data.challenge });
    if (encryptKey && !signed) {
      log.warn('lark webhook: unsigned event');
      return reply(401, { msg: 'missing signature' });
    }
    // 2026-11: Lark counts an event as delivered only on HTTP 200 within 3 s, else pushes it again
    // (after 15 s, 5 min, 1 h, 6 h) — https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case .
    // So 200 goes out only once the event is stored; anything else tells Lark to try again.
    try {
      // A card callback (card.action.trigger) may come to this same URL, in the same envelope; its answer
      // body is the toast the presser sees (2026-11, https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication).
      const answer = await deps.dispatch(data);
      return reply(200, isObject(answer) ? answer : {});
    } catch (e) {
      if (e instanceof NotAcknowledged) return reply(e.status, { msg: e.message });
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'lark event not handled; answered 500 so Lark delivers it again');
      return reply(500, { msg: 'not handled' });
    }
  };
}

const MAX_BODY = 1024 * 1024;

/** The same handler for node:http (or anything that hands over IncomingMessage/ServerResponse). */
export function nodeWebhookHandler(handle: (rawBody: string, headers: WebhookHeaders) => Promise<WebhookReply>, log: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  const send = (res: ServerResponse, r: WebhookReply) => {
    if (!res.headersSent && !res.destroyed) res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
  };
  return (req, res) => {
    void (async () => {
      if (req.method !== 'POST') return send(res, reply(405, { msg: 'POST only' }));
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY) return send(res, reply(413, { msg: 'too large' }));
        chunks.push(chunk);
      }
      send(res, await handle(Buffer.concat(chunks).toString('utf8'), req.headers));
    })().catch((e: unknown) => {
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'lark webhook request failed');
      send(res, reply(500, { msg: 'error' }));
    });
  };
}
