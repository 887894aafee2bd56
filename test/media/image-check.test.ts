import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { checkImage, DEFAULT_IMAGE_LIMITS, sniffImageType } from '../../src/media/image-check.ts';
import { pngDeclaring } from './png-bytes.ts';

const fixture = (f: string) => readFileSync(new URL(`../fixtures/posters/${f}`, import.meta.url));

describe('checkImage (before any decoding)', () => {
  it('reads the size the committed posters declare, as sharp does', async () => {
    for (const f of ['bytedance-backend.png', 'state-grid-electrical.jpg', 'wuxi-pharma-qa.jpg']) {
      const buf = fixture(f);
      const c = checkImage(buf);
      const meta = await sharp(buf).metadata();
      expect(c).toMatchObject({ ok: true, width: meta.width, height: meta.height, type: meta.format === 'jpeg' ? 'jpeg' : 'png' });
    }
  });

  it('reads GIF and WebP (lossy, lossless, extended) headers as sharp does', async () => {
    const base = sharp({ create: { width: 37, height: 23, channels: 3, background: '#c33' } });
    const images = [
      await base.clone().gif().toBuffer(),
      await base.clone().webp({ quality: 50 }).toBuffer(),
      await base.clone().webp({ lossless: true }).toBuffer(),
      await sharp({ create: { width: 37, height: 23, channels: 4, background: '#c33a' } }).webp().toBuffer(), // alpha → VP8X
    ];
    for (const img of images) expect(checkImage(img)).toMatchObject({ ok: true, width: 37, height: 23 });
  });

  it('refuses a decompression bomb by its header: a tiny PNG declaring 50 000 × 50 000', () => {
    const bomb = pngDeclaring(50_000, 50_000);
    expect(bomb.length).toBeLessThan(1000);
    const c = checkImage(bomb);
    expect(c).toMatchObject({ ok: false, reason: 'too-many-pixels', width: 50_000, height: 50_000 });
    if (!c.ok) expect(c.message).toContain('2500.0 MP');
  });

  it('refuses too many bytes, unknown types, absurd strips, empty and truncated files, each with its reason', () => {
    expect(checkImage(Buffer.alloc(DEFAULT_IMAGE_LIMITS.maxBytes + 1, 0x89))).toMatchObject({ ok: false, reason: 'too-large' });
    expect(checkImage(Buffer.from('招聘后端工程师，不是图片\n'))).toMatchObject({ ok: false, reason: 'unknown-type' });
    expect(checkImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toMatchObject({ ok: false, reason: 'unknown-type' });
    expect(checkImage(pngDeclaring(30_000, 10))).toMatchObject({ ok: false, reason: 'bad-aspect' });
    expect(checkImage(Buffer.alloc(0))).toMatchObject({ ok: false, reason: 'empty' });
    expect(checkImage(fixture('bytedance-backend.png').subarray(0, 20))).toMatchObject({ ok: false, reason: 'truncated', type: 'png' });
    expect(checkImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]))).toMatchObject({ ok: false, reason: 'truncated', type: 'jpeg' });
    expect(checkImage(pngDeclaring(0, 10))).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('never throws and never accepts what it cannot size, whatever the bytes (property)', () => {
    const magic = fc.constantFrom([], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0xff, 0xd8, 0xff], [...Buffer.from('GIF89a')], [...Buffer.from('RIFF\0\0\0\0WEBPVP8X')]);
    fc.assert(
      fc.property(magic, fc.uint8Array({ maxLength: 200 }), (head, tail) => {
        const buf = Buffer.concat([Buffer.from(head), Buffer.from(tail)]);
        const c = checkImage(buf);
        if (c.ok) {
          expect(sniffImageType(buf)).toBe(c.type);
          expect(c.width * c.height).toBeLessThanOrEqual(DEFAULT_IMAGE_LIMITS.maxPixels);
          expect(c.width).toBeGreaterThan(0);
          expect(c.height).toBeGreaterThan(0);
        } else {
          expect(c.message).toMatch(/^image refused: /);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a PNG header declaring any size is sized exactly, and accepted only within the limits (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (w, h) => {
        const c = checkImage(pngDeclaring(w, h, 0));
        const fits = w * h <= DEFAULT_IMAGE_LIMITS.maxPixels && Math.max(w, h) / Math.min(w, h) <= DEFAULT_IMAGE_LIMITS.maxAspect;
        expect(c.ok).toBe(fits);
        if (c.ok || c.reason === 'too-many-pixels' || c.reason === 'bad-aspect') expect([c.width, c.height]).toEqual([w, h]);
      }),
    );
  });
});
