import { describe, expect, it } from 'vitest';
import { createLogger, RepeatGate } from '../../src/log.ts';

describe('logger', () => {
  it('redacts secrets by key name, nested too', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
    log.child({ platform: 'lark' }).info({ token: '123:ABC', config: { appSecret: 's3cr3t', appId: 'cli_1' }, req: { headers: { authorization: 'Bearer t-xyz' } } }, 'connecting');
    const out = lines.join('');
    for (const secret of ['123:ABC', 's3cr3t', 'Bearer t-xyz']) expect(out).not.toContain(secret);
    expect(out).toContain('cli_1');
    expect(out).toContain('[redacted]');
  });

  it('RepeatGate lets a line through once per window, counting what it held back, per key', () => {
    let now = 0;
    const gate = new RepeatGate(60_000, () => now);
    expect(gate.pass('a')).toEqual({ log: true, held: 0 });
    for (let i = 0; i < 5; i++) expect(gate.pass('a').log).toBe(false);
    expect(gate.pass('b')).toEqual({ log: true, held: 0 });
    now = 59_999;
    expect(gate.pass('a').log).toBe(false);
    now = 60_000;
    expect(gate.pass('a')).toEqual({ log: true, held: 6 });
    expect(gate.pass('a')).toEqual({ log: false, held: 1 });
    // Keys are bounded: the stalest go first.
    for (let i = 0; i < 200; i++) gate.pass(`k${i}`);
    expect(gate.pass('a')).toEqual({ log: true, held: 0 });
  });
});
