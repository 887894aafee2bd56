// Who a private chat id (or a poster's sender id) means in this login. 2026-11: with the web protocol a
// contact's id is its session-scoped UserName ("@" + hex; rooms are "@@…"), which changes at every new
// login (https://github.com/wechaty/puppet-wechat4u, "UserName" in wechat4u's contact interface:
// https://github.com/nodeWechat/wechat4u/blob/master/src/interface/contact.js). So an id is good for
// answering someone within the session they wrote in; after a new QR login it means nobody. Names are no
// way back: several friends can share a nickname, so the adapter never guesses a person by name.
import { AdapterError } from '../../src/ports.ts';

/** What this file needs of a wechaty Contact. */
export interface KnownContact {
  readonly id: string;
}

/** How many talkers are remembered (oldest forgotten first): private chats and posters to @-mention. */
const MAX_REMEMBERED = 5000;
/** How long a lookup of an unseen contact id may take (wechat4u retries a missing one in the background). */
const LOOKUP_TIMEOUT_MS = 10_000;

/**
 * True for an id shaped like a WeChat contact rather than a room topic: wechat4u's "@<hex>" UserNames
 * (not "@@…" rooms) and the "wxid_…" ids of other protocols (and puppet-mock).
 */
export function looksLikeContactId(chat: string): boolean {
  return /^@[0-9a-f]{16,}$/i.test(chat) || /^wxid_[\w-]+$/.test(chat);
}

export class ContactDirectory<C extends KnownContact> {
  private readonly seen = new Map<string, C>();

  /** A message from this contact arrived: it can be answered (or @-mentioned) in this login. */
  remember(contact: C): void {
    this.seen.delete(contact.id);
    this.seen.set(contact.id, contact);
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
  }

  /** Forget everyone (a new login: ids no longer mean the same people). */
  clear(): void {
    this.seen.clear();
  }

  /** The contact with this id seen in this login, if any (no lookup). */
  known(id: string): C | undefined {
    return this.seen.get(id);
  }

  /**
   * The contact a private chat id means, or undefined when `chat` is not a contact id (then it is a room
   * topic). A contact-shaped id nobody in this login has is a permanent error: it belongs to an earlier
   * session, and the person has to write to the bot again.
   */
  async resolve(chat: string, find: (id: string) => Promise<C | undefined>): Promise<C | undefined> {
    const known = this.seen.get(chat);
    if (known) return known;
    if (!looksLikeContactId(chat)) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const found = await Promise.race([
      find(chat).catch(() => undefined),
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), LOOKUP_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer));
    if (found) {
      this.remember(found);
      return found;
    }
    throw new AdapterError(
      'wechat',
      'send',
      'no WeChat contact with this id in the current login: private chat ids last one login session (the person has to write to the bot again)',
      { permanent: true },
    );
  }
}
