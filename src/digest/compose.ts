// Pure: one college's digest at `now` under a rules version, and its rendering per channel platform.
// The relay (to send it) and `digest preview` (to show it) build digests the same way through here.
import type { Digest, OutboundMessage, Platform, Post } from '../domain.ts';
import type { College, Rules } from '../rules/schema.ts';
import { buildDigest, selectPosts } from './build.ts';
import { renderDigest } from './render.ts';

export interface ComposedDigest {
  digest: Digest;
  render(platform: Platform): OutboundMessage[];
}

/** undefined when nothing new is due: an empty digest is never sent. */
export function composeDigest(rules: Rules, college: College, candidates: readonly Post[], now: Date, id: string): ComposedDigest | undefined {
  const opts = { now, timeZone: rules.defaults.timezone, maxItems: rules.defaults.maxItemsPerDigest };
  const posts = selectPosts(candidates, opts);
  if (posts.length === 0) return undefined;
  const digest = buildDigest(college, posts, { ...opts, id, explain: rules.defaults.explain });
  const names = new Map(rules.sources.map((s) => [`${s.platform}:${s.group}`, s.name ?? s.group]));
  const renderOpts = {
    now,
    timeZone: rules.defaults.timezone,
    privacy: rules.privacy,
    sourceName: (p: Platform, chat: string) => names.get(`${p}:${chat}`) ?? chat,
  };
  return { digest, render: (platform) => renderDigest(digest, platform, renderOpts) };
}
