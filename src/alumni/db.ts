// The alumni features' own durable state, apart from the core store: a few keyed collections (ledger
// entries, marks, opt-outs, mentors) under `${dataDir}/alumni/`.
//   state.json      snapshot {version, seq, data: {collection: {key: value}}}, written atomically
//                   (atomic-write.ts: temp → fdatasync → rename → fsync dir) by compaction;
//   journal.jsonl   one line per change {s, op: put|del, c, k, v?}, appended and fdatasync'ed before the
//                   change is acknowledged (`flushed()`); changes made between two flushes share one write.
// Replay skips lines at or below the snapshot's seq (a crash between the snapshot and the journal reset)
// and any line that does not parse (a torn last write, never acknowledged). Values are whole records, so
// replaying a line twice changes nothing.
import { close, closeSync, existsSync, fdatasync, mkdirSync, open, readFileSync, renameSync, write } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../store/atomic-write.ts';

const openFd = promisify(open);
const writeFd = promisify(write) as (fd: number, buf: Buffer, offset: number, length: number) => Promise<{ bytesWritten: number }>;
const datasyncFd = promisify(fdatasync);
const closeFd = promisify(close);

export const ALUMNI_DIR = 'alumni';
const SNAPSHOT = 'state.json';
const JOURNAL = 'journal.jsonl';
/** Journal size that triggers a compaction at the next flush. */
const COMPACT_BYTES = 4 << 20;

type Collections = Map<string, Map<string, unknown>>;

export interface AlumniDbOptions {
  /** fdatasync writes (default true); off only for throwaway data. */
  fsync?: boolean;
  /** Open without the right to write (CLI reports while a relay runs). */
  readOnly?: boolean;
}

export class AlumniDb {
  private readonly data: Collections = new Map();
  private seq = 0;
  private pending: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private fd: number | undefined;
  private journalBytes = 0;
  /** Lines skipped at open (torn or corrupt), for the log. */
  skippedLines = 0;
  private tornTail = false;
  /** Where an unreadable snapshot was moved at open (the caller logs it). */
  movedAside: string | undefined;

  private constructor(
    readonly dir: string,
    private readonly opts: AlumniDbOptions,
  ) {}

  /** `dataDir` is the relay's data directory; the state lives in its `alumni/` folder. */
  static async open(dataDir: string, opts: AlumniDbOptions = {}): Promise<AlumniDb> {
    const db = new AlumniDb(join(dataDir, ALUMNI_DIR), opts);
    db.load();
    if (!opts.readOnly) {
      mkdirSync(db.dir, { recursive: true });
      db.fd = await openFd(join(db.dir, JOURNAL), 'a');
      // A torn last line must not swallow the next one: end it first.
      if (db.tornTail) {
        await writeFd(db.fd, Buffer.from('\n'), 0, 1);
        if (opts.fsync ?? true) await datasyncFd(db.fd);
      }
    }
    return db;
  }

