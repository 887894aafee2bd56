// Schema issues in the words of the careers-office admin who edits routing.yaml: what is wrong, in Chinese,
// and a hint that says how to fix it (the value to write, the key meant, where to look).
import type { z } from 'zod';
import { PLATFORMS } from '../domain.ts';
import { FETCH_LINKS_KEY_HINTS, hostOfPastedLink } from './fetch-links.ts';
import { keysAt, nearest } from './suggest.ts';

export interface Explained {
  message: string;
  hint: string;
}

const README = 'rules/README.md';

/** The raw YAML value at `path`, to show it and to guess what was meant. */
export function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

const TYPE_NAMES: Record<string, string> = {
  string: '文本',
  number: '数字',
  int: '整数',
  boolean: 'true 或 false',
  array: '列表',
  object: '键值（key: value）',
  undefined: '空',
};

function typeOf(v: unknown): string {
  if (v === null) return '空值 (null)';
  if (Array.isArray(v)) return '列表';
  return TYPE_NAMES[typeof v] ?? typeof v;
}

const show = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? String(v));
/** The last key of a path that names a field (not an index). */
const fieldOf = (path: readonly PropertyKey[]) => [...path].reverse().find((k): k is string => typeof k === 'string') ?? '';
const inList = (path: readonly PropertyKey[]) => typeof path[path.length - 1] === 'number';

/** What a key is for, as a hint when it is missing or empty. */
const KEY_HINTS: Record<string, string> = {
  sources: '列出要读取的校友群，例如 sources: [{ platform: wechat, group: 东电校友会·北京分会 }]',
  colleges: '每个接收速递的学院一项：id、name、classes 或 majors、channels',
  channels: '学生在哪里看速递，例如 channels: [{ platform: telegram, chat: "-1001234567890" }]',
  platform: `写 ${PLATFORMS.join('、')} 之一`,
  group: '这个群在该平台上的地址：Telegram 写带引号的 chat id，飞书写 oc_…，微信写群名（见 rules/README.md「Addresses」）',
  chat: '学生群在该平台上的地址：Telegram 写带引号的 chat id，飞书写 oc_…，微信写群名（见 rules/README.md「Addresses」）',
  id: '学院的短 id，小写字母、数字和 "-"，例如 electrical',
  name: '显示用的名称，例如 电气与电子工程学院',
  user: '管理员在该平台上的用户 id：Telegram 写带引号的数字 id，飞书写 open_id，微信写联系人名称',
  timezone: 'IANA 时区名，例如 Asia/Shanghai',
  digest: '带引号的 cron 表达式，例如 "30 8 * * 1-5"（工作日 8:30）',
  keywords: '每个关键词一项文本，例如 ["继电保护", "特高压"]',
  excludeKeywords: '每个关键词一项文本，例如 ["销售"]',
  threshold: '0 到 1 之间的小数，默认 0.5',
  maxItemsPerDigest: '1 到 200 的整数，默认 30',
  maxSendAttempts: '1 到 50 的整数，默认 8',
  retentionDays: '保留天数，至少 1，默认 180',
  attribution: 'name（显示姓名）、initials（王校友，默认）或 none（不署名）',
  ...FETCH_LINKS_KEY_HINTS,
};

const keyHint = (key: string) => KEY_HINTS[key] ?? `见 ${README} 中的 \`${key}\``;

/** Number written where text is needed: what to write instead, in quotes. */
function quoteHint(key: string, value: unknown, path: readonly PropertyKey[]): string {
  if (key === 'classes' && inList(path)) {
    return `专业类代码要加引号，写成 "${String(value).padStart(4, '0')}"：不加引号时 YAML 把 0806 读成数字 806`;
  }
  if (key === 'majors' && inList(path)) {
    return `专业代码要加引号，写成 "${String(value).padStart(6, '0')}"：不加引号时 YAML 会去掉开头的 0`;
  }
  if (key === 'group' || key === 'chat') {
    return `Telegram 的 chat id 是数字，要加引号：${key}: "${String(value)}"`;
  }
  if (key === 'user') return `Telegram 的用户 id 是数字，要加引号：user: "${String(value)}"`;
  return `加上引号：${inList(path) ? '' : `${key}: `}"${String(value)}"`;
}

