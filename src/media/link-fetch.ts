// Reading a shared article's page (rules: defaults.fetchLinks, off by default), so a referral posted as a
// link card is classified on its text, not only its title. Safe by construction:
// - only http/https, no user:password@, only hosts on the admin's allowlist (and their default ports,
//   unless an entry names a port);
// - the host name is resolved here and EVERY address must be public (public-address.ts); the connection
//   is then made to those checked addresses (a pinned `lookup`), so a second DNS answer cannot point it
//   elsewhere (DNS rebinding), and the socket's peer is checked again once connected;
// - redirects are followed by hand, at most a few, each one checked like the first URL;
// - one deadline for everything (DNS, connect, headers, body), a byte cap on the (decompressed) body:
//   reading stops there and the page is read as far as it got; only HTML is read.
// Never throws: every failure is a `{ refused }` with a reason for the log (host only, never the full URL).
// 2026-11: Node's http.request takes a custom `lookup` (https://nodejs.org/api/http.html#httprequestoptions-callback);
// with autoSelectFamily (on by default since Node 20) net calls it with `all: true` and expects an array
// (https://nodejs.org/api/net.html#socketconnectoptions-connectlistener).
import { lookup as dnsLookup } from 'node:dns/promises';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { decodePage, htmlToText } from './html-text.ts';
import { isPublicAddress } from './public-address.ts';

export interface LinkFetchOptions {
  /** False: nothing is fetched (rules `defaults.fetchLinks.enabled`). Absent counts as on: the caller asked. */
  enabled?: boolean;
  /** Hosts that may be fetched: "mp.weixin.qq.com" (that host, ports 80/443), "*.example.com" (its subdomains), "host:8443" (that port), "[2001:db8::1]" (an IPv6 literal). */
  hosts: readonly string[];
  /** Everything (DNS, redirects, body) within this; default 8000 ms. */
  timeoutMs?: number;
  /** Bytes of page read at most (after decompression); reading stops there. Default 2 MB. */
  maxBytes?: number;
  /** Longest text returned (title included); default 2000 characters. */
  maxChars?: number;
  /** Redirects followed at most; default 3. */
  maxRedirects?: number;
  /** Tests: a host name → its addresses. Default: the system resolver (dns.lookup, all addresses). */
  resolve?: (hostname: string) => Promise<{ address: string; family: number }[]>;
  /** Tests: may this address be connected to? Default: isPublicAddress (never loopback, private, link-local …). */
  isAllowedAddress?: (address: string) => boolean;
  /** Tests: certificate authorities to trust for https instead of Node's bundled ones. */
  ca?: string | Buffer;
}

export type LinkFetchResult =
  | {
      /** Title, a blank line, then the page's main text; at most maxChars. */
      text: string;
      title?: string;
      /** The URL the text came from (after redirects). */
      url: string;
      /** The page was longer than maxBytes and was read only that far, or the text was cut at maxChars. */
      truncated: boolean;
    }
  | { refused: string };

export const LINK_FETCH_DEFAULTS = { timeoutMs: 8000, maxBytes: 2 * 1024 * 1024, maxChars: 2000, maxRedirects: 3 } as const;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const HTML_TYPES = /^(?:text\/html|application\/xhtml\+xml)\b/i;

class Refused extends Error {}

function canonicalHost(name: string): string {
  try {
    return new URL(`http://${name}`).hostname;
  } catch {
    return name;
  }
}

