// Hot reload: re-read the rules file when it changes; keep the last good rules when an edit is invalid.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Catalog } from '../catalog.ts';
import { loadRulesFile, RulesError } from './parse.ts';
import type { Rules } from './schema.ts';

export interface RulesWatcher {
  close(): void;
}

export function watchRules(
  file: string,
  catalog: Catalog,
  handlers: { onChange(rules: Rules): void; onError(err: RulesError): void },
  debounceMs = 200,
): RulesWatcher {
  // Watch the directory, not the file: editors save by writing a temp file and renaming it over the original,
  // which ends a watch on the old inode.
  let timer: NodeJS.Timeout | undefined;
  let lastText: string | undefined;
  const name = basename(file);
  const reload = () => {
    try {
      const rules = loadRulesFile(file, catalog);
      const text = JSON.stringify(rules);
      if (text === lastText) return;
      lastText = text;
      handlers.onChange(rules);
    } catch (err) {
      if (err instanceof RulesError) handlers.onError(err);
      else throw err;
    }
  };
  try {
    lastText = JSON.stringify(loadRulesFile(file, catalog));
  } catch {
    lastText = undefined;
  }
  const watcher: FSWatcher = watch(dirname(file), (_event, changed) => {
    if (changed && changed !== name) return;
    clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
  });
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

/** One line per thing an admin changed, for the log. */
export function describeRulesChange(before: Rules, after: Rules): string[] {
  const out: string[] = [];
  const byId = (r: Rules) => new Map(r.colleges.map((c) => [c.id, c]));
  const a = byId(before);
  const b = byId(after);
  for (const id of b.keys()) if (!a.has(id)) out.push(`college added: ${id}`);
  for (const id of a.keys()) if (!b.has(id)) out.push(`college removed: ${id}`);
  for (const [id, c] of b) {
    const old = a.get(id);
    if (!old) continue;
    for (const key of Object.keys(c) as (keyof typeof c)[]) {
      if (JSON.stringify(c[key]) !== JSON.stringify(old[key])) out.push(`college ${id}: ${key} changed`);
    }
  }
  const src = (r: Rules) => new Set(r.sources.map((s) => `${s.platform}:${s.group}`));
  const sa = src(before);
  const sb = src(after);
  for (const s of sb) if (!sa.has(s)) out.push(`source added: ${s}`);
  for (const s of sa) if (!sb.has(s)) out.push(`source removed: ${s}`);
  for (const key of ['defaults', 'admins', 'privacy'] as const) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) out.push(`${key} changed`);
  }
  return out;
}
