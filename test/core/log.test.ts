import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';

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
});
