// Every admin action (approve, reject, retry, rules save/restore, forget, login) as one JSON line:
// who, what, when, from where. Appended synchronously so the action's answer follows its record.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AuditEntry {
  at: string;
  who: string;
  action: string;
  /** What it acted on: a post id, a delivery id, a rules hash, a sender id. */
  target?: string;
  /** A short result, e.g. "3 posts erased". Never secrets. */
  detail?: string;
  ip?: string;
}

export class AuditLog {
  constructor(
    readonly file: string,
    private readonly now: () => Date,
  ) {
    mkdirSync(dirname(file), { recursive: true });
  }

  record(e: Omit<AuditEntry, 'at'>): AuditEntry {
    const entry: AuditEntry = { at: this.now().toISOString(), ...e };
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
    return entry;
  }

  /** The last `n` entries, newest first (reads the file: the audit page only). */
  recent(n = 100): AuditEntry[] {
    if (!existsSync(this.file)) return [];
    const out: AuditEntry[] = [];
    const lines = readFileSync(this.file, 'utf8').split('\n');
    for (let i = lines.length - 1; i >= 0 && out.length < n; i--) {
      if (!lines[i]) continue;
      try {
        out.push(JSON.parse(lines[i]!) as AuditEntry);
      } catch {
        // A torn last line after a crash: skip it.
      }
    }
    return out;
  }
}
