// WeChat delivers a message once, so the adapter keeps what it read on disk until the relay has handled it
// (adapters/wechat/ingest.ts): a store that fails for a while loses nothing, and what one run read but did
// not handle (stopped, or killed: the spool is fdatasync'ed before the message waits in memory) is handled
// first by the next run, in order.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWechatAdapter, type WechatAdapter } from '../../adapters/wechat/index.ts';
import type { InboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { NotStoredError } from '../../src/pipeline.ts';
import { WechatMock } from '../fakes/wechat-mock.ts';

const GROUP = '东电校友会·北京分会';
const GROUP2 = '东电校友会·上海分会';

const dirs: string[] = [];
const adapters: WechatAdapter[] = [];
afterEach(async () => {
  for (const a of adapters.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function started(dataDir: string, handler: (m: InboundMessage) => Promise<void>, wx = new WechatMock()) {
  const adapter = createWechatAdapter(
    { puppet: 'wechaty-puppet-mock', dataDir, sendSpacingMs: [0, 5], handlerRetryDelaysMs: [20, 20], spoolSweepMs: 100 },
    { logger: silentLogger, puppet: wx.puppet, print: () => {} },
  );
  adapters.push(adapter);
  await adapter.start(handler);
  await wx.loggedIn();
  return { adapter, wx };
}

const spoolLines = (dataDir: string): string[] => {
  try {
    return readFileSync(join(dataDir, 'wechat', 'inbound.jsonl'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return []; // created by the first message
  }
};

describe('wechat inbound spool', () => {
  it('a store that fails for a while loses nothing, and each group keeps its order', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'relay-wechat-spool-'));
    dirs.push(dataDir);
    let storeDown = true;
    const stored: string[] = [];
    const { wx } = await started(dataDir, async (m) => {
      if (storeDown) throw new NotStoredError('store write failed 4 times; the message was NOT stored');
      stored.push(`${m.chatId}:${m.text}`);
    });
    for (const t of ['a1', 'a2', 'a3']) await wx.say(GROUP, '王磊', t);
    await wx.say(GROUP2, '李娜', 'b1');
    // Every retry of the first round fails; they wait on disk.
    await new Promise((r) => setTimeout(r, 400));
    expect(stored).toEqual([]);
    storeDown = false;
    await until('all four stored', () => stored.length === 4);
    expect(stored.filter((s) => s.startsWith(GROUP))).toEqual([`${GROUP}:a1`, `${GROUP}:a2`, `${GROUP}:a3`]);
    expect(stored).toContain(`${GROUP2}:b1`);
    // Handled, the messages leave the disk (the spool holds only what waits: chit-chat is not kept).
    await until('the spool emptied', () => spoolLines(dataDir).length === 0);
  });

  it('what one run read and did not handle, the next run handles first, once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'relay-wechat-spool-'));
    dirs.push(dataDir);
    // Run 1: the relay never finishes a message (a store stuck until the process dies).
    const stuck = await started(dataDir, () => new Promise<void>(() => {}));
    for (const t of ['r1', 'r2', 'r3']) await stuck.wx.say(GROUP, '王磊', t);
    await until('three messages on disk', () => spoolLines(dataDir).length === 3);
    await stuck.adapter.stop(); // (5 s for the stuck handler; a kill -9 leaves the same file)
    adapters.splice(adapters.indexOf(stuck.adapter), 1);

    // Run 2, same data directory, a new session: the leftovers come first, in order, then what is new.
    const handled: string[] = [];
    const next = await started(dataDir, async (m) => void handled.push(m.text));
    await until('the leftovers', () => handled.length === 3);
    await next.wx.say(GROUP, '王磊', 'new');
    await until('the new one', () => handled.length === 4);
    expect(handled).toEqual(['r1', 'r2', 'r3', 'new']);
    await new Promise((r) => setTimeout(r, 300)); // sweeps find nothing left to hand over again
    expect(handled).toHaveLength(4);
  }, 20_000);
});
