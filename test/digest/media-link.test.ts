// Links to pictures a platform could not carry: the address the digest prints, and the public route that
// serves it only with the right token, only image files directly under <dataDir>/media/.
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDigest } from '../../src/digest/build.ts';
import { mediaLinker, mediaToken, mediaUrlPath } from '../../src/digest/media-link.ts';
import { renderDigest } from '../../src/digest/render.ts';
import { mediaRoutes } from '../../src/http/routes-media.ts';
import { post } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';

const SECRET = 'media-link-secret-0123456789';
const POSTER = readFileSync('test/fixtures/posters/state-grid-electrical.jpg');

describe('mediaLinker', () => {
  it('is off without RELAY_PUBLIC_URL or the secret, or with an address that is not http(s)', () => {
    expect(mediaLinker(undefined, 'https://relay.example.cn')('a.jpg')).toBeUndefined();
    expect(mediaLinker(SECRET, undefined)('a.jpg')).toBeUndefined();
    expect(mediaLinker(SECRET, '  ')('a.jpg')).toBeUndefined();
    expect(mediaLinker(SECRET, 'ftp://relay.example.cn')('a.jpg')).toBeUndefined();
  });

  it('gives /r/p/<16-character token>/<file> under the public address; the token depends on the secret and the file', () => {
    const link = mediaLinker(SECRET, 'https://relay.example.cn/')('a1b2.jpg')!;
    expect(link).toMatch(/^https:\/\/relay\.example\.cn\/r\/p\/[A-Za-z0-9_-]{16}\/a1b2\.jpg$/);
    expect(mediaToken(SECRET, 'a1b2.jpg')).not.toBe(mediaToken(SECRET, 'a1b3.jpg'));
    expect(mediaToken(SECRET, 'a1b2.jpg')).not.toBe(mediaToken(`${SECRET}x`, 'a1b2.jpg'));
    expect(mediaLinker(SECRET, 'https://relay.example.cn')('../etc/passwd')).toBeUndefined();
  });
});

describe('GET /r/p/:token/:file', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function serve(secret: string | null = SECRET) {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'media'), { recursive: true });
    writeFileSync(join(dataDir, 'media', 'grid.jpg'), POSTER);
    writeFileSync(join(dataDir, 'media', 'notes.txt'), 'not a picture');
    writeFileSync(join(dataDir, 'secret.jpg'), 'outside the media folder');
    app = Fastify();
    // The tracked-link route lives beside it under /r/ (src/http/routes-feedback.ts): both must route.
    app.get<{ Params: { token: string } }>('/r/:token', async (req) => ({ tracked: req.params.token }));
    mediaRoutes(app, { dataDir, secret: secret ?? undefined });
    await app.ready();
    return app;
  }

  it('serves the picture with its type, not cached publicly, with the right token', async () => {
    const server = await serve();
    const res = await server.inject(mediaUrlPath(SECRET, 'grid.jpg'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toMatch(/^private/);
    expect(res.rawPayload.equals(POSTER)).toBe(true);
  });

  it('answers 404 for a wrong token, another file’s token, a path, a non-image, a missing file, or without the secret', async () => {
    const server = await serve();
    const token = mediaToken(SECRET, 'grid.jpg');
    const paths = [
      `/r/p/${'A'.repeat(16)}/grid.jpg`,
      `/r/p/${token}/other.jpg`,
      `/r/p/${mediaToken(SECRET, '../secret.jpg')}/..%2Fsecret.jpg`,
      `/r/p/${mediaToken(SECRET, '..')}/..`,
      mediaUrlPath(SECRET, 'notes.txt'),
      mediaUrlPath(SECRET, 'gone.jpg'),
      `/r/p/${token.slice(0, 15)}/grid.jpg`,
    ];
    for (const path of paths) {
      const res = await server.inject(path);
      expect(res.statusCode, path).toBe(404);
      expect(res.body).not.toContain('outside the media folder');
    }
    await server.close();
    const off = await serve(null);
    expect((await off.inject(mediaUrlPath(SECRET, 'grid.jpg'))).statusCode).toBe(404);
  });

  it('leaves /r/<token> (tracked links) to its own route', async () => {
    const server = await serve();
    expect((await server.inject('/r/abcdefghijkl')).json()).toEqual({ tracked: 'abcdefghijkl' });
    expect((await server.inject('/r/p')).json()).toEqual({ tracked: 'p' });
  });
});

describe('the link a digest prints is one the route serves', () => {
  it('a 12 MB poster on Telegram: the digest links it, and GET on that address answers the file', async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'media'), { recursive: true });
    const file = 'c0ffee.jpg';
    writeFileSync(join(dataDir, 'media', file), POSTER);
    truncateSync(join(dataDir, 'media', file), 12 * 1024 * 1024); // over Telegram's 10 MB photo limit (sparse)
    const now = new Date('2026-11-21T02:00:00Z');
    const digest = buildDigest({ id: 'ee', name: '电气学院' }, [post({ fields: { company: '国网江苏电力' }, media: [{ file, mime: 'image/jpeg', bytes: 12 * 1024 * 1024 }] })], { now, timeZone: 'Asia/Shanghai', maxItems: 30, id: 'dg' });
    const [part] = renderDigest(digest, 'telegram', { now, timeZone: 'Asia/Shanghai', privacy: { attribution: 'none', maskContacts: true }, sourceName: (_p, c) => c, mediaLink: mediaLinker(SECRET, 'https://relay.example.cn/relay') });
    expect(part!.images).toBeUndefined();
    const href = /<a href="([^"]+)">查看原图<\/a>/.exec(part!.body)![1]!;
    expect(href.startsWith('https://relay.example.cn/relay/r/p/')).toBe(true);
    const app = Fastify();
    mediaRoutes(app, { dataDir, secret: SECRET });
    try {
      const res = await app.inject(href.replace('https://relay.example.cn/relay', ''));
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.length).toBe(12 * 1024 * 1024);
      expect(res.rawPayload.subarray(0, POSTER.length).equals(POSTER)).toBe(true);
    } finally {
      await app.close();
    }
  });
});
