import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { parseAdminCommand } from '../../src/admin.ts';
import { createRelay, type Relay } from '../../src/app.ts';
import type { Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { AdapterError, type ChatAdapter } from '../../src/ports.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('parseAdminCommand', () => {
  it('parses the commands and ignores everything else', () => {
    expect(parseAdminCommand('/relay status')).toEqual({ name: 'status' });
    expect(parseAdminCommand('/relay@AlumniRelayBot review')).toEqual({ name: 'review' });
    expect(parseAdminCommand(' /relay approve 1a2b3c4d ')).toEqual({ name: 'approve', id: '1a2b3c4d' });
    expect(parseAdminCommand('/relay')).toEqual({ name: 'help' });
    expect(parseAdminCommand('/relay approve')).toBe('unknown');
    expect(parseAdminCommand('/relay dance')).toBe('unknown');
    expect(parseAdminCommand('国网内推 /relay status')).toBeNull();
    expect(parseAdminCommand('/relaying')).toBeNull();
  });
});

describe('admin commands in chat', () => {
  let relay: Relay | undefined;
  afterEach(async () => relay?.stop());

  async function setup() {
    const dir = tempDir();
    const rulesFile = join(dir, 'routing.yaml');
    copyFileSync('rules/routing.yaml', rulesFile);
    const local = new LocalAdapter({ print: () => {} });
    const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, local]));
    relay = await createRelay({ rulesFile, dataDir: join(dir, 'data'), adapters, logger: silentLogger, watchRules: false });
    await relay.start();
    const group = '-1001987650001';
    const say = (senderId: string, text: string) => local.post({ platform: 'telegram', group, senderId, senderName: senderId, text });
    const replies = () => local.sent.filter((s) => s.chat === group).map((s) => s.text);
    return { relay, say, replies, local };
  }

  it('answers admins only; a stranger gets silence and the command is never stored as a post', async () => {
    const { relay, say, replies } = await setup();
    await say('12345', '/relay status');
    expect(replies()).toEqual([]);
    await say('5200013140', '/relay status');
    expect(replies()).toHaveLength(1);
    expect(replies()[0]).toContain('alumni-relay 运行中');
    expect(replies()[0]).toContain('电气与电子工程学院');
    expect(relay.store.posts()).toHaveLength(0);
  });

  it('lists held scams and lets an admin reject or approve them', async () => {
    const { relay, say, replies } = await setup();
    await say('u1', '手机打字员兼职日结，足不出户日赚300，先交198元押金，加V：money8899');
    await say('u2', '刷单兼职，一单一结，日结300-800，宝妈学生都可以做，加QQ 3345678901');
    const held = relay.store.posts().filter((p) => p.status === 'review');
    expect(held).toHaveLength(2);
    await say('5200013140', '/relay review');
    const list = replies().at(-1)!;
    expect(list).toContain('待审核 2 条');
    for (const p of held) expect(list).toContain(p.id.slice(0, 8));

    await say('5200013140', `/relay reject ${held[0]!.id.slice(0, 8)}`);
    expect(replies().at(-1)).toContain('已驳回');
    expect(relay.store.postById(held[0]!.id)!.status).toBe('rejected');

    await say('12345', `/relay approve ${held[1]!.id.slice(0, 8)}`);
    expect(relay.store.postById(held[1]!.id)!.status).toBe('review');
    await say('5200013140', `/relay approve ${held[1]!.id.slice(0, 8)}`);
    expect(relay.store.postById(held[1]!.id)!.status).toBe('active');
    await say('5200013140', '/relay approve ffffffff');
    expect(replies().at(-1)).toContain('找不到');
  });
});

describe('dead letters', () => {
  let relay: Relay | undefined;
  afterEach(async () => relay?.stop());

  it('tells the admins once when a delivery is given up on', async () => {
    const dir = tempDir();
    const rulesFile = join(dir, 'routing.yaml');
    copyFileSync('rules/routing.yaml', rulesFile);
    const local = new LocalAdapter({ print: () => {} });
    const send = local.send.bind(local);
    // The electrical college's WeChat group is gone: every send there fails for good.
    const failing: ChatAdapter['send'] = async (chat, m) => {
      if (chat === '电气学院2026届就业信息群') throw new AdapterError('wechat', 'send', 'room not found', { permanent: true });
      return send(chat, m);
    };
    local.send = failing;
    const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, local]));
    relay = await createRelay({ rulesFile, dataDir: join(dir, 'data'), adapters, logger: silentLogger, watchRules: false });
    await relay.start();
    await local.post({ platform: 'wechat', group: '东电校友会·北京分会', senderId: 'u1', text: '国网江苏电力2026届校园招聘，电气工程及其自动化专业本科/硕士，南京，网申 https://zhaopin.sgcc.com.cn/x' });
    await relay.runDigest('electrical');
    await relay.outbox.drain();
    const dead = relay.store.deliveries().filter((d) => d.status === 'dead');
    expect(dead).toHaveLength(1);
    expect(relay.store.deliveries().filter((d) => d.status === 'delivered').map((d) => d.channel.platform)).toEqual(['telegram']);
    const toAdmins = local.sent.filter((s) => s.chat === '5200013140' || s.chat === '就业中心-王老师');
    expect(toAdmins).toHaveLength(2);
    expect(toAdmins[0]!.text).toContain('电气学院2026届就业信息群');
    expect(toAdmins[0]!.text).toContain('room not found');
    expect(toAdmins[0]!.text).toContain('发送失败 1 次');
  });
});
