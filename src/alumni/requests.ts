// What the alumni features ask the outbox to send, and how a request becomes a Delivery row: the same
// outbox as digests (one lane per chat, the platform's rate limits in the adapters, retries with backoff,
// a dead letter the admins hear about), so an alumni group never gets a message past those limits.
import { createHash } from 'node:crypto';
import type { ChannelRef, Delivery, Digest, OutboundMessage } from '../domain.ts';
import type { SendOptions } from '../ports.ts';
import type { Store } from '../store/store.ts';

export type AlumniKind = 'ack' | 'daily' | 'hint' | 'guide' | 'thanks' | 'reply' | 'mentor';

/** A threaded reply (the adapter contract's SendOptions.replyTo): a plain group message where the platform cannot thread. */
export type ReplyTo = NonNullable<SendOptions['replyTo']>;

export interface AlumniOutboxRequest {
  /** Deterministic for what it says (an ack per source message, a daily per group and day…), so it is queued at most once. */
  id: string;
  kind: AlumniKind;
  channel: ChannelRef;
  /**
   * A person's private chat (chat = their user id, as ChatAdapter.send takes it), not a group: a hint for
   * adapters that cannot tell the two apart by the address (WeChat contact names vs room topics).
   */
  direct?: boolean;
  message: OutboundMessage;
  replyTo?: ReplyTo;
}

/** The collegeId the alumni deliveries carry: no college has it (ids start with a letter). */
export const ALUMNI_COLLEGE = '@alumni';

/**
 * Short (Lark's `uuid` idempotency key, `${delivery id}-${part}`, must stay within 50 characters) and
 * stable: the same key gives the same id after a restart.
 * 2026-11: uuid "最大长度 50 字符", https://open.feishu.cn/document/server-docs/im-v1/message/create
 */
export function requestId(kind: AlumniKind, key: string): string {
  return `al-${kind}-${createHash('sha256').update(key).digest('base64url').slice(0, 16)}`;
}

export const plain = (body: string): OutboundMessage => ({ format: 'plain', body });

/** A Delivery row per request (`replyTo`/`direct` ride along for the outbox to pass to the adapter). */
export function toDeliveries(requests: readonly AlumniOutboxRequest[], carrierId: string, at: Date): (Delivery & { replyTo?: ReplyTo; direct?: boolean })[] {
  return requests.map((r) => ({
    id: r.id,
    digestId: carrierId,
    collegeId: ALUMNI_COLLEGE,
    channel: r.channel,
    parts: [r.message],
    sentParts: 0,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: at.toISOString(),
    createdAt: at.toISOString(),
    ...(r.replyTo ? { replyTo: r.replyTo } : {}),
    ...(r.direct ? { direct: true } : {}),
  }));
}

export type Enqueue = (requests: readonly AlumniOutboxRequest[]) => Promise<void>;

/**
 * Today's way in: the requests as deliveries of an item-less digest record, in one durable store write,
 * then a drain. A request whose id the store already holds is skipped (queued before a crash).
 */
export function storeEnqueue(store: Store, drain: () => void, now: () => Date): Enqueue {
  return async (requests) => {
    const known = new Set(store.deliveries().map((d) => d.id));
    const fresh = requests.filter((r) => !known.has(r.id));
    if (!fresh.length) return;
    const at = now();
    const carrier: Digest = { id: `al-${at.getTime().toString(36)}-${fresh[0]!.id.slice(-6)}`, collegeId: ALUMNI_COLLEGE, collegeName: '校友', createdAt: at.toISOString(), items: [] };
    await store.recordDigest(carrier, toDeliveries(fresh, carrier.id, at));
    drain();
  };
}
