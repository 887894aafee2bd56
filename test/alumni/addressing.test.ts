// Properties of what the adapters add for the alumni features (mentionsBot, senderHandle) and of the
// member-count merge: never a throw on any input, the bot counted as addressed only when it is, and the
// rules' member counts always winning over a platform's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressing as larkAddressing } from '../../adapters/lark/mentions.ts';
import { addressing as telegramAddressing, mentionsBot } from '../../adapters/telegram/mentions.ts';
import { withMemberCounts } from '../../src/alumni/member-counts.ts';
import { alumniConfigOf } from '../../src/alumni/rules.ts';

const BOT = { id: 123456789, username: 'alumni_relay_bot' };
const username = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{4,20}$/);

describe('Telegram addressing', () => {
  it('never throws, whatever the update', () => {
    fc.assert(
      fc.property(fc.anything(), (u) => {
        const a = telegramAddressing(u, BOT);
        expect(typeof a).toBe('object');
      }),
    );
    fc.assert(fc.property(fc.string(), fc.anything(), (text, entities) => typeof mentionsBot(text, entities, BOT) === 'boolean'));
  });

  it('a mention entity over "@<bot>" (any case, anywhere, after any text with surrogate pairs) is the bot; over another name it is not', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ maxLength: 20 }), username, fc.boolean(), (before, after, other, upper) => {
        const me = upper ? `@${BOT.username.toUpperCase()}` : `@${BOT.username}`;
        const text = `${before}${me} ${after}`;
        expect(mentionsBot(text, [{ type: 'mention', offset: before.length, length: me.length }], BOT)).toBe(true);
        const someone = `@${other}`;
        const text2 = `${before}${someone} ${after}`;
        expect(mentionsBot(text2, [{ type: 'mention', offset: before.length, length: someone.length }], BOT)).toBe(other.toLowerCase() === BOT.username);
        // A text_mention counts by the user it carries.
        expect(mentionsBot(text2, [{ type: 'text_mention', offset: 0, length: 1, user: { id: BOT.id + 1 } }], BOT)).toBe(false);
        expect(mentionsBot(text2, [{ type: 'text_mention', offset: 0, length: 1, user: { id: BOT.id } }], BOT)).toBe(true);
      }),
    );
  });

  it('senderHandle is the sender’s @username, never a channel’s or a malformed one', () => {
    const msg = (from: object, extra: object = {}) => ({ update_id: 1, message: { message_id: 1, date: 1, chat: { id: -1, type: 'supergroup' }, text: 'hi', from, ...extra } });
    expect(telegramAddressing(msg({ id: 5, username: 'wanglei' }), BOT)).toEqual({ senderHandle: '@wanglei' });
    expect(telegramAddressing(msg({ id: 5 }), BOT)).toEqual({});
    expect(telegramAddressing(msg({ id: 5, username: 'a b<script>' }), BOT)).toEqual({});
    expect(telegramAddressing(msg({ id: 5, username: 'wanglei' }, { sender_chat: { id: -100, type: 'channel' } }), BOT)).toEqual({});
  });
});

describe('Lark addressing', () => {
  it('never throws; addressed exactly when the mentions list the bot’s open_id', () => {
    fc.assert(fc.property(fc.anything(), fc.option(fc.string()), (data, bot) => typeof larkAddressing(data, bot ?? undefined) === 'object'));
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^ou_[a-z0-9]{1,12}$/), { maxLength: 5 }), fc.boolean(), (others, withBot) => {
        const ids = withBot ? [...others, 'ou_bot'] : others;
        const data = { message: { mentions: ids.map((id, i) => ({ key: `@_user_${i + 1}`, id: { open_id: id }, name: id })) } };
        expect(larkAddressing(data, 'ou_bot')).toEqual(withBot || others.includes('ou_bot') ? { mentionsBot: true } : {});
        expect(larkAddressing(data, undefined)).toEqual({});
      }),
    );
  });
});

describe('withMemberCounts', () => {
  it('a channel’s members: the rules’ value if given, else the platform’s count if known, else none', () => {
    const count = fc.option(fc.nat({ max: 5000 }), { nil: undefined });
    fc.assert(
      fc.property(fc.array(fc.record({ rules: count, platform: count }), { minLength: 1, maxLength: 6 }), (chans) => {
        const rules = {
          defaults: { timezone: 'Asia/Shanghai' },
          privacy: { attribution: 'initials' as const, retentionDays: 180 },
          sources: [],
          colleges: [{ id: 'c', name: 'C', channels: chans.map((c, i) => ({ platform: 'telegram' as const, chat: `-100${i}`, ...(c.rules !== undefined ? { members: c.rules } : {}) })) }],
        };
        const cfg = alumniConfigOf(rules);
        const out = withMemberCounts(cfg, (key) => chans[Number(key.slice('telegram:-100'.length))]!.platform);
        out.colleges.get('c')!.channels.forEach((ch, i) => {
          expect(ch.members).toBe(chans[i]!.rules ?? chans[i]!.platform);
        });
        // The rules' config is never changed in place.
        cfg.colleges.get('c')!.channels.forEach((ch, i) => expect(ch.members).toBe(chans[i]!.rules));
      }),
    );
  });
});
