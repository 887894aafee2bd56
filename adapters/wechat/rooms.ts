// Which WeChat group a rules name means. 2026-11: with the web protocol room ids ("@@…" UserNames) are
// session-scoped and change at every login (https://github.com/wechaty/puppet-wechat4u), so groups are
// addressed by TOPIC, and an alias table maps topics the rules still name to the current ones.
import type { Room, Wechaty } from 'wechaty';
import type { Logger } from '../../src/log.ts';
import { AdapterError } from '../../src/ports.ts';
import { ruleNameOf } from './normalize.ts';

/** What this file needs of a wechaty Room. */
export interface TopicRoom {
  readonly id: string;
  topic(): Promise<string>;
}

export class RoomDirectory<R extends TopicRoom> {
  /** Old topic (as the rules name it) → current topic; grows as groups are renamed while running. */
  readonly aliases: Record<string, string>;
  /** Current topic → room, valid for this login only. */
  private readonly cache = new Map<string, R>();

  constructor(
    aliases: Record<string, string>,
    private readonly log: Logger,
  ) {
    this.aliases = { ...aliases };
  }

  /** Forget every room handle (a new login, a logout, or a send that failed on a stale handle). */
  clear(): void {
    this.cache.clear();
  }

  /** The name the rules use for a room now called `topic`. */
  ruleName(topic: string): string {
    return ruleNameOf(topic, this.aliases);
  }

  /** A group was renamed: keep addressing it by the name the rules use, until someone updates them. */
  renamed(roomId: string, newTopic: string, oldTopic: string): void {
    this.cache.delete(oldTopic);
    this.cache.delete(newTopic);
    if (!oldTopic || oldTopic === newTopic) return;
    let learned = false;
    for (const [old, current] of Object.entries(this.aliases)) {
      if (current === oldTopic) {
        this.aliases[old] = newTopic;
        learned = true;
      }
    }
    if (!learned && !(oldTopic in this.aliases)) this.aliases[oldTopic] = newTopic;
    this.log.warn(
      { roomId, oldTopic, newTopic },
      `WeChat group renamed "${oldTopic}" → "${newTopic}"; following it for now. Update the rules or add the alias "${oldTopic}" → "${newTopic}" to keep it after a restart.`,
    );
  }

  /**
   * Rules name (or an alias of a topic) → the one room with that topic in this login.
   * `settled`: the room list is complete, so an unknown topic is "never" (permanent), not "not yet".
   */
  async resolve(chat: string, findAll: (topic: string) => Promise<R[]>, settled: boolean): Promise<R> {
    const topic = this.aliases[chat] ?? chat;
    const cached = this.cache.get(topic);
    if (cached) {
      const current = await cached.topic().catch(() => undefined);
      if (current === topic) return cached;
      this.cache.delete(topic);
    }
    const found = await findAll(topic);
    if (found.length > 1) {
      throw new AdapterError(
        'wechat',
        'send',
        `two or more WeChat groups are called "${topic}" (room ids ${found.map((r) => r.id).join(' and ')}); rename one so the topic is unique`,
        { permanent: true },
      );
    }
    const room = found[0];
    if (!room) {
      const via = topic === chat ? '' : ` (alias of "${chat}")`;
      if (!settled) {
        throw new AdapterError('wechat', 'send', `no WeChat group "${topic}"${via} yet; the room list is still loading`, { retryAfterMs: 30_000 });
      }
      throw new AdapterError('wechat', 'send', `the bot is in no WeChat group called "${topic}"${via}`, { permanent: true });
    }
    this.cache.set(topic, room);
    return room;
  }
}

/**
 * People in the group the rules call `chat`, the bot not counted. 2026-11: room.memberAll() lists the
 * room's members, the bot included (https://wechaty.js.org/docs/api/room#roommemberallquery--promisecontact);
 * on wechat4u it is the member list the web client loaded for the room.
 */
export async function roomSize(bot: Wechaty, rooms: RoomDirectory<Room>, chat: string, settled: boolean): Promise<number> {
  const room = await rooms.resolve(chat, (topic) => bot.Room.findAll({ topic }), settled);
  const self = bot.currentUser.id;
  return (await room.memberAll()).filter((m) => m.id !== self).length;
}