/** Is `url` on the allowlist? Returns the reason when it is not. */
export function checkUrl(url: URL, hosts: readonly string[]): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `only http and https links are fetched, not ${url.protocol.replace(/:$/, '')}`;
  if (url.username || url.password) return 'links with a user name or password are not fetched';
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const allowed = hosts.some((entry) => {
    const m = /^(\*\.)?(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(entry.trim().toLowerCase().replace(/\.$/, ''));
    if (!m) return false;
    const [, wildcard, name, entryPort] = m;
    const canonical = canonicalHost(name!); // as URL writes it: punycode, IPv6 compressed
    const hostOk = wildcard ? host.endsWith(`.${canonical}`) : host === canonical;
    const portOk = entryPort ? port === entryPort : port === '80' || port === '443';
    return hostOk && portOk;
  });
  return allowed ? undefined : `${host}${url.port ? `:${url.port}` : ''} is not on the fetchLinks host list`;
}

/**
 * Fetches a link's page and returns its readable text (title and main text, bounded), or why it was not
 * fetched. Never throws and never connects to a loopback, private, link-local, ULA or multicast address.
 */
export async function fetchLinkText(url: string, options: LinkFetchOptions): Promise<LinkFetchResult> {
  if (options.enabled === false) return { refused: 'link fetching is off (defaults.fetchLinks.enabled)' };
  const timeoutMs = options.timeoutMs ?? LINK_FETCH_DEFAULTS.timeoutMs;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    return await fetchWithin(url, options, deadline.signal);
  } catch (err) {
    if (deadline.signal.aborted) return { refused: `no complete answer within ${timeoutMs} ms` };
    if (err instanceof Refused) return { refused: err.message };
    const code = (err as { code?: string }).code;
    return { refused: `the page could not be read (${code ?? (err instanceof Error ? err.message : String(err))})` };
  } finally {
    clearTimeout(timer);
  }
}

async function fetchWithin(first: string, options: LinkFetchOptions, signal: AbortSignal): Promise<LinkFetchResult> {
  const maxRedirects = options.maxRedirects ?? LINK_FETCH_DEFAULTS.maxRedirects;
  let url: URL;
  try {
    url = new URL(first);
  } catch {
    throw new Refused('not a valid link');
  }
  for (let hop = 0; ; hop++) {
    const why = checkUrl(url, options.hosts);
    if (why) throw new Refused(hop ? `redirected to a link that is not allowed: ${why}` : why);
    const addresses = await checkedAddresses(url.hostname.replace(/^\[|\]$/g, ''), options, signal);
    const res = await get(url, addresses, options, signal);
    if (REDIRECTS.has(res.statusCode ?? 0)) {
      res.destroy();
      const location = res.headers.location;
      if (!location) throw new Refused(`HTTP ${res.statusCode} without a Location`);
      if (hop >= maxRedirects) throw new Refused(`more than ${maxRedirects} redirects`);
      try {
        url = new URL(location, url);
      } catch {
        throw new Refused('redirected to an invalid link');
      }
      continue;
    }
    return await readPage(url, res, options, signal);
  }
}

/** The addresses to connect to: every address the host resolves to must be allowed (one bad answer refuses all). */
async function checkedAddresses(hostname: string, options: LinkFetchOptions, signal: AbortSignal): Promise<{ address: string; family: number }[]> {
  const allowed = options.isAllowedAddress ?? isPublicAddress;
  const resolve = options.resolve ?? ((h: string) => dnsLookup(h, { all: true, verbatim: true }));
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  let addresses: { address: string; family: number }[];
  try {
    // an address written in the link is the address (no resolver asked)
    addresses = isIP(hostname) ? [{ address: hostname, family: isIP(hostname) }] : await Promise.race([resolve(hostname), aborted]);
  } catch (err) {
    if (signal.aborted) throw err;
    throw new Refused(`${hostname} could not be resolved`);
  }
  if (!addresses.length) throw new Refused(`${hostname} has no address`);
  const bad = addresses.find((a) => !allowed(a.address));
  if (bad) throw new Refused(`${bad.address === hostname ? hostname : `${hostname} resolves to ${bad.address}`}, a private, loopback or otherwise non-public address`);
  return addresses;
}

