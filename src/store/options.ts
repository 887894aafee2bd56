// The store's options and the shape `store.data` returns.
import type { Delivery, Post } from '../domain.ts';
import type { Counters, DigestRecord } from './hot-state.ts';

export interface StoreData {
  version: number;
  posts: Post[];
  digests: DigestRecord[];
  deliveries: Delivery[];
  counters: Counters;
}

/** Where the store reports what it skipped at open (pino's signature; a child logger fits). */
export interface StoreLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface StoreOptions {
  nearDuplicateDistance?: number;
  /** Posts stay in the hot state (memory, snapshot) until their whole month is older than this. Default 35. */
  hotDays?: number;
  /** fdatasync every acknowledged change (default true). */
  fsync?: boolean;
  /** Compaction starts once the journal holds this many bytes or as many as the last snapshot, whichever is more. */
  compactMinBytes?: number;
  now?: () => Date;
  /** Default: corrupt journal lines are written to stderr; torn tails (expected after a kill) are not. */
  logger?: StoreLogger;
}

export const stderrLogger: StoreLogger = {
  warn: (obj, msg) => void process.stderr.write(`alumni-relay store: ${msg} ${JSON.stringify(obj)}\n`),
  info: () => {},
};
