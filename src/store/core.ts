// What the store's history operations (rollover.ts, retention.ts, backup.ts) need from a Store: its
// in-memory state, its archive, and a way to record a change. Internal to src/store.
import type { Archives } from './archives.ts';
import type { HotState } from './hot-state.ts';

export interface StoreCore {
  readonly state: HotState;
  readonly archives: Archives;
  readonly hotDays: number;
  now(): Date;
  /** Appends a change to the journal (the in-memory change is already made) and resolves once durable. */
  commit(record: { op: string; [k: string]: unknown }): Promise<void>;
  /** Resolves once every change appended so far is durable. */
  flushed(): Promise<void>;
  /** Rewrites the snapshot (waiting for one already running) so the journal forgets what it covers. */
  compact(): Promise<void>;
}
