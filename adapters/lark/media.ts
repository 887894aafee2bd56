// Pictures: downloading an inbound one (message resource API, streamed under a byte cap and a time
// limit) and uploading an outbound one (image API, once per file for the life of the process).
import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { AdapterError } from '../../src/ports.ts';
import { describeFailure, type LarkApi, toAdapterError } from './client.ts';
import { parseImageRef } from './normalize.ts';

// 2026-11, "获取消息中的资源文件" (GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=image,
// https://open.feishu.cn/document/server-docs/im-v1/message/get-2): the bot must be in the chat; at most
// 100 MB; answers the bytes as a stream. 234002 / 14005: no access, or the resource was deleted — final.
const GONE_CODES = new Set([234002, 14005, 234003, 234004]);

/** The beginning of a stream as text (an error answer's JSON), bounded. */
async function head(stream: unknown, max = 4096): Promise<string> {
  if (!stream || typeof (stream as Readable)[Symbol.asyncIterator] !== 'function') return '';
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of stream as AsyncIterable<Buffer>) {
      chunks.push(Buffer.from(c));
      size += c.length;
      if (size >= max) break;
    }
  } catch {
    /* what we have is enough */
  }
  (stream as Readable).destroy?.();
  return Buffer.concat(chunks).toString('utf8').slice(0, max);
}

/** A failed resource request: its error body is a stream (responseType 'stream'), so read its code first. */
async function resourceError(e: unknown): Promise<AdapterError> {
  const response = (e as { response?: { status?: number; data?: unknown; headers?: unknown } })?.response;
  const f = describeFailure(response ? { response: { status: response.status, headers: response.headers, data: {} } } : e);
  if (response) {
    try {
      const body = JSON.parse(await head(response.data)) as { code?: unknown; msg?: unknown };
      if (typeof body.code === 'number') f.code = body.code;
      if (typeof body.msg === 'string') f.msg = body.msg;
    } catch {
      /* not JSON: the status says enough */
    }
  }
  const err = toAdapterError('fetchMedia', f, f);
  if (f.code !== undefined && GONE_CODES.has(f.code)) return new AdapterError('lark', 'fetchMedia', `${err.message.replace(/^lark fetchMedia: /, '')} (the picture is gone or not visible to the bot)`, { permanent: true, ...(f.status !== undefined ? { status: f.status } : {}) });
  return err;
}

/**
 * The bytes of an inbound picture. Refuses early when the declared length is over `maxBytes`, stops
 * reading past it, and gives up after `timeoutMs` in all (headers and body).
 */
export async function fetchMedia(api: LarkApi, ref: string, opts: { maxBytes: number; timeoutMs: number }): Promise<{ bytes: Buffer; mime?: string }> {
  const parsed = parseImageRef(ref);
  if (!parsed) throw new AdapterError('lark', 'fetchMedia', 'not a Lark picture reference', { permanent: true });
  let stream: Readable | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stream?.destroy(new Error('timeout'));
  }, opts.timeoutMs);
  const tooBig = (what: string) => new AdapterError('lark', 'fetchMedia', `the picture is ${what}, more than the ${opts.maxBytes} bytes allowed`, { permanent: true });
  try {
    let res: Awaited<ReturnType<LarkApi['client']['im']['v1']['messageResource']['get']>>;
    try {
      const request = api.client.im.v1.messageResource.get({ path: { message_id: parsed.messageId, file_key: parsed.imageKey }, params: { type: 'image' } });
      const raced = await Promise.race([request, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), opts.timeoutMs).unref())]);
      if (raced === 'timeout') {
        void request.then((r) => r.getReadableStream().destroy(), () => undefined);
        throw new AdapterError('lark', 'fetchMedia', `no answer within ${opts.timeoutMs} ms`);
      }
      res = raced;
    } catch (e) {
      if (e instanceof AdapterError) throw e;
      throw await resourceError(e);
    }
    const headers = (res.headers ?? {}) as Record<string, unknown>;
    stream = res.getReadableStream() as Readable;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > opts.maxBytes) {
      stream.destroy();
      throw tooBig(`${declared} bytes (declared)`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of stream as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > opts.maxBytes) {
          stream.destroy();
          throw tooBig(`over ${opts.maxBytes} bytes (read so far: ${size})`);
        }
        chunks.push(c);
      }
    } catch (e) {
      if (e instanceof AdapterError) throw e;
      if (timedOut) throw new AdapterError('lark', 'fetchMedia', `not read within ${opts.timeoutMs} ms`);
      throw new AdapterError('lark', 'fetchMedia', `reading the picture failed (${e instanceof Error ? e.message : String(e)})`);
    }
    if (timedOut) throw new AdapterError('lark', 'fetchMedia', `not read within ${opts.timeoutMs} ms`);
    const mime = typeof headers['content-type'] === 'string' ? headers['content-type'].split(';')[0]!.trim() : undefined;
    return mime ? { bytes: Buffer.concat(chunks), mime } : { bytes: Buffer.concat(chunks) };
  } finally {
    clearTimeout(timer);
  }
}

// 2026-11, "上传图片" (POST /open-apis/im/v1/images, multipart, image_type 'message',
// https://open.feishu.cn/document/server-docs/im-v1/image/create): at most 10 MB, not empty; JPG, PNG,
// WEBP, GIF, BMP, ICO, TIFF, HEIC. The image_key it answers can be sent any number of times.
export const LARK_IMAGE_MAX_BYTES = 10 * 1024 * 1024;

/** Uploads pictures once per file version (path, size, mtime) for the life of the process. */
export class ImageUploader {
  private readonly keys = new Map<string, string>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly api: LarkApi) {}

  async imageKey(file: string): Promise<string> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(file);
    } catch (e) {
      throw new AdapterError('lark', 'uploadImage', `cannot read the picture file (${(e as NodeJS.ErrnoException)?.code ?? 'error'})`, { permanent: true });
    }
    if (!info.isFile() || info.size === 0) throw new AdapterError('lark', 'uploadImage', 'the picture file is empty or not a file', { permanent: true });
    if (info.size > LARK_IMAGE_MAX_BYTES) throw new AdapterError('lark', 'uploadImage', `the picture is ${info.size} bytes, more than Lark's 10 MB`, { permanent: true });
    const id = `${file}\u0000${info.size}\u0000${info.mtimeMs}`;
    const known = this.keys.get(id);
    if (known) return known;
    let p = this.pending.get(id);
    if (!p) {
      p = this.upload(file).finally(() => this.pending.delete(id));
      this.pending.set(id, p);
    }
    const key = await p;
    if (this.keys.size >= 2000) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(id, key);
    return key;
  }

  private async upload(file: string): Promise<string> {
    const bytes = await readFile(file);
    let r: { image_key?: string } | null;
    try {
      r = await this.api.client.im.v1.image.create({ data: { image_type: 'message', image: bytes } });
    } catch (e) {
      const f = describeFailure(e);
      throw toAdapterError('uploadImage', f, f);
    }
    if (!r?.image_key) throw new AdapterError('lark', 'uploadImage', 'the upload answered no image_key');
    return r.image_key;
  }
}
