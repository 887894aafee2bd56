// nodejieba with a trimmed main dictionary, plus the catalog's major and class names, their short forms,
// our role terms and the rules' college keywords as user words, so '电气工程及其自动化' stays one word.
//
// MEMORY: jieba's stock dictionary (349k words) and its idf table cost ≈ 256 MB of RSS once loaded (a
// double-array trie plus per-word records, and a hash map of 260k idf entries). The relay only calls
// `cut`: it never uses keyword extraction (idf, stop words) and rare words hardly change a segmentation
// that our own terms then steer. So before the first cut the process loads:
//   - the stock dictionary filtered to words of frequency ≥ MIN_FREQ (see below), built once from
//     nodejieba's own file into a cache file (data/cache/, else the OS temp dir) and rebuilt when missing
//     or when nodejieba's file changes;
//   - a one-line idf file and a one-line stop-word file (an EMPTY stop-word file aborts the native module).
// Word frequencies stay the stock ones, so the words kept are weighed as before (the total they are
// normalised by shrinks a little, which scales every word alike). Note that nodejieba.load builds the
// dictionary twice (cppjieba::Jieba for cut, and a TextRankExtractor with its own trie that we never
// use), so every word kept costs twice; nothing in nodejieba's API avoids the second copy.
//
// DEFAULT_MIN_FREQ was 10 (105k words), chosen by measurement (2 × Xeon, node 20, tsx): process RSS
// after load + user words + one cut (a bare tsx process is ≈ 77 MB), and `npm run eval -- --check`
// (zhaopin-wuhan is the only file that moves; civil-service, not-jobs, power-alumni are identical):
//   min freq   words   RSS      load    wuhan P / F1 / top-1
//   1 (stock)  349k    317 MB   1.3 s   79.20 / 76.32 / 87.73
//   5          137k    182 MB   0.5 s   79.12 / 76.49 / 87.47
//   10         105k    153 MB   0.25 s  79.12 / 76.49 / 87.20   (top-1: 2 of 375 rows; 2 others gained a class)
//   20         80k     131 MB   0.2 s   79.12 / 76.49 / 86.67
//   100        36k     107 MB   0.2 s   79.08 / 76.36 / 86.67   (集控运行值班员 → …/值班/员)
// 2026-12-01 it became 20, measured again on today's classifier: `npm run eval -- --check` moves only
// zhaopin-wuhan (top-1 93.6 → 93.3, one row of 375; precision 81.2 → 81.5; recall 82.6 → 82.8; the other
// files identical), and the relay's peak RSS with all three SDKs over 100k posts (8 s of messages, npm
// start's flags) falls from 256–264 to 236–240 MB, under issue 10's 256 MB.
// RELAY_JIEBA_MIN_FREQ overrides it (1 = the stock dictionary), for measuring.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import nodejieba from 'nodejieba';
import { loadCatalog } from '../catalog.ts';
import { projectPath } from '../paths.ts';
import type { Tokenizer } from '../ports.ts';
import { MAJOR_ALIASES } from './major-aliases.ts';
import { ROLE_TERMS } from './role-terms.ts';
import { writeFileAtomicSync } from '../store/atomic-write.ts';

export const DEFAULT_MIN_FREQ = 20;

/** nodejieba's stock dictionary file (word freq tag per line). */
function stockDictionary(): string {
  const exported = (nodejieba as unknown as { DEFAULT_DICT?: string }).DEFAULT_DICT;
  if (exported && existsSync(exported)) return exported;
  const pkg = createRequire(import.meta.url).resolve('nodejieba/package.json');
  return join(dirname(pkg), 'submodules/cppjieba/dict/jieba.dict.utf8');
}

/** Writes `text` to `file` atomically (temp → fsync → rename → fsync dir): a reader sees the whole file or none. */
const writeAtomic = (file: string, text: string | Buffer): void => writeFileAtomicSync(file, text);

/**
 * The lines of a jieba dictionary (`word freq [tag]`) whose frequency is ≥ minFreq. Works on the bytes,
 * so building the cache does not create 349k strings in the process that then keeps running.
 */
