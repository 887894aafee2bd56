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

  constructor(entries: Iterable<readonly [string, T]>) {
    for (const [term, value] of entries) if (term.length > 0) this.add(term, value);
    this.link();
    for (const [ch, child] of this.nodes[0]!.next) this.rootNext[ch] = child;
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
    const nodes = this.nodes;
    const rootNext = this.rootNext;
    for (let i = 1; i <= text.length; i++) {
      const ch = text.charCodeAt(i - 1);
      if (cur !== 0) {
        let nxt = nodes[cur]!.next.get(ch);
        while (nxt === undefined && cur !== 0) {
          cur = nodes[cur]!.fail;
          if (cur !== 0) nxt = nodes[cur]!.next.get(ch);
        }
        cur = nxt ?? rootNext[ch]!;
      } else cur = rootNext[ch]!;
      if (cur === 0) continue;
      const out = nodes[cur]!.out;
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
    const nodes = this.nodes;
    const rootNext = this.rootNext;
    for (let i = 1; i <= n; i++) {
      const ch = text.charCodeAt(i - 1);
      if (cur !== 0) {
        let nxt = nodes[cur]!.next.get(ch);
        while (nxt === undefined && cur !== 0) {
          cur = nodes[cur]!.fail;
          if (cur !== 0) nxt = nodes[cur]!.next.get(ch);
        }
        cur = nxt ?? rootNext[ch]!;
      } else cur = rootNext[ch]!;
      if (cur === 0) continue;
      const out = nodes[cur]!.out;
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
