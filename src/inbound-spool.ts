// Messages an adapter has read and the relay has not yet handled wait on disk, in
// `<dataDir>/<platform>/inbound.jsonl` (a DurableQueue; WeChat's, adapters/wechat/ingest.ts, as WeChat never
// delivers a message twice). What waits there after a stop is handled at the next start, so a person's words
// in it are theirs like the store's: `forget` erases them too.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type InboundMessage, PLATFORMS, type Platform } from './domain.ts';
import { DurableQueue, replayJobs } from './durable-queue.ts';
import { cleanName } from './pipeline.ts';

/** A message read and not yet handled. */
export interface SpooledMessage {
  /** chat \0 message id */
  id: string;
  message: InboundMessage;
  arrivedAt: string;
}

export const isSpooledMessage = (x: unknown): x is SpooledMessage => {
  const s = x as SpooledMessage | null;
  return !!s && typeof s === 'object' && typeof s.id === 'string' && !!s.message && typeof s.message.chatId === 'string' && typeof s.message.id === 'string';
};

export const inboundSpoolFile = (dataDir: string, platform: Platform): string => join(dataDir, platform, 'inbound.jsonl');

const spools = (dataDir: string): string[] => PLATFORMS.map((p) => inboundSpoolFile(dataDir, p)).filter((f) => existsSync(f));

/** Ids of the senders of waiting messages shown as `name` (as the digest shows names, or as sent). */
export function spooledSendersNamed(dataDir: string, name: string): string[] {
  const ids = new Set<string>();
  for (const file of spools(dataDir)) {
    for (const { message: m } of replayJobs(readFileSync(file, 'utf8'), isSpooledMessage).values()) {
      if (typeof m.senderName === 'string' && (m.senderName === name || cleanName(m.senderName) === name)) ids.add(String(m.senderId));
    }
  }
  return [...ids];
}

/**
 * Erases the waiting messages of these senders from every spool; returns how many. Only while the relay is
 * stopped (its adapter holds the file open), as `forget` runs.
 */
export async function forgetSpooled(dataDir: string, senderIds: ReadonlySet<string>): Promise<number> {
  let erased = 0;
  for (const file of spools(dataDir)) {
    const queue = DurableQueue.open(file, isSpooledMessage);
    erased += await queue.erase((job) => senderIds.has(String(job.message.senderId)));
    await queue.close();
  }
  return erased;
}
