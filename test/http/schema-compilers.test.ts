// The console declares no route schemas, so it does not load Fastify's schema compilers at start; the lazy
// factories it passes instead still validate and serialize as Fastify's own if a route ever declares one.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazySchemaCompilers } from '../../src/http/index.ts';

describe('console schema compilers', () => {
  it('a route with schemas is validated and serialized through the lazy factories', async () => {
    const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers } });
    app.get(
      '/n',
      {
        schema: {
          querystring: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] },
          response: { 200: { type: 'object', properties: { doubled: { type: 'integer' } } } },
        },
      },
      async (req) => ({ doubled: (req.query as { n: number }).n * 2, secret: 'not in the schema' }),
    );
    const ok = await app.inject('/n?n=21');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ doubled: 42 });
    const bad = await app.inject('/n?n=zero');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/querystring\/n must be integer/);
    await app.close();
  });
});
