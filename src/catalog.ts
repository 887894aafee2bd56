// The 2026 national undergraduate major catalog, shipped as data/major-catalog-2026.json.
import { readFileSync } from 'node:fs';
import { projectPath } from './paths.ts';

export interface Major {
  code: string;
  name: string;
  classCode: string;
  className: string;
  categoryCode: string;
  categoryName: string;
  jobs: string[];
  postgrad: string[];
}

export interface MajorClass {
  code: string;
  name: string;
  categoryCode: string;
  categoryName: string;
  majors: Major[];
}

export interface Catalog {
  majors: Major[];
  classes: Map<string, MajorClass>;
  majorByCode: Map<string, Major>;
}

export const DEFAULT_CATALOG_PATH = projectPath('data', 'major-catalog-2026.json');

export function buildCatalog(majors: Major[]): Catalog {
  const classes = new Map<string, MajorClass>();
  const majorByCode = new Map<string, Major>();
  for (const m of majors) {
    majorByCode.set(m.code, m);
    let c = classes.get(m.classCode);
    if (!c) {
      c = { code: m.classCode, name: m.className, categoryCode: m.categoryCode, categoryName: m.categoryName, majors: [] };
      classes.set(m.classCode, c);
    }
    c.majors.push(m);
  }
  return { majors, classes, majorByCode };
}

let cached: Catalog | undefined;

/** Loads the shipped catalog once per process. */
export function loadCatalog(path = DEFAULT_CATALOG_PATH): Catalog {
  if (path === DEFAULT_CATALOG_PATH && cached) return cached;
  const catalog = buildCatalog(JSON.parse(readFileSync(path, 'utf8')) as Major[]);
  if (path === DEFAULT_CATALOG_PATH) cached = catalog;
  return catalog;
}
