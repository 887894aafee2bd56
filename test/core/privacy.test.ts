// Privacy end to end: retention prunes on start; `forget` erases one person from every file.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { createRelay } from '../../src/app.ts';
import { DurableQueue, replayJobs } from '../../src/durable-queue.ts';
import { inboundSpoolFile, isSpooledMessage } from '../../src/inbound-spool.ts';
import type { Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { Store } from '../../src/store/store.ts';
import { post } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

async function relayOn(dir: string) {
  const rulesFile = join(dir, 'routing.yaml');
  copyFileSync('rules/routing.yaml', rulesFile); // privacy.retentionDays: 180
  const local = new LocalAdapter({ print: () => {} });
  const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, local]));
  return { relay: await createRelay({ rulesFile, dataDir: join(dir, 'data'), adapters, logger: silentLogger, watchRules: false }), local };
}

describe('privacy', () => {
  it('prunes posts older than privacy.retentionDays when the relay starts', async () => {
    const dir = tempDir();
    const store = await Store.open(join(dir, 'data'));
    const old = new Date(Date.now() - 200 * 86_400_000).toISOString();
    await store.addPost(post({ id: 'old', receivedAt: old }));
    await store.addPost(post({ id: 'recent', receivedAt: new Date().toISOString() }));
    await store.close();
    const { relay } = await relayOn(dir);
    await relay.start();
    expect(relay.store.postById('old')).toBeUndefined();
    expect(relay.store.postById('recent')).toBeDefined();
    await relay.stop();
  });

  it('forget --name erases a sender from every file on disk, digests included', async () => {
    const dir = tempDir();
    const { relay, local } = await relayOn(dir);
    await relay.start();
    await local.post({ platform: 'wechat', group: '东电校友会·北京分会', senderId: 'wxid_wanglei', senderName: '王磊（2012级电气）', text: '国网江苏电力2026届校园招聘，电气工程及其自动化专业本科/硕士，南京，网申 https://zhaopin.sgcc.com.cn/x 联系王磊 13812345678' });
    await local.post({ platform: 'wechat', group: '东电校友会·北京分会', senderId: 'wxid_other', senderName: '李娜', text: '南瑞集团2026届校招：嵌入式软件工程师，计算机科学与技术、电子信息工程专业，南京，截止12月20日' });
    await relay.runDigest('electrical');
    await relay.outbox.drain();
    await relay.stop();
    const dataDir = join(dir, 'data');
    // Messages WeChat handed over that the relay had not handled when it stopped wait in the adapter's spool
    // (adapters/wechat/ingest.ts), to be handled at the next start: 王磊's second one, and one of 赵强's, whose
    // only trace is there.
    const spool = DurableQueue.open(inboundSpoolFile(dataDir, 'wechat'), isSpooledMessage);
    const waiting = (id: string, senderId: string, senderName: string, text: string) =>
      spool.put({ id: `g\u0000${id}`, arrivedAt: new Date().toISOString(), message: { platform: 'wechat', id, chatId: 'g', chatTitle: '东电校友会·北京分会', senderId, senderName, text, sentAt: new Date().toISOString() } });
    await waiting('m1', 'wxid_wanglei', '王磊（2012级电气）', '再补充一个岗位，联系王磊 13812345678');
    await waiting('m2', 'wxid_zhaoqiang', '赵强', '赵强：许继电气招聘，电气类专业');
    await waiting('m3', 'wxid_other', '李娜', '南瑞集团还有测试岗');
    await spool.close();
    const onDisk = () => filesUnder(dataDir).map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(onDisk()).toContain('王磊');
    const forget = (name: string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'forget', '--name', name, '--data-dir', dataDir], { encoding: 'utf8', timeout: 60_000 });

    const r = forget('王磊（2012级电气）');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('sender wxid_wanglei: 1 posts erased');
    expect(r.stdout).toContain('待处理消息：1 条已删除');
    const after = onDisk();
    for (const trace of ['王磊', 'wxid_wanglei', '13812345678']) expect(after).not.toContain(trace);
    expect(after).toContain('南瑞集团');
    expect(forget('赵强').status).toBe(0);
    // What others sent still waits, to be handled at the next start.
    const left = [...replayJobs(readFileSync(inboundSpoolFile(dataDir, 'wechat'), 'utf8'), isSpooledMessage).values()].map((j) => j.message.senderId);
    expect(left).toEqual(['wxid_other']);
    expect(onDisk()).not.toContain('赵强');
  });
});
