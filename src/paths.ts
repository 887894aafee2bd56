// Where the project's own files are. Code runs both from src/ (tsx, tests) and bundled into dist/cli.js,
// at different depths, so paths are resolved from the project root rather than from the module's file.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory at or above this module that holds a package.json: the project root. */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`alumni-relay: no package.json above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the project (data files shipped with it, caches). */
export const projectPath = (...parts: string[]): string => join(PROJECT_ROOT, ...parts);
