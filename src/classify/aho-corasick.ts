// Multi-pattern matcher: one pass over the text finds every occurrence of hundreds of terms,
// so classify() never compiles or runs per-term regexes.

export interface Match<T> {
  start: number;
  end: number; // exclusive
  term: string;
  value: T;
}

// Transitions are keyed by UTF-16 code unit (a number): Map<number> lookups are markedly faster
// than string-keyed ones, and a surrogate pair is simply two steps.
interface Node<T> {
  next: Map<number, number>;
  fail: number;
  /** Patterns ending here, own and inherited through fail links. */
  out: { term: string; value: T }[];
}

/** findLongest's per-start scratch (it is synchronous, so one pair serves every matcher). */
let scratchEnds = new Int32Array(1024);
const scratchOuts: unknown[] = [];

export class AhoCorasick<T> {
  private readonly nodes: Node<T>[] = [{ next: new Map(), fail: 0, out: [] }];
  /**
   * The root's transitions as a flat table (0 = stay at the root): most text units start no term,
   * so the scan mostly sits at the root and an array index beats a Map lookup there.
   */
  private readonly rootNext = new Int32Array(0x10000);

  /**
   * Below the root, each node's transitions as a run of (unit, child) pairs sorted by unit in two flat
   * arrays, found by a linear scan (most trie nodes have one or two children) or a binary search: a
   * Map lookup per text unit was most of the scan's time.
   */
  private readonly edgeStart: Int32Array;
  private readonly edgeCount: Int32Array;
  private readonly edgeUnit: Int32Array;
  private readonly edgeTo: Int32Array;
  private readonly failOf: Int32Array;
  private readonly outs: { term: string; value: T }[][];

  constructor(entries: Iterable<readonly [string, T]>) {
    for (const [term, value] of entries) if (term.length > 0) this.add(term, value);
    this.link();
    for (const [ch, child] of this.nodes[0]!.next) this.rootNext[ch] = child;
    const n = this.nodes.length;
    let edges = 0;
    for (const node of this.nodes) edges += node.next.size;
    this.edgeStart = new Int32Array(n);
    this.edgeCount = new Int32Array(n);
    this.edgeUnit = new Int32Array(edges);
    this.edgeTo = new Int32Array(edges);
    this.failOf = new Int32Array(n);
    this.outs = this.nodes.map((node) => node.out);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const node = this.nodes[i]!;
      this.failOf[i] = node.fail;
      this.edgeStart[i] = at;
      this.edgeCount[i] = node.next.size;
      for (const [ch, child] of [...node.next].sort((x, y) => x[0] - y[0])) {
        this.edgeUnit[at] = ch;
        this.edgeTo[at++] = child;
      }
    }
    this.nodes.length = 0; // the Maps are only for building: the flat arrays above replace them
  }

  /** The child of `node` (not the root) on unit `ch`, or -1. */
  private child(node: number, ch: number): number {
    let lo = this.edgeStart[node]!;
    const count = this.edgeCount[node]!;
    const units = this.edgeUnit;
    if (count <= 8) {
      for (const end = lo + count; lo < end; lo++) if (units[lo] === ch) return this.edgeTo[lo]!;
      return -1;
    }
    let hi = lo + count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = units[mid]!;
      if (u === ch) return this.edgeTo[mid]!;
      if (u < ch) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The automaton's state after `cur` reads unit `ch`. */
  private step(cur: number, ch: number): number {
    while (cur !== 0) {
      const nxt = this.child(cur, ch);
      if (nxt >= 0) return nxt;
      cur = this.failOf[cur]!;
    }
    return this.rootNext[ch]!;
  }

  private add(term: string, value: T): void {
    let cur = 0;
    for (let i = 0; i < term.length; i++) {
      const ch = term.charCodeAt(i);
      const node = this.nodes[cur]!;
      let nxt = node.next.get(ch);
      if (nxt === undefined) {
        nxt = this.nodes.length;
        this.nodes.push({ next: new Map(), fail: 0, out: [] });
        node.next.set(ch, nxt);
      }
      cur = nxt;
    }
    this.nodes[cur]!.out.push({ term, value });
  }

  private link(): void {
    const queue: number[] = [];
    for (const child of this.nodes[0]!.next.values()) queue.push(child);
    for (let qi = 0; qi < queue.length; qi++) {
      const id = queue[qi]!;
      const node = this.nodes[id]!;
      for (const [ch, child] of node.next) {
        let f = node.fail;
        while (f !== 0 && !this.nodes[f]!.next.has(ch)) f = this.nodes[f]!.fail;
        const cand = this.nodes[f]!.next.get(ch);
        const childNode = this.nodes[child]!;
        childNode.fail = cand !== undefined && cand !== child ? cand : 0;
        childNode.out = childNode.out.concat(this.nodes[childNode.fail]!.out);
        queue.push(child);
      }
    }
  }

  /** Every occurrence, overlapping ones included, in order of end position. Offsets are UTF-16 indices. */
  findAll(text: string): Match<T>[] {
    const found: Match<T>[] = [];
    let cur = 0;
    const outs = this.outs;
    const rootNext = this.rootNext;
    for (let i = 1; i <= text.length; i++) {
      const ch = text.charCodeAt(i - 1);
      cur = cur === 0 ? rootNext[ch]! : this.step(cur, ch);
      if (cur === 0) continue;
      const out = outs[cur]!;
      if (out.length === 0) continue;
      for (let k = 0; k < out.length; k++) {
        const o = out[k]!;
        found.push({ start: i - o.term.length, end: i, term: o.term, value: o.value });
      }
    }
    return found;
  }

  /**
   * Leftmost-longest, non-overlapping matches: '电气工程及其自动化' wins over '电气' inside it. One scan
   * keeps, per start offset, the longest match (the first found among equals, as a stable sort by
   * start then length would), then one sweep over the starts: no Match per occurrence, no sort.
   */
  findLongest(text: string): Match<T>[] {
    const n = text.length;
    if (scratchEnds.length < n) scratchEnds = new Int32Array(Math.max(n, scratchEnds.length * 2));
    const ends = scratchEnds;
    const outs = scratchOuts as { term: string; value: T }[];
    ends.fill(0, 0, n);
    let first = n;
    let last = -1;
    let cur = 0;
    const nodeOuts = this.outs;
    const rootNext = this.rootNext;
    for (let i = 1; i <= n; i++) {
      const ch = text.charCodeAt(i - 1);
      cur = cur === 0 ? rootNext[ch]! : this.step(cur, ch);
      if (cur === 0) continue;
      const out = nodeOuts[cur]!;
      for (let k = 0; k < out.length; k++) {
        const o = out[k]!;
        const start = i - o.term.length;
        if (ends[start]! < i) {
          ends[start] = i;
          outs[start] = o;
          if (start < first) first = start;
          if (start > last) last = start;
        }
      }
    }
    const kept: Match<T>[] = [];
    let until = 0;
    for (let s = first; s <= last; s++) {
      const end = ends[s]!;
      if (end === 0 || s < until) continue;
      const o = outs[s]!;
      kept.push({ start: s, end, term: o.term, value: o.value });
      until = end;
    }
    return kept;
  }
}
