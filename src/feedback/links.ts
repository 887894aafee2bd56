// Tracked links: with RELAY_PUBLIC_URL set, each apply link in a digest becomes
// ${RELAY_PUBLIC_URL}/r/<token>. The token is an HMAC (RELAY_SECRET) of the post, the link, the college
// and the channel: 12 base64url characters (72 bits, unguessable), computed by a pure function at
// render time, so rendering stays pure and no table of tokens has to be written before a send.
// GET /r/<token> finds the token among the links of posts the store still holds and that a digest
// carried (LinkIndex), so only addresses taken from stored posts can be targets (no open redirect),
// and a post that retention or `forget` removed takes its links with it. Nothing about the clicker
// (IP, user agent) is kept: only a count per post, college, channel and day (state.ts).
import type { ChannelRef, Delivery, Post } from '../domain.ts';
import type { DigestRecord } from '../store/hot-state.ts';
import { keyedHash } from './hash.ts';

export interface LinkTarget {
  postId: string;
  url: string;
  collegeId: string;
  channel: ChannelRef;
}

export const TOKEN_RE = /^[A-Za-z0-9_-]{12}$/;

export const linkToken = (secret: string, t: LinkTarget): string => keyedHash(secret, 'link', t.postId, t.url, t.collegeId, t.channel.platform, t.channel.chat).slice(0, 12);

/** Only web addresses are tracked (a mailto: or a bare word stays as it is). */
export const isTrackable = (url: string): boolean => /^https?:\/\/[^\s/]+/i.test(url);

/**
 * What the digest renderer calls for each apply link: the tracked address, or the link itself when
 * RELAY_PUBLIC_URL (or the secret) is not set or the link is not a web address.
 */
export function linkRewriter(secret: string | undefined, publicUrl: string | undefined): (url: string, where: Omit<LinkTarget, 'url'>) => string {
  const base = publicUrl?.trim().replace(/\/+$/, '');
  if (!secret || !base) return (url) => url;
  return (url, where) => (isTrackable(url) ? `${base}/r/${linkToken(secret, { ...where, url })}` : url);
}

/** What a personal digest's clicks are counted under instead of the subscriber's private chat. */
export const PERSONAL_CHAT = '@personal';

/**
 * The channel to name in a personal (subscription) digest's tracked links: the platform only. The
 * private chat's id is the student's own user id, which a click row must never hold.
 */
export const personalChannel = (platform: ChannelRef['platform']): ChannelRef => ({ platform, chat: PERSONAL_CHAT });

/** What the index reads from the store. */
export interface LinkSource {
  deliveries(): Iterable<Delivery>;
  digests(): Iterable<DigestRecord>;
  postById(id: string): Post | undefined;
}

/** Every link a digest carried to a channel, for posts still stored and not rejected. */
export function* linkTargets(src: LinkSource): Generator<LinkTarget> {
  const digests = new Map<string, DigestRecord>();
  for (const d of src.digests()) digests.set(d.id, d);
  for (const d of src.deliveries()) {
    const digest = digests.get(d.digestId);
    if (!digest) continue;
    for (const postId of digest.postIds) {
      const post = src.postById(postId);
      if (!post || post.status === 'rejected') continue;
      // A direct delivery goes to one person's private chat: its links name the platform only.
      const channel = d.direct ? personalChannel(d.channel.platform) : d.channel;
      for (const url of post.classification.fields.links) if (isTrackable(url)) yield { postId, url, collegeId: d.collegeId, channel };
    }
  }
}

/**
 * token → target, rebuilt from the store when a token is not found (at most every `minRebuildMs`,
 * so a stream of made-up tokens costs one rebuild per interval, not one per request).
 */
export class LinkIndex {
  private map = new Map<string, LinkTarget>();
  private builtAt = -Infinity;

  constructor(
    private readonly secret: string,
    private readonly src: LinkSource,
    private readonly minRebuildMs = 5000,
  ) {}

  resolve(token: string, nowMs: number): LinkTarget | undefined {
    if (!TOKEN_RE.test(token)) return undefined;
    let t = this.map.get(token);
    if (!t && nowMs - this.builtAt >= this.minRebuildMs) {
      this.rebuild(nowMs);
      t = this.map.get(token);
    }
    // Still there? (forgotten or rejected since the index was built)
    if (t) {
      const post = this.src.postById(t.postId);
      if (!post || post.status === 'rejected' || !post.classification.fields.links.includes(t.url)) return undefined;
    }
    return t;
  }

  private rebuild(nowMs: number): void {
    const map = new Map<string, LinkTarget>();
    for (const t of linkTargets(this.src)) map.set(linkToken(this.secret, t), t);
    this.map = map;
    this.builtAt = nowMs;
  }
}
