// Properties of the loop's new Lark fields (the Lark section of test/e2e/normalize-properties.test.ts
// covers group texts; this covers private chats, pictures, link cards, replies, card presses and card
// splitting), over hostile payloads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cardParts, normalize, normalizeAction, parseImageRef, type LarkMessageEvent } from '../../adapters/lark/index.ts';
import { BODY_MARGIN_BYTES, LARK_POST_MAX_BYTES, LARK_TEXT_MAX_BYTES } from '../../adapters/lark/render.ts';
import type { InboundAction, InboundMessage } from '../../src/domain.ts';

const RUNS = { numRuns: 600 };

const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '__proto__', 'constructor', 'https://x.cn/a', 'http://', 'img_v3_ok', 'om_ok', 'a/b', '../../etc', '🔥'),
);
const unprintable = () => JSON.parse('{"valueOf":1,"toString":2}') as unknown;
const wrong: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null).map(unprintable),
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  hostileText,
  fc.array(fc.jsonValue(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue(), { maxKeys: 3 }),
);
const maybe = <T>(right: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ arbitrary: right, weight: 8 }, { arbitrary: wrong, weight: 1 });
const anId = fc.oneof({ arbitrary: fc.stringMatching(/^o[mcu]_[0-9a-f]{1,16}$/), weight: 4 }, { arbitrary: hostileText, weight: 1 });
const imageKey = fc.oneof({ arbitrary: fc.stringMatching(/^img_v3_[0-9a-z_-]{1,20}$/), weight: 3 }, { arbitrary: hostileText, weight: 1 });
const some = <T>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.oneof({ arbitrary: fc.record(fields), weight: 3 }, { arbitrary: fc.record(fields, { requiredKeys: [] }), weight: 1 });

const element = some({
  tag: maybe(fc.constantFrom('text', 'a', 'img', 'at', 'md', 'emotion')),
  text: maybe(hostileText),
  href: maybe(fc.oneof(fc.webUrl(), hostileText)),
  image_key: maybe(imageKey),
});
const post = some({ title: maybe(hostileText), content: maybe(fc.array(maybe(fc.array(maybe(element), { maxLength: 4 })), { maxLength: 4 })) });
const content = fc.oneof(
  some({ text: maybe(fc.oneof(hostileText, fc.webUrl())) }).map((c) => JSON.stringify(c)),
  some({ image_key: maybe(imageKey) }).map((c) => JSON.stringify(c)),
  post.map((c) => JSON.stringify(c)),
  some({ zh_cn: maybe(post) }).map((c) => JSON.stringify(c)),
  hostileText,
);
/** message_type with a content of its kind (usually), or any content. */
const typed = fc.oneof(
  fc.record({ message_type: fc.constant('text'), content: some({ text: maybe(fc.oneof(hostileText, fc.webUrl())) }).map((c) => JSON.stringify(c)) }),
  fc.record({ message_type: fc.constant('image'), content: some({ image_key: maybe(imageKey) }).map((c) => JSON.stringify(c)) }),
  fc.record({ message_type: fc.constant('post'), content: fc.oneof(post, some({ zh_cn: maybe(post) })).map((c) => JSON.stringify(c)) }),
  fc.record({ message_type: maybe(fc.constantFrom('text', 'post', 'image', 'file')), content: maybe(content) }),
);
const event = fc.record({
  sender: maybe(some({ sender_id: maybe(some({ open_id: maybe(anId) })), sender_type: maybe(fc.constantFrom('user', 'user', 'app')) })),
  message: maybe(
    fc
      .tuple(
        some({
          message_id: maybe(anId),
          chat_id: maybe(anId),
          chat_type: maybe(fc.constantFrom('group', 'p2p', 'p2p', 'topic')),
          parent_id: maybe(anId),
          create_time: maybe(fc.integer({ min: 0, max: 2 ** 42 }).map(String)),
        }),
        typed,
      )
      .map(([m, t]) => ({ ...m, ...t })),
  ),
});

