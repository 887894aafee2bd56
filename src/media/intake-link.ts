// Shared articles in the picture intake: a message whose link card points at an allowlisted host (rules
// defaults.fetchLinks, off by default) waits in the same durable queue as a picture, because reading the page
// may take longer than a platform waits for its answer (Lark: 3 s). The worker reads it once with
// fetchLinkText (host allowlist, public addresses only, deadline, byte cap); a refusal or a failure is logged
// once and the message goes on with the card's title and summary, as it would without fetching.
import type { InboundMessage } from '../domain.ts';
import { checkUrl, type LinkFetchOptions, type LinkFetchResult } from './link-fetch.ts';

/** The article link of a job, and what reading it gave. */
export interface JobLink {
  url: string;
  /** The page's text, once read. */
  text?: string;
  /** Why it was not read (refused, failed): the card's own text is used. */
  dropped?: string;
}

/** The link of `m` the relay may read now: a card's URL on the allowlist while fetching is on; else undefined. */
export function linkToRead(m: InboundMessage, options: LinkFetchOptions | undefined): string | undefined {
  const url = m.linkCard?.url;
  if (!options || options.enabled === false || typeof url !== 'string' || url.length > 2048) return undefined;
  try {
    return checkUrl(new URL(url), options.hosts) === undefined ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a job's link: its text, or why not. Never throws (fetchLinkText never does; anything else is a refusal). */
export async function readLink(url: string, fetch: (url: string) => Promise<LinkFetchResult>): Promise<{ text: string } | { dropped: string }> {
  const r = await fetch(url).catch((err: unknown) => ({ refused: `fetch failed: ${err instanceof Error ? err.message : String(err)}` }));
  return 'refused' in r ? { dropped: r.refused } : { text: r.text };
}

/** The host of a link, for log lines (never the whole URL: paths can carry tokens). */
export const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
};
