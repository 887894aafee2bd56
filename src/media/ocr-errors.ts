// Why an image gave no text. One class, a code to branch on, a message fit for a log line (never the image).
import type { RefusalReason } from './image-check.ts';

export type OcrErrorCode =
  | 'refused' // the image failed the checks before decoding (see `reason`)
  | 'queue-full' // too many images waiting: try later
  | 'timeout' // the engine took longer than the per-image limit (its process was recycled)
  | 'memory' // the engine's process went over its memory cap (recycled)
  | 'crashed' // the engine's process died mid-job
  | 'engine' // the engine could not load, or could not read this image
  | 'stopped'; // the service was stopped

export class OcrError extends Error {
  constructor(
    readonly code: OcrErrorCode,
    message: string,
    /** Why: a refusal before decoding, or 'undecodable' when the engine's decoder could not read the image (broken file). */
    readonly reason?: RefusalReason | 'undecodable',
  ) {
    super(message);
    this.name = 'OcrError';
  }
  /** Worth trying the same image again later (the engine, not the image, was the problem). */
  get retryable(): boolean {
    return this.code === 'queue-full' || this.code === 'crashed' || this.code === 'stopped';
  }
}
