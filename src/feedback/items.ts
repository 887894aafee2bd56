// Which digest item a vote is about. Buttons carry `v1:<digest key>:<n><+|->` (≤ 24 bytes: Telegram's
// callback_data allows 64, https://core.telegram.org/bots/api#inlinekeyboardbutton, 2026-11), the
// same string as a Lark card button's value; a WeChat reply (`3 不对口`) names only the number, and
// means the latest digest delivered to that chat. A vote counts only when the chat is a channel of the
// digest's college in the current rules: presses from anywhere else are ignored.
import { createHash } from 'node:crypto';
import type { Delivery, Platform } from '../domain.ts';
import type { Rules } from '../rules/schema.ts';
import type { DigestRecord } from '../store/hot-state.ts';

/** 10 base64url characters naming a digest (not a secret: a vote is checked against the chat). */
export const digestKey = (digestId: string): string => createHash('sha256').update(digestId).digest('base64url').slice(0, 10);

/** The button payload for item `n` (1-based) of a digest. */
export const voteData = (digestId: string, n: number, value: 1 | -1): string => `v1:${digestKey(digestId)}:${n}${value > 0 ? '+' : '-'}`;

const VOTE_DATA = /^v1:([A-Za-z0-9_-]{10}):(\d{1,3})([+-])$/;

export function parseVoteData(data: string): { digestKey: string; n: number; value: 1 | -1 } | null {
  const m = typeof data === 'string' ? VOTE_DATA.exec(data) : null;
  if (!m) return null;
  const n = Number(m[2]);
  return n >= 1 ? { digestKey: m[1]!, n, value: m[3] === '+' ? 1 : -1 } : null;
}

export interface ItemSource {
  deliveries(): Iterable<Delivery>;
  digests(): Iterable<DigestRecord>;
  rules(): Rules;
}

export type ItemResolution =
  | { ok: true; collegeId: string; postId: string; digestId: string }
  | { ok: false; reason: 'not-a-channel' | 'no-digest' | 'no-item' };

/** The item `n` of the digest `key` (or the latest one) delivered to this chat. */
export function resolveItem(src: ItemSource, where: { platform: Platform; chatId: string }, n: number, key?: string): ItemResolution {
  const colleges = new Set(
    src
      .rules()
      .colleges.filter((c) => c.channels.some((ch) => ch.platform === where.platform && ch.chat === where.chatId))
      .map((c) => c.id),
  );
  if (colleges.size === 0) return { ok: false, reason: 'not-a-channel' };
  let best: Delivery | undefined;
  for (const d of src.deliveries()) {
    if (d.channel.platform !== where.platform || d.channel.chat !== where.chatId || !colleges.has(d.collegeId)) continue;
    if (key !== undefined) {
      if (digestKey(d.digestId) === key) best = d;
    } else if (d.sentParts > 0 && (!best || d.createdAt > best.createdAt)) best = d;
  }
  if (!best) return { ok: false, reason: 'no-digest' };
  let digest: DigestRecord | undefined;
  for (const g of src.digests()) if (g.id === best.digestId) digest = g;
  const postId = digest?.postIds[n - 1];
  if (!digest || !postId) return { ok: false, reason: 'no-item' };
  return { ok: true, collegeId: digest.collegeId, postId, digestId: digest.id };
}
