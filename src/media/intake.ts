// Pictures into the pipeline. A message with pictures from an alumni group is made durable first and read later:
// `accept` downloads its pictures within a short deadline (Lark wants an answer within 3 s, and the adapters
// acknowledge when onMessage resolves), checks and keeps them under <dataDir>/media/, records a job in the
// fdatasync'ed queue (media-queue.ts) and returns. The worker then reads each picture (OCR in its own process,
// one at a time), composes caption + poster text and hands that to the pipeline with the pictures; only then is
// the job removed. Pending jobs are resumed after a restart.
//   - a download that misses the deadline keeps its ref in the job, and the worker fetches it;
//   - a refused picture (too big, not an image, a bomb, a broken file, gone from the platform) is logged once
//     and left out, never retried;
//   - a failed download or OCR is retried `maxFailures` times with doubling delays, then logged and left out;
//   - a store that cannot write is retried with capped backoff (the job stays until the post is durable).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InboundMessage, Platform, PostImage } from '../domain.ts';
import type { Logger } from '../log.ts';
import type { Outcome } from '../pipeline.ts';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-check.ts';
import { DeadlineError, downloadFailure, keepPicture, startDownload, withDeadline, type Downloaded, type Fetcher } from './intake-fetch.ts';
import { hostOf, linkToRead, readLink } from './intake-link.ts';
import { fetchLinkText, type LinkFetchOptions, type LinkFetchResult } from './link-fetch.ts';
import { mediaDir, removeMediaFile } from './media-files.ts';
import { jobId, MediaQueue, type JobImage, type MediaJob } from './media-queue.ts';
import { OcrError } from './ocr-errors.ts';
import type { OcrService } from './ocr-service.ts';

export interface MediaIntakeOptions {
  dataDir: string;
  logger: Logger;
  /** The adapter serving a platform (its fetchMedia). */
  adapterFor: (platform: Platform) => Fetcher;
  /** The OCR service; called on the first picture to read (the engine loads then, not before). */
  ocr: () => OcrService;
  /** stop() stops the service `ocr` gave (default true; false when it is shared). */
  ownsOcr?: boolean;
  /** The composed message into the pipeline (and its hooks). Throws when the post could not be made durable. */
  handle: (message: InboundMessage, media: PostImage[]) => Promise<Outcome>;
  /** Whether a stored post names this picture file (a file no post keeps is removed when its job ends). */
  postUses: (file: string) => boolean;
  /** Read pictures (default true; false: only articles are taken in). */
  pictures?: boolean;
  /** Article links to read (rules defaults.fetchLinks as fetchLinkText's options), asked per message; undefined = off. */
  links?: () => LinkFetchOptions | undefined;
  /** Default fetchLinkText. */
  fetchLink?: (url: string, options: LinkFetchOptions) => Promise<LinkFetchResult>;
  /** Whether this message is stored already (a redelivery): then nothing is downloaded again. */
  seen?: (message: InboundMessage) => boolean;
  limits?: ImageLimits;
  /**
   * accept()'s whole download budget. Default 2 s: 2026-11, Lark wants HTTP 200 within 3 s and advises doing slow
   * work after answering (https://open.feishu.cn/document/event-subscription-guide/event-subscriptions/event-callback-optimization-guide).
   */
  acceptTimeoutMs?: number;
  /** The worker's download deadline. Default 60 s. */
  fetchTimeoutMs?: number;
  /** Failed downloads or OCR attempts of one picture before it is left out. Default 4. */
  maxFailures?: number;
  /** First retry delay, doubling. Default 5 s; at most 10 min. */
  retryBaseMs?: number;
  /** Pictures read per message (a post may hold many). Default 9. */
  maxImages?: number;
  now?: () => number;
  /** fdatasync the queue (default true). */
  fsync?: boolean;
}

const MAX_DELAY_MS = 600_000;
/** Where a picture came from, for log lines (never its content, never the ref's URL). */
const where = (m: InboundMessage) => ({ platform: m.platform, chat: m.chatId, messageId: m.id });
/** A post keeps pictures that are kept on disk and were not refused. */
const keptMedia = (job: MediaJob): PostImage[] =>
  job.images
    .filter((i): i is JobImage & { file: string } => !!i.file)
    .map((i) => ({ file: i.file, mime: i.mime ?? 'application/octet-stream', bytes: i.bytes ?? 0, ...(i.width ? { width: i.width } : {}), ...(i.height ? { height: i.height } : {}) }));

