import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh temporary directory, removed once the test file is done. Not per test: vitest never runs an
 * `afterEach` added by a running test (that left ≈ 1,000 directories in /tmp per `npm test`), and the
 * global `onTestFinished` picks the wrong test in a `describe.concurrent` (kill9.test.ts lost its
 * directory to the other test's end).
 */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'alumni-relay-test-'));
  made.push(dir);
  return dir;
}
