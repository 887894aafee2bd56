// The backup file: gzip'ed JSON lines, one file.
//   line 1        {"alumniRelayBackup":1,"formatVersion":F,"createdAt":ISO,"seq":S,"counters":{…},"archive":{…}}
//   then          {"t":"digest","v":…} / {"t":"delivery","v":…} / {"t":"post","v":…}   the hot state as of seq S
//                 {"t":"file","name":"posts-2026-09.json","month":"2026-09"} then {"t":"item","v":…} per
//                 post or digest in that archive file
//                 {"t":"journal","v":{"s":…,"op":…}}   changes made while the backup was written (s > S);
//                 replayed after the rest, like the journal after a snapshot
//                 {"t":"side","path":"alumni/state.json","enc":"utf8"|"base64","data":…}   one per file of
//                 the side state (backup-side.ts); a backup from before they existed simply has none
//   last line     {"t":"end","lines":N,"sha256":H}   N lines before it, H the SHA-256 of their text
// gzip's CRC catches a damaged file, the end line a cut-short one; a restore reads it all before it moves
// anything into place.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import type { SideLine } from './backup-side.ts';

export const BACKUP_TAG = 'alumniRelayBackup';

export interface BackupHeader {
  alumniRelayBackup: 1;
  formatVersion: number;
  createdAt: string;
  seq: number;
  counters: Record<string, number>;
  archive: Record<string, number>;
}

export type BackupLine =
  | { t: 'digest' | 'delivery' | 'post' | 'item' | 'journal'; v: unknown }
  | { t: 'file'; name: string; month: string }
  | SideLine
  | { t: 'end'; lines: number; sha256: string };

/** Adds the end line (count + SHA-256 of everything before it) to a stream of lines. */
export async function* withTrailer(lines: AsyncIterable<string>): AsyncGenerator<string> {
  const hash = createHash('sha256');
  let n = 0;
  for await (const l of lines) {
    const line = `${l}\n`;
    hash.update(line);
    n++;
    yield line;
  }
  yield `${JSON.stringify({ t: 'end', lines: n, sha256: hash.digest('hex') })}\n`;
}

/** gzip over an async source of text; a failing source fails the iteration (no hang). */
export function gzipped(text: AsyncIterable<string>): AsyncIterable<Buffer> {
  const gz = createGzip();
  pipeline(Readable.from(text), gz, () => {}); // an error destroys gz, which ends our iteration with it
  return gz;
}

/** The lines of a gzip'ed file; a damaged or cut-short gzip stream throws. */
export async function* gunzippedLines(file: string): AsyncGenerator<string> {
  const gunzip = createGunzip();
  pipeline(createReadStream(file), gunzip, () => {});
  const utf8 = new StringDecoder('utf8'); // a chunk may end inside a character
  let carry = '';
  for await (const chunk of gunzip as AsyncIterable<Buffer>) {
    const text = carry + utf8.write(chunk);
    const parts = text.split('\n');
    carry = parts.pop()!;
    yield* parts;
  }
  carry += utf8.end();
  if (carry) yield carry;
}