export function filterByFrequency(dict: Buffer, minFreq: number): Buffer {
  const out = Buffer.allocUnsafe(dict.length + 1);
  let len = 0;
  for (let start = 0; start < dict.length; ) {
    let end = dict.indexOf(0x0a, start);
    if (end < 0) end = dict.length;
    const sp = dict.indexOf(0x20, start);
    if (sp > start && sp < end) {
      let freq = 0;
      let i = sp + 1;
      for (; i < end && dict[i]! >= 0x30 && dict[i]! <= 0x39; i++) freq = freq * 10 + (dict[i]! - 0x30);
      if (i > sp + 1 && freq >= minFreq) {
        len += dict.copy(out, len, start, end);
        out[len++] = 0x0a;
      }
    }
    start = end + 1;
  }
  return out.subarray(0, len);
}

const cacheDirs = (): string[] => [
  projectPath('data', 'cache'),
  join(tmpdir(), `alumni-relay-cache-${process.getuid?.() ?? 'u'}`),
];

/** The filtered dictionary and its companion files, built when missing. Returns the paths to load. */
export function trimmedDictionary(minFreq: number): { dict: string; idfDict: string; stopWordDict: string } {
  const source = stockDictionary();
  const st = statSync(source);
  // The name changes with the source file and the threshold, so a new nodejieba or threshold rebuilds.
  const tag = `${minFreq}-${st.size}-${Math.floor(st.mtimeMs)}`;
  let lastErr: unknown;
  for (const dir of cacheDirs()) {
    const paths = { dict: join(dir, `jieba.dict.min${tag}.utf8`), idfDict: join(dir, 'jieba.idf.one-line.utf8'), stopWordDict: join(dir, 'jieba.stop.one-line.utf8') };
    try {
      if (!isComplete(paths.dict)) {
        mkdirSync(dir, { recursive: true });
        writeAtomic(paths.dict, filterByFrequency(readFileSync(source), minFreq));
      }
      if (!isComplete(paths.idfDict)) writeAtomic(paths.idfDict, '的 1.0\n');
      if (!isComplete(paths.stopWordDict)) writeAtomic(paths.stopWordDict, '的\n');
      return paths;
    } catch (err) {
      lastErr = err; // not writable (a read-only install): try the next directory
    }
  }
  throw lastErr;
}

/** A cache file is usable when it is non-empty and ends with a newline (atomic writes leave no partial file). */
function isComplete(file: string): boolean {
  let fd: number | undefined;
  try {
    const { size } = statSync(file);
    if (size === 0) return false;
    fd = openSync(file, 'r');
    const last = Buffer.alloc(1);
    return readSync(fd, last, 0, 1, size - 1) === 1 && last[0] === 0x0a;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

let loaded = false;
/** Whether this process loaded jieba's dictionary yet. */
export const jiebaLoaded = (): boolean => loaded;

/**
 * Loads jieba's dictionaries once per process (before any cut or insertWord, which would otherwise load
 * the stock ones) and returns nodejieba. Everything that cuts — the classifier, the bench's raw cut —
 * goes through here, so they segment with the same dictionary.
 */
export function loadJieba(): typeof nodejieba {
  if (loaded) return nodejieba;
  const minFreq = Number(process.env.RELAY_JIEBA_MIN_FREQ ?? DEFAULT_MIN_FREQ);
  if (Number.isFinite(minFreq) && minFreq > 1) nodejieba.load(trimmedDictionary(minFreq));
  else nodejieba.load();
  loaded = true;
  return nodejieba;
}

/** jieba's dictionary is process-wide: remember what is in it so repeated calls add only new words. */
const inserted = new Set<string>();

function insert(word: string): void {
  const w = word.trim();
  if (w.length < 2 || inserted.has(w) || /\s/.test(w)) return;
  inserted.add(w);
  nodejieba.insertWord(w);
}

/** Loads jieba's dictionary and our words (the catalog's names, aliases, role terms) if not yet loaded. */
export function warmJieba(): void {
  loadJieba();
  if (inserted.size > 0) return;
  const catalog = loadCatalog();
  for (const m of catalog.majors) insert(m.name);
  for (const c of catalog.classes.values()) insert(c.name);
  for (const alias of Object.keys(MAJOR_ALIASES)) insert(alias);
  for (const terms of Object.values(ROLE_TERMS)) for (const t of Object.keys(terms)) insert(t);
}

/**
 * The dictionary is loaded at the first cut (or by warmJieba), not here: loading it takes ≈ 0.3 s of
 * native work, which the relay does once it listens (app.ts), and chit-chat is judged without cutting.
 */
export function createJiebaTokenizer(extraWords: string[]): Tokenizer {
  let ready = false;
  return {
    cut(text) {
      if (!ready) {
        warmJieba();
        for (const w of extraWords) insert(w);
        ready = true;
      }
      return nodejieba.cut(text);
    },
  };
}
