// normalize is total: any value in, an InboundMessage or null out, never a throw; broken entities are
// skipped and the message kept. Run many times (PROPERTY_RUNS).
import fc from 'fast-check';
import type { Update } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../adapters/telegram/index.ts';

const BOT = { botId: 123456789 };
const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);

const wild = fc.oneof(fc.jsonValue(), fc.constantFrom(undefined, null, NaN, Infinity, -0, 2 ** 60, '', ' ', [], {}, '\u0000', 'text_link', -1));

/** Entities as they come off the wire, and as they come broken. */
const entity = fc.oneof(
  fc.record({ type: fc.constantFrom('text_link', 'bold', 'url', 'mention'), offset: fc.integer({ min: -5, max: 60 }), length: fc.integer({ min: -5, max: 60 }), url: fc.oneof(fc.webUrl(), wild) }),
  fc.record({ type: wild, offset: wild, length: wild, url: wild }, { requiredKeys: [] }),
  wild,
);

const validMessage = fc.record({
  message_id: fc.nat(),
  date: fc.integer({ min: 0, max: 4_000_000_000 }),
  chat: fc.record({ id: fc.integer({ min: -1_009_999_999_999, max: -1 }), type: fc.constantFrom('group', 'supergroup', 'channel'), title: fc.oneof(fc.string(), wild) }),
  from: fc.record({ id: fc.integer({ min: 1, max: 9_999_999_999 }).filter((id) => id !== BOT.botId), is_bot: fc.boolean(), first_name: fc.oneof(fc.string(), wild), last_name: fc.oneof(fc.string(), wild), username: fc.oneof(fc.string(), wild) }),
  text: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => s.trim() !== ''),
  entities: fc.oneof(fc.array(entity, { maxLength: 6 }), wild),
  author_signature: wild,
  sender_chat: fc.oneof(wild, fc.record({ id: fc.integer({ min: -1_009_999_999_999, max: -1 }), title: wild })),
  via_bot: wild,
});

function isSubsequence(needle: string, hay: string): boolean {
  let i = 0;
  for (let j = 0; j < hay.length && i < needle.length; j++) if (hay[j] === needle[i]) i++;
  return i === needle.length;
}

describe('telegram normalize is total', () => {
  it('never throws on any JSON value, or any value at any depth of an update', () => {
    fc.assert(
      fc.property(fc.oneof(wild, fc.record({ update_id: wild, message: wild, channel_post: wild }), fc.record({ update_id: fc.nat(), message: fc.dictionary(fc.string(), wild) })), (u) => {
        const m = normalize(u as Update, BOT);
        expect(m === null || typeof m === 'object').toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps a well-formed group message whatever its entities and optional fields hold; only text links add text', () => {
    fc.assert(
      fc.property(validMessage, fc.boolean(), (msg, asChannelPost) => {
        const u = (asChannelPost ? { update_id: 1, channel_post: msg } : { update_id: 1, message: msg }) as unknown as Update;
        const m = normalize(u, BOT);
        expect(m).not.toBeNull();
        expect(m!.chatId).toBe(String(msg.chat.id));
        expect(m!.id).toBe(String(msg.message_id));
        expect(new Date(m!.sentAt).getTime()).toBe(msg.date * 1000);
        expect(m!.senderName.trim()).not.toBe('');
        expect(isSubsequence(msg.text.trim(), m!.text)).toBe(true);
        // No lone surrogate is created by inserting a link target inside a pair.
        expect(m!.text.isWellFormed()).toBe(msg.text.isWellFormed());
      }),
      { numRuns: RUNS },
    );
  });

  it('replacing any one field of a good message with junk gives a message or null, never a throw', () => {
    const keys = ['message_id', 'date', 'chat', 'from', 'text', 'entities', 'caption', 'caption_entities', 'sender_chat', 'author_signature', 'via_bot'];
    fc.assert(
      fc.property(validMessage, fc.constantFrom(...keys), wild, fc.constantFrom('', 'chat', 'from', 'sender_chat'), (msg, key, junk, inner) => {
        const copy = JSON.parse(JSON.stringify(msg)) as Record<string, unknown>;
        const target = inner && copy[inner] && typeof copy[inner] === 'object' ? (copy[inner] as Record<string, unknown>) : copy;
        target[key] = junk;
        const m = normalize({ update_id: 1, message: copy } as unknown as Update, BOT);
        if (m) {
          expect(typeof m.text).toBe('string');
          expect(m.text.trim()).toBe(m.text);
          expect(m.text).not.toBe('');
        }
      }),
      { numRuns: RUNS },
    );
  });
});