/** Caption first, then each picture's text, as paragraphs. */
export function composeText(caption: string, texts: readonly string[]): string {
  return [caption.trim(), ...texts.map((t) => t.trim())].filter(Boolean).join('\n\n');
}

export class MediaIntake {
  readonly queue: MediaQueue;
  private readonly o: Required<Pick<MediaIntakeOptions, 'acceptTimeoutMs' | 'fetchTimeoutMs' | 'maxFailures' | 'retryBaseMs' | 'maxImages'>> & { limits: ImageLimits; now: () => number };
  /** Downloads that missed accept()'s deadline, still running: the worker takes their result. */
  private readonly inflight = new Map<string, Promise<Downloaded>>();
  private readonly accepting = new Map<string, Promise<void>>();
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private ocrService: OcrService | undefined;

  constructor(private readonly opts: MediaIntakeOptions) {
    this.queue = MediaQueue.open(mediaDir(opts.dataDir), { fsync: opts.fsync });
    this.o = {
      acceptTimeoutMs: opts.acceptTimeoutMs ?? 2000,
      fetchTimeoutMs: opts.fetchTimeoutMs ?? 60_000,
      maxFailures: opts.maxFailures ?? 4,
      retryBaseMs: opts.retryBaseMs ?? 5000,
      maxImages: opts.maxImages ?? 9,
      limits: opts.limits ?? DEFAULT_IMAGE_LIMITS,
      now: opts.now ?? Date.now,
    };
  }

  /** A message with pictures (any intake may read them). */
  static hasPictures(m: InboundMessage): boolean {
    return !!m.media?.some((x) => x?.kind === 'image' && typeof x.ref === 'string' && x.ref !== '');
  }

  /** A message this intake takes: pictures to read, or an article to read. (The caller checks it comes from a source group.) */
  wants(m: InboundMessage): boolean {
    if (this.opts.pictures !== false && MediaIntake.hasPictures(m)) return true;
    // Most messages carry no link card: the rules' options are not even looked at for them.
    return m.linkCard?.url !== undefined && linkToRead(m, this.opts.links?.()) !== undefined;
  }

  /** Jobs waiting (on disk). */
  pending(): number {
    return this.queue.size;
  }

  /** Picture files that pending jobs name (the retention sweep must keep them). */
  filesInUse(): Set<string> {
    const out = new Set<string>();
    for (const job of this.queue.list()) for (const i of job.images) if (i.file) out.add(i.file);
    return out;
  }

  /**
   * Makes a picture message durable: resolves once its job is on disk (the adapter may acknowledge then);
   * rejects only when the job could not be written (then the platform should deliver the message again).
   */
  accept(m: InboundMessage): Promise<void> {
    const id = jobId(m);
    if (this.queue.get(id) || this.opts.seen?.(m)) return Promise.resolve();
    let p = this.accepting.get(id);
    if (!p) {
      p = this.acceptNew(id, m).finally(() => this.accepting.delete(id));
      this.accepting.set(id, p);
    }
    return p;
  }

  private async acceptNew(id: string, m: InboundMessage): Promise<void> {
    const log = this.opts.logger;
    const refs = this.opts.pictures === false ? [] : (m.media ?? []).filter((x) => x?.kind === 'image' && typeof x.ref === 'string' && x.ref !== '');
    if (refs.length > this.o.maxImages) log.warn({ ...where(m), pictures: refs.length, read: this.o.maxImages }, `message has ${refs.length} pictures; only the first ${this.o.maxImages} are read`);
    const images: JobImage[] = refs.slice(0, this.o.maxImages).map((r) => ({ ref: r.ref, ...(r.mime ? { mime: r.mime } : {}) }));
    const adapter = this.opts.adapterFor(m.platform);
    await Promise.all(
      images.map(async (img, i) => {
        const declared = refs[i]!.bytes;
        if (typeof declared === 'number' && declared > this.o.limits.maxBytes) {
          this.drop(m, img, `image refused: ${declared} bytes declared, over the ${(this.o.limits.maxBytes / 1048576).toFixed(1)} MB limit`);
          return;
        }
        const download = startDownload(adapter, img.ref, this.o.limits.maxBytes);
        try {
          const got = await withDeadline(download, this.o.acceptTimeoutMs);
          const refused = await keepPicture(this.opts.dataDir, img, got, this.o.limits);
          if (refused) this.drop(m, img, refused);
        } catch (err) {
          if (err instanceof DeadlineError) {
            // Still running: the worker takes its result instead of downloading again.
            this.inflight.set(`${id}#${i}`, download);
            download.catch(() => {});
            log.info({ ...where(m) }, 'picture not downloaded within the answer deadline; it is fetched in the background');
            return;
          }
          const f = downloadFailure(err);
          if (f.final) this.drop(m, img, f.why);
          else {
            img.failures = 1;
            log.warn({ ...where(m) }, `picture not downloaded yet (${f.why}); it is tried again in the background`);
          }
        }
      }),
    );
    const url = linkToRead(m, this.opts.links?.());
    const job: MediaJob = { id, message: m, images, ...(url ? { link: { url } } : {}), notBefore: this.o.now(), createdAt: new Date(this.o.now()).toISOString() };
    await this.queue.put(job);
    this.kick();
  }

