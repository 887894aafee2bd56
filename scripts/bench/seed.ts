// Seed posts for the latency and memory sections: real classifications of generated referrals, cloned
// over a history spread across months (≈100 posts a day, a busy relay).
import { randomUUID } from 'node:crypto';
import type { Classifier } from '../../src/classify/index.ts';
import { simhash } from '../../src/dedupe.ts';
import type { Post } from '../../src/domain.ts';
import { normaliseText } from '../../src/pipeline.ts';
import type { Rules } from '../../src/rules/index.ts';
import { seeded, workload } from './workload.ts';

const DAY = 86_400_000;

export function seedPool(classifier: Pick<Classifier, 'classify'>, tz: string, size: number): Post[] {
  return workload(size * 4, 7)
    .filter((w) => w.kind === 'referral')
    .slice(0, size)
    .map((w) => {
      const text = normaliseText(w.text);
      const { routing: _routing, ...classification } = classifier.classify(text, new Date(), tz);
      return { id: '', text, fingerprint: simhash(text), sources: [], receivedAt: '', status: 'active', classification, digestedFor: [] } as Post;
    });
}

/** `n` posts spread over the history: ≈100 a day, at least 60 days; yielded a month at a time. */
export function* history(poolPosts: Post[], sources: Rules['sources'], n: number, seed: number, now = Date.now()): Generator<Post[]> {
  const rng = seeded(seed);
  const days = Math.max(60, Math.ceil(n / 100));
  const start = now - days * DAY;
  const perMonth = new Map<string, Post[]>();
  let month = '';
  for (let i = 0; i < n; i++) {
    const at = new Date(start + (i / n) * days * DAY);
    const base = poolPosts[Math.floor(rng() * poolPosts.length)]!;
    const fp = (BigInt(Math.floor(rng() * 2 ** 32)) << 32n) | BigInt(Math.floor(rng() * 2 ** 32));
    const s = sources[i % sources.length]!;
    const p: Post = {
      ...base,
      id: randomUUID(),
      fingerprint: fp.toString(16).padStart(16, '0'),
      sources: [{ platform: s.platform, chatId: s.group, messageId: `seed-${seed}-${i}`, senderId: `u${i % 5000}`, senderName: `校友${i % 5000}`, sentAt: at.toISOString() }],
      receivedAt: at.toISOString(),
      digestedFor: at.getTime() < now - 2 * DAY ? [...base.classification.colleges] : [],
    };
    const m = p.receivedAt.slice(0, 7);
    if (m !== month && perMonth.size) {
      yield* perMonth.values();
      perMonth.clear();
    }
    month = m;
    (perMonth.get(m) ?? perMonth.set(m, []).get(m)!).push(p);
  }
  yield* perMonth.values();
}
