// The rules keys the alumni features read, as zod fragments for src/rules/schema.ts to spread in:
//   Source  = z.strictObject({ ...existing, ...alumniSourceFields })
//   Channel = z.strictObject({ ...existing, ...channelMembersField })
//   Rules   = z.strictObject({ ...existing, alumni: AlumniSettings.default(AlumniSettings.parse({})) })
// Until they are spread in, `alumniConfigOf` reads the same keys defensively and falls back to the
// defaults, so the features work (quietly, with defaults) against today's schema.
import { z } from 'zod';
import type { Platform } from '../domain.ts';

/** YAML 1.2 reads `on`/`off` as strings, YAML 1.1 habits write them as booleans: accept both. */
const onOff = z
  .union([z.boolean(), z.enum(['on', 'off'])])
  .transform((v) => v === true || v === 'on');

export const AckMode = z.enum(['reply', 'daily', 'off']).describe('发帖校友的回执：reply 回复原消息，daily 每天一条本群小结，off 不发');
export type AckMode = z.infer<typeof AckMode>;

export const GuideEvery = z.enum(['off', 'weekly', 'biweekly', 'monthly']).describe('定期在本群发一条「怎么发内推」指南：off、weekly、biweekly、monthly');
export type GuideEvery = z.infer<typeof GuideEvery>;

export const alumniSourceFields = {
  ack: AckMode.default('daily'),
  hints: onOff.default(true).describe('内推缺投递方式或专业时，给发帖人一次简短提示：on / off'),
  guideEvery: GuideEvery.default('off'),
  thanks: onOff.default(true).describe('每月初在本群发一条校友内推月度致谢：on / off'),
};

export const channelMembersField = {
  members: z.number().int().min(0).optional().describe('群里大约多少学生（用于「约 N 人」；不写就用平台报的群成员数，平台也不知道时只说几个学生群）'),
};

const hhmm = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
  .describe('本地时间 HH:MM');

export const AlumniSettings = z.strictObject({
  /** When daily summaries, periodic guides and the monthly thanks go out (local time; the day's first sweep after it). */
  sendAt: hhmm.default('20:00').describe('每日小结、定期指南和月度致谢的发送时间（本地 HH:MM）'),
  /** Mentor matching in private chats. Off by default: it shares contacts (only with consent). */
  mentors: onOff.default(false).describe('校友导师计划（私聊报名和匹配）：on / off'),
});
export type AlumniSettings = z.infer<typeof AlumniSettings>;

const SourceSettings = z.object(alumniSourceFields);
export type SourceSettings = z.infer<typeof SourceSettings>;

/** What the alumni features need from the rules, in one flat shape. */
export interface AlumniConfig {
  timeZone: string;
  attribution: 'name' | 'initials' | 'none';
  retentionDays: number;
  sendAt: string;
  mentors: boolean;
  /** Keyed by groupKey(platform, group). */
  sources: Map<string, SourceSettings & { platform: Platform; group: string; name: string }>;
  colleges: Map<string, { id: string; name: string; channels: { key: string; platform: Platform; chat: string; members?: number }[] }>;
}

export const groupKey = (platform: Platform, chat: string) => `${platform}:${chat}`;

/** The subset of the rules read here; `Rules` satisfies it with or without the alumni keys. */
export interface RulesLike {
  defaults: { timezone: string };
  privacy: { attribution: 'name' | 'initials' | 'none'; retentionDays: number };
  sources: readonly { platform: Platform; group: string; name?: string }[];
  colleges: readonly { id: string; name: string; channels: readonly { platform: Platform; chat: string }[] }[];
}

const pick = (o: object, keys: readonly string[]) => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, (o as Record<string, unknown>)[k]]));

/**
 * Reads the alumni keys; a value the schema would reject falls back to its default here (the schema,
 * once extended, reports it to the admin at load time).
 */
export function alumniConfigOf(rules: RulesLike): AlumniConfig {
  const settings = AlumniSettings.safeParse((rules as { alumni?: unknown }).alumni ?? {});
  const s = settings.success ? settings.data : AlumniSettings.parse({});
  const sources: AlumniConfig['sources'] = new Map();
  for (const src of rules.sources) {
    const parsed = SourceSettings.safeParse(pick(src, Object.keys(alumniSourceFields)));
    const fields = parsed.success ? parsed.data : SourceSettings.parse({});
    sources.set(groupKey(src.platform, src.group), { ...fields, platform: src.platform, group: src.group, name: src.name ?? src.group });
  }
  const colleges: AlumniConfig['colleges'] = new Map();
  for (const c of rules.colleges) {
    colleges.set(c.id, {
      id: c.id,
      name: c.name,
      channels: c.channels.map((ch) => {
        const m = (ch as { members?: unknown }).members;
        return { key: groupKey(ch.platform, ch.chat), platform: ch.platform, chat: ch.chat, ...(Number.isInteger(m) && (m as number) >= 0 ? { members: m as number } : {}) };
      }),
    });
  }
  return {
    timeZone: rules.defaults.timezone,
    attribution: rules.privacy.attribution,
    retentionDays: rules.privacy.retentionDays,
    sendAt: s.sendAt,
    mentors: s.mentors,
    sources,
    colleges,
  };
}
