// One picture from its platform to the data directory: the adapter's fetchMedia (its own byte cap and
// timeout), our own deadline over it, checkImage before anything is kept, then the file (media-files.ts).
// What happened is written into the job's picture (JobImage); a refusal is final, a failed download is not.
import { AdapterError } from '../ports.ts';
import type { ChatAdapter } from '../ports.ts';
import { checkImage, type ImageLimits } from './image-check.ts';
import { MIME, saveMediaFile } from './media-files.ts';
import type { JobImage } from './media-queue.ts';

export type Fetcher = Pick<ChatAdapter, 'fetchMedia'> | undefined;
export type Downloaded = { bytes: Buffer; mime?: string };

/** A download that did not finish within the deadline: it may still finish later (see `inflight`). */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/** `p`, or a DeadlineError after `ms`. The loser keeps running; its result is not lost to whoever holds `p`. */
export function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`not downloaded within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Starts a download (never throws synchronously). */
export function startDownload(adapter: Fetcher, ref: string, maxBytes: number): Promise<Downloaded> {
  if (!adapter?.fetchMedia) return Promise.reject(new AdapterError('local', 'fetchMedia', 'this platform cannot download pictures', { permanent: true }));
  try {
    return adapter.fetchMedia(ref, { maxBytes });
  } catch (err) {
    return Promise.reject(err);
  }
}

/** What a failed download means for the picture: final (too big, gone, not a picture) or worth another try. */
export function downloadFailure(err: unknown): { final: boolean; why: string } {
  if (err instanceof AdapterError) return { final: err.permanent, why: err.message };
  if (err instanceof DeadlineError) return { final: false, why: err.message };
  return { final: false, why: `download failed: ${err instanceof Error ? err.message : String(err)}` };
}

/**
 * Checks downloaded bytes and keeps them: the picture gets its file, type and size, or `dropped` with the
 * refusal (too large, not an image, a bomb, a header with no size). Returns the refusal message, if any.
 */
export async function keepPicture(dataDir: string, img: JobImage, got: Downloaded, limits: ImageLimits): Promise<string | undefined> {
  const check = checkImage(got.bytes, limits);
  if (!check.ok) {
    img.dropped = check.message;
    return check.message;
  }
  const saved = await saveMediaFile(dataDir, got.bytes, check.type);
  img.file = saved.file;
  img.created = saved.created;
  img.mime = MIME[check.type];
  img.bytes = check.bytes;
  img.width = check.width;
  img.height = check.height;
  return undefined;
}
