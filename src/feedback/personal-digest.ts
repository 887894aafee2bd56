// A subscriber's personal digest (their majors' new posts, to their private chat) as a digest record and its one
// delivery, ready for store.recordDigest. Pure: the relay supplies the time, the id and the link rewriters.
import { buildDigest } from '../digest/build.ts';
import { renderDigest } from '../digest/render.ts';
import type { Delivery, Digest, Post } from '../domain.ts';
import type { Rules } from '../rules/index.ts';
import { type LinkTarget, personalChannel } from './links.ts';
import { PERSONAL_DIGEST, type Subscription } from './subscriptions.ts';

export interface PersonalDecor {
  link: (url: string, where: Omit<LinkTarget, 'url'>) => string;
  mediaLink?: (file: string) => string | undefined;
}

export function composePersonalDigest(rules: Rules, sub: Subscription, posts: readonly Post[], at: Date, id: string, decor: PersonalDecor): { digest: Digest; delivery: Delivery } {
  const digest = buildDigest({ id: PERSONAL_DIGEST, name: '我的专业订阅' }, posts, { now: at, timeZone: rules.defaults.timezone, maxItems: posts.length, id });
  const names = new Map(rules.sources.map((src) => [`${src.platform}:${src.group}`, src.name ?? src.group]));
  // No vote buttons: votes count only from a college's own channels (anyone can write to the bot privately).
  const parts = renderDigest(digest, sub.platform, {
    now: at,
    timeZone: rules.defaults.timezone,
    privacy: rules.privacy,
    sourceName: (p, c) => names.get(`${p}:${c}`) ?? c,
    // Clicks count under '@personal', never under the subscriber's own chat id.
    link: (url, post) => decor.link(url, { postId: post.id, collegeId: PERSONAL_DIGEST, channel: personalChannel(sub.platform) }),
    ...(decor.mediaLink && { mediaLink: decor.mediaLink }),
  });
  const when = at.toISOString();
  const delivery: Delivery = {
    id: `${id}-0`,
    digestId: id,
    collegeId: PERSONAL_DIGEST,
    channel: { platform: sub.platform, chat: sub.userId },
    parts,
    sentParts: 0,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: when,
    createdAt: when,
    direct: true,
  };
  return { digest, delivery };
}
