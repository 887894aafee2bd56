// Links to a post's picture for platforms that cannot carry it (too big, a type they refuse): with
// RELAY_PUBLIC_URL and RELAY_SECRET set, `${RELAY_PUBLIC_URL}/r/p/<token>/<file>`, served by
// src/http/routes-media.ts. The token is an HMAC of the file name, so only pictures the relay linked can
// be fetched (the names are content hashes, but a name alone must not be enough). Pure.
import { keyedHash } from '../feedback/hash.ts';
import { isMediaName } from './pictures.ts';

/** 16 base64url characters (96 bits). */
export const MEDIA_TOKEN_RE = /^[A-Za-z0-9_-]{16}$/;

export const mediaToken = (secret: string, file: string): string => keyedHash(secret, 'media', file).slice(0, 16);

/** The path the route serves (under /r/, the server's public prefix for students' links). */
export const mediaUrlPath = (secret: string, file: string): string => `/r/p/${mediaToken(secret, file)}/${encodeURIComponent(file)}`;

/** What the digest renderer calls for a picture it cannot carry: its public address, or undefined when links are off. */
export function mediaLinker(secret: string | undefined, publicUrl: string | undefined): (file: string) => string | undefined {
  const base = publicUrl?.trim().replace(/\/+$/, '');
  if (!secret || !base || !/^https?:\/\//i.test(base)) return () => undefined;
  return (file) => (isMediaName(file) ? `${base}${mediaUrlPath(secret, file)}` : undefined);
}
