// Pure: the texts alumni see — acknowledgement, daily summary, posting hint, guide, monthly thanks.
// Short, plain, natural Chinese; a number of students only where every channel's size is known (the
// rules' `members:`), otherwise "N 个学生群" — never a guess.
import { attribute } from '../digest/privacy.ts';
import type { AlumniConfig } from './rules.ts';
import { type LedgerEntry, type Missing, reachOf } from './ledger.ts';

const MAX_NAMED_COLLEGES = 3;
const MAX_DAILY_LINES = 5;

/** "电气学院、自动化系" or "电气学院、自动化系、能源学院等 5 个学院". */
export function collegeList(ids: readonly string[], cfg: AlumniConfig): string {
  const names = ids.map((id) => cfg.colleges.get(id)?.name ?? id);
  if (names.length <= MAX_NAMED_COLLEGES + 1) return names.join('、');
  return `${names.slice(0, MAX_NAMED_COLLEGES).join('、')}等 ${names.length} 个学院`;
}

/** "2 个学生群（约 640 人）" or "2 个学生群". */
export function reachText(r: { channels: number; members?: number }): string {
  return `${r.channels} 个学生群${r.members !== undefined ? `（约 ${r.members} 人）` : ''}`;
}

/** Threaded reply to the poster's message (or a plain group message where the platform cannot thread). */
export function ackText(e: LedgerEntry, cfg: AlumniConfig): string {
  const what = e.label ? `「${e.label}」` : '这条内推';
  return `${what}已转给 ${collegeList(e.reach.colleges, cfg)} ${reachText(reachOf([e]))}。谢谢分享！`;
}

export interface DailySummary {
  /** Referrals first delivered since the last summary. */
  entries: LedgerEntry[];
  /** Clicks and 👍 on this group's referrals since the last summary (0 where the platform cannot tell). */
  clicks: number;
  likes: number;
}

const feedbackText = (clicks: number, likes: number): string | undefined => {
  const parts = [clicks ? `学生点开 ${clicks} 次` : '', likes ? `👍 ${likes} 个` : ''].filter(Boolean);
  return parts.length ? parts.join('，') : undefined;
};

/** undefined when there is nothing to say (no message is sent then). */
export function dailyText(s: DailySummary, cfg: AlumniConfig, day: string): string | undefined {
  const feedback = feedbackText(s.clicks, s.likes);
  if (!s.entries.length && !feedback) return undefined;
  const [, m, d] = day.split('-').map(Number);
  const lines = [`内推转发小结（${m}月${d}日）`];
  if (s.entries.length) {
    const colleges = [...new Set(s.entries.flatMap((e) => e.reach.colleges))];
    lines.push(`${s.entries.length} 条内推已转给 ${collegeList(colleges, cfg)} 的 ${reachText(reachOf(s.entries))}：`);
    for (const e of s.entries.slice(0, MAX_DAILY_LINES)) lines.push(`· ${e.label || '内推'} → ${collegeList(e.reach.colleges, cfg)}`);
    if (s.entries.length > MAX_DAILY_LINES) lines.push(`· 还有 ${s.entries.length - MAX_DAILY_LINES} 条`);
  }
  lines.push(feedback ? `${feedback}。谢谢各位校友！` : '谢谢各位校友！');
  return lines.join('\n');
}

const MISSING_WORDS: Record<Missing, string> = {
  apply: '投递方式（链接、邮箱或内推码）',
  majors: '适合的专业或岗位',
  deadline: '截止日期',
};

/** A friendly nudge, once; a missing deadline is named only alongside something that matters more. */
export function hintText(missing: readonly Missing[]): string {
  const words = (['apply', 'majors', 'deadline'] as const).filter((m) => missing.includes(m)).map((m) => MISSING_WORDS[m]);
  const why = missing.includes('majors') ? '机器人才知道该转给哪个学院，' : '';
  return `谢谢分享！补一句${words.join('、')}，${why}同学们也更好申请。发「/relay help」看示例。`;
}

