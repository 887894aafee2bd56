// `classify`: why a text is (not) a referral and which majors and colleges it goes to; --jsonl for batches.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { classifierFor } from '../app.ts';
import { loadCatalog } from '../catalog.ts';
import type { ExplainedClassification } from '../classify/index.ts';
import type { Classification, Evidence } from '../domain.ts';
import { type Adjusted, feedbackTerm } from '../feedback/adjust.ts';
import { FeedbackService } from '../feedback/service.ts';
import { FEEDBACK_DIR, FEEDBACK_FILE } from '../feedback/state.ts';
import type { Rules } from '../rules/index.ts';
import type { Context } from './context.ts';

/** Evidence kinds (src/classify) in the admin's words. */
const KIND_LABELS: Record<string, string> = {
  feedback: '学生反馈',
  structure: '格式特征',
  'job-term': '招聘词',
  'chat-term': '闲聊词',
  'scam-term': '诈骗词',
  'major-name': '专业名称',
  'class-name': '专业类名称',
  alias: '专业别称',
  blocker: '排除词',
  'role-term': '岗位词',
  'title-role': '标题岗位',
  model: '模型',
  'catalog-job': '目录就业方向',
  class: '专业类代码',
  major: '专业代码',
  keyword: '学院关键词',
  'open-to-all': '不限专业',
};

/** A kind's Chinese label; "-preferred" (优先 majors in the text) is marked, an unknown kind is shown as is. */
export function kindLabel(kind: string): string {
  const preferred = kind.endsWith('-preferred');
  const base = preferred ? kind.slice(0, -'-preferred'.length) : kind;
  return `${KIND_LABELS[base] ?? base}${preferred ? '（优先）' : ''}`;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export function explain(c: Classification, r: Rules): string {
  const ev = (list: readonly Evidence[]) =>
    list.map((e) => `${e.term}(${e.weight >= 0 ? '+' : ''}${round(e.weight)} ${kindLabel(e.kind)})`).join('  ') || '—';
  const name = (id: string) => r.colleges.find((c) => c.id === id)?.name ?? id;
  const f = c.fields;
  const fields = [
    ['公司', f.company],
    ['岗位', f.roles.join('、')],
    ['城市', f.city],
    ['截止', f.deadline],
    ['届别', f.cohort],
    ['学历', f.degrees.join('/')],
    ['内推码', f.referralCode],
    ['链接', f.links.join(' ')],
    ['邮箱', f.emails.join(' ')],
  ].filter(([, v]) => v);
  return [
    `判定：${c.isScam ? '疑似诈骗，不转发（进入管理员审核）' : c.isJob ? '内推/招聘' : '不是内推'}   内推分 ${round(c.jobScore)}（阈值 ${r.defaults.detection.threshold}）  诈骗分 ${round(c.scamScore)}`,
    `  依据：${ev(c.detection)}`,
    c.openToAll ? '专业：不限专业' : `专业类：${c.classes.length ? '' : '—'}`,
    ...c.classes.map((k) => `  ${k.code} ${k.name}  置信度 ${round(k.confidence)}  依据：${ev(k.evidence)}`),
    // Classes the learned model (when on) removed: shown, so an admin sees why a class is missing.
    ...((c as Partial<ExplainedClassification>).modelVetoed ?? []).map((k) => `  模型否决：${k.code} ${k.name}（概率 ${round(k.modelProbability)}）`),
    `推送学院：${c.colleges.length ? c.colleges.map((id) => `${name(id)}(${id})`).join('、') : '—'}`,
    // What students' votes changed (learnt routing, src/feedback): the same adjustment the relay applies.
    ...((c as Adjusted<Classification>).feedback ?? []).map(
      (n) => `  ${kindLabel('feedback')}：${name(n.collegeId)}(${n.collegeId}) ${feedbackTerm(n.delta, n.voters)}${n.dropped ? '，不再推送' : ''}`,
    ),
    `字段：${fields.length ? fields.map(([k, v]) => `${k} ${v}`).join('；') : '—'}`,
  ].join('\n');
}

/** One --jsonl output row (field names are a machine interface: kept English). */
export function jsonlRow(id: unknown, c: Classification) {
  return {
    id,
    isJob: c.isJob,
    jobScore: round(c.jobScore),
    isScam: c.isScam,
    openToAll: c.openToAll,
    majorClasses: c.classes.map((k) => k.code),
    colleges: c.colleges,
    evidence: {
      detection: c.detection.map((e) => [e.term, round(e.weight)]),
      classes: Object.fromEntries(c.classes.map((k) => [k.code, k.evidence.map((e) => [e.term, round(e.weight)])])),
    },
  };
}

export function registerClassify(program: Command, ctx: Context): void {
  program
    .command('classify [text]')
    .description('解释一条消息的判定：是不是内推、依据、专业类、推送到哪些学院；--jsonl 从标准输入批量读取')
    .option('--jsonl', '批量：每行一个 {"id","text"} JSON，每行输出一个结果')
    .action(async (text: string | undefined, o: { jsonl?: boolean }, cmd: Command) => {
      if (text === undefined && !o.jsonl) return cmd.error('错误：给出要判定的文字，或用 --jsonl 从标准输入读取');
      ctx.warnIfMissingDataDir();
      const r = ctx.rules();
      const catalog = loadCatalog();
      const classifier = classifierFor(r, catalog);
      const now = new Date();
      // Learnt routing, read from the relay's feedback state when there is one (adjusting hashes nobody).
      const { dataDir } = ctx.paths();
      const fb = existsSync(join(dataDir, FEEDBACK_DIR, FEEDBACK_FILE))
        ? new FeedbackService({
            dataDir,
            secret: process.env.RELAY_SECRET || 'classify-cli-no-hashing',
            catalog,
            view: { postById: () => undefined, posts: () => [], digests: () => [], deliveries: () => [], rules: () => r },
            learn: { minVoters: r.defaults.feedback.minVoters },
          })
        : undefined;
      const classify = (t: string) => {
        const c = classifier.classify(t, now, r.defaults.timezone);
        return fb ? fb.adjust(c) : c;
      };
      if (!o.jsonl) {
        console.log(explain(classify(text!), r));
        return;
      }
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      let n = 0;
      for await (const line of lines) {
        n++;
        if (!line.trim()) continue;
        let row: { id?: unknown; text?: unknown };
        try {
          row = JSON.parse(line);
        } catch {
          console.error(`第 ${n} 行不是 JSON，已跳过`);
          continue;
        }
        if (!row || typeof row !== 'object') {
          console.error(`第 ${n} 行不是 {"id","text"} 对象，已跳过`);
          continue;
        }
        const c = classify(String(row.text ?? ''));
        process.stdout.write(`${JSON.stringify(jsonlRow(row.id, c))}\n`);
      }
    });
}