function wellFormed(m: InboundMessage): void {
  for (const k of ['id', 'chatId', 'senderId', 'text', 'sentAt'] as const) expect(typeof m[k]).toBe('string');
  expect(m.id.length && m.chatId.length).toBeGreaterThan(0);
  // A message carries text, or pictures (text '' then), never neither.
  expect(m.text.trim().length > 0 || (m.media?.length ?? 0) > 0).toBe(true);
  if (m.media) for (const p of m.media) expect(parseImageRef(p.ref), `ref ${p.ref} fetchable`).toEqual({ messageId: m.id, imageKey: expect.any(String) });
  if (m.chatType !== undefined) expect(m.chatType).toBe('private');
  if (m.replyToId !== undefined) expect(m.replyToId.length).toBeGreaterThan(0);
  if (m.linkCard) expect(m.linkCard.url).toMatch(/^https?:\/\//i);
  expect(new Date(m.sentAt).toISOString()).toBe(m.sentAt);
}

describe('lark normalize with the loop fields is total', () => {
  it('private chats, pictures, link cards and replies: null or well formed, never a throw', () => {
    let accepted = 0;
    let pictures = 0;
    fc.assert(
      fc.property(event, (e) => {
        const m = normalize(e as LarkMessageEvent, { botOpenId: 'ou_bot' });
        if (!m) return;
        accepted++;
        if (m.media) pictures++;
        wellFormed(m);
      }),
      RUNS,
    );
    // The accepting paths were reached, pictures included.
    expect(accepted).toBeGreaterThan(10);
    expect(pictures).toBeGreaterThan(0);
  });
});

const action = some({
  event_id: maybe(anId),
  operator: maybe(some({ open_id: maybe(anId), user_id: maybe(anId) })),
  action: maybe(some({ value: fc.oneof(some({ d: maybe(hostileText) }), hostileText, fc.jsonValue()), tag: maybe(fc.constantFrom('button', 'select_static')) })),
  context: maybe(some({ open_message_id: maybe(anId), open_chat_id: maybe(anId) })),
  open_chat_id: maybe(anId),
});

function wellFormedAction(a: InboundAction): void {
  expect(a.platform).toBe('lark');
  for (const k of ['chatId', 'userId', 'data', 'at'] as const) {
    expect(typeof a[k]).toBe('string');
    expect(a[k].length).toBeGreaterThan(0);
  }
  expect(a.data.length).toBeLessThanOrEqual(4096);
  if (a.messageId !== undefined) expect(a.messageId.length).toBeGreaterThan(0);
}

describe('lark normalizeAction is total', () => {
  it('any callback payload: null or a well-formed InboundAction; {"d": data} passes data on unchanged', () => {
    let accepted = 0;
    fc.assert(
      fc.property(action, (data) => {
        const a = normalizeAction(data);
        if (!a) return;
        accepted++;
        wellFormedAction(a);
        const value = (data as { action?: { value?: unknown } }).action?.value as { d?: unknown } | undefined;
        if (value && typeof value === 'object' && typeof value.d === 'string' && value.d) expect(a.data).toBe(value.d.slice(0, 4096));
      }),
      RUNS,
    );
    expect(accepted).toBeGreaterThan(10);
    for (const hostile of [null, undefined, 5, 'x', [], unprintable(), { operator: unprintable(), action: unprintable() }]) expect(normalizeAction(hostile)).toBeNull();
  });
});

describe('lark cards split between elements', () => {
  const limits = { maxCardBytes: 4000, maxChars: 1000, maxTextBytes: LARK_TEXT_MAX_BYTES - BODY_MARGIN_BYTES };
  const el = fc.oneof(
    fc.record({ tag: fc.constant('div'), text: fc.record({ tag: fc.constant('lark_md'), content: fc.string({ unit: 'grapheme', maxLength: 1500 }) }) }),
    fc.record({ tag: fc.constant('hr') }),
    fc.record({
      tag: fc.constant('action'),
      actions: fc.array(fc.record({ tag: fc.constant('button'), text: fc.record({ tag: fc.constant('plain_text'), content: fc.string({ maxLength: 20 }) }), value: fc.record({ d: fc.string({ maxLength: 64 }) }) }), { minLength: 1, maxLength: 5 }),
    }),
  );
  const card = fc.record({
    v2: fc.boolean(),
    header: fc.option(fc.record({ title: fc.record({ tag: fc.constant('plain_text'), content: fc.string({ maxLength: 1200 }) }) }), { nil: undefined }),
    elements: fc.array(el, { minLength: 1, maxLength: 30 }),
  });

  it('every part within the limit; the elements that fit a card kept whole and in order; the others as their text', () => {
    fc.assert(
      fc.property(card, ({ v2, header, elements }) => {
        const body = v2 ? { schema: '2.0', ...(header ? { header } : {}), body: { elements } } : { config: { wide_screen_mode: true }, ...(header ? { header } : {}), elements };
        const parts = cardParts('oc_x', JSON.stringify(body), limits);
        const seen: unknown[] = [];
        for (const p of parts) {
          expect(Buffer.byteLength(JSON.stringify({ receive_id: 'oc_x', msg_type: p.msgType, content: p.content, uuid: 'x'.repeat(50) }))).toBeLessThanOrEqual(
            p.msgType === 'text' ? limits.maxTextBytes : limits.maxCardBytes,
          );
          if (p.msgType === 'interactive') {
            const c = JSON.parse(p.content) as { body?: { elements: unknown[] }; elements?: unknown[]; schema?: string };
            expect(c.schema === '2.0').toBe(v2);
            seen.push(...(v2 ? c.body!.elements : c.elements!));
          }
        }
        // The whole elements that went out are the card's elements in order, possibly minus some
        // too big for a card alone (those went as text).
        let i = 0;
        for (const s of seen) {
          while (i < elements.length && JSON.stringify(elements[i]) !== JSON.stringify(s)) i++;
          expect(i, 'element order kept').toBeLessThan(elements.length);
          i++;
        }
        // One card when the whole request fits with room to spare. The request, not the card: the card travels as
        // a JSON string inside the request, so quote-dense cards (many small buttons) grow by their escapes
        // (a 3,128-byte card made a 4,001-byte request in a run of 2026-12-01).
        const request = Buffer.byteLength(JSON.stringify({ receive_id: 'oc_x', msg_type: 'interactive', content: JSON.stringify(body), uuid: 'x'.repeat(50) }));
        if (request < limits.maxCardBytes - 200) expect(parts).toHaveLength(1);
      }),
      { numRuns: 150 },
    );
  });

  it('the real limit: 30 KB less the margin', () => {
    const parts = cardParts('oc_x', JSON.stringify({ elements: Array.from({ length: 100 }, () => ({ tag: 'div', text: { tag: 'lark_md', content: '岗'.repeat(300) } })) }), {
      maxCardBytes: LARK_POST_MAX_BYTES - BODY_MARGIN_BYTES,
      maxChars: 30_000,
      maxTextBytes: LARK_TEXT_MAX_BYTES - BODY_MARGIN_BYTES,
    });
    expect(parts.length).toBeGreaterThan(3);
    for (const p of parts) expect(Buffer.byteLength(p.content)).toBeLessThan(30 * 1024);
  });
});
