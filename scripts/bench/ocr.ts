// OCR bench (benchOcr; `npx tsx scripts/bench/ocr.ts [--posters N]`): renders N posters of the dev set's kind
// (scripts/eval/render-poster.ts), then in separate processes shaped like the relay measures
//   - the text path's RSS without the OCR service, and with it created but no image (should be equal: the
//     engine is a child process started by the first image);
//   - posters per minute through the service (its real concurrency: one image at a time in one engine process;
//     onnxruntime with 1 thread, the default, and with 2), engine load time, peak RSS of the engine process and
//     of the relay process while images are read.
// The machine is often shared: read rates as ranges, and compare runs made under the same load.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fontsInstalled, seededRandom } from '../eval/poster-metrics.ts';
import { FONTS, renderPoster, styleFor } from '../eval/render-poster.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HARNESS = fileURLToPath(new URL('./ocr-harness.ts', import.meta.url));

const TEXTS = [
  '字节跳动2026校招内推：后端开发工程师（北京）。计算机科学与技术、软件工程专业优先。1、熟悉Go或Java；2、了解分布式系统。内推码DS8X2K，截止12月20日。',
  '国家电网江苏公司招聘电气工程师：负责变电站运维与继电保护调试。要求电气工程及其自动化专业本科及以上。简历投递hr@js.example.cn。',
  '药明康德招聘质量分析员（上海）：负责药物分析方法开发与验证。药学、化学专业硕士优先。联系人王老师，电话021-12345678。',
  '中建三局智能建筑事业部招弱电工程师：负责楼宇自控、安防监控、综合布线系统的深化设计与施工管理。建筑电气与智能化、电气、自动化专业优先，2026届可投。',
];

function harness(args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', HARNESS, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`ocr harness ${args[0]} failed: ${r.stderr.slice(-500)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

export async function benchOcr(opts: { posters?: number; log?: (s: string) => void } = {}) {
  const log = opts.log ?? ((s: string) => console.error(s));
  const n = opts.posters ?? 24;
  const dir = mkdtempSync(join(tmpdir(), 'ocr-bench-'));
  try {
    const random = seededRandom(7);
    const fonts = fontsInstalled(FONTS);
    for (let i = 0; i <= n; i++) writeFileSync(join(dir, `${String(i).padStart(3, '0')}.img`), await renderPoster(TEXTS[i % TEXTS.length]!, styleFor(i, random, fonts)));
    log(`ocr bench: ${n} posters (+1 to load the engine), load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
    const idle = harness(['idle']);
    const service = harness(['service']);
    log(`  text path RSS ${idle.rssMb} MB; with the OCR service created and no image ${service.rssMb} MB`);
    const runs = [1, 2].map((threads) => {
      const r = harness(['run', dir, String(threads)]);
      log(`  onnxruntime threads ${threads}: ${r.postersPerMinute} posters/min (median ${r.engineMsMedian} ms/poster in the engine), engine load ${r.loadMs} ms, peak RSS engine ${r.enginePeakRssMb} MB, relay ${r.relayPeakRssMb} MB`);
      return r;
    });
    return { posters: n, cpus: cpus().length, loadAverage: loadavg()[0], textPathRssMb: idle.rssMb, withServiceNoImageRssMb: service.rssMb, runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--posters');
  console.log(JSON.stringify(await benchOcr({ posters: i > 0 ? Number(process.argv[i + 1]) : undefined })));
}
