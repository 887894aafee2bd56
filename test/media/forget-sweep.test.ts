// `forget` erases a sender's posts; their poster files must go with them at once (not at the relay's next
// prune), while other posts' pictures and the files a pending picture job still needs stay.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepAfterForget } from '../../src/media/relay-media.ts';
import { Store } from '../../src/store/store.ts';
import { post } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';

const NOW = new Date('2026-11-20T02:00:00Z');
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const name = (c: string) => `${c.repeat(64)}.jpg`;
const image = (file: string) => ({ file, mime: 'image/jpeg', bytes: 3 });

describe('sweepAfterForget', () => {
  it("removes the forgotten sender's pictures and keeps everyone else's and the queue's", async () => {
    const dir = tempDir();
    const media = join(dir, 'media');
    mkdirSync(media, { recursive: true });
    for (const c of ['a', 'b', 'c']) writeFileSync(join(media, name(c)), 'jpg');
    // A job still waiting for OCR holds picture c (as intake.ts writes it).
    const job = { id: 'j', message: { platform: 'telegram', chatId: 'g', id: '9', senderId: 's', senderName: 'x', text: '', sentAt: NOW.toISOString() }, images: [{ ref: 'r', file: name('c') }] };
    writeFileSync(join(media, 'queue.jsonl'), `${JSON.stringify({ op: 'put', job })}\n`);

    store = await Store.open(dir, { now: () => NOW });
    const leaving = post({ media: [image(name('a'))] });
    leaving.sources = leaving.sources.map((s) => ({ ...s, senderId: 'leaver' }));
    await store.addPost(leaving);
    await store.addPost(post({ media: [image(name('b'))] }));

    await store.forgetSender('leaver');
    expect(sweepAfterForget(dir, store)).toBe(1);
    expect(existsSync(join(media, name('a')))).toBe(false);
    expect(existsSync(join(media, name('b')))).toBe(true);
    expect(existsSync(join(media, name('c')))).toBe(true);
    expect(existsSync(join(media, 'queue.jsonl'))).toBe(true);
  });

  it('does nothing (and reads no archive) when no picture was ever kept', async () => {
    const dir = tempDir();
    store = await Store.open(dir, { now: () => NOW });
    expect(sweepAfterForget(dir, store)).toBe(0);
  });
});
