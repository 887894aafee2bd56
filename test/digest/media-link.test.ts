// Links to pictures a platform could not carry: the address the digest prints, and the public route that
// serves it only with the right token, only image files directly under <dataDir>/media/.
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { mediaLinker, mediaToken, mediaUrlPath } from '../../src/digest/media-link.ts';
import { mediaRoutes } from '../../src/http/routes-media.ts';
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
