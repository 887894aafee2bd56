// Build once at install: `npm start` / `npm run cli` run scripts/build.mjs --if-stale, which rebuilds only when
// dist/ is missing or older than a source, and only if it may write there. Run on a copy of the project layout.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript (it runs before anything is compiled), no declarations
import { buildState } from '../../scripts/build.mjs';
import { tempDir } from '../helpers/tmp.ts';

const past = new Date('2026-01-01T00:00:00Z');
const later = new Date('2026-02-01T00:00:00Z');

/** A tiny project: scripts/build.mjs (the real one), src/cli.ts, adapters/, node_modules → the real ones. */
function project(): string {
  const root = tempDir();
  chmodSync(root, 0o755);
  for (const d of ['scripts', 'src', 'adapters']) mkdirSync(join(root, d));
  copyFileSync('scripts/build.mjs', join(root, 'scripts/build.mjs'));
  writeFileSync(join(root, 'src/cli.ts'), 'const greeting: string = "你好";\nconsole.log(greeting);\n');
  writeFileSync(join(root, 'adapters/index.ts'), 'export {};\n');
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
  for (const f of ['scripts/build.mjs', 'src/cli.ts', 'adapters/index.ts', 'scripts', 'src', 'adapters']) utimesSync(join(root, f), past, past);
  return root;
}

function distAt(root: string, when: Date): string {
  mkdirSync(join(root, 'dist/chunks'), { recursive: true });
  const file = join(root, 'dist/cli.js');
  writeFileSync(file, '// an earlier build\n');
  writeFileSync(join(root, 'dist/chunks/old-chunk.js'), '');
  utimesSync(file, when, when);
  return file;
}

const run = (root: string, opts: { uid?: number } = {}) =>
  spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--if-stale'], { encoding: 'utf8', cwd: root, timeout: 60_000, ...opts });

const NOBODY = 65534;

describe('scripts/build.mjs --if-stale', () => {
  it('tells missing, stale and fresh apart by modification time', () => {
    const root = project();
    expect(buildState(root)).toBe('missing');
    const file = distAt(root, later);
    expect(buildState(root)).toBe('fresh');
    utimesSync(join(root, 'src/cli.ts'), new Date(later.getTime() + 1000), new Date(later.getTime() + 1000));
    expect(buildState(root)).toBe('stale');
    utimesSync(file, new Date(later.getTime() + 2000), new Date(later.getTime() + 2000));
    expect(buildState(root)).toBe('fresh');
  });

  it('leaves a fresh build alone', () => {
    const root = project();
    const file = distAt(root, later);
    const r = run(root);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('// an earlier build\n');
  });

  it('rebuilds a stale one in place, dropping chunks it no longer references', () => {
    const root = project();
    const file = distAt(root, past);
    utimesSync(join(root, 'src/cli.ts'), later, later);
    const r = run(root);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('var greeting = ');
    expect(statSync(file).mtimeMs).toBeGreaterThan(later.getTime());
    expect(existsSync(join(root, 'dist/chunks/old-chunk.js'))).toBe(false);
  });

  it('starts a read-only install from the build it has, and says why a missing one cannot be made', () => {
    const root = project();
    const file = distAt(root, past);
    utimesSync(join(root, 'src/cli.ts'), later, later);
    // The project is root's, mode 755; the command runs as nobody (as a service user would on a packaged install).
    const stale = run(root, { uid: NOBODY, gid: NOBODY } as never);
    expect(stale.status, stale.stderr).toBe(0);
    expect(stale.stderr).toContain('dist/ 比源码旧，但目录不可写；使用现有的构建。');
    expect(readFileSync(file, 'utf8')).toBe('// an earlier build\n');

    const bare = project();
    const missing = run(bare, { uid: NOBODY, gid: NOBODY } as never);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('不存在，而且这个目录不可写：请在安装时构建（npm ci 或 npm run build）。');
  });
});
