// Scheduled digests and the relay's clock (`now` in createRelay).
//
// A scheduled digest is built at now(), so its selection, rendering, createdAt and its deliveries'
// nextAttemptAt all follow the injected clock (they once used the cron fire time; see git log).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { createRelay, type Relay } from '../../src/app.ts';
import type { Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { clockFrom, until, writeRules } from '../helpers/e2e-rig.ts';
import { tempDir } from '../helpers/tmp.ts';

const RULES = `
version: 1
sources:
  - platform: local
    group: 校友群
colleges:
  - id: ee
    name: 电气学院
    classes: ["0806"]
    channels:
      - platform: local
        chat: 电气学院就业群
`;

let relay: Relay | undefined;
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
});

describe('scheduled digests run on the relay clock', () => {
  it('a scheduled digest is dated by now() and its delivery goes out', async () => {
    const dir = tempDir();
    const local = new LocalAdapter({ print: () => {} });
    const adapters = new Map<Platform, ChatAdapter>([['local', local]]);
    // Five days behind the wall clock: what a test pinning a date does once that date has passed.
    const now = clockFrom(new Date(Date.now() - 5 * 86_400_000).toISOString());
    relay = await createRelay({ rulesFile: writeRules(dir, RULES), dataDir: join(dir, 'data'), adapters, logger: silentLogger, scheduleOverride: '* * * * * *', watchRules: false, now, outboxIntervalMs: 50 });
    await relay.start();
    await local.post({ group: '校友群', senderId: 'u1', senderName: '王磊', text: '国网江苏电力2026届校园招聘，电气工程及其自动化专业本科/硕士，南京，网申 https://zhaopin.sgcc.com.cn/x' });
    const r = relay;
    const digest = await until('a scheduled digest', () => r.store.data.digests[0], 3000);
    expect(Math.abs(Date.parse(digest.createdAt) - now().getTime()), 'digest createdAt vs the relay clock, ms').toBeLessThan(60_000);
    await until('the scheduled digest in the student channel', () => local.sent.find((s) => s.chat === '电气学院就业群'), 3000);
  });
});
