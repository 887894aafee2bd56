// normalize is total: any value in, an InboundMessage or null out, never a throw; broken entities are
// skipped and the message kept. Run many times (PROPERTY_RUNS).
import fc from 'fast-check';
import type { Update } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { normalize, normalizeAction, TELEGRAM_CAPTION_MAX_CHARS, TELEGRAM_DOWNLOAD_MAX_BYTES, TELEGRAM_MEDIA_GROUP_MAX } from '../../adapters/telegram/index.ts';
import { planSteps } from '../../adapters/telegram/outbound-plan.ts';

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

// ---- the loop's fields: private chats, pictures, links, replies, button presses, outbound plans ----

const photoSize = fc.oneof(
  fc.record({ file_id: fc.string({ minLength: 1, maxLength: 20 }), file_unique_id: fc.string(), width: fc.nat(5000), height: fc.nat(5000), file_size: fc.oneof(fc.nat(30 * 1024 * 1024), wild) }, { requiredKeys: ['file_id'] }),
  wild,
);

const loopMessage = fc.record({
  message_id: fc.nat(),
  date: fc.integer({ min: 0, max: 4_000_000_000 }),
  chat: fc.oneof(
    fc.record({ id: fc.integer({ min: -1_009_999_999_999, max: -1 }), type: fc.constantFrom('group', 'supergroup'), title: fc.oneof(fc.string(), wild) }),
    fc.record({ id: fc.integer({ min: 1, max: 9_999_999_999 }), type: fc.constant('private'), first_name: fc.oneof(fc.string(), wild) }),
  ),
  from: fc.record({ id: fc.integer({ min: 1, max: 9_999_999_999 }).filter((id) => id !== BOT.botId), is_bot: fc.boolean(), first_name: fc.oneof(fc.string(), wild) }),
  text: fc.oneof(fc.string({ maxLength: 80 }), fc.webUrl(), fc.tuple(fc.string({ maxLength: 10 }), fc.webUrl()).map(([a, u]) => `${a} ${u}`), wild),
  caption: fc.oneof(fc.string({ maxLength: 40 }), wild),
  photo: fc.oneof(fc.array(photoSize, { maxLength: 4 }), wild),
  document: fc.oneof(fc.record({ file_id: fc.oneof(fc.string(), wild), mime_type: fc.oneof(fc.constantFrom('image/png', 'image/jpeg', 'application/pdf', 'IMAGE/WEBP'), wild), file_size: fc.oneof(fc.nat(), wild) }), wild),
  entities: fc.oneof(fc.array(entity, { maxLength: 4 }), wild),
  link_preview_options: fc.oneof(fc.record({ url: fc.oneof(fc.webUrl(), wild), is_disabled: fc.boolean() }), wild),
  reply_to_message: fc.oneof(fc.record({ message_id: fc.oneof(fc.nat(), wild) }), wild),
});

