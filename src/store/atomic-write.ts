// The one way this project replaces a file: temp file → write → fdatasync → rename → fsync(directory).
// After a crash or a power cut the file holds either its old content or the whole new one; without the
// fdatasync, ext4/xfs may persist the rename before the data and leave an empty file (lowdb's steno and
// a plain writeFileSync both do that). The store (snapshot, archives, meta, backups) and the tokenizer's
// dictionary cache use it.
//
// The temp name carries the pid, so two processes writing the same file (the tokenizer cache is shared
// by every process of a user) never write into each other's temp file. A temp file left by a killed
// process is removed by `removeStaleTemps` (the store calls it when it compacts).
import { closeSync, fdatasyncSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** fdatasync the file and fsync its directory (default true). Off only for throwaway data. */
  fsync?: boolean;
}

const tempName = (file: string) => join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
const TEMP_RE = /^\.(.+)\.(\d+)\.tmp$/;

/** Buffers strings up to 1 MB per write; Uint8Array chunks (gzip output) go through as they are. */
export async function writeFileAtomic(
  file: string,
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
  opts: AtomicWriteOptions = {},
): Promise<number> {
  const tmp = tempName(file);
  const fh = await open(tmp, 'w');
  let bytes = 0;
  try {
    let buf: string[] = [];
    let size = 0;
    const flush = async () => {
      if (!buf.length) return;
      const b = Buffer.from(buf.join(''), 'utf8');
      bytes += b.length;
      await fh.write(b);
      buf = [];
      size = 0;
    };
    for await (const c of chunks) {
      if (typeof c === 'string') {
        buf.push(c);
        size += c.length;
        if (size >= 1 << 20) await flush();
      } else {
        await flush();
        bytes += c.length;
        await fh.write(c);
      }
    }
    await flush();
    if (opts.fsync ?? true) await fh.datasync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  if (opts.fsync ?? true) fsyncDir(dirname(file));
  return bytes;
}

/** The same for a small file written synchronously (a cache, the store's meta file). */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const tmp = tempName(file);
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'w');
  try {
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    if (opts.fsync ?? true) fdatasyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  if (opts.fsync ?? true) fsyncDir(dirname(file));
}

/** Makes a directory's entries (a created, renamed or removed file) durable. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the data itself is already synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** True while a process with this pid exists (EPERM: it exists but is not ours). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files in `dir` left by processes that no longer exist; returns how many. */
export function removeStaleTemps(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = TEMP_RE.exec(name);
    if (!m || Number(m[2]) === process.pid || pidExists(Number(m[2]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed++;
    } catch {
      // gone already
    }
  }
  return removed;
}

/** Whether `name` is one of this helper's temp files (backups and restores skip them). */
export const isTempFile = (name: string): boolean => TEMP_RE.test(name);
