// npx tsx scripts/eval/make-poster-fixtures.ts: (re)writes the committed test posters in test/fixtures/posters/,
// so that the tests need no font. Texts are written for the tests; one poster carries a real QR code (the
// qrcode package) below its text, whose modules the detector must not turn into words.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { renderPoster, type PosterStyle } from './render-poster.ts';

const DIR = fileURLToPath(new URL('../../test/fixtures/posters/', import.meta.url));

export const POSTERS: { file: string; text: string; style: PosterStyle; qr?: string }[] = [
  {
    file: 'bytedance-backend.png',
    text: '字节跳动2026校招内推：后端开发工程师（北京）。计算机科学与技术、软件工程专业优先。内推码DS8X2K，截止12月20日。',
    style: { layout: 'banner-list', font: 'WenQuanYi Micro Hei', fontSize: 22, rotate: 0, noise: 0, jpegQuality: 0, accent: '#1a4a8a', width: 640 },
    qr: 'https://job.example.com/referral?code=DS8X2K',
  },
  {
    file: 'state-grid-electrical.jpg',
    text: '国家电网江苏公司招聘电气工程师：负责变电站运维与继电保护调试。要求电气工程及其自动化专业本科及以上。简历投递hr@js.example.cn。',
    style: { layout: 'two-column', font: 'WenQuanYi Micro Hei', fontSize: 20, rotate: 1.5, noise: 0, jpegQuality: 60, accent: '#0b6e4f', width: 720 },
  },
  {
    file: 'wuxi-pharma-qa.jpg',
    text: '药明康德招聘质量分析员（上海）：负责药物分析方法开发与验证。药学、化学专业硕士优先。联系人王老师。',
    style: { layout: 'dark', font: 'WenQuanYi Micro Hei', fontSize: 18, rotate: 0, noise: 12, jpegQuality: 70, accent: '#b3261e', width: 600 },
  },
];

async function withQr(poster: Buffer, url: string): Promise<Buffer> {
  // qrcode ships no types; the one call used here, typed.
  const QRCode = (await import('qrcode' as string)) as { toString(text: string, opts: Record<string, unknown>): Promise<string> };
  const qr = await sharp(Buffer.from(await QRCode.toString(url, { type: 'svg', margin: 1 }))).resize(150, 150).png().toBuffer();
  const { width = 0, height = 0 } = await sharp(poster).metadata();
  return sharp(poster)
    .extend({ bottom: 190, background: '#ffffff' })
    .composite([{ input: qr, left: width - 190, top: height + 20 }])
    .png({ compressionLevel: 9, palette: true })
    .toBuffer();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(DIR, { recursive: true });
  for (const p of POSTERS) {
    let image = await renderPoster(p.text, p.style);
    if (p.qr) image = await withQr(image, p.qr);
    writeFileSync(join(DIR, p.file), image);
    console.log(`${p.file}: ${image.length} bytes`);
  }
}
