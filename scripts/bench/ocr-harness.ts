// Child of scripts/bench/ocr.ts: a process shaped like the relay (rules, catalog, classifier loaded), with or
// without the OCR service, reading the posters in a directory. Prints one JSON line.
//   tsx scripts/bench/ocr-harness.ts idle            → RSS of the text path alone
//   tsx scripts/bench/ocr-harness.ts service         → RSS with the OCR service created, no image
//   tsx scripts/bench/ocr-harness.ts run DIR THREADS → reads every poster in DIR; throughput, load, RSS peaks
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifierFor } from '../../src/app.ts';
import { loadCatalog } from '../../src/catalog.ts';
import { silentLogger } from '../../src/log.ts';
import { loadRulesFile } from '../../src/rules/index.ts';

const [mode = 'idle', dir = '', threads = '1'] = process.argv.slice(2);
const catalog = loadCatalog();
const rules = loadRulesFile(fileURLToPath(new URL('../../rules/routing.yaml', import.meta.url)), catalog);
const classifier = classifierFor(rules, catalog);
classifier.classify('招聘后端开发工程师，计算机专业优先', new Date(), rules.defaults.timezone); // warm, as after the first message
const settle = () => new Promise((r) => setTimeout(r, 1500));
const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);

if (mode === 'idle') {
  await settle();
  console.log(JSON.stringify({ rssMb: rssMb() }));
} else {
  const { createOcrService } = await import('../../src/media/index.ts');
  const ocr = createOcrService({ logger: silentLogger, threads: Number(threads), maxQueue: 1000 });
  if (mode === 'service') {
    await settle();
    console.log(JSON.stringify({ rssMb: rssMb() }));
  } else {
    const images = readdirSync(dir).sort().map((f) => readFileSync(join(dir, f)));
    let peak = rssMb();
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 50);
    const t0 = performance.now();
    await ocr.recognize(images[0]!); // loads the engine
    const firstMs = performance.now() - t0;
    const t1 = performance.now();
    // The relay's way: every image handed over as it arrives; the service reads them one at a time.
    const results = await Promise.all(images.slice(1).map((img) => ocr.recognize(img)));
    const ms = performance.now() - t1;
    clearInterval(sampler);
    const stats = ocr.stats();
    console.log(JSON.stringify({
      posters: results.length, threads: Number(threads), firstImageMs: Math.round(firstMs), loadMs: stats.lastLoadMs,
      postersPerMinute: Math.round((results.length / ms) * 60_000 * 10) / 10,
      engineMsMedian: results.map((r) => r.ms).sort((a, b) => a - b)[results.length >> 1],
      relayPeakRssMb: peak, enginePeakRssMb: stats.peakEngineRssMb,
    }));
    await ocr.stop();
  }
}