export function explainIssue(issue: z.core.$ZodIssue, raw: unknown, root: z.ZodType): Explained {
  const path = issue.path;
  const key = fieldOf(path);
  const value = valueAt(raw, path);
  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined) return { message: `缺少必填的键 ${key}`, hint: keyHint(key) };
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      const message = `应为${/^[a-z]/.test(expected) ? ' ' : ''}${expected}，这里是${typeOf(value)}${value === null ? '' : ` ${show(value)}`}`;
      if (issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return { message, hint: quoteHint(key, value, path) };
      if (issue.expected === 'array' && value !== null && typeof value !== 'object') return { message, hint: `写成列表：${key}: [${show(value)}]` };
      if (issue.expected === 'boolean') return { message, hint: `写 true 或 false（不加引号）` };
      if (issue.expected === 'int') return { message, hint: keyHint(key) };
      if (value === null) return { message, hint: `"${key}:" 后面没有值：填上值，或删掉这一行` };
      return { message, hint: keyHint(key) };
    }
    case 'too_small': {
      if (issue.origin === 'array') {
        const what: Record<string, string> = { sources: '至少列出一个校友群', colleges: '至少列出一个学院', channels: '每个学院至少需要一个学生群（channel）' };
        return { message: what[key] ?? `${key} 至少需要 ${issue.minimum} 项`, hint: keyHint(key) };
      }
      if (issue.origin === 'string') return { message: '不能为空', hint: `填上值，或删掉这个键；${keyHint(key)}` };
      return { message: `应不小于 ${issue.minimum}，这里是 ${show(value)}`, hint: keyHint(key) };
    }
    case 'too_big':
      return { message: `应不大于 ${issue.maximum}，这里是 ${show(value)}`, hint: keyHint(key) };
    case 'invalid_value': {
      if (key === 'version') return { message: `不支持的版本 ${show(value)}`, hint: '目前只有 version: 1' };
      const allowed = issue.values.map((v) => String(v));
      const guess = typeof value === 'string' ? nearest(value, allowed) : undefined;
      return {
        message: `${show(value)} 不是可选值（可选：${allowed.join('、')}）`,
        hint: guess ? `是不是 "${guess}"？` : keyHint(key),
      };
    }
    case 'invalid_format': {
      if (key === 'id' && typeof value === 'string') {
        const slug = value.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+|-+$/g, '');
        return {
          message: `${show(value)} 不能作为学院 id：只能用小写字母、数字和 "-"，并以字母开头`,
          hint: slug ? `例如 id: ${slug}` : '例如 id: electrical（学院名称写在 name 里）',
        };
      }
      const host = key === 'hosts' ? hostOfPastedLink(value) : undefined;
      if (host) return { message: `${show(value)} 是一个链接，这里只写网站的域名`, hint: `写成 ${host}` };
      return { message: `${show(value)} 格式不对`, hint: keyHint(key) };
    }
    case 'unrecognized_keys': {
      // Reported one key at a time by the caller (each at its own line); this is the fallback.
      return unknownKey(issue.keys[0] ?? '', path, root);
    }
    default:
      return { message: issue.message, hint: keyHint(key) };
  }
}

/** An unknown key: the nearest key allowed at that place in the schema, or the list of them. */
export function unknownKey(key: string, parentPath: readonly PropertyKey[], root: z.ZodType): Explained {
  const allowed = keysAt(root, parentPath);
  const guess = nearest(key, allowed);
  return {
    message: `未知的键 "${key}"`,
    hint: guess ? `是不是 "${guess}"？` : allowed.length ? `这里可用的键：${allowed.join('、')}` : `见 ${README}`,
  };
}
