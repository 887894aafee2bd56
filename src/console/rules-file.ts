// The rules file as the console edits it: read with a content hash (the If-Match of a save), validated
// exactly like `rules check`, written atomically (temp file in the same directory + rename, so the relay's
// watcher sees one complete file), with the previous versions kept and restorable.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Catalog } from '../catalog.ts';
import { parseRules, RulesError, type RulesProblem } from '../rules/parse.ts';
import type { Rules } from '../rules/schema.ts';

export const hashOf = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 20);

export interface RulesVersion {
  id: string;
  savedAt: string;
  who: string;
  hash: string;
  bytes: number;
}

export type CheckResult = { ok: true; rules: Rules } | { ok: false; problems: RulesProblem[] };

/** Validates text as `rules check` would, naming the file as the admin knows it. */
export function checkRulesText(text: string, file: string, catalog: Catalog): CheckResult {
  try {
    return { ok: true, rules: parseRules(text, basename(file), catalog) };
  } catch (err) {
    if (err instanceof RulesError) return { ok: false, problems: err.problems };
    throw err;
  }
}

export type SaveResult =
  | { status: 'saved'; hash: string; version: RulesVersion }
  | { status: 'conflict'; hash: string }
  | { status: 'invalid'; problems: RulesProblem[] };

export class RulesFile {
  private readonly versionsDir: string;

  constructor(
    readonly file: string,
    dataDir: string,
    private readonly catalog: Catalog,
    private readonly now: () => Date,
    private readonly keep = 30,
  ) {
    this.versionsDir = join(dataDir, 'console', 'rules-versions');
  }

  read(): { text: string; hash: string } {
    const text = readFileSync(this.file, 'utf8');
    return { text, hash: hashOf(text) };
  }

  check(text: string): CheckResult {
    return checkRulesText(text, this.file, this.catalog);
  }

  /**
   * Saves only when `ifMatch` is the hash of the file as it is now (another tab's save in between is a
   * conflict, not a lost edit) and the text is valid. The version being replaced is kept first.
   */
  save(text: string, ifMatch: string, who: string): SaveResult {
    const current = this.read();
    if (current.hash !== ifMatch) return { status: 'conflict', hash: current.hash };
    const checked = this.check(text);
    if (!checked.ok) return { status: 'invalid', problems: checked.problems };
    const version = this.keepVersion(current.text, who);
    atomicWrite(this.file, text);
    return { status: 'saved', hash: hashOf(text), version };
  }

  versions(): RulesVersion[] {
    if (!existsSync(this.versionsDir)) return [];
    return readdirSync(this.versionsDir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .reverse()
      .flatMap((f) => {
        try {
          const { text: _t, ...meta } = JSON.parse(readFileSync(join(this.versionsDir, f), 'utf8')) as RulesVersion & { text: string };
          return [meta];
        } catch {
          return [];
        }
      });
  }

  versionText(id: string): string | undefined {
    if (!/^[\w-]+$/.test(id)) return undefined;
    const f = join(this.versionsDir, `${id}.json`);
    if (!existsSync(f)) return undefined;
    return (JSON.parse(readFileSync(f, 'utf8')) as { text: string }).text;
  }

  private keepVersion(text: string, who: string): RulesVersion {
    mkdirSync(this.versionsDir, { recursive: true });
    const savedAt = this.now().toISOString();
    const hash = hashOf(text);
    const id = `${savedAt.replace(/[:.]/g, '-')}-${hash.slice(0, 8)}`;
    const version: RulesVersion = { id, savedAt, who, hash, bytes: Buffer.byteLength(text) };
    atomicWrite(join(this.versionsDir, `${id}.json`), JSON.stringify({ ...version, text }));
    const all = readdirSync(this.versionsDir).filter((f) => f.endsWith('.json')).sort();
    for (const f of all.slice(0, Math.max(0, all.length - this.keep))) unlinkSync(join(this.versionsDir, f));
    return version;
  }
}

/** temp + fsync + rename in the same directory: readers see the old file or the new one, never half. */
export function atomicWrite(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
