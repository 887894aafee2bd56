// memberCount on WeChat: room.memberAll() through a real wechaty on PuppetMock, by the rules' name of the
// group (its topic, or an alias after a rename), the bot not counted; through the PlatformSupervisor.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWechatAdapter } from '../../adapters/wechat/index.ts';
import { silentLogger } from '../../src/log.ts';
import { PlatformSupervisor } from '../../src/supervisor.ts';
import { WechatMock } from '../fakes/wechat-mock.ts';

const GROUP = '电气学院2027届就业信息群';

describe('wechat memberCount', () => {
  const dirs: string[] = [];
  let stop: () => Promise<void> = async () => {};
  afterEach(async () => {
    await stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('counts the people in the group (not the bot), keeps the count for 6 hours, and follows a renamed group', async () => {
    const wx = new WechatMock();
    const dataDir = mkdtempSync(join(tmpdir(), 'alumni-relay-wechat-count-'));
    dirs.push(dataDir);
    let now = 1_000;
    const adapter = createWechatAdapter(
      { puppet: 'wechaty-puppet-mock', dataDir, sendSpacingMs: [0, 5] },
      { logger: silentLogger, puppet: wx.puppet, print: () => {}, memberCounts: { now: () => now } },
    );
    const supervisor = new PlatformSupervisor(adapter, { logger: silentLogger });
    stop = () => supervisor.stop();
    expect(await supervisor.memberCount(GROUP)).toBeUndefined(); // not started
    await supervisor.start(async () => {});
    await wx.loggedIn();
    await wx.ready();
    for (const name of ['王同学', '李同学', '张同学']) await wx.say(GROUP, name, '老师好');
    expect(await supervisor.memberCount(GROUP)).toBe(3);
    wx.addMembers(GROUP, ['赵同学']);
    expect(await supervisor.memberCount(GROUP)).toBe(3); // cached
    now += 6 * 3600_000 + 1;
    expect(await supervisor.memberCount(GROUP)).toBe(4);

    wx.rename(GROUP, `${GROUP}（新）`);
    // Until wechaty's room-topic event reaches the adapter the old name finds nothing (remembered as
    // unknown for 10 minutes): step the clock past that until the rules' old name finds the group.
    const end = Date.now() + 5000;
    let after: number | undefined;
    while (after === undefined && Date.now() < end) {
      now += 6 * 3600_000 + 1;
      after = await supervisor.memberCount(GROUP);
      if (after === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    expect(after).toBe(4);
  });

  it('is undefined for a group the bot is not in, for a person, and while logged out', async () => {
    const wx = new WechatMock({ autoLogin: false });
    const dataDir = mkdtempSync(join(tmpdir(), 'alumni-relay-wechat-count-'));
    dirs.push(dataDir);
    const adapter = createWechatAdapter({ puppet: 'wechaty-puppet-mock', dataDir, sendSpacingMs: [0, 5] }, { logger: silentLogger, puppet: wx.puppet, print: () => {} });
    stop = () => adapter.stop();
    await adapter.start(async () => {});
    expect(await adapter.memberCount?.(GROUP)).toBeUndefined(); // not logged in: not even looked up
    wx.mocker.login(wx.self);
    await wx.loggedIn();
    wx.puppet.emit('ready', { data: 'stable' });
    await new Promise((r) => setTimeout(r, 20));
    expect(await adapter.memberCount?.('没有这个群')).toBeUndefined();
    expect(await adapter.memberCount?.('wxid_someone')).toBeUndefined();
    await wx.say(GROUP, '王同学', '你好');
    expect(await adapter.memberCount?.(GROUP)).toBe(1);
  });
});
