// Builds the bench's shipped corpus once, so `npm run bench` never reads anything outside the clone:
//   npx tsx scripts/bench/build-corpus.ts <path to the eval data, e.g. ../shared/eval>
// writes scripts/bench/corpus/messages.jsonl, one {"kind", "source", "text"} per line:
//   chat  every group chit-chat / social chat / work-talk row of not-jobs.jsonl (not the news headlines);
//   scam  every scam row of not-jobs.jsonl;
//   job   real job posts: every 3rd row of zhaopin-wuhan-2024.jsonl and every 6th of civil-service-2024.jsonl
//         (a deterministic thinning, to keep the file small).
// Referrals with catalog majors still come from the generator in workload.ts; the job rows are mixed in
// as a share of the referrals (real wording the generator does not write).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const from = process.argv[2];
if (!from) throw new Error('usage: tsx scripts/bench/build-corpus.ts <eval data directory>');
const read = (f: string) =>
  readFileSync(join(from, f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { text: string; source?: string });

const out: { kind: string; source: string; text: string }[] = [];
for (const r of read('not-jobs.jsonl')) {
  const source = r.source ?? '';
  if (/scam/.test(source)) out.push({ kind: 'scam', source, text: r.text });
  else if (/chat|lccc|jobtalk/.test(source)) out.push({ kind: 'chat', source, text: r.text });
}
for (const [file, every] of [['zhaopin-wuhan-2024.jsonl', 3], ['civil-service-2024.jsonl', 6]] as const) {
  for (const [i, r] of read(file).entries()) if (i % every === 0) out.push({ kind: 'job', source: r.source ?? file, text: r.text });
}
const dir = fileURLToPath(new URL('./corpus/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'messages.jsonl'), `${out.map((r) => JSON.stringify(r)).join('\n')}\n`);
const count = (k: string) => out.filter((r) => r.kind === k).length;
console.log(`scripts/bench/corpus/messages.jsonl: ${count('chat')} chat, ${count('scam')} scam, ${count('job')} job rows`);
