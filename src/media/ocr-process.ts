// One OCR engine process (ocr-child.mjs): spawn, wait until its models are loaded, run one job, watch its memory,
// kill it. The engine is a child process, not a worker thread, for two reasons: onnxruntime and opencv.js
// allocate outside V8's heap (a worker's resourceLimits cap only the heap, so they cannot cap the engine),
// and a native crash in a worker takes the whole relay down, while a child's crash is only an 'exit' event.
// The real memory cap is therefore the child's resident set, read from /proc while a job runs.
import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { OcrError } from './ocr-errors.ts';

export interface RawOcrLine {
  text: string;
  /** Mean per-character confidence, 0..1 (the engine drops lines under 0.5). */
  mean: number;
  /** Four corners, clockwise from top-left, in pixels of the image the engine saw. */
  box: [number, number][];
}

export interface JobSpec {
  image: Uint8Array;
  maxSide: number;
  minSide: number;
  maxPixels: number;
  modelPixels: number;
}

export interface ProcessOptions {
  childPath: string;
  /** --max-old-space-size for the child's JS heap (the model buffers live outside it). */
  heapMb: number;
  threads: number;
  memoryCapMb: number;
  rssPollMs: number;
  startTimeoutMs: number;
  onStderr?: (tail: string) => void;
}

export type KillReason = 'timeout' | 'memory' | 'idle' | 'stop' | 'recycle';

/** Resident set of a process in MB from /proc (Linux); null where there is no /proc. */
export async function rssOfPid(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

// The child needs no credentials: it gets only what node and onnxruntime need to run.
function childEnv(threads: number): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'NODE_ENV'];
  const env: NodeJS.ProcessEnv = { OCR_THREADS: String(threads) };
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

export class OcrProcess {
  readonly proc: ChildProcess;
  readonly ready: Promise<{ loadMs: number; rss: number }>;
  exited = false;
  rssMb = 0;
  peakRssMb = 0;
  private killReason: KillReason | null = null;
  private stderrTail = '';
  private pending: { id: number; resolve: (r: { lines: RawOcrLine[]; ms: number }) => void; reject: (e: OcrError) => void } | null = null;
  private nextId = 0;
  private poll: NodeJS.Timeout | null = null;
  private readonly exitedPromise: Promise<void>;

  constructor(private readonly opts: ProcessOptions) {
    this.proc = fork(opts.childPath, [], {
      execArgv: [`--max-old-space-size=${opts.heapMb}`],
      serialization: 'advanced', // Buffers cross as bytes, not as JSON arrays of numbers
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: childEnv(opts.threads),
    });
    // opencv.js prints its whole 10 MB source with an uncaught error: keep only the end, where the error is.
    this.proc.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-1500);
    });
    let readyResolve!: (v: { loadMs: number; rss: number }) => void;
    let readyReject!: (e: OcrError) => void;
    this.ready = new Promise((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    this.ready.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
    const startTimer = setTimeout(() => {
      readyReject(new OcrError('engine', `OCR engine did not load within ${opts.startTimeoutMs} ms`));
      void this.kill('timeout');
    }, opts.startTimeoutMs);
    startTimer.unref();

    this.proc.on('message', (msg: { type: string; id?: number; loadMs?: number; rss?: number; lines?: RawOcrLine[]; ms?: number; message?: string }) => {
      if (typeof msg.rss === 'number') this.noteRss(msg.rss);
      if (msg.type === 'ready') {
        clearTimeout(startTimer);
        readyResolve({ loadMs: msg.loadMs ?? 0, rss: msg.rss ?? 0 });
        return;
      }
      const p = this.pending;
      if (!p || msg.id !== p.id) return;
      this.pending = null;
      this.stopPolling();
      if (msg.type === 'result') p.resolve({ lines: msg.lines ?? [], ms: msg.ms ?? 0 });
      else p.reject(new OcrError('engine', `OCR engine could not read the image: ${msg.message ?? 'unknown error'}`, 'undecodable'));
    });
    this.exitedPromise = new Promise((resolve) => {
      const onGone = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
        if (this.exited) return;
        this.exited = true;
        clearTimeout(startTimer);
        this.stopPolling();
        if (this.stderrTail && this.killReason === null) opts.onStderr?.(this.stderrTail.trim().split('\n').slice(-3).join(' | '));
        const how = spawnError ? `could not start (${spawnError.message})` : `exited (${signal ?? `code ${code}`})`;
        readyReject(new OcrError('engine', `OCR engine ${how} before loading its models`));
        const p = this.pending;
        this.pending = null;
        if (p) p.reject(this.failure(how));
        resolve();
      };
      this.proc.on('exit', (code, signal) => onGone(code, signal));
      this.proc.on('error', (err) => onGone(null, null, err));
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  private failure(how: string): OcrError {
    switch (this.killReason) {
      case 'timeout':
        return new OcrError('timeout', 'OCR timed out on this image; the engine was restarted');
      case 'memory':
        return new OcrError('memory', `OCR engine went over its ${this.opts.memoryCapMb} MB memory cap on this image; it was restarted`);
      case 'idle':
      case 'stop':
      case 'recycle':
        return new OcrError('stopped', 'OCR service stopped before this image was read');
      default:
        return new OcrError('crashed', `OCR engine ${how} while reading this image; it restarts on the next image`);
    }
  }

  private noteRss(mb: number): void {
    this.rssMb = mb;
    this.peakRssMb = Math.max(this.peakRssMb, mb);
  }

  private stopPolling(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }

  /** Runs one job; rejects with an OcrError on the engine's failure, timeout, memory cap or death. */
  run(spec: JobSpec, timeoutMs: number): Promise<{ lines: RawOcrLine[]; ms: number }> {
    if (this.exited) return Promise.reject(new OcrError('crashed', 'OCR engine is not running'));
    if (this.pending) return Promise.reject(new OcrError('engine', 'OCR engine is busy (one job at a time)'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => void this.kill('timeout'), timeoutMs);
      timer.unref();
      const done = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      this.pending = { id, resolve: done(resolve), reject: done(reject) };
      this.poll = setInterval(() => void this.checkMemory(), this.opts.rssPollMs);
      this.poll.unref();
      this.proc.send({ type: 'job', id, ...spec }, (err) => {
        if (err && this.pending?.id === id) {
          this.pending = null;
          this.stopPolling();
          clearTimeout(timer);
          reject(new OcrError('crashed', `OCR engine could not be sent the image: ${err.message}`));
        }
      });
    });
  }

  private async checkMemory(): Promise<void> {
    if (this.exited || this.proc.pid === undefined) return;
    const rss = await rssOfPid(this.proc.pid);
    if (rss === null) return;
    this.noteRss(rss);
    if (rss > this.opts.memoryCapMb) void this.kill('memory');
  }

  /** Ends the process (SIGKILL: a job in onnxruntime cannot be interrupted any other way). */
  kill(reason: KillReason): Promise<void> {
    if (!this.exited) {
      this.killReason ??= reason;
      this.proc.kill('SIGKILL');
    }
    return this.exitedPromise;
  }
}