/** One GET to the checked address (the name is still sent as Host and TLS server name). */
function get(url: URL, pinned: { address: string; family: number }[], options: LinkFetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const allowed = options.isAllowedAddress ?? isPublicAddress;
  const lookup: LookupFunction = (_host, opts, callback) => {
    const cb = callback as (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void;
    // all checked answers when net tries them in turn (autoSelectFamily), else the first IPv4 one
    if ((opts as { all?: boolean }).all) cb(null, pinned);
    else {
      const one = pinned.find((a) => a.family === 4) ?? pinned[0]!;
      cb(null, one.address, one.family);
    }
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        agent: false, // no pooled socket to another address
        lookup, // the certificate is still checked against the host name (servername defaults to it)
        ...(options.ca ? { ca: options.ca } : {}),
        signal,
        headers: {
          'user-agent': 'Mozilla/5.0 (compatible; alumni-relay link reader)',
          accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1',
          'accept-encoding': 'gzip, deflate, br',
          'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5',
        },
      },
      resolve,
    );
    req.on('socket', (socket) => {
      socket.once('connect', () => {
        // belt and braces: the peer is the address that was checked
        if (!socket.remoteAddress || !allowed(socket.remoteAddress)) req.destroy(new Refused(`connected to ${socket.remoteAddress ?? 'an unknown address'}, which is not allowed`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function readPage(url: URL, res: IncomingMessage, options: LinkFetchOptions, signal: AbortSignal): Promise<LinkFetchResult> {
  const status = res.statusCode ?? 0;
  const type = String(res.headers['content-type'] ?? '');
  if (status < 200 || status >= 300) {
    res.destroy();
    throw new Refused(`the page answered HTTP ${status}`);
  }
  if (type && !HTML_TYPES.test(type)) {
    res.destroy();
    throw new Refused(`not a web page (${type.split(';')[0]!.trim()})`);
  }
  const maxBytes = options.maxBytes ?? LINK_FETCH_DEFAULTS.maxBytes;
  const { bytes, truncated } = await readCapped(decoded(res), maxBytes, signal, res);
  if (!type && !/^\s*<(?:!doctype html|html|head|body|meta|title)\b/i.test(bytes.subarray(0, 512).toString('latin1').replace(/^\ufeff/, ''))) {
    throw new Refused('not a web page (no content type, and it does not look like HTML)');
  }
  const maxChars = options.maxChars ?? LINK_FETCH_DEFAULTS.maxChars;
  const page = htmlToText(decodePage(bytes, type), maxChars);
  const body = page.title && page.text.startsWith(page.title) ? page.text.slice(page.title.length).trim() : page.text;
  let text = [page.title, body].filter(Boolean).join('\n\n');
  if (!text) throw new Refused('the page has no readable text');
  const cut = text.length > maxChars;
  if (cut) text = `${text.slice(0, Math.max(1, maxChars - 1))}…`;
  return { text, ...(page.title ? { title: page.title } : {}), url: url.href, truncated: truncated || cut };
}

/** The body, decompressed when the server compressed it (the cap applies to what comes out: no zip bomb). */
function decoded(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const inflater = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  if (!inflater) return res;
  return pipeline(res, inflater, () => undefined);
}

/** Reads at most `maxBytes`; past that the download is cut off (the connection closed) and what came is kept. */
async function readCapped(stream: Readable, maxBytes: number, signal: AbortSignal, res: IncomingMessage): Promise<{ bytes: Buffer; truncated: boolean }> {
  const parts: Buffer[] = [];
  let total = 0;
  const stop = () => stream.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      if (total + buf.length > maxBytes) {
        parts.push(buf.subarray(0, maxBytes - total));
        total = maxBytes;
        res.destroy(); // stop downloading now
        return { bytes: Buffer.concat(parts, total), truncated: true };
      }
      parts.push(buf);
      total += buf.length;
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
  if (signal.aborted) throw signal.reason;
  return { bytes: Buffer.concat(parts, total), truncated: false };
}