describe('telegram normalize: the loop fields', () => {
  it('any mix of text, pictures, links and replies gives a consistent message or null', () => {
    fc.assert(
      fc.property(loopMessage, fc.subarray(['text', 'caption', 'photo', 'document', 'entities', 'link_preview_options', 'reply_to_message']), (msg, drop) => {
        const copy: Record<string, unknown> = { ...msg };
        for (const k of drop) delete copy[k];
        const m = normalize({ update_id: 1, message: copy } as unknown as Update, BOT);
        if (!m) return;
        expect(m.text).toBe(m.text.trim());
        // '' only for a picture without a caption.
        if (m.text === '') expect(m.media?.length).toBeGreaterThan(0);
        for (const media of m.media ?? []) {
          expect(media.kind).toBe('image');
          expect(typeof media.ref === 'string' && media.ref.trim() !== '').toBe(true);
          for (const n of [media.bytes, media.width, media.height]) if (n !== undefined) expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
          if (media.mime !== undefined) expect(media.mime.startsWith('image/')).toBe(true);
        }
        expect(m.chatType === 'private').toBe(msg.chat.type === 'private');
        if (m.chatType === 'private') expect(m.chatTitle).toBeUndefined();
        if (m.replyToId !== undefined) expect(m.replyToId).toMatch(/^\d+$/);
        if (m.linkCard) expect(typeof m.linkCard.url === 'string' && m.linkCard.url.trim() !== '').toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('picks the largest photo size that can be downloaded', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ file_id: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim() !== ''), width: fc.nat(5000), height: fc.nat(5000), file_size: fc.nat(40 * 1024 * 1024) }), { minLength: 1, maxLength: 6 }), (sizes) => {
        const m = normalize({ update_id: 1, message: { message_id: 1, date: 1, chat: { id: -5, type: 'group' }, from: { id: 7, first_name: 'A' }, photo: sizes } } as unknown as Update, BOT);
        const got = m!.media![0]!;
        const fits = sizes.filter((s) => s.file_size <= TELEGRAM_DOWNLOAD_MAX_BYTES);
        if (fits.length) {
          expect(got.bytes).toBeLessThanOrEqual(TELEGRAM_DOWNLOAD_MAX_BYTES);
          for (const s of fits) expect(s.width * s.height).toBeLessThanOrEqual(got.width! * got.height!);
        } else expect(got.bytes).toBe(Math.min(...sizes.map((s) => s.file_size)));
      }),
      { numRuns: RUNS },
    );
  });

  it('normalizeAction is total, and a press it passes on has everything the core needs', () => {
    const press = fc.record(
      {
        id: fc.oneof(fc.string({ maxLength: 12 }), wild),
        from: fc.oneof(fc.record({ id: fc.oneof(fc.integer({ min: 1, max: 9_999_999_999 }), wild) }), wild),
        message: fc.oneof(fc.record({ message_id: fc.oneof(fc.nat(), wild), chat: fc.oneof(fc.record({ id: fc.oneof(fc.integer(), wild) }), wild), date: fc.nat() }), wild),
        data: fc.oneof(fc.string({ maxLength: 64 }), wild),
        inline_message_id: wild,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(wild, fc.record({ update_id: fc.nat(), callback_query: fc.oneof(press, wild) })), (u) => {
        const r = normalizeAction(u, new Date(0));
        if (!r?.action) return;
        const a = r.action;
        expect(r.queryId).toBeTruthy();
        expect(a.platform).toBe('telegram');
        expect(a.chatId).toMatch(/^-?\d+$/);
        expect(a.userId).toMatch(/^\d+$/);
        expect(a.data).not.toBe('');
        expect(a.at).toBe(new Date(0).toISOString());
        if (a.messageId !== undefined) expect(a.messageId).toMatch(/^\d+$/);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('telegram outbound plan', () => {
  const image = fc.record({ file: fc.constant('/tmp/p.png'), mime: fc.constant('image/png'), caption: fc.option(fc.string({ maxLength: 1500 }), { nil: undefined }) });
  const message = fc.record({
    format: fc.constantFrom('plain' as const, 'html' as const),
    body: fc.oneof(fc.string({ maxLength: 200 }), fc.string({ minLength: 3000, maxLength: 9000 })),
    images: fc.array(image, { maxLength: 23 }),
  });
  it('every picture once, in order; groups of 2-10; captions within 1024; the buttons on the very last call, once', () => {
    fc.assert(
      fc.property(message, fc.boolean(), (raw, buttons) => {
        // Plain captions and bodies: HTML escaping is the renderer's job, not the plan's.
        const msg = raw.format === 'html' ? { ...raw, body: raw.body.replace(/[<>&]/g, ' '), images: raw.images.map((i) => ({ ...i, caption: i.caption?.replace(/[<>&]/g, ' ') })) } : raw;
        const steps = planSteps(msg, buttons);
        const pictures = steps.flatMap((s) => (s.kind === 'photo' ? [s.image] : s.kind === 'group' ? s.images.map((x) => x.image) : []));
        expect(pictures).toEqual(msg.images);
        for (const s of steps) {
          if (s.kind === 'group') expect(s.images.length >= 2 && s.images.length <= TELEGRAM_MEDIA_GROUP_MAX).toBe(true);
          const caps = s.kind === 'photo' ? [s.caption] : s.kind === 'group' ? s.images.map((x) => x.caption) : [];
          for (const c of caps) if (c) expect(c.text.length).toBeLessThanOrEqual(TELEGRAM_CAPTION_MAX_CHARS);
        }
        const withButtons = steps.map((s, i) => ('buttons' in s && s.buttons ? i : -1)).filter((i) => i >= 0);
        if (buttons && steps.length) expect(withButtons).toEqual([steps.length - 1]);
        else expect(withButtons).toEqual([]);
        // No text is lost: every caption too long for a caption, and the body, go as text (or as the one caption).
        const texts = steps.flatMap((s) => (s.kind === 'text' ? [s.part.text] : s.kind === 'photo' && s.caption ? [s.caption.text] : s.kind === 'group' ? s.images.flatMap((x) => (x.caption ? [x.caption.text] : [])) : []));
        const all = texts.join('\n');
        for (const i of msg.images) if (i.caption?.trim()) expect(all.replace(/\s/g, '')).toContain(i.caption.replace(/\s/g, '').slice(0, 50));
        if (msg.body.trim()) expect(all.replace(/\s/g, '')).toContain(msg.body.replace(/\s/g, '').slice(0, 50));
      }),
      { numRuns: Math.min(RUNS, 300) },
    );
  });
});
