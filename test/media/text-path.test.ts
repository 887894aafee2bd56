// The OCR engine's cost stays away from the text path: importing the media module (and creating the service)
// loads none of the engine's native libraries; only the first image does, in another process.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HEAVY = /sharp|onnxruntime|vips|opencv/i;

/** Native libraries a fresh process has loaded after running `code` (an ES module body, under tsx). */
function nativeLibsAfter(code: string): string[] {
  const probe = `${code}\nconst libs = process.report.getReport().sharedObjects; console.log(JSON.stringify(libs));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as string[]).filter((l) => HEAVY.test(l));
}

describe('text path without images', () => {
  it('no module the relay loads imports sharp or the OCR engine at the top level', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.ts')) files.push(join(dir, e.name));
      }
    };
    walk(join(ROOT, 'src'));
    walk(join(ROOT, 'adapters'));
    const offenders = files.filter((f) => /^\s*import\s[^;]*from\s+['"](sharp|@gutenye\/[^'"]+|onnxruntime-node)['"]/m.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('importing the media module and creating the service loads no native OCR library; sharp does (control)', { timeout: 120_000 }, () => {
    const withService = nativeLibsAfter(
      "const m = await import('./src/media/index.ts'); const s = m.createOcrService({ logger: (await import('./src/log.ts')).silentLogger }); s.stats(); await s.stop();",
    );
    expect(withService).toEqual([]);
    expect(nativeLibsAfter("await import('sharp');").length).toBeGreaterThan(0);
  });
});
