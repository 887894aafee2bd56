// A durable queue of jobs keyed by id, kept so that work a platform considers delivered is never lost
// before it is done (a kill -9, a power cut). One append-only JSON-lines file: `{"op":"put","job":…}` (a new
// job or its new state; the last one wins) and `{"op":"del","id":…}` (done). Every append is fdatasync'ed
// before it resolves. A torn last line (a kill in the middle of a write) was never acknowledged and is
// skipped. The file is rewritten (atomically) with only the live jobs when it opens and once the dead lines
// outnumber them, and emptied when the last job is done, so it stays small and holds only what waits.
// Used for pictures waiting to be read (media/media-queue.ts) and WeChat messages waiting to be handled
// (adapters/wechat/ingest.ts).
import { close, existsSync, fdatasync, ftruncate, mkdirSync, open, readFileSync, write } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { fsyncDir, writeFileAtomicSync } from './store/atomic-write.ts';

const openFd = promisify(open);
const closeFd = promisify(close);
const truncateFd = promisify(ftruncate);
const datasyncFd = promisify(fdatasync);
const writeSome = promisify(write) as (fd: number, buf: Buffer, offset: number, length: number) => Promise<{ bytesWritten: number }>;

type Line<T> = { op: 'put'; job: T } | { op: 'del'; id: string };

/** Parses a queue file: the live jobs in the order they were first put. Unreadable lines are skipped. */
export function replayJobs<T extends { id: string }>(text: string, isJob: (x: unknown) => x is T): Map<string, T> {
  const jobs = new Map<string, T>();
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let line: Line<unknown>;
    try {
      line = JSON.parse(raw) as Line<unknown>;
    } catch {
      continue; // torn by a kill mid-write: never acknowledged
    }
    if (line?.op === 'put' && isJob(line.job)) jobs.set(line.job.id, line.job);
    else if (line?.op === 'del' && typeof line.id === 'string') jobs.delete(line.id);
  }
  return jobs;
}

export class DurableQueue<T extends { id: string }> {
  private readonly jobs: Map<string, T>;
  private fd: number | undefined;
  private opening: Promise<number> | undefined;
  /** Lines in the file that no longer describe a live job. */
  private dead = 0;
  /** Appends run one after another (each waits for its fdatasync). */
  private tail: Promise<void> = Promise.resolve();
  private readonly dir: string;

  private constructor(
    private readonly file: string,
    jobs: Map<string, T>,
    private readonly fsync: boolean,
  ) {
    this.jobs = jobs;
    this.dir = dirname(file);
  }

  /** Opens (or creates) the queue in `file`, rewritten with only its live jobs. Synchronous: called at start. */
  static open<T extends { id: string }>(file: string, isJob: (x: unknown) => x is T, opts: { fsync?: boolean } = {}): DurableQueue<T> {
    mkdirSync(dirname(file), { recursive: true });
    const jobs = existsSync(file) ? replayJobs(readFileSync(file, 'utf8'), isJob) : new Map<string, T>();
    const q = new DurableQueue(file, jobs, opts.fsync ?? true);
    if (existsSync(file)) q.rewriteSync();
    return q;
  }

  /** Live jobs, oldest first. */
  list(): T[] {
    return [...this.jobs.values()];
  }

  get(id: string): T | undefined {
    return this.jobs.get(id);
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Records a job (new, or its new state); resolves once the line is on disk. */
  put(job: T): Promise<void> {
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

  /**
   * Erases the jobs `drop` picks and rewrites the file without them at once: remove() leaves a job's put
   * line in the file until the next compaction, which is fine for work done but not for what must be gone
   * (`forget`). Returns how many were erased.
   */
  async erase(drop: (job: T) => boolean): Promise<number> {
    let erased = 0;
    for (const [id, job] of this.jobs) {
      if (!drop(job)) continue;
      this.jobs.delete(id);
      erased++;
    }
    if (erased) {
      const p = this.tail.catch(() => {}).then(() => this.compact());
      this.tail = p;
      await p;
    }
    return erased;
  }

  /** Waits for the appends in flight, then closes the file. */
  async close(): Promise<void> {
    await this.tail.catch(() => {});
    const fd = this.fd;
    this.fd = undefined;
    this.opening = undefined;
    if (fd !== undefined) await closeFd(fd).catch(() => {});
  }

  private append(line: Line<T>): Promise<void> {
    const data = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    const run = async () => {
      const fd = await this.handle();
      if (line.op === 'del' && this.jobs.size === 0) {
        // Nothing live (nothing put since either: put() counts at once): the empty file says it all, and
        // what was waiting (message texts) does not stay on disk once handled.
        await truncateFd(fd, 0);
        this.dead = 0;
      } else {
        for (let off = 0; off < data.length; ) off += (await writeSome(fd, data, off, data.length - off)).bytesWritten;
      }
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
    const body = [...this.jobs.values()].map((job) => `${JSON.stringify({ op: 'put', job } satisfies Line<T>)}\n`).join('');
    writeFileAtomicSync(this.file, body, { fsync: this.fsync });
    this.dead = 0;
  }
}
