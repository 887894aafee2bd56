// Downloading an inbound picture: getFile → file_path, then GET <apiRoot>/file/bot<token>/<file_path>,
// with the size refused early (getFile's file_size, then Content-Length) and the stream cut off past
// the cap (a server may lie or send no length). 2026-11, https://core.telegram.org/bots/api#getfile :
// "bots can download files of up to 20MB in size … https://api.telegram.org/file/bot<token>/<file_path>
// … It is guaranteed that the link will be valid for at least 1 hour."
// The URL holds the token, so no error here quotes it or an original error: only redacted copies.
import type { Api } from 'grammy';
import { AdapterError } from '../../src/ports.ts';
import { redactedCopy, toAdapterError } from './errors.ts';
import { TELEGRAM_DOWNLOAD_MAX_BYTES } from './inbound-parts.ts';

export interface FetchMediaDeps {
  api: Api;
  apiRoot: string;
  token: string;
  /** Whole download (after getFile) time limit; default 30 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const MIME_BY_EXT: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', bmp: 'image/bmp' };

const fail = (message: string, opts: ConstructorParameters<typeof AdapterError>[3] = {}) => new AdapterError('telegram', 'fetchMedia', message, opts);

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

export async function fetchTelegramMedia(deps: FetchMediaDeps, ref: string, opts: { maxBytes: number }): Promise<{ bytes: Buffer; mime?: string }> {
  if (typeof ref !== 'string' || !ref.trim() || ref.length > 512) throw fail('not a Telegram file id', { permanent: true });
  const maxBytes = Math.min(opts.maxBytes, TELEGRAM_DOWNLOAD_MAX_BYTES);
  let file: { file_size?: number; file_path?: string };
  try {
    file = await deps.api.getFile(ref);
  } catch (err) {
    throw toAdapterError('fetchMedia', err, deps.token);
  }
  if (typeof file.file_size === 'number' && file.file_size > maxBytes) {
    throw fail(`file refused: ${file.file_size} bytes, over the ${mb(maxBytes)} limit`, { permanent: true });
  }
  const path = file.file_path;
  if (typeof path !== 'string' || !path) throw fail('getFile returned no file_path (the file cannot be downloaded)', { permanent: true });
  const url = `${deps.apiRoot}/file/bot${deps.token}/${path.split('/').map(encodeURIComponent).join('/')}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deps.timeoutMs ?? 30_000);
  try {
    let res: Response;
    try {
      res = await (deps.fetch ?? fetch)(url, { signal: controller.signal });
    } catch (err) {
      throw fail(controller.signal.aborted ? 'download timed out' : 'download failed (network error)', { cause: redactedCopy(err, deps.token) });
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      // 404: the link expired or the file is gone; a fresh getFile may help, so it is not permanent.
      throw fail(`download answered HTTP ${res.status}`, { status: res.status, permanent: res.status >= 400 && res.status < 500 && res.status !== 404 && res.status !== 429 });
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body.cancel().catch(() => {});
      throw fail(`file refused: ${declared} bytes declared, over the ${mb(maxBytes)} limit`, { permanent: true });
    }
    const bytes = await readCapped(res.body, maxBytes, controller, deps.token);
    const ext = path.split('.').pop()?.toLowerCase() ?? '';
    const type = res.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    const mime = MIME_BY_EXT[ext] ?? (type?.startsWith('image/') ? type : undefined);
    return mime ? { bytes, mime } : { bytes };
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the body up to `maxBytes`; one byte more and the download is cancelled and refused. */
async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number, controller: AbortController, token: string): Promise<Buffer> {
  const reader = body.getReader();
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw fail(`file refused: more than ${maxBytes} bytes arrived (over the ${mb(maxBytes)} limit); download stopped`, { permanent: true });
      }
      parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  } catch (err) {
    if (err instanceof AdapterError) throw err;
    throw fail(controller.signal.aborted ? 'download timed out' : 'download interrupted', { cause: redactedCopy(err, token) });
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(parts, total);
}
