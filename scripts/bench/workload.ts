// A seeded, realistic alumni-group workload: ≈70% chit-chat, 20% generated referrals across many majors
// (templates + the catalog's major names and job directions), 5% real job posts, 3% reposts, 2% scam ads.
// Chit-chat, scams and the real job posts come from the shipped corpus (corpus/messages.jsonl; how it was
// made: corpus/README.md), never from outside the clone.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCatalog, type Major } from '../../src/catalog.ts';
import { seededRandom } from '../../src/seeded-random.ts';

export type Rng = () => number;

export const seeded: (seed: number) => Rng = seededRandom;

const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const pickN = <T>(rng: Rng, list: readonly T[], n: number): T[] => {
  const copy = [...list];
  const out: T[] = [];
  while (out.length < n && copy.length) out.push(copy.splice(Math.floor(rng() * copy.length), 1)[0]!);
  return out;
};

const COMPANIES = [
  '国家电网江苏省电力公司', '南方电网广东电网公司', '华为技术有限公司', '腾讯科技', '字节跳动', '阿里巴巴', '中国华能集团', '三峡集团', '中国建筑第八工程局',
  '宁德时代', '比亚迪', '中芯国际', '美团', '京东物流', '招商银行', '中信证券', '德勤咨询', '普华永道', '中国电建', '中国中车', '大疆创新', '小米集团',
  '海康威视', '隆基绿能', '金风科技', '中国移动', '中国联通', '中兴通讯', '上汽集团', '中国商飞', '中石化', '长江设计院', '中国水利水电第八工程局',
  '新东方', '网易', '拼多多', '快手', '蔚来汽车', '理想汽车', '中国银行', '平安科技', '中国核电', '东方电气', '许继电气', '南瑞集团', '特变电工',
];
const CITIES = ['北京', '上海', '深圳', '广州', '杭州', '南京', '武汉', '成都', '西安', '苏州', '合肥', '长沙', '天津', '重庆', '郑州', '青岛', '厦门', '宁波'];
const OPENERS = ['【内推】', '内推一波：', '帮朋友转发，', '校友内推～', '我司招人啦！', '【校招】', '社招+校招内推：', '急招！', '部门直招，'];
const DUTIES = [
  '参与核心系统的设计、开发与维护', '负责现场设备的调试与运行维护', '参与项目可行性研究与方案编制', '负责数据分析与报表输出，支撑业务决策',
  '参与新产品的研发与测试验证', '负责客户需求对接与技术支持', '负责工程现场的质量、安全与进度管理', '参与技术标准与规范的编写',
  '负责财务核算、预算编制与成本分析', '参与市场调研与竞品分析', '负责文案撰写、翻译与对外交流', '参与算法模型的训练、评估与上线',
  '负责供应链计划与物流协调', '参与电站运行监控与故障分析', '负责实验设计、样品检测与结果分析', '参与水资源规划与水工结构设计',
  '负责环境监测、评价与治理方案设计', '参与嵌入式软硬件开发与联调', '负责信号与通信系统的仿真与测试', '负责风险控制、合规审查与审计支持',
];
const PERKS = ['五险二金', '提供食宿', '年终奖丰厚', '双休，弹性工作', '落户指标', '导师制培养', '股票期权', '带薪年假15天', '包三餐', '租房补贴'];

let catalogMajors: Major[] | undefined;
const majors = () => (catalogMajors ??= loadCatalog().majors.filter((m) => m.jobs.length > 0));

/** One referral: a company hiring for a catalog major's job directions, with fields a digest shows. */
export function referralText(rng: Rng, n: number): string {
  const major = pick(rng, majors());
  const siblings = majors().filter((m) => m.classCode === major.classCode && m.code !== major.code);
  const named = [major, ...pickN(rng, siblings, Math.floor(rng() * 2))].map((m) => m.name);
  const role = pick(rng, major.jobs.filter((j) => !/考研|公务员/.test(j)).concat(major.jobs)).replace(/\(.*?\)/g, '');
  const company = pick(rng, COMPANIES);
  const city = pick(rng, CITIES);
  const cohort = pick(rng, ['2026', '2027']);
  const deadlineYear = new Date().getUTCFullYear() + 1; // always open, so every referral can reach a digest
  const month = 1 + Math.floor(rng() * 12);
  const day = 1 + Math.floor(rng() * 28);
  const code = `R${n.toString(36).toUpperCase().padStart(4, '0')}${Math.floor(rng() * 1296).toString(36).toUpperCase()}`;
  const duties = pickN(rng, DUTIES, 2 + Math.floor(rng() * 2));
  const lines = [
    `${pick(rng, OPENERS)}${company}${cohort}届校园招聘｜${role}（${city}）`,
    `专业要求：${named.join('、')}等相关专业，${pick(rng, ['本科及以上', '硕士优先', '本科/硕士'])}。`,
    `岗位职责：${duties.join('；')}。`,
    `福利：${pickN(rng, PERKS, 2).join('，')}。`,
    `投递邮箱：hr${n}@${pick(rng, ['hire', 'campus', 'jobs', 'talent'])}${Math.floor(rng() * 900 + 100)}.cn，邮件标题注明“校友内推”，内推码：${code}`,
    `截止${deadlineYear}年${month}月${day}日，有问题私聊我。`,
  ];
  return lines.join('\n');
}

export interface CorpusRows {
  chat: string[];
  scam: string[];
  job: string[];
}

let corpus: CorpusRows | undefined;

/** The shipped corpus, by kind (read once). */
export function corpusRows(): CorpusRows {
  if (corpus) return corpus;
  const rows = readFileSync(fileURLToPath(new URL('./corpus/messages.jsonl', import.meta.url)), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { kind: keyof CorpusRows; text: string });
  const out: CorpusRows = { chat: [], scam: [], job: [] };
  for (const r of rows) out[r.kind].push(r.text);
  if (!out.chat.length || !out.scam.length || !out.job.length) throw new Error('scripts/bench/corpus/messages.jsonl lacks chat, scam or job rows; rebuild it (see its README)');
  corpus = out;
  return out;
}

export type Kind = 'chat' | 'referral' | 'job' | 'repost' | 'scam';

export interface WorkItem {
  kind: Kind;
  text: string;
}

/** Kinds a relay should keep (the referral side of the "stored referrals vs chit-chat" split). */
export const REFERRAL_KINDS: ReadonlySet<Kind> = new Set(['referral', 'job', 'repost']);

/** `n` messages: ≈70% chat, 20% generated referrals, 5% real job posts, 3% reposts of an earlier referral (lightly edited), 2% scam ads. */
export function workload(n: number, seed: number): WorkItem[] {
  const rng = seeded(seed);
  const { chat, scam, job } = corpusRows();
  const out: WorkItem[] = [];
  const referrals: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng();
    if (r < 0.7) out.push({ kind: 'chat', text: pick(rng, chat) });
    else if (r < 0.75) out.push({ kind: 'job', text: pick(rng, job) });
    else if (r < 0.95 || referrals.length === 0) {
      const text = referralText(rng, i);
      referrals.push(text);
      out.push({ kind: 'referral', text });
    } else if (r < 0.98) out.push({ kind: 'repost', text: `${pick(rng, ['转：', '扩散一下 ', '[转发] '])}${pick(rng, referrals)}${pick(rng, ['', ' 🙏', '\n欢迎转发'])}` });
    else out.push({ kind: 'scam', text: pick(rng, scam) });
  }
  return out;
}
