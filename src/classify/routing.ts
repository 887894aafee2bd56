// College routing: classes and major codes → the colleges that own them; college keywords add,
// exclude keywords remove; open-to-all posts without a confident class go to open-to-all colleges.
import type { Evidence } from '../domain.ts';
import { TermTables, type TermScan } from './aho-corasick.ts';
import { foldWidth } from './normalize.ts';

export interface CollegeRoute {
  id: string;
  classes: string[];
  majors: string[];
  keywords: string[];
  excludeKeywords: string[];
  openToAll: boolean;
}

export interface RoutingConfig {
  /** Detection threshold 0..1, from the rules YAML. */
  threshold: number;
  colleges: CollegeRoute[];
}

export interface RouteInput {
  folded: string;
  classCodes: string[];
  majorCodes: string[];
  openToAll: boolean;
  /** The text's scan by the TermTables given to createRouter; made here when not given. */
  scan?: TermScan;
}

export interface Route {
  collegeId: string;
  evidence: Evidence[];
}

function note(routes: Map<string, Evidence[]>, id: string, e: Evidence): void {
  const list = routes.get(id);
  if (list) list.push(e);
  else routes.set(id, [e]);
}

/** `terms`: where the keyword table goes (the classifier shares one among its stages, so a message is scanned once). */
export function createRouter(config: RoutingConfig, terms = new TermTables()): (input: RouteInput) => Route[] {
  const byClass = new Map<string, Set<string>>();
  const byMajor = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, key: string, id: string): void => {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(id);
  };
  for (const c of config.colleges) {
    for (const cls of c.classes) add(byClass, cls.slice(0, 4), c.id);
    for (const major of c.majors) {
      add(byMajor, major.slice(0, 6), c.id);
      add(byClass, major.slice(0, 4), c.id); // a college owning 080601 takes posts for 0806
    }
  }
  const keywordTable = terms.add<{ id: string; exclude: boolean }>(
    config.colleges.flatMap((c) => [
      ...c.keywords.filter(Boolean).map((k) => [foldWidth(k), { id: c.id, exclude: false }] as const),
      ...c.excludeKeywords.filter(Boolean).map((k) => [foldWidth(k), { id: c.id, exclude: true }] as const),
    ]),
  );
  const order = new Map(config.colleges.map((c, i) => [c.id, i]));
  const openColleges = config.colleges.filter((c) => c.openToAll).map((c) => c.id);

  return ({ folded, classCodes, majorCodes, openToAll, scan = terms.scan(folded) }) => {
    const routes = new Map<string, Evidence[]>();
    for (const code of classCodes) for (const id of byClass.get(code) ?? []) note(routes, id, { term: code, weight: 1, kind: 'class' });
    for (const code of majorCodes) for (const id of byMajor.get(code.slice(0, 6)) ?? []) note(routes, id, { term: code, weight: 1, kind: 'major' });
    const excluded = new Map<string, string>();
    for (const m of scan.all(keywordTable)) {
      if (m.value.exclude) excluded.set(m.value.id, m.term);
      else note(routes, m.value.id, { term: m.term, weight: 1, kind: 'keyword' });
    }
    if (openToAll && classCodes.length === 0) for (const id of openColleges) note(routes, id, { term: '不限专业', weight: 1, kind: 'open-to-all' });
    for (const id of excluded.keys()) routes.delete(id);
    return [...routes]
      .sort((a, b) => (order.get(a[0]) ?? 0) - (order.get(b[0]) ?? 0))
      .map(([collegeId, evidence]) => ({ collegeId, evidence }));
  };
}