/** The answer to "@bot 怎么内推" / "/relay help", and the optional periodic guide. */
export function guideText(cfg: AlumniConfig): string {
  const ids = [...cfg.colleges.keys()];
  return [
    '怎么发内推：在群里照常发就行，写清这几点，机器人会按专业转给对口学院的学生群。',
    '1. 公司和岗位　2. 适合的专业　3. 投递方式（链接、邮箱或内推码）　4. 截止日期',
    '例：国网北京电力 2026 届校招，电气工程及其自动化专业，变电运维岗，网申 https://zhaopin.example.cn ，内推码 GW2026，11 月 30 日截止。',
    ids.length ? `会转到：${collegeList(ids, cfg)}。` : '',
    '不想在月度致谢里署名，发「/relay optout」。',
  ]
    .filter(Boolean)
    .join('\n');
}

export interface Contributor {
  /** senderKey: platform:senderId. */
  key: string;
  name: string;
  referrals: number;
  colleges: number;
  channels: number;
  members?: number;
  clicks: number;
  likes: number;
}

/**
 * Per alumnus, the month's referrals: each entry credited once, to its first source (or, with `group`,
 * to its first source in that group). Most referrals first, then most channels reached.
 */
export function contributors(entries: readonly LedgerEntry[], month: string, group?: string): Contributor[] {
  const by = new Map<string, { name: string; list: LedgerEntry[] }>();
  for (const e of entries) {
    if (e.month !== month) continue;
    const s = group ? e.sources.find((x) => `${x.platform}:${x.chat}` === group) : e.sources[0];
    if (!s) continue;
    const key = `${s.platform}:${s.senderId}`;
    const c = by.get(key) ?? { name: s.senderName, list: [] };
    c.name = s.senderName; // the latest name they used
    c.list.push(e);
    by.set(key, c);
  }
  return [...by]
    .map(([key, { name, list }]) => {
      const r = reachOf(list);
      return {
        key,
        name,
        referrals: list.length,
        colleges: r.colleges,
        channels: r.channels,
        ...(r.members !== undefined ? { members: r.members } : {}),
        clicks: list.reduce((a, e) => a + e.clicks, 0),
        likes: list.reduce((a, e) => a + e.likes, 0),
      };
    })
    .sort((a, b) => b.referrals - a.referrals || b.channels - a.channels || a.key.localeCompare(b.key));
}

const TOP = 3;

/** 校友内推月度致谢 for one group and month; undefined when the group posted nothing that month. */
export function thanksText(entries: readonly LedgerEntry[], month: string, group: string, cfg: AlumniConfig, optedOut: ReadonlySet<string>): string | undefined {
  const inGroup = entries.filter((e) => e.month === month && e.sources.some((s) => `${s.platform}:${s.chat}` === group));
  if (!inGroup.length) return undefined;
  const [y, m] = month.split('-').map(Number);
  const r = reachOf(inGroup);
  const feedback = feedbackText(
    inGroup.reduce((a, e) => a + e.clicks, 0),
    inGroup.reduce((a, e) => a + e.likes, 0),
  );
  const went = r.channels ? `，转给 ${r.colleges} 个学院的 ${reachText(r)}` : '';
  const lines = [`校友内推月度致谢 · ${y}年${m}月`, `本群校友分享内推 ${inGroup.length} 条${went}${feedback ? `，${feedback}` : ''}。`];
  const people = contributors(inGroup, month, group);
  const named = people
    .filter((p) => !optedOut.has(p.key))
    .map((p) => ({ p, shown: attribute(p.name, cfg.attribution) }))
    .filter((x): x is { p: Contributor; shown: string } => Boolean(x.shown))
    .slice(0, TOP);
  if (named.length) lines.push(`特别感谢：${named.map(({ p, shown }) => `${shown}（${p.referrals} 条）`).join('、')}。`);
  lines.push(`谢谢 ${people.length} 位分享内推的校友，下个月继续！`);
  return lines.join('\n');
}

export const optoutText = (out: boolean): string =>
  out ? '好的，以后的月度致谢里不再写你的名字（数字照常计入）。想恢复就发「/relay optin」。' : '好的，月度致谢里会重新写上你的名字。';
