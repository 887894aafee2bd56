// Students are kept as a salted hash, never by id or name: HMAC-SHA256 keyed with RELAY_SECRET over
// the platform and the platform's user id. Without the secret the hashes cannot be linked back to
// accounts by trying user ids (Telegram ids are small numbers); rotating the secret forgets every voter.
import { createHmac } from 'node:crypto';
import { ConfigError } from '../config-error.ts';

/** Shortest RELAY_SECRET accepted. */
export const MIN_SECRET_CHARS = 16;

/** RELAY_SECRET, or undefined when unset (feedback is then off). A short one is a configuration error. */
export function secretFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const s = env.RELAY_SECRET?.trim();
  if (!s) return undefined;
  if (s.length < MIN_SECRET_CHARS) {
    throw new ConfigError(`RELAY_SECRET must be at least ${MIN_SECRET_CHARS} characters (e.g. the output of: openssl rand -base64 24)`, ['RELAY_SECRET']);
  }
  return s;
}

/** 22 base64url characters (132 bits) of HMAC(secret, purpose \0 parts…). */
export function keyedHash(secret: string, purpose: string, ...parts: string[]): string {
  const h = createHmac('sha256', secret);
  h.update(purpose);
  for (const p of parts) h.update(`\u0000${p}`);
  return h.digest('base64url').slice(0, 22);
}

/** The stored identity of a student on a platform. */
export const voterHash = (secret: string, platform: string, userId: string): string => keyedHash(secret, 'voter', platform, userId);
