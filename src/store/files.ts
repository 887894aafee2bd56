// The store's JSON file layer: lowdb's `Low` over a durable adapter (atomic replace with fsync, written
// and read one array element per line), plus directory fsync.
//
// WHY NOT lowdb's JSONFile: its writer (steno) replaces the file with temp + rename but never fsyncs, so
// after a power cut ext4/xfs may persist the rename before the data and leave an empty file; and it
// serialises the whole document into one string per write (hundreds of MB for a big history). This
// adapter keeps lowdb's contract (`read(): Promise<T | null>`, `write(data): Promise<void>`) and:
//   - writes through atomic-write.ts (temp file → fdatasync → rename → fsync(dir)), streaming the arrays named in `lines` one element
//     per line and yielding to the event loop between chunks, so a big write neither blocks message
//     handling nor holds the whole JSON text in memory;
//   - reads such a file line by line, 1 MB at a time, so neither the JSON text nor the file's bytes ever
//     exist in one piece (a whole-file read + JSON.parse of a 12 MB snapshot left ≈ 30 MB more RSS: the
//     big string and the big malloc both outlive the parse). Any other JSON file (a lowdb-era
//     relay.db.json, a hand-edited one) is read whole.
// The file is still one plain JSON document; `JSON.parse(readFileSync(file))` reads it.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { Low, type Adapter } from 'lowdb';
import { writeFileAtomic } from './atomic-write.ts';
import { lineAt, parsePosition, parseReason, shownPath, StoreError } from './errors.ts';
import { jsonErrorOffset } from './json-error-position.ts';

export interface DurableJsonFileOptions {
  /** fdatasync the file and fsync its directory (default true). */
  fsync?: boolean;
  /** Top-level array properties written one element per line, after the other properties, in this order. */
  lines?: readonly string[];
}

/** A lowdb adapter: durable atomic writes, line-by-line reads. `read` resolves null when the file is missing. */
export class DurableJsonFile<T extends object> implements Adapter<T | null> {
  private readonly fsync: boolean;
  private readonly lines: readonly string[];

  constructor(
    readonly file: string,
    opts: DurableJsonFileOptions = {},
  ) {
    this.fsync = opts.fsync ?? true;
    this.lines = opts.lines ?? [];
  }

  async read(): Promise<T | null> {
    return this.readSync();
  }

