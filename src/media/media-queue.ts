// The pictures waiting to be read, kept on disk so that a message acknowledged to its platform is never lost
// while its OCR is still to come (a kill -9, a power cut). One append-only JSON-lines file,
// `<dataDir>/media/queue.jsonl`: `{"op":"put","job":…}` (a new job or its new state; the last one wins) and
// `{"op":"del","id":…}` (done). Every append is fdatasync'ed before it resolves. A torn last line (a kill in
// the middle of a write) was never acknowledged and is skipped. The file is rewritten (atomically) with only
// the live jobs when it opens and once the dead lines outnumber them, so it stays small.
import { close, existsSync, fdatasync, mkdirSync, open, readFileSync, write } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { InboundMessage } from '../domain.ts';
import { fsyncDir, writeFileAtomicSync } from '../store/atomic-write.ts';
import type { JobLink } from './intake-link.ts';

const openFd = promisify(open);
const closeFd = promisify(close);
const datasyncFd = promisify(fdatasync);
const writeSome = promisify(write) as (fd: number, buf: Buffer, offset: number, length: number) => Promise<{ bytesWritten: number }>;

export const QUEUE_FILE = 'queue.jsonl';

/** One picture of a job. `file` once its bytes are on disk; `dropped` once it will never be read. */
export interface JobImage {
  /** The adapter's ref (fetchMedia). */
  ref: string;
  /** Name under `<dataDir>/media/` once downloaded and checked. */
  file?: string;
  mime?: string;
  bytes?: number;
  width?: number;
  height?: number;
  /** This job wrote the file (it did not exist): it may remove it when no post keeps it. */
  created?: boolean;
  /** The text read from it. */
  text?: string;
  /** Why it will not be read (refused, broken, gone, failed too often): the picture is left out. */
  dropped?: string;
  /** Failed downloads and OCR attempts of this picture so far. */
  failures?: number;
}

export interface MediaJob {
  /** platform \0 chat \0 message id: one job per message. */
  id: string;
  /** The message as it arrived (its `text` is the caption). */
  message: InboundMessage;
  images: JobImage[];
  /** A shared article to read (defaults.fetchLinks). */
  link?: JobLink;
  /** Epoch ms before which the worker leaves it alone (backoff). */
  notBefore: number;
  /** Failed pipeline writes (the store could not make the post durable). */
  storeFailures?: number;
  createdAt: string;
}

export const jobId = (m: Pick<InboundMessage, 'platform' | 'chatId' | 'id'>): string => `${m.platform}\u0000${m.chatId}\u0000${m.id}`;

type Line = { op: 'put'; job: MediaJob } | { op: 'del'; id: string };

/** Parses the queue file: the live jobs in the order they were first put. Unreadable lines are skipped. */
export function replayQueue(text: string): Map<string, MediaJob> {
  const jobs = new Map<string, MediaJob>();
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      continue; // torn by a kill mid-write: never acknowledged
    }
    if (line?.op === 'put' && line.job && typeof line.job.id === 'string' && line.job.message && Array.isArray(line.job.images)) jobs.set(line.job.id, line.job);
    else if (line?.op === 'del' && typeof line.id === 'string') jobs.delete(line.id);
  }
  return jobs;
}

export class MediaQueue {
  private readonly jobs: Map<string, MediaJob>;
  private fd: number | undefined;
  private opening: Promise<number> | undefined;
  /** Lines in the file that no longer describe a live job. */
  private dead = 0;
  /** Appends run one after another (each waits for its fdatasync). */
  private tail: Promise<void> = Promise.resolve();
  private readonly file: string;

  private constructor(
    private readonly dir: string,
    jobs: Map<string, MediaJob>,
    private readonly fsync: boolean,
  ) {
    this.jobs = jobs;
    this.file = join(dir, QUEUE_FILE);
  }

  /** Opens (or creates) the queue under `mediaDir`, rewritten with only its live jobs. Synchronous: called at start. */
  static open(mediaDir: string, opts: { fsync?: boolean } = {}): MediaQueue {
    mkdirSync(mediaDir, { recursive: true });
    const file = join(mediaDir, QUEUE_FILE);
    const jobs = existsSync(file) ? replayQueue(readFileSync(file, 'utf8')) : new Map<string, MediaJob>();
    const q = new MediaQueue(mediaDir, jobs, opts.fsync ?? true);
    if (existsSync(file)) q.rewriteSync();
    return q;
  }

  /** Live jobs, oldest first. */
  list(): MediaJob[] {
    return [...this.jobs.values()];
  }

  get(id: string): MediaJob | undefined {
    return this.jobs.get(id);
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Records a job (new, or its new state); resolves once the line is on disk. */
  put(job: MediaJob): Promise<void> {
    if (this.jobs.has(job.id)) this.dead++;
    this.jobs.set(job.id, job);
    return this.append({ op: 'put', job });
  }

  /** Forgets a finished job; resolves once that is on disk. */
  remove(id: string): Promise<void> {
    if (!this.jobs.delete(id)) return this.tail;
    this.dead += 2; // its put line and this del line
    return this.append({ op: 'del', id });
  }

  /** Waits for the appends in flight, then closes the file. */
  async close(): Promise<void> {
    await this.tail.catch(() => {});
    const fd = this.fd;
    this.fd = undefined;
    this.opening = undefined;
    if (fd !== undefined) await closeFd(fd).catch(() => {});
  }

  private append(line: Line): Promise<void> {
    const data = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    const run = async () => {
      const fd = await this.handle();
      for (let off = 0; off < data.length; ) off += (await writeSome(fd, data, off, data.length - off)).bytesWritten;
      if (this.fsync) await datasyncFd(fd);
      if (this.dead > 64 && this.dead > 2 * this.jobs.size) await this.compact();
    };
    const p = this.tail.catch(() => {}).then(run);
    this.tail = p;
    return p;
  }

  private handle(): Promise<number> {
    if (this.fd !== undefined) return Promise.resolve(this.fd);
    this.opening ??= openFd(this.file, 'a').then((fd) => {
      this.fd = fd;
      if (this.fsync) fsyncDir(this.dir); // the file's entry, when this created it
      return fd;
    });
    return this.opening;
  }

  /** Rewrites the file with the live jobs only (temp → fdatasync → rename), then appends go to the new one. */
  private async compact(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    this.opening = undefined;
    if (fd !== undefined) await closeFd(fd).catch(() => {});
    this.rewriteSync();
  }

  private rewriteSync(): void {
    const body = [...this.jobs.values()].map((job) => `${JSON.stringify({ op: 'put', job } satisfies Line)}\n`).join('');
    writeFileAtomicSync(this.file, body, { fsync: this.fsync });
    this.dead = 0;
  }
}
