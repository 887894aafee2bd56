import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OcrError } from '../../src/media/ocr-errors.ts';
import { fetchImage, readLimited } from '../../src/media/read-limited.ts';

let server: Server;
let base = '';
let bytesSent = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunk = Buffer.alloc(64 * 1024, 1);
    if (req.url === '/small') return res.end(Buffer.from('abc'));
    if (req.url === '/declared-big') {
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
      return res.end();
    }
    if (req.url === '/404') {
      res.writeHead(404);
      return res.end();
    }
    // /endless: chunked, no length, never ends by itself
    res.writeHead(200);
    const timer = setInterval(() => {
      bytesSent += chunk.length;
      res.write(chunk);
    }, 1);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('readLimited / fetchImage', () => {
  it('collects a stream within the limit', async () => {
    expect(await readLimited(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4)).toEqual(Buffer.from('abcd'));
  });

  it('refuses by the declared size without reading, and by count as soon as the stream passes the limit', async () => {
    await expect(readLimited(Readable.from([]), 10, 11)).rejects.toMatchObject({ code: 'refused', reason: 'too-large' });
    const err = await readLimited(Readable.from([Buffer.alloc(6), Buffer.alloc(6), Buffer.alloc(6)]), 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OcrError);
    expect((err as OcrError).message).toBe('image refused: over the 0.0 MB limit (12 bytes or more)');
  });

  it('downloads an image, refuses a declared-too-big one, and cuts off an endless one at the limit', async () => {
    expect(await fetchImage(`${base}/small`, { maxBytes: 10 })).toEqual(Buffer.from('abc'));
    await expect(fetchImage(`${base}/declared-big`, { maxBytes: 1024 * 1024 })).rejects.toMatchObject({ reason: 'too-large' });
    await expect(fetchImage(`${base}/endless`, { maxBytes: 1024 * 1024 })).rejects.toMatchObject({ reason: 'too-large' });
    const after = bytesSent;
    await new Promise((r) => setTimeout(r, 100));
    expect(bytesSent - after).toBeLessThan(1024 * 1024); // the server stopped sending: the download was ended
    await expect(fetchImage(`${base}/404`, { maxBytes: 10 })).rejects.toThrow('image download failed: HTTP 404');
  });

  it('never puts the URL (it holds the Telegram bot token) in its errors', async () => {
    const err = (await fetchImage('http://127.0.0.1:1/file/bot123:SECRET/photo.jpg', { maxBytes: 10, timeoutMs: 2000 }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('image download failed: network error');
    expect(String(err.stack)).not.toContain('SECRET');
  });
});
