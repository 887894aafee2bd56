// The feedback scenario's rules and referrals, per platform (drivers.ts names the chats).
import type { Driver } from './drivers.ts';

export const SECRET = 'feedback-e2e-secret-0123456789';

/** Routed to both electrical and automation (PLC, 自动化, 电气): the post students of automation mark 不对口. */
export const SIMILAR_A =
  '【内推】某电气公司招聘电气设计工程师，负责配电柜和PLC控制系统设计，自动化、电气工程及其自动化专业均可，上海，投递 https://jobs.example.com/apply/a ，截止12月30日';
/** The next similar post: its automation routing must show the students' 👎. */
export const SIMILAR_B = '【内推】某电力设备公司招聘PLC工程师，负责电气控制柜调试，自动化、电气专业均可，苏州，投递 https://jobs.example.com/b';
/** A referral for electrical only, posted after a student subscribed to 0806. */
export const FOR_SUBSCRIBER = '【内推】国网四川电力2026届补录，继电保护与变电运维岗位，电气工程及其自动化专业本科及以上，成都，截止12月28日，网申 https://sc.example.cn/zp/2026';

/** Twelve distinct electrical referrals (far apart as near-duplicates go): with SIMILAR_A, a 13-item digest. */
export const ELECTRICAL = [
  '国网江苏电力2026届校园招聘，继电保护岗位，电气工程及其自动化专业本科及以上，南京，截止12月10日，网申 https://hr0.example.cn/js',
  '南网广东供电局招聘配电运维工程师若干名，要求电气类硕士，工作地广州，简历投递截止12月11日 https://hr1.example.cn/gd',
  '【校友内推】许继电气特高压直流事业部，研发岗，欢迎电气工程专业的师弟师妹，地点许昌，12月12日前投递 https://hr2.example.cn/xj',
  '平高集团招聘高压开关设计工程师，需电气工程及其自动化背景，平顶山基地，包住宿，截止12月13日，网申 https://hr3.example.cn/pg',
  '特变电工新疆变压器厂招变电站调试工程师，电气专业本硕均可，昌吉，报名截止12月14日 https://hr4.example.cn/tbea',
  '中国西电集团2026校招开启：电力电子与电机电器方向，西安总部，网申截止12月15日 https://hr5.example.cn/xd',
  '国电南瑞电网调度自动化研发，电气工程及其自动化硕士优先，南京江宁，截止12月16日，投递 https://hr6.example.cn/nr',
  '北京四方继保招继电保护装置测试岗，电气类本科，海淀上地，年底前入职，截止12月17日 https://hr7.example.cn/sf',
  '正泰电气低压配电产品线招应届工程师，电气工程专业，温州乐清，五险一金，截止12月18日 https://hr8.example.cn/chint',
  '思源电气GIS组合电器研发岗内推，电气工程及其自动化硕士，上海闵行，截止12月19日，内推码 SY2026 https://hr9.example.cn/sieyuan',
  '长园深瑞智能变电站二次系统工程师，电气专业，深圳南山，可解决户口，截止12月20日 https://hr10.example.cn/cy',
  '荣信汇科招聘柔性输电SVG调试工程师，电气工程及其自动化本科，辽宁鞍山，差旅补贴，截止12月21日，投递 https://hr11.example.cn/rx',
];

/** One new 0806 referral a day, for a subscriber the platform can no longer reach. */
export const LATER = [
  '【内推】国网湖北电力2026届第二批招聘，变电检修与继电保护，电气工程及其自动化专业本科，武汉，截止12月29日，网申 https://hb.example.cn/zp/2',
  '中国能建广东院招聘电气一次设计工程师，电气工程专业硕士，广州黄埔，截止12月27日，投递 https://gedi.example.cn/jobs/e1',
  '华为数字能源招聘电力电子工程师（逆变器方向），电气工程及其自动化硕士优先，东莞松山湖，截止12月26日 https://career.example.com/de/88',
];

export function rulesFor(d: Driver): string {
  const q = (s: string) => JSON.stringify(s);
  return `version: 1
defaults:
  timezone: Asia/Shanghai
  digest: "0 0 1 1 *"
  maxItemsPerDigest: 30
  maxSendAttempts: 5
sources:
  - platform: ${d.platform}
    group: ${q(d.source)}
    name: 校友群
colleges:
  - id: electrical
    name: 电气与电子工程学院
    classes: ["0806"]
    keywords: [电网, 国网, 南网, 供电局, 供电公司, 继电保护, 特高压, 变电站, 配电, 电力调度]
    channels:
      - platform: ${d.platform}
        chat: ${q(d.ee)}
  - id: automation
    name: 自动化系
    classes: ["0808", "0803"]
    keywords: [PLC, DCS, 自动控制, 测控]
    channels:
      - platform: ${d.platform}
        chat: ${q(d.auto)}
`;
}
