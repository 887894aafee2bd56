// The pictures waiting to be read, kept on disk so that a message acknowledged to its platform is never lost
// while its OCR is still to come: `<dataDir>/media/queue.jsonl`, a DurableQueue (src/durable-queue.ts: every
// change fdatasync'ed before it resolves, a torn last line skipped, rewritten small).
import { join } from 'node:path';
import type { InboundMessage } from '../domain.ts';
import { DurableQueue, replayJobs } from '../durable-queue.ts';
import type { JobLink } from './intake-link.ts';

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

const isJob = (x: unknown): x is MediaJob => {
  const j = x as MediaJob | null;
  return !!j && typeof j === 'object' && typeof j.id === 'string' && !!j.message && Array.isArray(j.images);
};

/** Parses the queue file: the live jobs in the order they were first put. Unreadable lines are skipped. */
export const replayQueue = (text: string): Map<string, MediaJob> => replayJobs(text, isJob);

export type MediaQueue = DurableQueue<MediaJob>;
export const MediaQueue = {
  /** Opens (or creates) the queue under `mediaDir`, rewritten with only its live jobs. Synchronous: called at start. */
  open: (mediaDir: string, opts: { fsync?: boolean } = {}): MediaQueue => DurableQueue.open(join(mediaDir, QUEUE_FILE), isJob, opts),
};