  /** Starts the worker: pending jobs (from before a restart too) first. */
  start(): void {
    if (this.running !== undefined) return;
    this.stopped = false;
    if (this.queue.size) this.opts.logger.info({ pending: this.queue.size }, 'resuming pictures waiting to be read');
    this.running = this.loop();
  }

  /** Resolves when no job is waiting (for tests and drills); rejects after `ms`. */
  async drained(ms = 60_000): Promise<void> {
    const end = Date.now() + ms;
    while (this.queue.size || this.accepting.size) {
      if (Date.now() > end) throw new Error(`pictures still waiting after ${ms} ms: ${this.queue.size}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops the worker (a picture being read is read again after the restart) and closes the queue. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await Promise.allSettled([...this.accepting.values()]);
    // An OCR in progress is not waited for: the service's own stop rejects it with 'stopped', the job stays.
    if (this.opts.ownsOcr !== false) await this.ocrService?.stop();
    await this.running;
    this.running = undefined;
    await this.queue.close();
  }

  private kick(): void {
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const now = this.o.now();
      const jobs = this.queue.list();
      const due = jobs.find((j) => j.notBefore <= now);
      if (!due) {
        const next = jobs.reduce((min, j) => Math.min(min, j.notBefore), Number.POSITIVE_INFINITY);
        await new Promise<void>((resolve) => {
          const timer = Number.isFinite(next) ? setTimeout(resolve, Math.max(10, next - now)) : undefined;
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        continue;
      }
      try {
        await this.work(due);
      } catch (err) {
        // A bug or a disk that cannot take the queue's line: the job stays; try it again later.
        this.opts.logger.error({ err, ...where(due.message) }, 'picture job failed; it is tried again later');
        due.notBefore = this.o.now() + this.o.retryBaseMs;
      }
    }
  }

  private ocr(): OcrService {
    this.ocrService ??= this.opts.ocr();
    return this.ocrService;
  }

  private drop(m: InboundMessage, img: JobImage, why: string): void {
    img.dropped = why;
    if (img.file && img.created && !this.opts.postUses(img.file) && !this.otherJobUses(jobId(m), img.file)) removeMediaFile(this.opts.dataDir, img.file);
    delete img.file;
    this.opts.logger.warn({ ...where(m) }, `picture left out: ${why}`);
  }

  /** Counts a failure of one picture: backs the job off, or leaves the picture out after too many. */
  private async failed(job: MediaJob, img: JobImage, why: string, keepFile: boolean): Promise<'retry' | 'dropped'> {
    img.failures = (img.failures ?? 0) + 1;
    if (img.failures >= this.o.maxFailures) {
      img.dropped = `${why} (${img.failures} attempts)`;
      if (!keepFile) delete img.file;
      this.opts.logger.error({ ...where(job.message), attempts: img.failures }, `picture left out after ${img.failures} failed attempts: ${why}`);
      return 'dropped';
    }
    const delay = Math.min(MAX_DELAY_MS, this.o.retryBaseMs * 2 ** (img.failures - 1));
    job.notBefore = this.o.now() + delay;
    this.opts.logger.warn({ ...where(job.message), attempt: img.failures, retryInMs: delay }, `picture will be tried again: ${why}`);
    await this.queue.put(job);
    return 'retry';
  }

  /** One step of a job: each picture downloaded and read, then the pipeline. Returns early to back off. */
  private async work(job: MediaJob): Promise<void> {
    const m = job.message;
    for (const [i, img] of job.images.entries()) {
      if (img.dropped || img.text !== undefined) continue;
      if (!img.file) {
        const key = `${job.id}#${i}`;
        const download = this.inflight.get(key) ?? startDownload(this.opts.adapterFor(m.platform), img.ref, this.o.limits.maxBytes);
        this.inflight.delete(key);
        try {
          const got = await withDeadline(download, this.o.fetchTimeoutMs);
          const refused = await keepPicture(this.opts.dataDir, img, got, this.o.limits);
          if (refused) this.drop(m, img, refused);
        } catch (err) {
          const f = downloadFailure(err);
          if (f.final) this.drop(m, img, f.why);
          else if ((await this.failed(job, img, f.why, false)) === 'retry') return;
        }
        await this.queue.put(job);
        if (img.dropped) continue;
      }
      if (this.stopped) return;
      const file = img.file!;
      let bytes: Buffer;
      try {
        bytes = await readFile(join(mediaDir(this.opts.dataDir), file));
      } catch (err) {
        this.drop(m, img, `its kept file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        await this.queue.put(job);
        continue;
      }
      try {
        const r = await this.ocr().recognize(bytes, { platform: m.platform, chatId: m.chatId, messageId: m.id });
        img.text = r.text;
        this.opts.logger.info({ ...where(m), chars: r.text.length, ocrMs: r.ms, waitMs: r.waitMs }, 'picture read');
      } catch (err) {
        const e = err instanceof OcrError ? err : new OcrError('engine', `OCR failed: ${String(err)}`);
        if (this.stopped) return; // the relay is stopping: the picture is read after the restart
        if (e.code === 'refused' || e.reason === 'undecodable') this.drop(m, img, e.message);
        else if ((await this.failed(job, img, e.message, true)) === 'retry') return;
      }
      await this.queue.put(job);
    }
    const link = job.link;
    if (link && link.text === undefined && link.dropped === undefined) {
      if (this.stopped) return;
      const fetch = this.opts.fetchLink ?? fetchLinkText;
      const read = await readLink(link.url, (url) => fetch(url, this.opts.links?.() ?? { enabled: false, hosts: [] }));
      Object.assign(link, read);
      if ('dropped' in read) this.opts.logger.warn({ ...where(m), host: hostOf(link.url) }, `article not read: ${read.dropped}; the card's text is used`);
      else this.opts.logger.info({ ...where(m), host: hostOf(link.url), chars: read.text.length }, 'article read');
      await this.queue.put(job);
    }
    await this.finish(job);
  }

  /** Every picture is read or left out: the composed message goes into the pipeline; then the job ends. */
  private async finish(job: MediaJob): Promise<void> {
    const m = job.message;
    const texts = [...job.images.map((i) => i.text ?? ''), job.link?.text ?? ''].filter(Boolean);
    const text = composeText(m.text, texts);
    const media = keptMedia(job);
    let outcome: Outcome | 'empty' = 'empty';
    if (text) {
      try {
        outcome = await this.opts.handle({ ...m, text }, media);
      } catch (err) {
        job.storeFailures = (job.storeFailures ?? 0) + 1;
        job.notBefore = this.o.now() + Math.min(MAX_DELAY_MS, this.o.retryBaseMs * 2 ** (job.storeFailures - 1));
        this.opts.logger.error({ err, ...where(m), attempt: job.storeFailures }, 'picture message not stored; tried again later');
        await this.queue.put(job);
        return;
      }
    } else {
      this.opts.logger.info({ ...where(m), pictures: job.images.length }, 'picture message without caption or readable text: not a referral');
    }
    // Files this job wrote that no post keeps (not a referral, merged into a post with its own picture) go now.
    // A new post (or the one an earlier delivery stored) keeps them: asked by outcome, as the store may have moved
    // that post to its archive already, where postUses does not look.
    const kept = outcome === 'stored' || outcome === 'scam' || outcome === 'seen';
    for (const img of job.images) {
      if (!kept && img.file && img.created && !this.opts.postUses(img.file) && !this.otherJobUses(job.id, img.file)) removeMediaFile(this.opts.dataDir, img.file);
    }
    await this.queue.remove(job.id);
    this.opts.logger.debug({ ...where(m), outcome }, 'picture message done');
  }

  private otherJobUses(id: string, file: string): boolean {
    return this.queue.list().some((j) => j.id !== id && j.images.some((i) => i.file === file));
  }
}
