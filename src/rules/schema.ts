// The routing rules admins edit in rules/*.yaml. Each schema and its type share one name.
// The descriptions end up in rules/routing.schema.json (json-schema.ts), where an editor shows them on hover;
// messages for bad values are in messages.ts, so that each can carry a hint.
import { z } from 'zod';
import { AlumniSettings, alumniSourceFields, channelMembersField } from '../alumni/rules.ts';
import { PLATFORMS } from '../domain.ts';
import { FetchLinks } from './fetch-links.ts';

export const Platform = z.enum(PLATFORMS).describe('平台：wechat、lark（飞书）、telegram 或 local（内置演示）');

const nonEmpty = z.string().trim().min(1);
/** Cron: 5 fields (minute first) or 6 (seconds first); checked with node-cron in validate.ts. */
const cron = nonEmpty.describe('cron 表达式，加引号：5 段（分 时 日 月 星期）或 6 段（秒在最前），例如 "30 8 * * 1-5"');

export const Source = z.strictObject({
  platform: Platform,
  /** Telegram chat id, Lark chat_id (oc_…), WeChat room topic, or a local group name. */
  group: nonEmpty.describe('群地址：Telegram 的 chat id（加引号，如 "-1001987650001"）、飞书 chat_id（oc_…）、微信群名'),
  /** A short human name for digests ("北京校友群"); defaults to the group. */
  name: nonEmpty.optional().describe('速递里显示的短名称，如 北京校友群；默认为 group'),
  /** Acknowledgements, hints, guides and thanks for this group's alumni (src/alumni/rules.ts). */
  ...alumniSourceFields,
});
export type Source = z.infer<typeof Source>;

export const Channel = z.strictObject({
  platform: Platform,
  chat: nonEmpty.describe('学生群地址：Telegram 的 chat id（加引号）、飞书 chat_id（oc_…）、微信群名'),
  name: nonEmpty.optional().describe('启动信息和日志里显示的名称'),
  ...channelMembersField,
});
export type Channel = z.infer<typeof Channel>;

export const College = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/)
    .describe('学院的短 id：小写字母、数字和 "-"，以字母开头（命令行和日志里用）'),
  name: nonEmpty.describe('学院名称，显示在速递开头'),
  /** 4-digit catalog class codes this college owns, e.g. "0806". */
  classes: z.array(z.string()).default([]).describe('本学院的专业类代码（2026 年目录，4 位，加引号），如 ["0806"]（电气类）'),
  /** 6-character catalog major codes, e.g. "080601" or "080601T". */
  majors: z.array(z.string()).default([]).describe('本学院的专业代码（6 位，加引号），如 ["080601"]'),
  /** Extra terms that route a post here (e.g. 继电保护, 特高压). */
  keywords: z.array(nonEmpty).default([]).describe('额外的关键词：内推里出现时推给本学院，如 ["继电保护", "特高压"]'),
  /** Terms that keep a post away from this college. */
  excludeKeywords: z.array(nonEmpty).default([]).describe('出现时不推给本学院的词'),
  /** Receives posts open to any major (不限专业). */
  openToAll: z.boolean().default(false).describe('true：也接收「不限专业」的内推'),
  /** This college's digest schedule; defaults.digest when absent. */
  digest: cron.optional(),
  channels: z.array(Channel).min(1).describe('学生在哪里看速递，至少一个'),
});
export type College = z.infer<typeof College>;

export const Admin = z.strictObject({
  platform: Platform,
  /** The admin's user id on that platform (Telegram user id, Lark open_id, WeChat contact name). */
  user: nonEmpty.describe('管理员的用户 id：Telegram 数字 id（加引号）、飞书 open_id、微信联系人名称'),
  name: nonEmpty.optional().describe('日志里显示的名称'),
});
export type Admin = z.infer<typeof Admin>;

export const Privacy = z.strictObject({
  /** How the poster appears in digests. */
  attribution: z.enum(['name', 'initials', 'none']).default('initials').describe('速递里如何署名发帖校友：name（王磊）、initials（王校友）、none'),
  /** Mask phone numbers and personal WeChat ids in forwarded text. */
  maskContacts: z.boolean().default(true).describe('隐去转发内容里的手机号和个人微信号'),
  /** Posts and sender data older than this many days are pruned. */
  retentionDays: z.number().int().min(1).default(180).describe('内推和发帖人信息保留的天数'),
});
export type Privacy = z.infer<typeof Privacy>;

export const Defaults = z.strictObject({
  timezone: nonEmpty.default('Asia/Shanghai').describe('IANA 时区，用于排期、日期和截止时间'),
  digest: cron.default('0 9 * * *'),
  detection: z
    .strictObject({ threshold: z.number().min(0).max(1).default(0.5).describe('判定为内推所需的把握（0–1）') })
    .default({ threshold: 0.5 }),
  /** Most items in one digest; the rest wait for the next one. */
  maxItemsPerDigest: z.number().int().min(1).max(200).default(30).describe('一期速递最多几条，其余等下一期'),
  /** Add a short "why you got this" line to each digest item. */
  explain: z.boolean().default(false).describe('每条后面加一行「匹配：…」说明为什么推给本学院'),
  /** Send attempts before a delivery is dead-lettered and the admins are told. */
  maxSendAttempts: z.number().int().min(1).max(50).default(8).describe('发送失败几次后放弃并通知管理员'),
  /** Routing that learns from students' 👍/👎 (needs RELAY_SECRET). */
  feedback: z
    .strictObject({
      minVoters: z.number().int().min(1).max(100).default(3).describe('同一学院至少几个不同学生评价后，才调整分发'),
    })
    .default({ minVoters: 3 })
    .describe('学生反馈（👍/👎）如何影响分发'),
  /** Reading a shared article's page (off by default; an allowlist of hosts). */
  fetchLinks: FetchLinks,
});
export type Defaults = z.infer<typeof Defaults>;

export const Rules = z.strictObject({
  version: z.literal(1).default(1).describe('格式版本，目前是 1'),
  defaults: Defaults.default(Defaults.parse({})).describe('各学院共用的设置'),
  sources: z.array(Source).min(1).describe('要读取的校友群；其他群一概不读'),
  colleges: z.array(College).min(1).describe('接收速递的学院（或系）'),
  admins: z.array(Admin).default([]).describe('可以在群里用 /relay 命令的就业办老师；发送失败时会收到通知'),
  privacy: Privacy.default(Privacy.parse({})).describe('署名方式和数据保留'),
  /** Daily summaries' time and the mentor programme (src/alumni/rules.ts). */
  alumni: AlumniSettings.default(AlumniSettings.parse({})).describe('校友回执和导师计划'),
});
export type Rules = z.infer<typeof Rules>;
