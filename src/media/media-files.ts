// Pictures kept in the data directory: `<dataDir>/media/<sha256>.<ext>`, named by their content, so the same
// poster posted in five groups is one file. Written atomically (temp → fdatasync → rename → fsync dir): after a
// crash a file is whole or absent. Files no post and no pending job names are removed by `sweepMediaFiles`
// (retention: the relay's prune() calls it after old posts went).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { PostImage } from '../domain.ts';
import { fsyncDir, writeFileAtomic } from '../store/atomic-write.ts';
import type { ImageType } from './image-check.ts';

export const MEDIA_DIR = 'media';

export const mediaDir = (dataDir: string): string => join(dataDir, MEDIA_DIR);

const EXT: Record<ImageType, string> = { png: 'png', jpeg: 'jpg', gif: 'gif', webp: 'webp' };
export const MIME: Record<ImageType, string> = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

/** The names this module writes; anything else in the folder (the queue, temp files) is never swept. */
const MEDIA_NAME = /^[0-9a-f]{64}\.(?:png|jpg|gif|webp)$/;
export const isMediaFileName = (name: string): boolean => MEDIA_NAME.test(name);

export const mediaFileName = (bytes: Uint8Array, type: ImageType): string => `${createHash('sha256').update(bytes).digest('hex')}.${EXT[type]}`;

/**
 * Writes a checked image (its type from checkImage) unless the same content is there already.
 * `created` says whether this call wrote it.
 */
export async function saveMediaFile(dataDir: string, bytes: Uint8Array, type: ImageType): Promise<{ file: string; created: boolean }> {
  const file = mediaFileName(bytes, type);
  const path = join(mediaDir(dataDir), file);
  if (existsSync(path) && statSync(path).size === bytes.length) return { file, created: false };
  mkdirSync(mediaDir(dataDir), { recursive: true });
  await writeFileAtomic(path, [bytes]);
  return { file, created: true };
}

/** Removes one picture file (a name from this module); false when it was not there. */
export function removeMediaFile(dataDir: string, file: string): boolean {
  if (!isMediaFileName(file)) return false;
  try {
    unlinkSync(join(mediaDir(dataDir), file));
    return true;
  } catch {
    return false;
  }
}

/** The picture files in the folder ([] when there is none): cheap enough to ask before a sweep. */
export function listMediaFiles(dataDir: string): string[] {
  try {
    return readdirSync(mediaDir(dataDir)).filter(isMediaFileName);
  } catch {
    return [];
  }
}

/** Names a post's pictures, for the sweep's set of files still in use. */
export function addPostMedia(into: Set<string>, media: readonly PostImage[] | undefined): void {
  for (const m of media ?? []) into.add(m.file);
}

/**
 * Removes picture files nobody names any more (their posts were pruned or forgotten, or the message turned out
 * not to be a referral). Files younger than `graceMs` stay: a picture being taken in right now is on disk
 * a moment before its job names it. Returns the names removed.
 */
export function sweepMediaFiles(dataDir: string, inUse: ReadonlySet<string>, opts: { now?: number; graceMs?: number } = {}): string[] {
  const now = opts.now ?? Date.now();
  const grace = opts.graceMs ?? 3600_000;
  const dir = mediaDir(dataDir);
  const removed: string[] = [];
  for (const name of listMediaFiles(dataDir)) {
    if (inUse.has(name)) continue;
    try {
      if (now - statSync(join(dir, name)).mtimeMs < grace) continue;
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // gone already
    }
  }
  if (removed.length) fsyncDir(dir);
  return removed;
}
