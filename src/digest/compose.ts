// Pure: one college's digest at `now` under a rules version, and its rendering per channel platform.
// The relay (to send it) and `digest preview` (to show it) build digests the same way through here.
import { WECHAT_FOOTER } from '../feedback/commands.ts';
import type { ChannelRef, Digest, OutboundMessage, Platform, Post } from '../domain.ts';
import type { College, Rules } from '../rules/schema.ts';
import { buildDigest, selectPosts } from './build.ts';
import { PLATFORM_LIMITS, renderDigest } from './render.ts';
import { larkVoteCard, voteButtons } from './votes.ts';

export interface ComposedDigest {
  digest: Digest;
  /** The parts for a platform; with `channel`, its tracked links and (when feedback is on) its votes. */
  render(platform: Platform, channel?: ChannelRef): OutboundMessage[];
}

export interface FeedbackDecor {
  /** Students can vote (RELAY_SECRET set): buttons on Telegram, a card on Lark, a reply footer elsewhere. */
  votes: boolean;
  /** An apply link as this channel's students get it (tracked, src/feedback/links.ts). */
  link?: (url: string, where: { postId: string; collegeId: string; channel: ChannelRef }) => string;
  /** A post's picture file name → its absolute path (`<dataDir>/media/<file>`); see RenderOptions.mediaPath. */
  mediaPath?: (file: string) => string;
  /** A picture's public address when a platform cannot carry it (src/digest/media-link.ts mediaLinker). */
  mediaLink?: (file: string) => string | undefined;
}

/** undefined when nothing new is due: an empty digest is never sent. */
export function composeDigest(rules: Rules, college: College, candidates: readonly Post[], now: Date, id: string, decor?: FeedbackDecor): ComposedDigest | undefined {
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
    ...(decor?.mediaPath && { mediaPath: decor.mediaPath }),
    ...(decor?.mediaLink && { mediaLink: decor.mediaLink }),
  };
  const render = (platform: Platform, channel?: ChannelRef): OutboundMessage[] => {
    const link = decor?.link && channel ? decor.link : undefined;
    const votes = decor?.votes === true;
    let partItems: number[][] = [];
    const footer = votes && (platform === 'wechat' || platform === 'local') ? `\n${WECHAT_FOOTER}` : '';
    const parts = renderDigest(digest, platform, {
      ...renderOpts,
      ...(link && { link: (url: string, post: Post) => link(url, { postId: post.id, collegeId: college.id, channel: channel! }) }),
      partItems: (items) => (partItems = items),
      // Room for the footer under the platform's limit, so adding it never splits a part.
      ...(footer && { limit: PLATFORM_LIMITS[platform] - footer.length }),
    });
    if (!votes || parts.length === 0) return parts;
    // renderDigest names each part's items (a piece of a split item: none, its last piece: all; a WeChat
    // picture part: its item). Should the counts ever differ, the buttons go last.
    const itemsOf = (i: number): number[] => (parts.length === partItems.length ? partItems[i]! : i === parts.length - 1 ? partItems.flat() : []);
    return parts.map((part, i) => {
      if (footer) return i === parts.length - 1 ? { ...part, body: part.body + footer } : part;
      const items = itemsOf(i);
      if (!items.length) return part;
      // The card keeps the part's pictures: the Lark adapter sends them after it, each with its caption.
      if (platform === 'lark' && part.format === 'lark-post') return { ...part, format: 'lark-card', body: larkVoteCard(part.body, digest.id, items) };
      if (platform === 'telegram') return { ...part, buttons: voteButtons(digest.id, items) };
      return part;
    });
  };
  return { digest, render };
}
