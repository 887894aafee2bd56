// Where in a post a term stands. Job posts have sections ('岗位职责：…任职要求：…公司福利：…') and a
// term says most about the major when it describes the work (the duties), less when it lists skills
// anyone may have (文字功底, 数据分析 in the requirements), and little in the employer's introduction
// or the perks. Pure: the headers come from the classifier's one scan of the post, lookups are a binary search.

/** What a section is about, and how much a role or duty term inside it counts. */
export type SectionKind = 'body' | 'duties' | 'requirements' | 'intro' | 'perks';

export const SECTION_WEIGHT: Readonly<Record<SectionKind, number>> = {
  body: 1,
  duties: 1,
  requirements: 0.6,
  intro: 0.3,
  perks: 0.3,
};

// A header is the word followed by a colon, a bracket, a space or the end: '岗位职责：', '【任职要求】'.
const HEADERS: [SectionKind, string][] = [
  ['duties', '岗位职责|工作职责|职位职责|职责描述|岗位描述|职位描述|工作内容|岗位内容|具体职责|职位详情|岗位职能|主要职责'],
  ['requirements', '任职要求|岗位要求|任职资格|职位要求|任职条件|素质要求|能力要求|应聘要求|加分项'],
  ['intro', '公司简介|公司介绍|企业简介|企业介绍|关于我们|公司亮点'],
  ['perks', '公司福利|福利待遇|薪资待遇|职位福利|薪资福利|薪酬福利|工作时间|工作地址|工作地点|上班时间'],
];
/** Every header word and the section it opens: a term table for the classifier's one scan of a post. */
export const SECTION_HEADERS: ReadonlyMap<string, SectionKind> = new Map(HEADERS.flatMap(([k, h]) => h.split('|').map((w) => [w, k] as const)));

export interface Sections {
  /** The kind of section the offset is in. */
  kindAt(at: number): SectionKind;
  /** The weight of a role or duty term at the offset. */
  weightAt(at: number): number;
}

export interface HeaderMatch {
  start: number;
  end: number;
  value: SectionKind;
}

/** ':', '：', '】', ']', whitespace: what follows a header word used as a header. */
function endsHeader(c: number): boolean {
  return c === 0x3a || c === 0xff1a || c === 0x3011 || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x09 || c === 0x3000;
}

/** The sections of a post from its header words' occurrences (in any order): before the first header is 'body'. */
export function sectionsAt(text: string, headers: readonly HeaderMatch[]): Sections {
  const real = headers.filter((h) => h.end === text.length || endsHeader(text.charCodeAt(h.end))).sort((a, b) => a.start - b.start);
  const starts = real.map((h) => h.start);
  const kinds = real.map((h) => h.value);
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

/** The sections of a (width-folded) post, finding its headers itself (the classifier reads them from its scan). */
export function findSections(text: string): Sections {
  const found: HeaderMatch[] = [];
  for (const [word, kind] of SECTION_HEADERS) {
    for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length)) found.push({ start: i, end: i + word.length, value: kind });
  }
  return sectionsAt(text, found);
}
