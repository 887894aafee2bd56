// Carrying out a planned send (outbound.ts) on wechaty: who `chat` is, how a reply names the poster,
// and the paced sends themselves.
import { FileBox } from 'file-box';
import type { Contact, Message, Room, Wechaty } from 'wechaty';
import type { Logger } from '../../src/log.ts';
import { AdapterError, type SendOptions, type SendResult } from '../../src/ports.ts';
import { type ContactDirectory, looksLikeContactId } from './contacts.ts';
import { toAdapterError } from './errors.ts';
import type { Mention, SendStep } from './outbound.ts';
import type { RoomDirectory } from './rooms.ts';

export interface Target {
  conversation: Room | Contact;
  /** Set when the conversation is a group (mentions work only there). */
  room?: Room;
}

/** A private chat id (a contact seen in this login) → that person; anything else → the room by topic. */
export async function resolveTarget(bot: Wechaty, contacts: ContactDirectory<Contact>, rooms: RoomDirectory<Room>, chat: string, settled: boolean): Promise<Target> {
  const contact = await contacts.resolve(chat, async (id) => {
    await bot.puppet.contactPayload(id); // throws for an unknown id, without wechaty's 'error' event
    return bot.Contact.find({ id });
  });
  if (contact) return { conversation: contact };
  const room = await rooms.resolve(chat, (topic) => bot.Room.findAll({ topic }), settled);
  return { conversation: room, room };
}

/** How long a lookup of a contact by id or name may take. */
const DIRECT_LOOKUP_MS = 10_000;

async function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AdapterError('wechat', 'send', `${what} took over ${DIRECT_LOOKUP_MS / 1000} s`, { retryAfterMs: 30_000 })), DIRECT_LOOKUP_MS);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * A person's private chat (Delivery.direct): never a room, even when a group has the same name. `chat` is
 * a contact id of this login (what a private message's chatId is), else the one friend whose remark
 * (备注, set by the bot's owner) or, failing that, WeChat name it is. Two friends of that name, or none,
 * is a permanent error: the adapter never guesses a person.
 */
export async function resolveDirect(bot: Wechaty, contacts: ContactDirectory<Contact>, chat: string): Promise<Target> {
  const findById = async (id: string) => {
    await bot.puppet.contactPayload(id); // throws for an unknown id, without wechaty's 'error' event
    return bot.Contact.find({ id });
  };
  if (contacts.known(chat) || looksLikeContactId(chat)) {
    const contact = await contacts.resolve(chat, findById);
    if (contact) return { conversation: contact };
  }
  // Other puppets (and puppet-mock) have ids of other shapes: try the id, then the names.
  const byId = await bounded(findById(chat), 'looking up a WeChat contact').catch((e: unknown) => {
    if (e instanceof AdapterError) throw e;
    return undefined;
  });
  if (byId) {
    contacts.remember(byId);
    return { conversation: byId };
  }
  const self = bot.isLoggedIn ? bot.currentUser.id : undefined;
  for (const key of ['alias', 'name'] as const) {
    const found = (await bounded(bot.Contact.findAll({ [key]: chat }), 'searching WeChat contacts')).filter((c) => c.id !== self && c.friend() !== false);
    if (found.length > 1) {
      throw new AdapterError('wechat', 'send', `${found.length} WeChat friends have the ${key === 'alias' ? 'remark' : 'name'} "${chat}"; give one a unique remark (备注) or address them by contact id`, { permanent: true });
    }
    if (found[0]) {
      contacts.remember(found[0]);
      return { conversation: found[0] };
    }
  }
  throw new AdapterError('wechat', 'send', `no WeChat friend with the id, remark or name "${chat}" (a private chat goes to a friend, never to a group)`, { permanent: true });
}

/** How a reply names the poster: @-mention them while they are in the group this login, else "@name ". */
export async function mentionFor(
  room: Room,
  contacts: ContactDirectory<Contact>,
  replyTo: NonNullable<SendOptions['replyTo']>,
): Promise<{ mention: Mention; contact?: Contact }> {
  const contact = replyTo.senderId ? contacts.known(replyTo.senderId) : undefined;
  if (contact && (await room.has(contact).catch(() => false))) {
    const label = (await room.alias(contact).catch(() => undefined)) || contact.name() || replyTo.senderName || '';
    return { mention: { kind: 'contact', label }, contact };
  }
  const name = replyTo.senderName?.trim();
  return { mention: name ? { kind: 'prefix', name } : undefined };
}

/** A picture to send; a file that cannot be read is a permanent error (a retry cannot bring it back). */
export function pictureBox(file: string): FileBox {
  try {
    return FileBox.fromFile(file); // reads the size now (statSync)
  } catch (e) {
    throw new AdapterError('wechat', 'send', `the picture file cannot be read: ${file.split(/[\\/]/).pop()}`, { permanent: true, cause: e });
  }
}

type Pace = <R>(call: () => Promise<R>) => Promise<R>;

/**
 * Sends the steps in order, each one paced (a picture counts as one send). A failure after some steps
 * went out says how many did; `onFailure` lets the caller drop stale handles.
 */
export async function sendSteps(
  steps: SendStep[],
  target: Target,
  mention: Contact | undefined,
  pace: Pace,
  ctx: { log: Logger; chat: string; cooldownMs: number; onFailure(e: unknown): void },
): Promise<SendResult> {
  const { room, conversation } = target;
  let sent = 0;
  let messageId: string | undefined;
  for (const step of steps) {
    try {
      let said: Message | undefined;
      if (step.kind === 'image') {
        const box = pictureBox(step.image.file);
        said = (await pace(() => conversation.say(box))) || undefined;
      } else if (step.mention && mention && room) {
        said = (await pace(() => room.say(step.text, mention))) || undefined;
      } else {
        said = (await pace(() => conversation.say(step.text))) || undefined;
      }
      if (said) messageId = said.id;
    } catch (e) {
      ctx.onFailure(e);
      const err = toAdapterError(e, 'send', ctx.cooldownMs);
      ctx.log.warn({ chat: ctx.chat, to: conversation.id, part: sent + 1, parts: steps.length, retryAfterMs: err.retryAfterMs, err: e }, 'wechat send failed');
      if (sent > 0) throw new AdapterError('wechat', 'send', `${err.message} (after ${sent} of ${steps.length} parts went out)`, err.opts);
      throw err;
    }
    sent += 1;
  }
  ctx.log.debug({ chat: ctx.chat, to: conversation.id, parts: steps.length }, 'wechat message sent');
  return messageId ? { messageId } : {}; // wechat4u returns no id for texts
}
