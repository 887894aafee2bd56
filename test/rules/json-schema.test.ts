// rules/routing.schema.json: up to date with the zod schema and the catalog, and it accepts the shipped rules
// and rejects the mistakes admins make, when read by an independent JSON Schema validator (ajv, through fastify).
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog.ts';
import { routingJsonSchema, routingJsonSchemaText } from '../../src/rules/json-schema.ts';

const catalog = loadCatalog();
const committed = readFileSync('rules/routing.schema.json', 'utf8');
const shipped = readFileSync('rules/routing.yaml', 'utf8');

// fastify validates request bodies with ajv 8; its defaults (removeAdditional, useDefaults, coerceTypes) would
// drop a misspelt key or turn a number into a string, so they are off: plain JSON Schema semantics.
const app = Fastify({ ajv: { customOptions: { removeAdditional: false, useDefaults: false, coerceTypes: false, allErrors: true } } });
beforeAll(async () => {
  app.post('/rules', { schema: { body: JSON.parse(committed) } }, async () => ({ ok: true }));
  await app.ready();
});
afterAll(() => app.close());

async function validate(yamlText: string): Promise<{ status: number; message: string }> {
  const res = await app.inject({ method: 'POST', url: '/rules', payload: parse(yamlText) });
  return { status: res.statusCode, message: res.json().message ?? '' };
}

describe('routing JSON Schema', () => {
  it('is committed up to date (run npm run schema after changing src/rules/schema.ts or the catalog)', () => {
    expect(committed).toBe(routingJsonSchemaText(catalog));
  });

  it('is what rules/routing.yaml points editors at', () => {
    expect(shipped.split('\n')[0]).toBe('# yaml-language-server: $schema=./routing.schema.json');
  });

  it('lists every catalog class and major code as an enum', () => {
    const college = (routingJsonSchema(catalog) as any).properties.colleges.items.properties;
    expect(college.classes.items.enum).toHaveLength(catalog.classes.size);
    expect(college.classes.items.enum).toContain('0806');
    expect(college.majors.items.enum).toHaveLength(catalog.majors.length);
    expect(college.majors.items.enum).toContain('080601');
  });

  it('accepts the shipped rules', async () => {
    expect(await validate(shipped)).toMatchObject({ status: 200 });
  });

  it.each([
    ['a misspelt key deep down', shipped.replace('    name: 北京校友群', '    nmae: 北京校友群'), /must NOT have additional properties/],
    ['an unknown class code', shipped.replace('classes: ["0806"]', 'classes: ["0899"]'), /must be equal to one of the allowed values/],
    ['an unquoted class code', shipped.replace('classes: ["0806"]', 'classes: [0806]'), /must be string/],
    ['a Telegram chat id as a number', shipped.replace('group: "-1001987650001"', 'group: -1001987650001'), /must be string/],
    ['an unknown platform', shipped.replace('platform: lark', 'platform: feishu'), /must be equal to one of the allowed values/],
  ])('rejects %s', async (_what, text, why) => {
    expect(text).not.toBe(shipped);
    const r = await validate(text);
    expect(r.status).toBe(400);
    expect(r.message).toMatch(why);
  });
});
