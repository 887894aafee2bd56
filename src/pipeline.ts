// Inbound message → stored post: allowlist → normalise → classify → dedupe → store.
// One bad message never stops the relay: every failure is caught, counted and logged here.
import { randomUUID } from 'node:crypto';
import type { Classification, InboundMessage, Post, PostImage, PostSource } from './domain.ts';
import type { Logger } from './log.ts';
import type { Rules } from './rules/schema.ts';
import type { Store } from './store/store.ts';

export type Outcome =
  | 'not-a-source' // not an allowlisted alumni group (or one of our own student channels)
  | 'seen' // the same platform message again (redelivery)
  | 'not-job'
  | 'scam' // held for admin review, never forwarded
  | 'merged' // a near-duplicate of a stored referral: one more source
  | 'stored'
  | 'error';

export interface PipelineDeps {
  store: Store;
  rules: () => Rules;
  classify: (text: string, now: Date, timeZone: string) => Classification;
  fingerprint: (text: string) => string;
  logger: Logger;
  now?: () => Date;
  /** Near-duplicates are looked for among posts received in this many days. */
  dedupeWindowDays?: number;
}

/** The longest text we classify and store; the rest of a giant message is dropped (and logged). */
export const MAX_TEXT_CHARS = 20_000;

/** C0 (but tab and line ends), DEL, C1, zero-width and line/paragraph separators: never shown to anyone. */
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]/g;

/** A display name as the digest may show it: no control characters, one line, bounded. */
export function cleanName(name: string): string {
  return name.replace(CONTROLS, '').replace(/\s+/g, ' ').trim().slice(0, 64);
}

export function normaliseText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROLS, '')
    .replace(/[ \t\u00a0\u3000]+/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .slice(0, MAX_TEXT_CHARS);
}

/**
 * A failed post write (disk full, I/O error; the store rolls the post back) is retried with backoff:
 * the message is not counted as received until its post is on disk. If it still fails, the error
 * is logged as a message NOT stored.
 */
/**
 * The store could not make a message durable. Unlike a message that cannot be understood (logged and
 * skipped), this one is handed back to the adapter as a rejection, so the platform is not told it was
 * received: Lark and Telegram deliver it again later.
 */
export class NotStoredError extends Error {
  override name = 'NotStoredError';
}

async function durably(write: () => Promise<void>, attempts = 4, baseMs = 100): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (err) {
      if (i >= attempts) throw new NotStoredError(`store write failed ${attempts} times; the message was NOT stored`, { cause: err });
      await new Promise((r) => setTimeout(r, baseMs * 2 ** (i - 1)));
    }
  }
}

/** What came with a message besides its text. */
export interface HandleOptions {
  /** The pictures its text was read from (kept under <dataDir>/media/); the post keeps them. */
  media?: PostImage[];
}

export interface Pipeline {
  handle(message: InboundMessage, opts?: HandleOptions): Promise<Outcome>;
  /** An allowlisted alumni group (not one of our student channels): where referrals come from. */
  isSource(message: InboundMessage): boolean;
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const now = deps.now ?? (() => new Date());
  const { store, logger } = deps;

  // The allowlist and our own channels as key sets, rebuilt only when deps.rules() hands back a new
  // rules object (a reload), not scanned per message.
  let keysFor: Rules | undefined;
  let sourceKeys = new Set<string>();
  let channelKeys = new Set<string>();
  const isSource = (rules: Rules, m: InboundMessage): boolean => {
    if (rules !== keysFor) {
      sourceKeys = new Set(rules.sources.map((s) => `${s.platform}\u0000${s.group}`));
      channelKeys = new Set(rules.colleges.flatMap((c) => c.channels.map((ch) => `${ch.platform}\u0000${ch.chat}`)));
      keysFor = rules;
    }
    const key = `${m.platform}\u0000${m.chatId}`;
    return sourceKeys.has(key) && !channelKeys.has(key);
  };

  async function handle(m: InboundMessage, opts: HandleOptions = {}): Promise<Outcome> {
    const rules = deps.rules();
    store.count('received');
    if (!isSource(rules, m)) {
      store.count('ignored');
      return 'not-a-source';
    }
    if (store.postBySource(m.platform, m.chatId, m.id)) {
      // A redelivery is acknowledged only once the first delivery's write is durable.
      await durably(() => store.save());
      return 'seen';
    }

    const text = normaliseText(m.text);
    if (m.text.length > MAX_TEXT_CHARS) logger.warn({ chars: m.text.length, chat: m.chatId }, 'message truncated for classification');
    const at = now();
    const classification = deps.classify(text, at, rules.defaults.timezone);
    if (!classification.isJob && !classification.isScam) {
      store.count('notJob');
      return 'not-job';
    }
    const source: PostSource = {
      platform: m.platform,
      chatId: m.chatId,
      messageId: m.id,
      senderId: m.senderId,
      senderName: cleanName(m.senderName),
      sentAt: m.sentAt,
    };
    const fingerprint = deps.fingerprint(text);
    const windowStart = new Date(at.getTime() - (deps.dedupeWindowDays ?? 30) * 86_400_000).toISOString();
    const twin = store.findNearDuplicate(fingerprint, windowStart);
    if (twin) {
      // The first post keeps its text; the new one adds its source, and its pictures when the first has
      // none (the text was posted first, the poster after).
      store.count('merged');
      await durably(() => store.addSource(twin.id, source, opts.media));
      logger.info({ post: twin.id, from: `${m.platform}:${m.chatId}` }, 'cross-post merged into an existing referral');
      return 'merged';
    }
    const post: Post = {
      id: randomUUID(),
      text,
      fingerprint,
      sources: [source],
      receivedAt: at.toISOString(),
      status: classification.isScam ? 'review' : 'active',
      classification,
      digestedFor: [],
      ...(opts.media?.length ? { media: opts.media.map((x) => ({ ...x })) } : {}),
    };
    store.count(classification.isScam ? 'scams' : 'stored');
    await durably(() => store.addPost(post));
    if (classification.isScam) logger.warn({ post: post.id, score: classification.scamScore }, 'suspected scam held for admin review');
    else logger.info({ post: post.id, colleges: classification.colleges, classes: classification.classes.map((c) => c.code) }, 'referral stored');
    return classification.isScam ? 'scam' : 'stored';
  }

  return {
    isSource: (m) => isSource(deps.rules(), m),
    async handle(message, opts) {
      try {
        return await handle(message, opts);
      } catch (err) {
        store.count('errors');
        if (err instanceof NotStoredError) {
          logger.error({ err, platform: message?.platform, chat: message?.chatId, id: message?.id }, 'message NOT stored; not acknowledged, so the platform delivers it again');
          throw err;
        }
        logger.error({ err, platform: message?.platform, chat: message?.chatId, id: message?.id }, 'message failed in the pipeline; skipped');
        return 'error';
      }
    },
  };
}
