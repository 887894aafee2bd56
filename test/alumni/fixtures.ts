// Shared test data for the alumni features: a rules-like object with the alumni keys, and ledger entries.
import type { Platform } from '../../src/domain.ts';
import type { LedgerEntry, LedgerSource } from '../../src/alumni/ledger.ts';
import { type AlumniConfig, alumniConfigOf, type RulesLike } from '../../src/alumni/rules.ts';

export const BJ = '东电校友会·北京分会';
export const SZ = '东电校友会·深圳分会';
export const TG = '-1001987650001';

type SourceOpts = { ack?: 'reply' | 'daily' | 'off'; hints?: 'on' | 'off' | boolean; guideEvery?: string; thanks?: 'on' | 'off' | boolean };

export function rulesLike(
  opts: { bj?: SourceOpts; sz?: SourceOpts; tg?: SourceOpts; members?: { ee?: number; auto?: number; tg?: number }; attribution?: 'name' | 'initials' | 'none'; alumni?: object } = {},
): RulesLike & { alumni?: object } {
  const m = opts.members ?? {};
  return {
    defaults: { timezone: 'Asia/Shanghai' },
    privacy: { attribution: opts.attribution ?? 'initials', retentionDays: 180 },
    sources: [
      { platform: 'wechat', group: BJ, name: '北京校友群', ...opts.bj },
      { platform: 'wechat', group: SZ, name: '深圳校友群', ...opts.sz },
      { platform: 'telegram', group: TG, name: '海外校友群', ...opts.tg },
    ],
    colleges: [
      {
        id: 'electrical',
        name: '电气学院',
        channels: [
          { platform: 'wechat', chat: '电气学院2026届就业信息群', ...(m.ee !== undefined ? { members: m.ee } : {}) },
          { platform: 'telegram', chat: '-1001987650101', ...(m.tg !== undefined ? { members: m.tg } : {}) },
        ],
      },
      { id: 'automation', name: '自动化系', channels: [{ platform: 'wechat', chat: '自动化系学生群', ...(m.auto !== undefined ? { members: m.auto } : {}) }] },
    ],
    ...(opts.alumni ? { alumni: opts.alumni } : {}),
  } as RulesLike;
}

export const config = (opts: Parameters<typeof rulesLike>[0] = {}): AlumniConfig => alumniConfigOf(rulesLike(opts));

let n = 0;
export function source(over: Partial<LedgerSource> = {}): LedgerSource {
  n++;
  return { platform: 'wechat' as Platform, chat: BJ, messageId: `msg${n}`, senderId: 'u-wang', senderName: '王磊（2012级电气）', sentAt: '2026-11-18T01:00:00.000Z', ...over };
}

export function entry(over: Partial<LedgerEntry> & { id?: string } = {}): LedgerEntry {
  const { id, ...rest } = over;
  return {
    postId: id ?? `post${++n}`,
    receivedAt: '2026-11-18T01:00:00.000Z',
    month: '2026-11',
    label: '国网北京电力 · 电气工程师',
    routedTo: ['electrical', 'automation'],
    missing: [],
    sources: [source()],
    reach: { colleges: ['electrical', 'automation'], channels: { 'wechat:电气学院2026届就业信息群': 320, 'wechat:自动化系学生群': 180 }, firstAt: '2026-11-18T10:00:00.000Z' },
    clicks: 0,
    likes: 0,
    ...rest,
  };
}
