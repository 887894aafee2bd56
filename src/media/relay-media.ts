// The relay's side of pictures: whether they are read at all (the OCR engine installed, not switched off), the
// intake built on the relay's store and adapters, and the retention sweep of picture files (called by prune()).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { InboundMessage, Platform, PostImage } from '../domain.ts';
import type { Logger } from '../log.ts';
import type { Outcome } from '../pipeline.ts';
import type { ChatAdapter } from '../ports.ts';
import { linkFetchOptions } from '../rules/fetch-links.ts';
import type { Rules } from '../rules/schema.ts';
import type { Store } from '../store/store.ts';
import type { LinkFetchOptions } from './link-fetch.ts';
import { MediaIntake, type MediaIntakeOptions } from './intake.ts';
import { addPostMedia, listMediaFiles, mediaDir, sweepMediaFiles } from './media-files.ts';
import { QUEUE_FILE, replayQueue } from './media-queue.ts';
import { createOcrService, type OcrService, type OcrServiceOptions } from './ocr-service.ts';

export interface MediaIntakeSetup extends Partial<Pick<MediaIntakeOptions, 'acceptTimeoutMs' | 'fetchTimeoutMs' | 'maxFailures' | 'retryBaseMs' | 'maxImages' | 'limits' | 'fsync'>> {
  /** A service to use instead of the relay's own (shared by tests); the relay never stops it. */
  ocr?: OcrService;
  /** Options of the relay's own service. */
  ocrOptions?: Partial<Omit<OcrServiceOptions, 'logger'>>;
  /** Over the rules' fetchLinks options (tests: a resolver and address check for a loopback server). */
  linkFetch?: Partial<LinkFetchOptions>;
}

/** Whether the OCR engine package can be found. Resolves its path only: nothing is loaded. */
export function ocrEngineInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@gutenye/ocr-node');
    return true;
  } catch {
    return false;
  }
}

export interface RelayMediaDeps {
  dataDir: string;
  logger: Logger;
  store: Store;
  ingest: (m: InboundMessage, media: PostImage[]) => Promise<Outcome>;
  rules: () => Rules;
  adapterFor: (p: Platform) => Pick<ChatAdapter, 'fetchMedia'> | undefined;
}

export interface RelayMedia {
  /** A message the intake takes (pictures, or an article to read); the relay checks it comes from a source group. */
  wants(m: InboundMessage): boolean;
  accept(m: InboundMessage): Promise<void>;
  start(): void;
  stop(): Promise<void>;
  /** Picture jobs waiting on disk. */
  pending(): number;
  /** Resolves when no picture waits. */
  drained(ms?: number): Promise<void>;
  /** Removes picture files no post (hot or archived) and no pending job names; returns how many. */
  sweep(store: Store): number;
}

/** Picture files stored posts still name: the hot ones and every archived month (one month read at a time). */
export function mediaInUse(store: Store): Set<string> {
  const inUse = new Set<string>();
  for (const p of store.posts()) addPostMedia(inUse, p.media);
  for (const { month } of store.archivedMonths()) store.forEachArchivedPost(month, (p) => addPostMedia(inUse, p.media));
  return inUse;
}

/**
 * After `forget` (relay stopped): the erased posts' picture files go at once, not at the next prune. Files a
 * pending job still needs (queue.jsonl) stay.
 */
export function sweepAfterForget(dataDir: string, store: Store): number {
  if (listMediaFiles(dataDir).length === 0) return 0;
  const inUse = mediaInUse(store);
  const queue = join(mediaDir(dataDir), QUEUE_FILE);
  if (existsSync(queue)) for (const job of replayQueue(readFileSync(queue, 'utf8')).values()) for (const i of job.images) if (i.file) inUse.add(i.file);
  return sweepMediaFiles(dataDir, inUse, { graceMs: 0 }).length;
}

/**
 * Builds the intake: pictures are read when the OCR engine is installed and setup is not false; shared articles
 * (rules defaults.fetchLinks) whenever the rules turn that on.
 */
export function startMediaIntake(setup: MediaIntakeSetup | false | undefined, deps: RelayMediaDeps): RelayMedia {
  const log = deps.logger;
  const s = setup || {};
  const pictures = setup !== false && (!!s.ocr || ocrEngineInstalled());
  if (setup !== false && !pictures) log.info('pictures are not read: the OCR engine (@gutenye/ocr-node) is not installed; captions still count as text');
  const { store } = deps;
  const intake = new MediaIntake({
    ...s,
    pictures,
    links: () => ({ ...linkFetchOptions(deps.rules().defaults.fetchLinks), ...s.linkFetch }),
    dataDir: deps.dataDir,
    logger: log,
    adapterFor: deps.adapterFor,
    ocr: () => s.ocr ?? createOcrService({ ...s.ocrOptions, logger: log.child({ stage: 'ocr' }) }),
    ownsOcr: !s.ocr,
    handle: deps.ingest,
    postUses: (file) => store.posts().some((p) => p.media?.some((x) => x.file === file)),
    seen: (m) => !!store.postBySource(m.platform, m.chatId, m.id),
  });
  return {
    wants: (m) => intake.wants(m),
    accept: (m) => intake.accept(m),
    start: () => intake.start(),
    stop: () => intake.stop(),
    pending: () => intake.pending(),
    drained: (ms) => intake.drained(ms),
    sweep(st) {
      // Nothing to read when no picture was ever kept: the text-only relay pays no archive pass.
      if (listMediaFiles(deps.dataDir).length === 0) return 0;
      const inUse = mediaInUse(st);
      for (const f of intake.filesInUse()) inUse.add(f);
      const removed = sweepMediaFiles(deps.dataDir, inUse);
      if (removed.length) log.info({ files: removed.length }, 'picture files no post keeps were removed');
      return removed.length;
    },
  };
}
