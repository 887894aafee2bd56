// Inbound pictures: the bytes behind an InboundMedia ref (the message id), with a size cap and a timeout.
// 2026-11: the ref is good while the message is in the puppet's cache: wechat4u keeps the last 10 000
// raw messages in an LRU for this login (puppet-wechat4u cacheMessageRawPayload, maxSize 10000:
// https://github.com/wechaty/puppet-wechat4u/blob/main/src/puppet-wechat4u.ts); after a restart, a new
// login or 10 000 newer messages, the picture is gone and fetchMedia says so (permanent).
// wechat4u downloads the whole picture into memory (webwxgetmsgimg, responseType arraybuffer:
// https://github.com/nodeWechat/wechat4u/blob/master/src/core.js), so the cap is checked on the box's
// declared size before reading, and while reading for boxes that declare none (streams).
import type { Readable } from 'node:stream';
import { AdapterError } from '../../src/ports.ts';
import { toAdapterError } from './errors.ts';
import { MESSAGE_IMAGE } from './normalize.ts';
import { rawPayloadOf } from './snapshot.ts';

/** What this file needs of a file-box FileBox (https://github.com/huan/file-box: size is -1 when unknown). */
export interface MediaBox {
  readonly size: number;
  readonly mediaType: string;
  toStream(): Promise<Readable>;
}

export const DEFAULT_MEDIA_TIMEOUT_MS = 30_000;

const refused = (message: string, permanent = true) => new AdapterError('wechat', 'fetchMedia', message, { permanent });

/** The mime a box declares, when it is an image type. */
export function imageMime(box: MediaBox): string | undefined {
  const t = typeof box.mediaType === 'string' ? box.mediaType : '';
  return /^image\/[\w.+-]+$/.test(t) ? t : undefined;
}

/**
 * Reads a picture's box with `maxBytes` and `timeoutMs`. `open` finds the message and asks the puppet for
 * its file (undefined: the message is no longer known). Throws AdapterError: permanent when too large or
 * gone, retryable on a timeout or a network failure.
 */
export async function fetchCapped(open: () => Promise<MediaBox | undefined>, maxBytes: number, timeoutMs = DEFAULT_MEDIA_TIMEOUT_MS): Promise<{ bytes: Buffer; mime?: string }> {
  if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new RangeError('maxBytes must be a positive integer');
  let stream: Readable | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      stream?.destroy();
      reject(new AdapterError('wechat', 'fetchMedia', `the picture did not arrive within ${timeoutMs} ms`, { retryAfterMs: 60_000 }));
    }, timeoutMs);
  });
  const work = async () => {
    let box: MediaBox | undefined;
    try {
      box = await open();
    } catch (e) {
      throw toAdapterError(e, 'fetchMedia');
    }
    if (!box) throw refused('the picture is no longer known to WeChat (a new login, a restart, or too many newer messages)');
    if (box.size > maxBytes) throw refused(`the picture is ${box.size} bytes, over the ${maxBytes}-byte limit`);
    stream = await box.toStream();
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      total += b.length;
      if (total > maxBytes) {
        stream.destroy();
        throw refused(`the picture is over the ${maxBytes}-byte limit (stopped reading at ${total} bytes)`);
      }
      chunks.push(b);
    }
    const mime = imageMime(box);
    return mime ? { bytes: Buffer.concat(chunks, total), mime } : { bytes: Buffer.concat(chunks, total) };
  };
  try {
    return await Promise.race([work(), timeout]);
  } catch (e) {
    throw e instanceof AdapterError || e instanceof RangeError ? e : toAdapterError(e, 'fetchMedia');
  } finally {
    clearTimeout(timer);
  }
}

/** What openPicture needs of wechaty. */
interface PictureSource {
  Message: { find(query: { id: string }): Promise<{ type(): number; toFileBox(): Promise<MediaBox> } | undefined> };
  puppet: object;
}

/** The picture message `ref` as a box, or undefined when WeChat no longer knows it. */
export async function openPicture(bot: PictureSource, ref: string): Promise<MediaBox | undefined> {
  const msg = await bot.Message.find({ id: ref });
  if (!msg) return undefined;
  if (msg.type() !== MESSAGE_IMAGE) throw new AdapterError('wechat', 'fetchMedia', 'that message is not a picture', { permanent: true });
  try {
    return await msg.toFileBox();
  } catch (e) {
    // wechaty may still know the message after the puppet's raw cache let it go: then it is gone.
    if ((await rawPayloadOf(bot.puppet, ref)) === undefined) return undefined;
    throw e;
  }
}
