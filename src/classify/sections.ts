// Where in a post a term stands. Job posts have sections ('岗位职责：…任职要求：…公司福利：…') and a
// term says most about the major when it describes the work (the duties), less when it lists skills
// anyone may have (文字功底, 数据分析 in the requirements), and little in the employer's introduction
// or the perks. Pure and O(n): one regex pass finds the headers, lookups are a binary search.

/** What a section is about, and how much a role or duty term inside it counts. */
export type SectionKind = 'body' | 'duties' | 'requirements' | 'intro' | 'perks';

export const SECTION_WEIGHT: Readonly<Record<SectionKind, number>> = {
  body: 1,
  duties: 1,
  requirements: 0.6,
  intro: 0.3,
  perks: 0.3,
};

// A header is the word followed by a colon, a bracket or a line/sentence start: '岗位职责：', '【任职要求】'.
const HEADERS: [SectionKind, string][] = [
  ['duties', '岗位职责|工作职责|职位职责|职责描述|岗位描述|职位描述|工作内容|岗位内容|具体职责|职位详情|岗位职能|主要职责'],
  ['requirements', '任职要求|岗位要求|任职资格|职位要求|任职条件|素质要求|能力要求|应聘要求|加分项'],
  ['intro', '公司简介|公司介绍|企业简介|企业介绍|关于我们|公司亮点'],
  ['perks', '公司福利|福利待遇|薪资待遇|职位福利|薪资福利|薪酬福利|工作时间|工作地址|工作地点|上班时间'],
];
const HEADER_RE = new RegExp(`(${HEADERS.map(([, h]) => `(?:${h})`).join('|')})\\s*(?=[:：】\\]\\s]|$)`, 'g');
const KIND_OF = new Map<string, SectionKind>(HEADERS.flatMap(([k, h]) => h.split('|').map((w) => [w, k] as const)));

export interface Sections {
  /** The kind of section the offset is in. */
  kindAt(at: number): SectionKind;
  /** The weight of a role or duty term at the offset. */
  weightAt(at: number): number;
}

/** The sections of a (width-folded) post: everything before the first header is 'body'. */
export function findSections(text: string): Sections {
  const starts: number[] = [];
  const kinds: SectionKind[] = [];
  HEADER_RE.lastIndex = 0;
  for (let m = HEADER_RE.exec(text); m; m = HEADER_RE.exec(text)) {
    const kind = KIND_OF.get(m[1]!)!;
    starts.push(m.index);
    kinds.push(kind);
  }
  const kindAt = (at: number): SectionKind => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= at) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 'body' : kinds[found]!;
  };
  return { kindAt, weightAt: (at) => SECTION_WEIGHT[kindAt(at)] };
}
