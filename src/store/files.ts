// Small durable-file helpers for the store: atomic replace with fsync, and directory fsync.
import { open, rename } from 'node:fs/promises';
import { openSync, fsyncSync, closeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `chunks` to `file` so that after a crash or a power loss the file holds either the old
 * content or the whole new one: temp file → write → fdatasync → rename → fsync the directory.
 * (steno, lowdb's writer, does temp+rename without fsync: safe against kill -9, not against power
 * loss, where ext4/xfs may persist the rename before the data and leave an empty file.)
 */
export async function writeFileAtomic(file: string, chunks: Iterable<string> | AsyncIterable<string>, opts: { fsync: boolean }): Promise<number> {
  const tmp = join(dirname(file), `.${basename(file)}.tmp`);
  const fh = await open(tmp, 'w');
  let bytes = 0;
  try {
    let buf: string[] = [];
    let size = 0;
    for await (const c of chunks) {
      buf.push(c);
      size += c.length;
      if (size >= 1 << 20) {
        const b = Buffer.from(buf.join(''), 'utf8');
        bytes += b.length;
        await fh.write(b);
        buf = [];
        size = 0;
      }
    }
    if (buf.length) {
      const b = Buffer.from(buf.join(''), 'utf8');
      bytes += b.length;
      await fh.write(b);
    }
    if (opts.fsync) await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  if (opts.fsync) fsyncDir(dirname(file));
  return bytes;
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

/** Yields to the event loop, so a long serialisation does not stall message handling. */
export const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));