  /** The same as `read`, for the store's synchronous accessors. */
  readSync(): T | null {
    try {
      return readJsonLines(this.file) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async write(data: T | null): Promise<void> {
    if (data) await this.writeCounted(data);
  }

  /** Writes `data`; returns the bytes written. */
  async writeCounted(data: T): Promise<number> {
    return writeFileAtomic(this.file, serialise(data as Record<string, unknown>, this.lines), { fsync: this.fsync });
  }
}

/** A `Low` holding one durable JSON file (data is null until read, or when the file is missing). */
export function lowFile<T extends object>(file: string, opts: DurableJsonFileOptions = {}): Low<T | null> & { adapter: DurableJsonFile<T> } {
  return new Low<T | null>(new DurableJsonFile<T>(file, opts), null) as Low<T | null> & { adapter: DurableJsonFile<T> };
}

/**
 * `{"a":1,"posts":[` / one element per line, each but the last followed by a comma / `]}` — or, with
 * several line arrays, `],"next":[` between them. Elements are serialised as they are reached.
 */
async function* serialise(data: Record<string, unknown>, lines: readonly string[]): AsyncGenerator<string> {
  const arrays = lines.filter((k) => Array.isArray(data[k]));
  const head: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (!arrays.includes(k)) head[k] = v;
  if (arrays.length === 0) {
    yield `${JSON.stringify(head)}\n`;
    return;
  }
  const headJson = JSON.stringify(head);
  yield headJson === '{}' ? '{' : `${headJson.slice(0, -1)},`;
  let n = 0;
  for (const [i, key] of arrays.entries()) {
    yield `${i ? '],' : ''}${JSON.stringify(key)}:[\n`;
    const items = data[key] as unknown[];
    for (let j = 0; j < items.length; j++) {
      yield `${JSON.stringify(items[j])}${j < items.length - 1 ? ',' : ''}\n`;
      if (++n % 256 === 0) await yieldToLoop();
    }
  }
  yield ']}\n';
}

const CHUNK = 1 << 20;

/** forEachLine's read buffer, kept between calls (a call made from inside `fn` gets a buffer of its own). */
let spare: Buffer | undefined;

/**
 * Calls `fn` with each line of `file` (without its newline; `complete` is false only for a last piece
 * with no newline) until `fn` returns false. Reads 1 MB at a time: a file-sized Buffer would be one
 * big malloc that glibc keeps in the process (≈ 25 MB of RSS measured over a 12 MB snapshot).
 * One buffer serves every call: the unfinished line at the end of a read is moved to its front and the
 * next read goes after it (it grows only for a line longer than itself). Joining the rest of each read to
 * the next with Buffer.concat made a new 1 MB buffer per megabyte read: reading the console's archive of
 * 100k posts at start left ≈ 50 MB of them for the GC, at the relay's RSS peak (bench, 2026-12).
 * `next` is the byte offset just past each line; a later call given it as `from` goes on from there.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing means "go on", so plain statements serve as `fn`
export function forEachLine(file: string, fn: (line: string, complete: boolean, next: number) => boolean | void, from = 0): void {
  const fd = openSync(file, 'r');
  let buf = spare ?? Buffer.allocUnsafe(CHUNK);
  spare = undefined;
  try {
    let have = 0; // bytes of an unfinished line at buf[0, have)
    let pos = from; // the file offset of the next read
    for (;;) {
      if (buf.length - have < CHUNK / 2) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const n = readSync(fd, buf, have, buf.length - have, pos);
      if (n === 0) break;
      pos += n;
      const end = have + n;
      const base = pos - end; // the file offset of buf[0]
      const data = buf.subarray(0, end); // past `end` is an earlier read's bytes
      let start = 0;
      for (let nl = data.indexOf(0x0a, have); nl >= 0; nl = data.indexOf(0x0a, start)) {
        if (fn(data.toString('utf8', start, nl), true, base + nl + 1) === false) return;
        start = nl + 1;
      }
      if (start >= end) have = 0;
      else {
        buf.copy(buf, 0, start, end);
        have = end - start;
      }
    }
    if (have) fn(buf.toString('utf8', 0, have), false, pos);
  } finally {
    closeSync(fd);
    if (buf.length === CHUNK) spare = buf; // a grown one goes to the GC
  }
}

/**
 * Reads a JSON document written as `serialise` writes it, one line at a time; anything else (or a line
 * that does not fit the layout) is parsed whole, so any valid JSON file reads. A file that is not valid
 * JSON throws a StoreError naming the file and the line (never a bare SyntaxError).
 */
export function readJsonLines(file: string): unknown {
  let obj: Record<string, unknown> | undefined;
  let arr: unknown[] = [];
  let state = 'start' as 'start' | 'items' | 'done' | 'other';
  try {
    forEachLine(file, (line, complete) => {
      if (state === 'done') {
        if (line.trim() !== '') state = 'other';
        return state === 'done';
      }
      if (!complete) {
        state = 'other';
        return false;
      }
      try {
        if (state === 'start') {
          if (!line.endsWith('[')) {
            state = 'other';
            return false;
          }
          obj = JSON.parse(`${line}]}`) as Record<string, unknown>;
          arr = obj[Object.keys(obj).at(-1)!] as unknown[];
          state = 'items';
        } else if (line.startsWith(']')) {
          const rest = line.slice(1).trim();
          if (rest === '}') state = 'done';
          else if (rest.startsWith(',') && rest.endsWith('[')) {
            const more = JSON.parse(`{${rest.slice(1)}]}`) as Record<string, unknown>;
            Object.assign(obj!, more);
            arr = obj![Object.keys(more).at(-1)!] as unknown[];
          } else {
            state = 'other';
            return false;
          }
        } else if (line !== '') {
          arr.push(JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line));
        }
      } catch {
        state = 'other'; // the whole parse below says where
        return false;
      }
      return true;
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw unreadable(file, err);
    state = 'other';
  }
  if ((state as string) === 'done') return obj;
  // Not our layout, or truncated or damaged (then the whole parse says where).
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const pos = parsePosition(err) ?? (/end of JSON input/.test(parseReason(err)) ? undefined : jsonErrorOffset(text));
    const reason = parseReason(err);
    let where: string;
    if (pos !== undefined && text.slice(pos).trim() !== '') where = ` at line ${lineAt(text, pos).line} (${reason})`;
    else if (pos !== undefined || /end of JSON input/.test(reason)) where = `: it ends at line ${lineAt(text, text.length).line} before the JSON does (the file was cut short)`;
    else where = ` (${reason})`;
    throw new StoreError(file, `${shownPath(file)} is not valid JSON${where}`, { cause: err });
  }
}

/** An I/O error (ENOENT passes through: callers treat a missing file as empty). */
function unreadable(file: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return err;
  return new StoreError(file, `${shownPath(file)} cannot be read (${code ?? parseReason(err)})`, { cause: err });
}

/** Yields to the event loop, so a long serialisation does not stall message handling. */
export const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));
