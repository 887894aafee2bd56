// Multi-pattern matching: one pass over the text finds every occurrence of hundreds of terms, so
// classify() never compiles or runs per-term regexes. TermTables goes one step further: the term
// tables of every stage (detection, majors, routing, fields) share one automaton, so a message is
// read once, not once per table.

export interface Match<T> {
  start: number;
  end: number; // exclusive
  term: string;
  value: T;
}

/** A table added to a TermTables; its matches carry the table's values. */
export interface TermTable<V> {
  readonly id: number;
  /** Type only: the table's value type. */
  readonly _value?: V;
}

/**
 * Several term tables matched in one pass. Each table's view of a scan (longest, all, first, any) is
 * exactly what an automaton of that table alone would report: the shared automaton finds the
 * occurrences of every table, in the same order (by end, longest first at one end), and a view reads
 * its table's. Tables are added first; the automaton is built by build() or at the first scan.
 */
export class TermTables {
  private readonly terms: string[] = [];
  private readonly values: unknown[] = [];
  private readonly tableOf: number[] = [];
  private tableCount = 0;
  private automaton: Automaton | undefined;

  add<V>(entries: Iterable<readonly [string, V]>): TermTable<V> {
    if (this.automaton) throw new Error('TermTables: add() after the automaton was built');
    const id = this.tableCount++;
    for (const [term, value] of entries) {
      if (term.length === 0) continue;
      this.terms.push(term);
      this.values.push(value);
      this.tableOf.push(id);
    }
    return { id };
  }

  /** Builds the automaton now rather than at the first scan. */
  build(): void {
    this.automaton ??= new Automaton(this.terms, this.tableOf, this.tableCount);
  }

  /** One pass over `text`: every table's occurrences. */
  scan(text: string): TermScan {
    this.automaton ??= new Automaton(this.terms, this.tableOf, this.tableCount);
    return new TermScan(text.length, this.automaton.occurrences(text), this.terms, this.values);
  }
}

/**
 * longest()'s per-start scratch, shared by every scan (views run synchronously). An entry counts only
 * when its stamp is the current call's, so nothing is cleared between calls.
 */
let scratchEnds = new Int32Array(1024);
let scratchTerms = new Int32Array(1024);
let scratchStamps = new Int32Array(1024);
let stamp = 0;

/** The occurrences one pass found, with each table's view of them. */
export class TermScan {
  constructor(
    private readonly length: number,
    /** Per table id, its occurrences as (pattern, end) pairs in order of end; undefined when none. */
    private readonly byTable: (number[] | undefined)[],
    private readonly terms: string[],
    private readonly values: unknown[],
  ) {}

  private match<V>(p: number, end: number): Match<V> {
    const term = this.terms[p]!;
    return { start: end - term.length, end, term, value: this.values[p] as V };
  }

  /** Does any of the table's terms occur? */
  any(table: TermTable<unknown>): boolean {
    return this.byTable[table.id] !== undefined;
  }

  /** Every occurrence, overlapping ones included, in order of end position. Offsets are UTF-16 indices. */
  all<V>(table: TermTable<V>): Match<V>[] {
    const occ = this.byTable[table.id];
    const found: Match<V>[] = [];
    if (occ) for (let k = 0; k < occ.length; k += 2) found.push(this.match(occ[k]!, occ[k + 1]!));
    return found;
  }

  /**
   * Leftmost-longest, non-overlapping matches: '电气工程及其自动化' wins over '电气' inside it. Keeps,
   * per start offset, the longest occurrence (the first found among equals, as a stable sort by start
   * then length would), then sweeps the starts: no Match per occurrence, no sort. With `limit`, as if
   * the text ended there (only occurrences ending by then).
   */
  longest<V>(table: TermTable<V>, limit = Infinity): Match<V>[] {
    const occ = this.byTable[table.id];
    if (!occ) return [];
    if (scratchEnds.length < this.length) {
      const size = Math.max(this.length, scratchEnds.length * 2);
      scratchEnds = new Int32Array(size);
      scratchTerms = new Int32Array(size);
      scratchStamps = new Int32Array(size);
      stamp = 0;
    }
    if (++stamp === 0x40000000) {
      scratchStamps.fill(0);
      stamp = 1;
    }
    const ends = scratchEnds;
    const termAt = scratchTerms;
    const stamps = scratchStamps;
    const terms = this.terms;
    let first = this.length;
    let last = -1;
    for (let k = 0; k < occ.length; k += 2) {
      const p = occ[k]!;
      const end = occ[k + 1]!;
      if (end > limit) break; // in order of end: the rest end later still
      const start = end - terms[p]!.length;
      if (stamps[start] !== stamp) {
        stamps[start] = stamp;
        ends[start] = end;
        termAt[start] = p;
        if (start < first) first = start;
        if (start > last) last = start;
      } else if (ends[start]! < end) {
        ends[start] = end;
        termAt[start] = p;
      }
    }
    const kept: Match<V>[] = [];
    let until = 0;
    for (let s = first; s <= last; s++) {
      if (stamps[s] !== stamp || s < until) continue;
      kept.push(this.match(termAt[s]!, ends[s]!));
      until = ends[s]!;
    }
    return kept;
  }

