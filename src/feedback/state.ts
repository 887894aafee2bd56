// Feedback's own durable state: ${dataDir}/feedback/feedback.json, one small JSON file replaced with
// atomic-write.ts (temp → fdatasync → rename → fsync dir). Not the core store: votes, clicks and
// subscriptions are the feedback module's business and must not grow the relay's journal.
//
// WHY A SNAPSHOT, NOT A JOURNAL: the file is small (votes decay away after six half-lives, click
// counts are per day and pruned with the retention period, subscriptions are a few hundred rows), so
// rewriting it is cheap. A subscription, a reset or a `forget` is written before the bot answers;
// votes and clicks are written within a second (debounced). A crash loses at most that second of
// presses — statistics, which a student can press again — while a confirmed subscription or erasure
// is never lost.
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-write.ts';
import type { Vote } from './learn.ts';
import type { Subscription } from './subscriptions.ts';

export const FEEDBACK_DIR = 'feedback';
export const FEEDBACK_FILE = 'feedback.json';

export interface ClickRow {
  day: string;
  postId: string;
  collegeId: string;
  /** platform:chat */
  channel: string;
  n: number;
}

export interface FeedbackData {
  version: 1;
  votes: Vote[];
  /** The evidence keys of each voted (college, post). */
  items: { collegeId: string; postId: string; keys: string[] }[];
  clicks: ClickRow[];
  subscriptions: Subscription[];
  /** college → ISO time of the admin's last reset: earlier votes no longer adjust routing. */
  resets: Record<string, string>;
}

export const emptyData = (): FeedbackData => ({ version: 1, votes: [], items: [], clicks: [], subscriptions: [], resets: {} });

export interface LoadResult {
  data: FeedbackData;
  /** Set when the file could not be read: it was moved here and an empty state started. */
  movedAside?: string;
}

/** Reads the state; an unreadable file is kept (renamed) for the admin and an empty state starts. */
export function loadFeedback(dataDir: string, now: Date): LoadResult {
  const dir = join(dataDir, FEEDBACK_DIR);
  const file = join(dir, FEEDBACK_FILE);
  if (!existsSync(file)) return { data: emptyData() };
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<FeedbackData>;
    if (!raw || typeof raw !== 'object' || raw.version !== 1) throw new Error(`unknown version ${String((raw as { version?: unknown })?.version)}`);
    const arr = <T>(x: T[] | undefined): T[] => (Array.isArray(x) ? x : []);
    return {
      data: {
        version: 1,
        votes: arr(raw.votes),
        items: arr(raw.items),
        clicks: arr(raw.clicks),
        subscriptions: arr(raw.subscriptions),
        resets: raw.resets && typeof raw.resets === 'object' ? raw.resets : {},
      },
    };
  } catch {
    const aside = `${file}.unreadable-${now.getTime()}`;
    renameSync(file, aside);
    return { data: emptyData(), movedAside: aside };
  }
}

/** Writes the whole state atomically. */
export async function saveFeedback(dataDir: string, data: FeedbackData, fsync = true): Promise<void> {
  const dir = join(dataDir, FEEDBACK_DIR);
  mkdirSync(dir, { recursive: true });
  await writeFileAtomic(join(dir, FEEDBACK_FILE), [JSON.stringify(data)], { fsync });
}
