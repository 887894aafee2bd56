// Pure: one ledger entry per stored referral — who posted it where, what it lacks, and where it has
// gone (colleges, student channels, when first) — built from the store's posts, digests and deliveries.
// The ledger outlives the store's hot window (the monthly thanks and `report contributors` read it), and
// holds the only personal data the alumni features keep: the posters' ids and display names, erased by
// `forget` and by retention like the store's.
import type { Delivery, Platform, Post } from '../domain.ts';
import { maskContacts } from '../digest/privacy.ts';
import { localDate } from '../time.ts';
import { type AlumniConfig, groupKey } from './rules.ts';

export type Missing = 'apply' | 'majors' | 'deadline';

export interface LedgerSource {
  platform: Platform;
  chat: string;
  messageId: string;
  senderId: string;
  senderName: string;
  sentAt: string;
}

export interface LedgerEntry {
  postId: string;
  receivedAt: string;
  /** Local month (rules' time zone) the referral was received: YYYY-MM. */
  month: string;
  /** Company · role, or the start of the text: how a summary names the referral (never the poster). */
  label: string;
  /** College ids the classifier routed it to. */
  routedTo: string[];
  missing: Missing[];
  sources: LedgerSource[];
  reach: {
    colleges: string[];
    /** channelKey → the channel's member count (the rules', else the platform's) when it was reached, null while unknown. */
    channels: Record<string, number | null>;
    /** deliveredAt of the first delivery that carried it. */
    firstAt?: string;
  };
  clicks: number;
  likes: number;
}

export const senderKey = (s: { platform: Platform; senderId: string }) => `${s.platform}:${s.senderId}`;
export const sourceMessageKey = (s: LedgerSource) => `${s.platform}:${s.chat}:${s.messageId}`;

// How to apply: a link, an email, a referral code, or words that say where to send a CV or whom to ask.
const APPLY_CUE = /投递|投简历|简历|内推码|扫码|二维码|网申|官网|申请|私聊|私信|联系|加我|微信|电话|邮箱|报名|apply/i;
const DEADLINE_CUE = /截止|长期|招满|随时|滚动|尽快|即日起/;

/** What students need that the referral does not say (see README: a missing deadline alone never triggers a hint). */
export function missingOf(post: Post): Missing[] {
  const c = post.classification;
  const f = c.fields;
  const out: Missing[] = [];
  if (!f.links.length && !f.emails.length && !f.referralCode && !APPLY_CUE.test(post.text)) out.push('apply');
  if (!c.classes.length && !f.roles.length && !c.openToAll) out.push('majors');
  if (!f.deadline && !DEADLINE_CUE.test(post.text)) out.push('deadline');
  return out;
}

const clip = (s: string, n: number) => ([...s].length > n ? `${[...s].slice(0, n - 1).join('')}…` : s);

export function labelOf(post: Post): string {
  const f = post.classification.fields;
  const parts = [f.company?.trim(), f.roles[0]?.trim()].filter((x): x is string => Boolean(x));
  if (parts.length) return clip(parts.join(' · '), 24);
  return clip(maskContacts(post.text).replace(/\s+/g, ' ').trim(), 16);
}

/** A delivered digest delivery, reduced to what reach needs. */
export interface Carrier {
  collegeId: string;
  channelKey: string;
  deliveredAt: string;
}

/** postId → the delivered deliveries of the digests that carried it. */
export function carriersByPost(digests: readonly { id: string; postIds: readonly string[] }[], deliveries: readonly Delivery[]): Map<string, Carrier[]> {
  const byDigest = new Map<string, Carrier[]>();
  for (const d of deliveries) {
    if (d.status !== 'delivered' || !d.deliveredAt) continue;
    const list = byDigest.get(d.digestId) ?? [];
    list.push({ collegeId: d.collegeId, channelKey: groupKey(d.channel.platform, d.channel.chat), deliveredAt: d.deliveredAt });
    byDigest.set(d.digestId, list);
  }
  const out = new Map<string, Carrier[]>();
  for (const g of digests) {
    const carriers = byDigest.get(g.id);
    if (!carriers) continue;
    for (const id of g.postIds) {
      const list = out.get(id);
      if (list) list.push(...carriers);
      else out.set(id, [...carriers]);
    }
  }
  return out;
}

const membersOf = (cfg: AlumniConfig, collegeId: string, channelKey: string): number | null =>
  cfg.colleges.get(collegeId)?.channels.find((c) => c.key === channelKey)?.members ?? null;

/**
 * The entry for a stored post: sources and routing from the post, reach grown from `carriers` (never
 * shrunk: a digest pruned from the store still reached its students). Counters carry over from `prev`.
 */
export function entryFor(post: Post, prev: LedgerEntry | undefined, carriers: readonly Carrier[], cfg: AlumniConfig): LedgerEntry {
  const reach = {
    colleges: [...(prev?.reach.colleges ?? [])],
    channels: { ...(prev?.reach.channels ?? {}) },
    firstAt: prev?.reach.firstAt,
  };
  for (const c of carriers) {
    if (!reach.colleges.includes(c.collegeId)) reach.colleges.push(c.collegeId);
    // Unknown so far (null) → what is known now: a platform's count may come after the channel was first reached.
    if (reach.channels[c.channelKey] == null) reach.channels[c.channelKey] = membersOf(cfg, c.collegeId, c.channelKey);
    if (!reach.firstAt || c.deliveredAt < reach.firstAt) reach.firstAt = c.deliveredAt;
  }
  const entry: LedgerEntry = {
    postId: post.id,
    receivedAt: post.receivedAt,
    month: prev?.month ?? localDate(new Date(post.receivedAt), cfg.timeZone).slice(0, 7),
    label: labelOf(post),
    routedTo: [...post.classification.colleges],
    missing: missingOf(post),
    sources: post.sources.map((s) => ({ platform: s.platform, chat: s.chatId, messageId: s.messageId, senderId: s.senderId, senderName: s.senderName, sentAt: s.sentAt })),
    reach,
    clicks: prev?.clicks ?? 0,
    likes: prev?.likes ?? 0,
  };
  if (!entry.reach.firstAt) delete entry.reach.firstAt;
  return entry;
}

/** Whether an entry changed (so the ledger writes only what did). */
export const sameEntry = (a: LedgerEntry | undefined, b: LedgerEntry): boolean => a !== undefined && JSON.stringify(a) === JSON.stringify(b);

/** Distinct channels reached by a set of entries, and their members when every one is known. */
export function reachOf(entries: readonly LedgerEntry[]): { colleges: number; channels: number; members?: number } {
  const colleges = new Set<string>();
  const channels = new Map<string, number | null>();
  for (const e of entries) {
    for (const c of e.reach.colleges) colleges.add(c);
    for (const [k, v] of Object.entries(e.reach.channels)) channels.set(k, v);
  }
  const counts = [...channels.values()];
  const known = counts.length > 0 && counts.every((v) => v !== null);
  return { colleges: colleges.size, channels: channels.size, ...(known ? { members: counts.reduce<number>((a, b) => a + (b ?? 0), 0) } : {}) };
}
