// One classifier per test process: building the term tables and loading jieba is the slow part.
import { loadCatalog } from '../../src/catalog.ts';
import { createClassifier, type Classifier, type RoutingConfig } from '../../src/classify/index.ts';
import { createJiebaTokenizer } from '../../src/classify/tokenizer.ts';

/** Wednesday 2026-11-18 10:00 in Shanghai. */
export const NOW = new Date('2026-11-18T02:00:00Z');

export const ROUTING: RoutingConfig = {
  threshold: 0.5,
  colleges: [
    { id: 'electrical', classes: ['0806'], majors: [], keywords: ['国网', '特高压'], excludeKeywords: [], openToAll: true },
    { id: 'energy', classes: ['0805'], majors: [], keywords: ['光伏'], excludeKeywords: [], openToAll: true },
    { id: 'computer', classes: ['0809'], majors: ['080910T'], keywords: ['大模型'], excludeKeywords: ['电脑维修'], openToAll: false },
    { id: 'telecom', classes: [], majors: ['080703'], keywords: [], excludeKeywords: [], openToAll: false },
    { id: 'economics', classes: ['1202', '0203'], majors: [], keywords: [], excludeKeywords: [], openToAll: true },
  ],
};

let cached: Classifier | undefined;
export function classifier(): Classifier {
  cached ??= createClassifier(loadCatalog(), ROUTING, createJiebaTokenizer(ROUTING.colleges.flatMap((c) => c.keywords)));
  return cached;
}

export const classify = (text: string, now = NOW, tz?: string) => classifier().classify(text, now, tz);
export const codes = (text: string): string[] => classify(text).classes.map((c) => c.code);