  /**
   * The first of longest(table) for the text cut at `limit`: the leftmost occurrence ending by then,
   * the longest of those starting there (the first found among equals).
   */
  first<V>(table: TermTable<V>, limit: number): Match<V> | undefined {
    const occ = this.byTable[table.id];
    if (!occ) return undefined;
    let best = -1;
    let bestStart = Infinity;
    let bestEnd = 0;
    for (let k = 0; k < occ.length; k += 2) {
      const p = occ[k]!;
      const end = occ[k + 1]!;
      if (end > limit) break; // in order of end: the rest end later still
      const start = end - this.terms[p]!.length;
      if (start < bestStart || (start === bestStart && end > bestEnd)) {
        best = p;
        bestStart = start;
        bestEnd = end;
      }
    }
    return best < 0 ? undefined : this.match(best, bestEnd);
  }
}

/** One term table on its own: a TermTables of one. */
export class AhoCorasick<T> {
  private readonly tables = new TermTables();
  private readonly table: TermTable<T>;

  constructor(entries: Iterable<readonly [string, T]>) {
    this.table = this.tables.add(entries);
    this.tables.build();
  }

  findAll(text: string): Match<T>[] {
    return this.tables.scan(text).all(this.table);
  }

  findLongest(text: string): Match<T>[] {
    return this.tables.scan(text).longest(this.table);
  }
}

// Transitions are keyed by UTF-16 code unit (a number), and a surrogate pair is simply two steps.
interface BuildNode {
  next: Map<number, number>;
  fail: number;
  /** The patterns ending here, own and inherited through fail links (longest first). */
  out: number[];
}

// A node's record in Automaton.node: [first edge, edge count, fail link, first output, output count].
const STRIDE = 5;
const EDGE_AT = 0;
const EDGE_COUNT = 1;
const FAIL = 2;
const OUT_AT = 3;
const OUT_COUNT = 4;

/**
 * The automaton over pattern indices, in flat Int32Arrays laid out for the scan:
 *   - the root (where the scan mostly sits: most text units start no term) is a table indexed by unit;
 *   - below the root, a node's edge run, fail link and output run are one record, its (unit, child)
 *     pairs are adjacent and sorted by unit (a linear scan for the usual one or two children, a binary
 *     search for more), and its outputs are pattern indices: the scan reads no JS objects.
 */
class Automaton {
  private readonly rootNext = new Int32Array(0x10000);
  /** STRIDE ints per node (see EDGE_AT …). */
  private readonly node: Int32Array;
  /** (unit, child) pairs, each node's run sorted by unit. */
  private readonly edges: Int32Array;
  /** Pattern indices, each node's output run. */
  private readonly outputs: Int32Array;
  private readonly tableOf: Int32Array;

