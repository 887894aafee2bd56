// `report contributors` and `preview` on a seeded store, through commander as main.ts would register them.
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { previewText } from '../../src/alumni/preview.ts';
import { registerAlumni } from '../../src/cli/alumni.ts';
import { Context } from '../../src/cli/context.ts';
import type { Delivery, Post } from '../../src/domain.ts';
import { Store } from '../../src/store/store.ts';
import { post } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';
import { BJ, config, entry } from './fixtures.ts';

afterEach(() => vi.restoreAllMocks());

async function seed(dir: string): Promise<void> {
  const store = await Store.open(dir, { fsync: false });
  const posts: Post[] = [
    post({ id: 'a', receivedAt: '2026-11-05T02:00:00.000Z', sources: [{ platform: 'wechat', chatId: BJ, messageId: 'a', senderId: 'wx-wang', senderName: '王磊', sentAt: '2026-11-05T02:00:00.000Z' }] }),
    post({ id: 'b', receivedAt: '2026-11-06T02:00:00.000Z', sources: [{ platform: 'wechat', chatId: BJ, messageId: 'b', senderId: 'wx-wang', senderName: '王磊', sentAt: '2026-11-06T02:00:00.000Z' }] }),
    post({ id: 'c', receivedAt: '2026-11-07T02:00:00.000Z', sources: [{ platform: 'wechat', chatId: BJ, messageId: 'c', senderId: 'wx-li', senderName: '李娜, "HR"', sentAt: '2026-11-07T02:00:00.000Z' }] }),
    post({ id: 'd', receivedAt: '2026-10-30T02:00:00.000Z' }),
  ];
  for (const p of posts) await store.addPost(p);
  const at = '2026-11-08T00:00:00.000Z';
  const d: Delivery = { id: 'dg-1-0', digestId: 'dg-1', collegeId: 'electrical', channel: { platform: 'wechat', chat: '电气学院2026届就业信息群' }, parts: [], sentParts: 0, status: 'pending', attempts: 0, nextAttemptAt: at, createdAt: at };
  await store.recordDigest({ id: 'dg-1', collegeId: 'electrical', collegeName: '电气', createdAt: at, items: posts.slice(0, 3).map((p) => ({ post: p })) }, [d]);
  await store.updateDelivery(d.id, { status: 'delivered', deliveredAt: at, sentParts: 0 });
  await store.close();
}

async function run(args: string[], dir: string, rulesFile: string): Promise<string> {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const program = new Command().exitOverride().option('--rules <file>').option('--data-dir <dir>');
  registerAlumni(program, new Context(program));
  await program.parseAsync(['node', 'alumni-relay', '--rules', rulesFile, '--data-dir', dir, ...args]);
  return out.join('\n');
}

describe('alumni CLI', () => {
  it('report contributors: per alumnus, text and CSV, without writing anything', async () => {
    const dir = tempDir();
    const rulesFile = join(dir, 'routing.yaml');
    copyFileSync('rules/routing.yaml', rulesFile);
    await seed(join(dir, 'data'));
    const text = await run(['report', 'contributors', '--month', '2026-11'], join(dir, 'data'), rulesFile);
    expect(text).toContain('2026-11 校友内推贡献（2 位校友，3 条内推）');
    expect(text).toMatch(/王磊\s+wechat:wx-wang\s+2\s+1\s+1\s+—/);
    const csv = await run(['report', 'contributors', '--month', '2026-11', '--csv'], join(dir, 'data'), rulesFile);
    expect(csv.split('\n')).toEqual([
      'month,platform,sender_id,name,referrals,colleges,student_groups,students,clicks,likes,opted_out',
      '2026-11,wechat,wx-wang,王磊,2,1,1,,0,0,no',
      '2026-11,wechat,wx-li,"李娜, ""HR""",1,1,1,,0,0,no',
    ]);
    expect(existsSync(join(dir, 'data', 'alumni'))).toBe(false); // a report never writes
  });

  it('preview thanks and guide for a group named by its short name', async () => {
    const dir = tempDir();
    const rulesFile = join(dir, 'routing.yaml');
    copyFileSync('rules/routing.yaml', rulesFile);
    await seed(join(dir, 'data'));
    const thanks = await run(['preview', 'thanks', '--group', '北京校友群', '--month', '2026-11'], join(dir, 'data'), rulesFile);
    expect(thanks).toContain('# 北京校友群（wechat:东电校友会·北京分会）· thanks');
    expect(thanks).toContain('本群校友分享内推 3 条，转给 1 个学院的 1 个学生群。');
    expect(thanks).toContain('特别感谢：王校友（2 条）、李校友（1 条）。');
    const guide = await run(['preview', 'guide', '--group', BJ], join(dir, 'data'), rulesFile);
    expect(guide).toContain('怎么发内推');
  });
});

describe('previewText', () => {
  const now = new Date('2026-11-18T12:00:00Z');
  it('uses the group’s latest real referral, or says it is an example', () => {
    const cfg = config({ members: { ee: 320, auto: 180, tg: 50 } });
    const real = previewText('ack', `wechat:${BJ}`, cfg, [entry()], new Set(), now);
    expect(real).toEqual({ text: '「国网北京电力 · 电气工程师」已转给 电气学院、自动化系 2 个学生群（约 500 人）。谢谢分享！', example: false });
    const sample = previewText('ack', `wechat:${BJ}`, cfg, [], new Set(), now);
    expect(sample.example).toBe(true);
    expect(sample.text).toContain('「示例公司 · 示例岗位」已转给 电气学院、自动化系 3 个学生群（约 550 人）');
  });
});