  private load(): void {
    const snap = join(this.dir, SNAPSHOT);
    let snapSeq = 0;
    if (existsSync(snap)) {
      try {
        const parsed = JSON.parse(readFileSync(snap, 'utf8')) as { seq: number; data: Record<string, Record<string, unknown>> };
        if (typeof parsed.seq !== 'number' || typeof parsed.data !== 'object' || parsed.data === null) throw new Error('not an alumni state file');
        snapSeq = parsed.seq;
        for (const [c, entries] of Object.entries(parsed.data)) this.data.set(c, new Map(Object.entries(entries)));
      } catch (err) {
        // Written atomically, so only outside hands break it. The relay must go on: the file is kept aside
        // for a look, and the state restarts from the journal. Messages already queued are not queued again
        // (the outbox knows their ids); records rebuild from the store's hot window.
        if (this.opts.readOnly) throw new Error(`${snap} cannot be read (${(err as Error).message})`);
        this.movedAside = `${snap}.unreadable-${Date.now()}`;
        renameSync(snap, this.movedAside);
      }
    }
    this.seq = snapSeq;
    const jf = join(this.dir, JOURNAL);
    if (!existsSync(jf)) return;
    const text = readFileSync(jf, 'utf8');
    this.journalBytes = Buffer.byteLength(text);
    this.tornTail = text.length > 0 && !text.endsWith('\n');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let rec: { s: number; op: string; c: string; k: string; v?: unknown };
      try {
        rec = JSON.parse(line);
      } catch {
        this.skippedLines++;
        continue;
      }
      if (typeof rec.s !== 'number' || rec.s <= snapSeq) continue;
      this.seq = Math.max(this.seq, rec.s);
      if (rec.op === 'put') this.coll(rec.c).set(rec.k, rec.v);
      else if (rec.op === 'del') this.coll(rec.c).delete(rec.k);
    }
  }

  private coll(name: string): Map<string, unknown> {
    const c = this.data.get(name);
    if (c) return c;
    const made = new Map<string, unknown>();
    this.data.set(name, made);
    return made;
  }

  get<T>(coll: string, key: string): T | undefined {
    return this.data.get(coll)?.get(key) as T | undefined;
  }

  /** The collection's entries (a live view: do not change it; use put/del). */
  all<T>(coll: string): ReadonlyMap<string, T> {
    return (this.data.get(coll) ?? new Map()) as ReadonlyMap<string, T>;
  }

  /** Changes memory now; durable after the next `flushed()`. Values must be JSON and are not copied. */
  put(coll: string, key: string, value: unknown): void {
    this.coll(coll).set(key, value);
    this.pending.push(JSON.stringify({ s: ++this.seq, op: 'put', c: coll, k: key, v: value }));
  }

  del(coll: string, key: string): void {
    if (!this.data.get(coll)?.has(key)) return;
    this.data.get(coll)!.delete(key);
    this.pending.push(JSON.stringify({ s: ++this.seq, op: 'del', c: coll, k: key }));
  }

  /** Resolves once every change made so far is on disk (fdatasync'ed). */
  flushed(): Promise<void> {
    const run = this.chain.catch(() => {}).then(() => this.writePending());
    this.chain = run;
    return run;
  }

  private async writePending(): Promise<void> {
    if (!this.pending.length) return;
    if (this.fd === undefined) throw new Error('the alumni state was opened read-only');
    const lines = this.pending;
    this.pending = [];
    try {
      const buf = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
      for (let off = 0; off < buf.length; ) off += (await writeFd(this.fd, buf, off, buf.length - off)).bytesWritten;
      if (this.opts.fsync ?? true) await datasyncFd(this.fd);
      this.journalBytes += buf.length;
    } catch (err) {
      this.pending = [...lines, ...this.pending]; // the next flush tries again (puts replay idempotently)
      throw err;
    }
    if (this.journalBytes >= COMPACT_BYTES) await this.rewrite();
  }

  /**
   * Writes the snapshot and empties the journal: after an erasure, the person's data must leave the
   * journal's old lines too, not only memory.
   */
  compact(): Promise<void> {
    const run = this.chain
      .catch(() => {})
      .then(async () => {
        await this.writePending();
        await this.rewrite();
      });
    this.chain = run;
    return run;
  }

  private async rewrite(): Promise<void> {
    if (this.fd === undefined) throw new Error('the alumni state was opened read-only');
    const data: Record<string, Record<string, unknown>> = {};
    for (const [c, m] of this.data) if (m.size) data[c] = Object.fromEntries(m);
    const fsync = this.opts.fsync ?? true;
    await writeFileAtomic(join(this.dir, SNAPSHOT), [JSON.stringify({ version: 1, seq: this.seq, data })], { fsync });
    await closeFd(this.fd);
    this.fd = undefined;
    await writeFileAtomic(join(this.dir, JOURNAL), [''], { fsync });
    this.fd = await openFd(join(this.dir, JOURNAL), 'a');
    this.journalBytes = 0;
  }

  async close(): Promise<void> {
    if (this.fd === undefined) return;
    await this.flushed().catch(() => {});
    await this.chain.catch(() => {});
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}
