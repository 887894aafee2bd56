// Delivery.direct on WeChat (SendOptions.direct): a person's private chat goes to that friend — never to a
// group, even one with the same name. Real wechaty + PuppetMock (test/fakes/wechat-mock.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWechatAdapter, type WechatAdapter } from '../../adapters/wechat/index.ts';
import type { InboundMessage, OutboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { AdapterError } from '../../src/ports.ts';
import { WechatMock } from '../fakes/wechat-mock.ts';

const plain = (body: string): OutboundMessage => ({ format: 'plain', body });

async function waitFor<T>(probe: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('wechat direct sends', () => {
  const dirs: string[] = [];
  let adapter: WechatAdapter | undefined;
  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function rig(onMessage: (m: InboundMessage) => Promise<void> = async () => {}) {
    const wx = new WechatMock();
    const dataDir = mkdtempSync(join(tmpdir(), 'alumni-relay-wechat-direct-'));
    dirs.push(dataDir);
    adapter = createWechatAdapter({ puppet: 'wechaty-puppet-mock', dataDir, sendSpacingMs: [0, 5] }, { logger: silentLogger, puppet: wx.puppet, print: () => {} });
    await adapter.start(onMessage);
    await wx.loggedIn();
    await wx.ready();
    return { wx, adapter };
  }

  it("answers a private message in that contact's chat, not in the group that has the contact's name", async () => {
    let answered: Promise<unknown> | undefined;
    const { wx, adapter } = await rig(async (m) => {
      if (m.chatType === 'private') answered = adapter.send(m.chatId, plain('已收到你的导师报名：电气'), { direct: true });
    });
    wx.room('王磊'); // a group named like the person
    const alumnus = { id: 'alumnus-7f3', name: '王磊' }; // an id of no wechat4u shape (other puppets, the mock)
    await wx.sayPrivately(alumnus, '导师 报名 电气');
    await waitFor(() => answered);
    await answered;
    expect(wx.sentPrivately('alumnus-7f3')).toEqual(['已收到你的导师报名：电气']);
    expect(wx.sentTexts('王磊')).toEqual([]);
  });

  it('finds the friend by remark, then by name, when nobody wrote in this login; never the same-named group', async () => {
    const { wx, adapter } = await rig();
    wx.room('李娜');
    wx.room('张伟');
    wx.mocker.createContact({ id: 'c-lina-1', name: '李娜', alias: '李娜-电气2015', friend: true } as never);
    wx.mocker.createContact({ id: 'c-lina-2', name: '李娜', friend: true } as never);
    wx.mocker.createContact({ id: 'c-zhangwei', name: '张伟', friend: true } as never);
    await adapter.send('张伟', plain('你好，这是你的个人速递'), { direct: true });
    await adapter.send('李娜-电气2015', plain('导师介绍：王同学'), { direct: true });
    expect(wx.sentPrivately('c-zhangwei')).toEqual(['你好，这是你的个人速递']);
    expect(wx.sentPrivately('c-lina-1')).toEqual(['导师介绍：王同学']);
    expect(wx.sentTexts('张伟')).toEqual([]);
    expect(wx.sentTexts('李娜')).toEqual([]);
    // Without `direct` a name is a group's topic: this is what a personal digest to 张伟 used to hit.
    await adapter.send('张伟', plain('群消息'));
    expect(wx.sentTexts('张伟')).toEqual(['群消息']);
    expect(wx.sentPrivately('c-zhangwei')).toEqual(['你好，这是你的个人速递']);
  });

  it('refuses, permanently and without sending anywhere, two friends of one name and a name nobody has', async () => {
    const { wx, adapter } = await rig();
    wx.room('校友群');
    wx.mocker.createContact({ id: 'c-lina-1', name: '李娜', friend: true } as never);
    wx.mocker.createContact({ id: 'c-lina-2', name: '李娜', friend: true } as never);
    const twice = await adapter.send('李娜', plain('x'), { direct: true }).catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(AdapterError);
    expect(twice).toMatchObject({ permanent: true, message: expect.stringContaining('2 WeChat friends have the name "李娜"') });
    const nobody = await adapter.send('校友群', plain('x'), { direct: true }).catch((e: unknown) => e);
    expect(nobody).toMatchObject({ permanent: true, message: expect.stringContaining('no WeChat friend with the id, remark or name "校友群"') });
    expect(wx.sends).toEqual([]);
  });
});
