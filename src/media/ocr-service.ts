// Images → text, with the OCR engine's cost kept away from the text path. Nothing here loads the engine:
// it lives in a child process (ocr-process.ts) started by the first image, recycled when it goes over its
// memory cap, takes too long or dies, and unloaded after an idle spell. Images are checked before any decoding
// (image-check.ts) and wait in one bounded FIFO queue, read one at a time.
import { projectPath } from '../paths.ts';
import type { Logger } from '../log.ts';
import { checkImage, DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-check.ts';
import { OcrError } from './ocr-errors.ts';
import { OcrProcess, type KillReason, type RawOcrLine } from './ocr-process.ts';
import { posterText, type OcrLine } from './poster-text.ts';

export interface OcrServiceOptions {
  logger: Logger;
  /** Images waiting (beyond the one being read) before new ones are refused. Default 16. */
  maxQueue?: number;
  /** Default 8 MB. */
  maxImageBytes?: number;
  /** Largest declared canvas, width × height. Default 40 MP. */
  maxPixels?: number;
  /** Largest long/short side ratio. Default 20. */
  maxAspect?: number;
  /** The engine is unloaded after this long without an image. Default 120 s. */
  idleUnloadMs?: number;
  /** The engine's process is killed when its resident set exceeds this, and recycled after a job above 85 % of it. Default 900 MB. */
  memoryCapMb?: number;
  /** Per image, from the moment the engine gets it. Default 60 s. */
  timeoutMs?: number;
  /** Loading the models. Default 60 s. */
  startTimeoutMs?: number;
  /** onnxruntime intra-op threads in the engine. Default 1: the relay keeps the other core. */
  threads?: number;
  /** The engine sees at most this many pixels (big photos are shrunk; the detector gains nothing above). Default 1.6 MP. */
  modelPixels?: number;
  /** Images whose long side is under this are enlarged to it (small screenshots). Default 720 px. */
  minSide?: number;
  /** Long side the engine sees at most. Default 2400 px. */
  maxSide?: number;
  heapMb?: number;
  rssPollMs?: number;
  childPath?: string;
}

/** Where an image came from, for log lines (never its content). */
export interface ImageMeta {
  platform?: string;
  chatId?: string;
  messageId?: string;
}

export interface OcrResult {
  /** The lines as post text (posterText): reading order, paragraphs, junk dropped. */
  text: string;
  lines: OcrLine[];
  /** Time in the engine. */
  ms: number;
  /** Time waiting in the queue (and for the engine to load). */
  waitMs: number;
  width: number;
  height: number;
}

export interface OcrStats {
  engine: 'unloaded' | 'loading' | 'ready';
  busy: boolean;
  queued: number;
  done: number;
  failed: number;
  refused: number;
  queueFull: number;
  loads: number;
  lastLoadMs: number | null;
  engineRssMb: number | null;
  peakEngineRssMb: number;
  /** The engine's process id while it runs (for operators and tests). */
  enginePid: number | null;
}

export interface OcrService {
  recognize(image: Uint8Array, meta?: ImageMeta): Promise<OcrResult>;
  stats(): OcrStats;
  readonly limits: ImageLimits;
  /** Refuses what is queued, ends the engine; later calls reject with code 'stopped'. */
  stop(): Promise<void>;
}

interface Job {
  image: Uint8Array;
  meta: ImageMeta;
  width: number;
  height: number;
  enqueuedAt: number;
  resolve: (r: OcrResult) => void;
  reject: (e: OcrError) => void;
}

export const DEFAULT_CHILD_PATH = projectPath('src', 'media', 'ocr-child.mjs');

const toLine = (l: RawOcrLine): OcrLine => ({ text: l.text, confidence: l.mean, box: l.box });

export function createOcrService(options: OcrServiceOptions): OcrService {
  const log = options.logger;
  const o = {
    maxQueue: options.maxQueue ?? 16,
    idleUnloadMs: options.idleUnloadMs ?? 120_000,
    memoryCapMb: options.memoryCapMb ?? 900,
    timeoutMs: options.timeoutMs ?? 60_000,
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    threads: options.threads ?? 1,
    modelPixels: options.modelPixels ?? 1_600_000,
    minSide: options.minSide ?? 720,
    maxSide: options.maxSide ?? 2400,
    heapMb: options.heapMb ?? 512,
    rssPollMs: options.rssPollMs ?? 200,
    childPath: options.childPath ?? DEFAULT_CHILD_PATH,
  };
  const limits: ImageLimits = {
    maxBytes: options.maxImageBytes ?? DEFAULT_IMAGE_LIMITS.maxBytes,
    maxPixels: options.maxPixels ?? DEFAULT_IMAGE_LIMITS.maxPixels,
    maxAspect: options.maxAspect ?? DEFAULT_IMAGE_LIMITS.maxAspect,
  };
  const queue: Job[] = [];
  let current: Job | null = null;
  let engine: OcrProcess | null = null;
  let engineReady = false;
  let idleTimer: NodeJS.Timeout | null = null;
  let stopped = false;
  const counts = { done: 0, failed: 0, refused: 0, queueFull: 0, loads: 0, lastLoadMs: null as number | null, peak: 0 };

  function unload(reason: KillReason): Promise<void> {
    const e = engine;
    if (!e) return Promise.resolve();
    engine = null;
    engineReady = false;
    counts.peak = Math.max(counts.peak, e.peakRssMb);
    return e.kill(reason);
  }

  function armIdle(): void {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (current || queue.length || !engine) return;
      log.info({ idleMs: o.idleUnloadMs, peakRssMb: engine.peakRssMb }, 'OCR engine unloaded after idle');
      void unload('idle');
    }, o.idleUnloadMs);
    idleTimer.unref();
  }

  async function ensureEngine(): Promise<OcrProcess> {
    if (engine && !engine.exited) {
      await engine.ready;
      return engine;
    }
    const started = performance.now();
    const e = new OcrProcess({ ...o, onStderr: (tail) => log.warn({ stderr: tail }, 'OCR engine wrote to stderr before it exited') });
    engine = e;
    e.proc.on('exit', (code, signal) => {
      if (engine === e) {
        engine = null;
        engineReady = false;
        counts.peak = Math.max(counts.peak, e.peakRssMb);
        log.warn({ code, signal }, 'OCR engine process exited; it restarts on the next image');
      }
    });
    const { loadMs, rss } = await e.ready;
    engineReady = true;
    counts.loads++;
    counts.lastLoadMs = Math.round(performance.now() - started);
    log.info({ enginePid: e.pid, loadMs, totalMs: counts.lastLoadMs, rssMb: rss, threads: o.threads }, 'OCR engine loaded');
    return e;
  }

  /** Reads one image; settles its promise only after `current` is cleared, so its caller may queue the next. */
  async function runJob(job: Job): Promise<void> {
    let settle: () => void;
    try {
      const e = await ensureEngine();
      const startedAt = performance.now();
      const { lines, ms } = await e.run({ image: job.image, maxSide: o.maxSide, minSide: o.minSide, maxPixels: limits.maxPixels, modelPixels: o.modelPixels }, o.timeoutMs);
      const ocrLines = lines.map(toLine);
      counts.done++;
      const result: OcrResult = { text: posterText(ocrLines), lines: ocrLines, ms, waitMs: Math.round(startedAt - job.enqueuedAt), width: job.width, height: job.height };
      settle = () => job.resolve(result);
      // Recycled before the next image can start on it (onnxruntime and opencv.js keep what they grew).
      if (e.rssMb > o.memoryCapMb * 0.85 && engine === e) {
        log.info({ rssMb: e.rssMb, capMb: o.memoryCapMb }, 'OCR engine recycled: its memory stayed near the cap after an image');
        await unload('recycle');
      }
    } catch (err) {
      counts.failed++;
      const error = stopped
        ? new OcrError('stopped', 'OCR service stopped before this image was read')
        : err instanceof OcrError
          ? err
          : new OcrError('engine', `OCR failed: ${(err as Error)?.message ?? String(err)}`);
      log.warn({ ...job.meta, code: error.code, bytes: job.image.length }, error.message);
      settle = () => job.reject(error);
    }
    current = null;
    settle();
    pump();
  }

  function pump(): void {
    if (current || stopped) return;
    const job = queue.shift();
    if (!job) {
      if (engine) armIdle();
      return;
    }
    if (idleTimer) clearTimeout(idleTimer);
    current = job;
    void runJob(job); // never rejects: every outcome settles the job's own promise
  }

  return {
    limits,
    recognize(image, meta = {}) {
      if (stopped) return Promise.reject(new OcrError('stopped', 'OCR service is stopped'));
      const check = checkImage(image, limits);
      if (!check.ok) {
        counts.refused++;
        log.warn({ ...meta, reason: check.reason, bytes: check.bytes, type: check.type, width: check.width, height: check.height }, check.message);
        return Promise.reject(new OcrError('refused', check.message, check.reason));
      }
      if (queue.length >= o.maxQueue) {
        counts.queueFull++;
        const message = `OCR queue full (${o.maxQueue} images waiting): image not read`;
        log.warn({ ...meta, queued: queue.length }, message);
        return Promise.reject(new OcrError('queue-full', message));
      }
      return new Promise<OcrResult>((resolve, reject) => {
        queue.push({ image, meta, width: check.width, height: check.height, enqueuedAt: performance.now(), resolve, reject });
        pump();
      });
    },
    stats() {
      return {
        engine: engine ? (engineReady ? 'ready' : 'loading') : 'unloaded',
        busy: current !== null,
        queued: queue.length,
        done: counts.done,
        failed: counts.failed,
        refused: counts.refused,
        queueFull: counts.queueFull,
        loads: counts.loads,
        lastLoadMs: counts.lastLoadMs,
        engineRssMb: engine ? engine.rssMb : null,
        peakEngineRssMb: Math.max(counts.peak, engine?.peakRssMb ?? 0),
        enginePid: engine?.pid ?? null,
      };
    },
    async stop() {
      stopped = true;
      if (idleTimer) clearTimeout(idleTimer);
      for (const job of queue.splice(0)) job.reject(new OcrError('stopped', 'OCR service stopped before this image was read'));
      await unload('stop');
    },
  };
}
