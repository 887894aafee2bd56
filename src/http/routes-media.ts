// GET /r/p/:token/:file — a post's picture, for students on a platform that could not carry it (too big,
// a type it refuses). Public like the other /r/ links (isPublic in index.ts), but only with the token
// the digest printed: an HMAC (RELAY_SECRET) of the file name (src/digest/media-link.ts). Serves only
// image files directly under `<dataDir>/media/`; anything else is a plain 404 that says nothing more.
// Registered by the relay in its extraRoutes: `mediaRoutes(app, { dataDir, secret })`.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { MEDIA_TOKEN_RE, mediaToken } from '../digest/media-link.ts';
import { isMediaName } from '../digest/pictures.ts';

const TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.heic': 'image/heic',
};

export interface MediaRouteDeps {
  dataDir: string;
  /** RELAY_SECRET; undefined: feedback and picture links are off, and every request is a 404. */
  secret: string | undefined;
}

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function mediaRoutes(app: FastifyInstance, deps: MediaRouteDeps): void {
  app.get<{ Params: { token: string; file: string } }>('/r/p/:token/:file', async (req, reply) => {
    const { token, file } = req.params;
    const type = TYPES[extname(String(file)).toLowerCase()];
    const ok = deps.secret !== undefined && MEDIA_TOKEN_RE.test(token) && isMediaName(file) && type !== undefined && sameToken(token, mediaToken(deps.secret, file));
    const path = ok ? join(deps.dataDir, 'media', file) : undefined;
    const info = path ? await stat(path).catch(() => undefined) : undefined;
    if (!path || !info?.isFile()) return reply.code(404).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('这张图片已不在（可能已过保留期）。');
    return reply
      .type(type!)
      .header('content-length', info.size)
      .header('cache-control', 'private, max-age=86400')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('content-disposition', 'inline')
      .send(createReadStream(path));
  });
}
