// Reading an image from a platform without ever holding more than the limit: the declared size is checked
// first, then the stream is cut off as soon as it passes the limit (a server may lie, or send no length).
import { OcrError } from './ocr-errors.ts';

const tooLarge = (bytes: number, max: number): OcrError =>
  new OcrError('refused', `image refused: over the ${(max / 1048576).toFixed(1)} MB limit (${bytes} bytes or more)`, 'too-large');

/** Collects a byte stream (a Node stream, a web ReadableStream, any async iterable) up to `maxBytes`. */
export async function readLimited(source: AsyncIterable<Uint8Array | string>, maxBytes: number, declaredBytes?: number | null): Promise<Buffer> {
  if (declaredBytes != null && declaredBytes > maxBytes) throw tooLarge(declaredBytes, maxBytes);
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    total += buf.length;
    if (total > maxBytes) {
      // Ends the download: a for-await that exits early calls the stream's return(), which destroys it.
      throw tooLarge(total, maxBytes);
    }
    parts.push(buf);
  }
  return Buffer.concat(parts, total);
}

/**
 * GETs an image with the global fetch, refusing it by Content-Length when declared, by count when not.
 * For Telegram's file URL (https://api.telegram.org/file/bot<token>/<file_path>, after getFile) and Lark's
 * message resource API (GET im/v1/messages/:message_id/resources/:file_key?type=image, with the tenant token).
 * Errors never carry the URL, which holds the bot token on Telegram.
 */
export async function fetchImage(url: string, opts: { maxBytes: number; headers?: Record<string, string>; timeoutMs?: number; fetch?: typeof fetch }): Promise<Buffer> {
  const f = opts.fetch ?? fetch;
  const res = await f(url, { headers: opts.headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) }).catch((err: Error) => {
    throw new OcrError('engine', `image download failed: ${err.name === 'TimeoutError' ? 'timed out' : 'network error'}`);
  });
  if (!res.ok || !res.body) throw new OcrError('engine', `image download failed: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length'));
  try {
    return await readLimited(res.body as unknown as AsyncIterable<Uint8Array>, opts.maxBytes, Number.isFinite(declared) && declared > 0 ? declared : null);
  } catch (err) {
    await res.body.cancel().catch(() => {}); // refused before or while reading: stop the download
    throw err;
  }
}