  constructor(
    terms: string[],
    tableOf: number[],
    private readonly tableCount: number,
  ) {
    const nodes: BuildNode[] = [{ next: new Map(), fail: 0, out: [] }];
    terms.forEach((term, p) => add(nodes, term, p));
    link(nodes);
    for (const [ch, child] of nodes[0]!.next) this.rootNext[ch] = child;
    this.tableOf = Int32Array.from(tableOf);

    let edgeTotal = 0;
    let outTotal = 0;
    for (const nd of nodes) {
      edgeTotal += nd.next.size;
      outTotal += nd.out.length;
    }
    this.node = new Int32Array(nodes.length * STRIDE);
    this.edges = new Int32Array(edgeTotal * 2);
    this.outputs = new Int32Array(outTotal);
    let edgeAt = 0;
    let outAt = 0;
    for (let i = 0; i < nodes.length; i++) {
      const nd = nodes[i]!;
      const r = i * STRIDE;
      this.node[r + EDGE_AT] = edgeAt;
      this.node[r + EDGE_COUNT] = nd.next.size;
      this.node[r + FAIL] = nd.fail;
      this.node[r + OUT_AT] = outAt;
      this.node[r + OUT_COUNT] = nd.out.length;
      for (const [ch, child] of [...nd.next].sort((x, y) => x[0] - y[0])) {
        this.edges[edgeAt++] = ch;
        this.edges[edgeAt++] = child;
      }
      for (const p of nd.out) this.outputs[outAt++] = p;
    }
  }

  /** The child of `cur` (not the root) on unit `ch`, or -1. */
  private child(cur: number, ch: number): number {
    const r = cur * STRIDE;
    const edges = this.edges;
    let at = this.node[r + EDGE_AT]!;
    const count = this.node[r + EDGE_COUNT]!;
    if (count <= 8) {
      for (const end = at + 2 * count; at < end; at += 2) if (edges[at] === ch) return edges[at + 1]!;
      return -1;
    }
    let lo = 0;
    let hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = edges[at + 2 * mid]!;
      if (u === ch) return edges[at + 2 * mid + 1]!;
      if (u < ch) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * Every occurrence, per table id as (pattern, end) pairs in order of end, longest first at one end
   * (undefined for a table with none). Plain arrays: typed ones this small would each get an off-heap
   * buffer, costlier to allocate than the scan itself.
   */
  occurrences(text: string): (number[] | undefined)[] {
    const { node, outputs, rootNext, tableOf } = this;
    // Holes read as undefined (no fill(): a C++ builtin call per message, most of a short chat's scan).
    const byTable: (number[] | undefined)[] = new Array(this.tableCount);
    let cur = 0;
    for (let i = 1; i <= text.length; i++) {
      const ch = text.charCodeAt(i - 1);
      if (cur === 0) {
        cur = rootNext[ch]!;
        if (cur === 0) continue;
      } else {
        // Follow fail links to the longest suffix that continues with ch (the root's table last).
        for (;;) {
          const next = this.child(cur, ch);
          if (next >= 0) {
            cur = next;
            break;
          }
          cur = node[cur * STRIDE + FAIL]!;
          if (cur === 0) {
            cur = rootNext[ch]!;
            break;
          }
        }
        if (cur === 0) continue;
      }
      const r = cur * STRIDE;
      for (let k = node[r + OUT_AT]!, end = k + node[r + OUT_COUNT]!; k < end; k++) {
        const p = outputs[k]!;
        const list = (byTable[tableOf[p]!] ??= []);
        list.push(p);
        list.push(i);
      }
    }
    return byTable;
  }
}

function add(nodes: BuildNode[], term: string, pattern: number): void {
  let cur = 0;
  for (let i = 0; i < term.length; i++) {
    const ch = term.charCodeAt(i);
    const nd = nodes[cur]!;
    let nxt = nd.next.get(ch);
    if (nxt === undefined) {
      nxt = nodes.length;
      nodes.push({ next: new Map(), fail: 0, out: [] });
      nd.next.set(ch, nxt);
    }
    cur = nxt;
  }
  nodes[cur]!.out.push(pattern);
}

/** Fail links (breadth first) and each node's inherited outputs. */
function link(nodes: BuildNode[]): void {
  const queue: number[] = [];
  for (const child of nodes[0]!.next.values()) queue.push(child);
  for (let qi = 0; qi < queue.length; qi++) {
    const id = queue[qi]!;
    const nd = nodes[id]!;
    for (const [ch, child] of nd.next) {
      let f = nd.fail;
      while (f !== 0 && !nodes[f]!.next.has(ch)) f = nodes[f]!.fail;
      const cand = nodes[f]!.next.get(ch);
      const childNode = nodes[child]!;
      childNode.fail = cand !== undefined && cand !== child ? cand : 0;
      childNode.out = childNode.out.concat(nodes[childNode.fail]!.out);
      queue.push(child);
    }
  }
}
