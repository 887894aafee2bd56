// What an alumni group would be sent (ack | daily | hint | guide | thanks), for admins to preview: the CLI's
// `preview` and the console's 校友 page. Pure: from the ledger and the rules, with a made-up example when the
// group has nothing real yet.
import { ackText, dailyText, guideText, hintText, thanksText } from './compose.ts';
import type { LedgerEntry } from './ledger.ts';
import { previousMonth } from './plan.ts';
import { type AlumniConfig, groupKey } from './rules.ts';
import { localDate } from '../time.ts';

export const KINDS = ['ack', 'daily', 'hint', 'guide', 'thanks'] as const;
export type Kind = (typeof KINDS)[number];

/** A made-up entry for previews of a group with no real one yet, said to be an example. */
function sampleEntry(cfg: AlumniConfig, group: string, now: Date): LedgerEntry {
  const colleges = [...cfg.colleges.values()].slice(0, 2);
  const channels = Object.fromEntries(colleges.flatMap((c) => c.channels.map((ch) => [ch.key, ch.members ?? null])));
  const [platform, ...chat] = group.split(':');
  return {
    postId: 'preview',
    receivedAt: now.toISOString(),
    month: localDate(now, cfg.timeZone).slice(0, 7),
    label: '示例公司 · 示例岗位',
    routedTo: colleges.map((c) => c.id),
    missing: ['apply', 'deadline'],
    sources: [{ platform: platform as LedgerEntry['sources'][0]['platform'], chat: chat.join(':'), messageId: 'preview', senderId: 'preview', senderName: '示例校友', sentAt: now.toISOString() }],
    reach: { colleges: colleges.map((c) => c.id), channels, firstAt: now.toISOString() },
    clicks: 0,
    likes: 0,
  };
}

export function previewText(kind: Kind, group: string, cfg: AlumniConfig, entries: readonly LedgerEntry[], optedOut: ReadonlySet<string>, now: Date, month?: string): { text: string; example: boolean } {
  const inGroup = entries.filter((e) => e.sources.some((s) => groupKey(s.platform, s.chat) === group));
  const delivered = inGroup.filter((e) => e.reach.firstAt).sort((a, b) => (b.reach.firstAt ?? '').localeCompare(a.reach.firstAt ?? ''));
  const sample = sampleEntry(cfg, group, now);
  switch (kind) {
    case 'ack':
      return delivered[0] ? { text: ackText(delivered[0], cfg), example: false } : { text: ackText(sample, cfg), example: true };
    case 'daily': {
      const recent = delivered.filter((e) => now.getTime() - Date.parse(e.reach.firstAt!) < 86_400_000);
      const day = localDate(now, cfg.timeZone);
      return recent.length ? { text: dailyText({ entries: recent, clicks: 0, likes: 0 }, cfg, day)!, example: false } : { text: dailyText({ entries: [sample], clicks: 0, likes: 0 }, cfg, day)!, example: true };
    }
    case 'hint': {
      const lacking = inGroup.filter((e) => e.missing.includes('apply') || e.missing.includes('majors')).at(-1);
      return { text: hintText(lacking?.missing ?? sample.missing), example: !lacking };
    }
    case 'guide':
      return { text: guideText(cfg), example: false };
    case 'thanks': {
      const m = month ?? previousMonth(localDate(now, cfg.timeZone).slice(0, 7));
      const real = thanksText(entries, m, group, cfg, optedOut);
      return real ? { text: real, example: false } : { text: thanksText([{ ...sample, month: m }], m, group, cfg, optedOut)!, example: true };
    }
  }
}
