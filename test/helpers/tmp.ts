import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

const remove = (dir: string) => rmSync(dir, { recursive: true, force: true });
/** Made outside a test (a beforeAll, a describe body): removed once the file's tests are done. */
const forTheFile: string[] = [];
afterAll(() => forTheFile.splice(0).forEach(remove));

/**
 * A fresh temporary directory, removed when the test that made it finishes (or, made outside a test,
 * after the file). Not `afterEach` inside a test: vitest does not run a hook added by a running test,
 * which left ≈ 1,000 directories in /tmp per `npm test`.
 */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'alumni-relay-test-'));
  try {
    onTestFinished(() => remove(dir));
  } catch {
    forTheFile.push(dir); // no test running
  }
  return dir;
}
