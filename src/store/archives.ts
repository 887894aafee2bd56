// The archive: one lowdb file per month of posts (archive/posts-YYYY-MM.json) and one per month of
// finished digests (archive/digests-YYYY-MM.json), each written atomically and read whole (a month is in
// memory only while it is used). A file that cannot be read fails with a StoreError naming it.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Delivery, Post } from '../domain.ts';
import { fsyncDir } from './atomic-write.ts';
import { shownPath, StoreError } from './errors.ts';
import { forEachLine, lowFile } from './files.ts';
import type { DigestRecord } from './hot-state.ts';

export const ARCHIVE_DIR = 'archive';
export const POSTS_FILE_RE = /^posts-(\d{4}-\d{2})\.json$/;
export const DIGESTS_FILE_RE = /^digests-(\d{4}-\d{2})\.json$/;

/** What an archive file holds: one month's posts, or one month's finished digests. */
export interface ArchiveFile {
  version: 1;
  month: string;
  posts?: Post[];
  digests?: ArchivedDigest[];
}

export interface ArchivedDigest extends DigestRecord {
  deliveries: (Omit<Delivery, 'parts'> & { partCount: number })[];
}

/** The month an archive file name is about, and whether it holds posts. */
export function archiveMonthOf(name: string): { month: string; posts: boolean } | undefined {
  const p = POSTS_FILE_RE.exec(name);
  if (p) return { month: p[1]!, posts: true };
  const d = DIGESTS_FILE_RE.exec(name);
  return d ? { month: d[1]!, posts: false } : undefined;
}

export class Archives {
  constructor(
    readonly dir: string,
    private readonly fsync: boolean,
  ) {}

  /** One archive file through lowdb (a fresh `Low` per use). */
  private db(file: string) {
    return lowFile<ArchiveFile>(join(this.dir, file), { fsync: this.fsync, lines: ['posts', 'digests'] });
  }

  /** Archive file names (posts and digests), in no particular order. */
  files(): string[] {
    try {
      return readdirSync(this.dir).filter((f) => archiveMonthOf(f) !== undefined);
    } catch {
      return [];
    }
  }

  readSync(file: string): ArchiveFile | undefined {
    const db = this.db(file);
    let data: ArchiveFile | null;
    try {
      data = db.adapter.readSync();
    } catch (err) {
      throw archiveError(join(this.dir, file), err);
    }
    if (data === null) return undefined;
    if (typeof data !== 'object' || Array.isArray(data) || (data.posts !== undefined && !Array.isArray(data.posts)) || (data.digests !== undefined && !Array.isArray(data.digests))) {
      throw archiveError(join(this.dir, file), new Error(`${shownPath(join(this.dir, file))} is valid JSON but not an archive file`));
    }
    return data;
  }

  /**
   * Calls `fn` with each post of an archive file, parsing one line at a time, so that no month's array is
   * ever whole in memory (reading every month that way once kept ≈ 200 MB of garbage alive at start).
   * `fn` returning `false` pauses (anything else goes on): the result is then the byte offset to go on
   * from (as `from`), else undefined once the file is done. Files in any other layout than the one
   * `serialise` writes are read whole, as before, and cannot pause.
   */
  forEachPost(file: string, fn: (post: Post) => unknown, from = 0): number | undefined {
    const path = join(this.dir, file);
    if (!existsSync(path)) return undefined;
    let key: string | undefined = from > 0 ? 'posts' : undefined; // a later slice starts inside the posts
    let streamed = true;
    let pausedAt: number | undefined;
    try {
      forEachLine(
        path,
        (line, complete, next) => {
          const opener = /"(\w+)":\[$/.exec(line);
          if (opener) {
            if (key === undefined && !line.startsWith('{')) return (streamed = false);
            key = opener[1];
            return true;
          }
          if (key === undefined) return (streamed = false); // not our layout: read it whole below
          if (!complete || !line.startsWith('{')) return true; // `]}` or a torn tail (caught by open)
          if (key === 'posts' && fn(JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as Post) === false) {
            pausedAt = next;
            return false;
          }
          return true;
        },
        from,
      );
    } catch (err) {
      throw archiveError(path, err);
    }
    if (!streamed) for (const p of this.readSync(file)?.posts ?? []) fn(p);
    return pausedAt;
  }

  /** Changes whenever the file is written (each write replaces it): a paused read compares it before going on. */
  stamp(file: string): string | undefined {
    try {
      const st = statSync(join(this.dir, file));
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return undefined;
    }
  }

  async read(file: string): Promise<ArchiveFile | undefined> {
    return this.readSync(file);
  }

  async write(file: string, data: ArchiveFile): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const db = this.db(file);
    db.data = data;
    await db.write();
  }

  remove(file: string): void {
    try {
      unlinkSync(join(this.dir, file));
      if (this.fsync) fsyncDir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** Writes a month's posts into its archive file (merged by id with what is there); returns the file's post count. */
  async addPosts(month: string, posts: Post[]): Promise<number> {
    const file = `posts-${month}.json`;
    const merged = new Map(((await this.read(file))?.posts ?? []).map((p) => [p.id, p]));
    for (const p of posts) merged.set(p.id, p);
    const list = [...merged.values()].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    await this.write(file, { version: 1, month, posts: list });
    return list.length;
  }
}

/** An archive file that cannot be read: its month exists only there and in backups. */
function archiveError(file: string, err: unknown): StoreError {
  const what = err instanceof StoreError ? err.message : `${shownPath(file)} cannot be read (${(err as Error).message})`;
  const aside = shownPath(file);
  return new StoreError(
    file,
    `${what}. That month's archive is kept nowhere else: restore it from a backup (alumni-relay restore <backup-file> into an empty directory, then copy ${aside.split(/[\\/]/).pop()} back), or move it aside to run without that month (mv ${aside} ${aside}.bad)`,
    { cause: err },
  );
}

/**
 * A cheap check at open that a month's archive file was written to the end (it ends with `}`), without
 * reading it: a truncated archive is named at start, not months later when someone reads that month.
 */
export function checkArchiveEnd(dir: string, file: string): void {
  const path = join(dir, file);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(64, size));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    if (!tail.toString('latin1').trimEnd().endsWith('}')) {
      throw archiveError(path, new StoreError(path, `${shownPath(path)} is not valid JSON (it ends before the JSON does: the file was cut short)`));
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // moved aside: that month reads as empty
    throw err instanceof StoreError ? err : archiveError(path, err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
