// The routing rules admins edit in rules/*.yaml. Each schema and its type share one name.
import { z } from 'zod';
import { PLATFORMS } from '../domain.ts';

export const Platform = z.enum(PLATFORMS);

const nonEmpty = z.string().trim().min(1, 'must not be empty');
/** Cron: 5 fields (minute first) or 6 (seconds first); checked with node-cron in validate.ts. */
const cron = nonEmpty;

export const Source = z.strictObject({
  platform: Platform,
  /** Telegram chat id, Lark chat_id (oc_…), WeChat room topic, or a local group name. */
  group: nonEmpty,
  /** A short human name for digests ("北京校友群"); defaults to the group. */
  name: nonEmpty.optional(),
});
export type Source = z.infer<typeof Source>;

export const Channel = z.strictObject({
  platform: Platform,
  chat: nonEmpty,
  name: nonEmpty.optional(),
});
export type Channel = z.infer<typeof Channel>;

export const College = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'use lower-case letters, digits and "-", starting with a letter'),
  name: nonEmpty,
  /** 4-digit catalog class codes this college owns, e.g. "0806". */
  classes: z.array(z.string({ error: 'write class codes in quotes, e.g. "0806" (unquoted, YAML reads 0806 as the number 806)' })).default([]),
  /** 6-character catalog major codes, e.g. "080601" or "080601T". */
  majors: z.array(z.string({ error: 'write major codes in quotes, e.g. "080601"' })).default([]),
  /** Extra terms that route a post here (e.g. 继电保护, 特高压). */
  keywords: z.array(nonEmpty).default([]),
  /** Terms that keep a post away from this college. */
  excludeKeywords: z.array(nonEmpty).default([]),
  /** Receives posts open to any major (不限专业). */
  openToAll: z.boolean().default(false),
  /** This college's digest schedule; defaults.digest when absent. */
  digest: cron.optional(),
  channels: z.array(Channel).min(1, 'a college needs at least one channel where its students read'),
});
export type College = z.infer<typeof College>;

export const Admin = z.strictObject({
  platform: Platform,
  /** The admin's user id on that platform (Telegram user id, Lark open_id, WeChat contact name). */
  user: nonEmpty,
  name: nonEmpty.optional(),
});
export type Admin = z.infer<typeof Admin>;

export const Privacy = z.strictObject({
  /** How the poster appears in digests. */
  attribution: z.enum(['name', 'initials', 'none']).default('initials'),
  /** Mask phone numbers and personal WeChat ids in forwarded text. */
  maskContacts: z.boolean().default(true),
  /** Posts and sender data older than this many days are pruned. */
  retentionDays: z.number().int().min(1).default(180),
});
export type Privacy = z.infer<typeof Privacy>;

export const Defaults = z.strictObject({
  timezone: nonEmpty.default('Asia/Shanghai'),
  digest: cron.default('0 9 * * *'),
  detection: z
    .strictObject({ threshold: z.number().min(0).max(1).default(0.5) })
    .default({ threshold: 0.5 }),
  /** Most items in one digest; the rest wait for the next one. */
  maxItemsPerDigest: z.number().int().min(1).max(200).default(30),
  /** Add a short "why you got this" line to each digest item. */
  explain: z.boolean().default(false),
  /** Send attempts before a delivery is dead-lettered and the admins are told. */
  maxSendAttempts: z.number().int().min(1).max(50).default(8),
});
export type Defaults = z.infer<typeof Defaults>;

export const Rules = z.strictObject({
  version: z.literal(1).default(1),
  defaults: Defaults.default(Defaults.parse({})),
  sources: z.array(Source).min(1, 'list at least one alumni group to read'),
  colleges: z.array(College).min(1, 'list at least one college'),
  admins: z.array(Admin).default([]),
  privacy: Privacy.default(Privacy.parse({})),
});
export type Rules = z.infer<typeof Rules>;
