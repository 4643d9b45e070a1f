/**
 * One pass over a text that finds every literal anchor of every active rule (case-sensitive and ASCII
 * case-insensitive) at once.
 *
 * The scan is an Aho-Corasick automaton per case mode, built once when the rule set is compiled; the two are
 * then combined into one DFA over pairs of their states and run in a single loop over the UTF-16 code units: a
 * flat `Int32Array` of transitions indexed by state and character class (ASCII code units used by anchors get
 * classes; every other code unit, non-ASCII included, is class 0, which only leads back to the root), so each
 * code unit costs two table look-ups whatever the number of anchors. Case-insensitive anchors are folded at
 * build time (`A`–`Z` share the class of `a`–`z`), which is exactly the ASCII-only folding of a non-`u` `i`
 * regex for ASCII anchors (no non-ASCII code unit folds to an ASCII one there).
 *
 * Why by hand and not a library or a regex: profiling the full rule set (node --cpu-prof, source-code corpus)
 * showed the former alternation regexes (~126 alternatives, one per case mode) as the largest single cost —
 * irregexp tries the alternatives one after another at each position, so its cost grows with the number of
 * anchors — and the automaton is ~150 lines with no dependency (the package takes none besides the core
 * contract). Measured on 2 MiB of this repository's sources: ~34 ms for the two regexes, ~15 ms here.
 *
 * Every occurrence of every anchor is reported, overlapping ones included (so `pass` is seen inside `password`).
 * If some anchor contains a non-ASCII code unit (only possible with custom rules), the index falls back to the
 * previous alternation regexes, whose matching of such anchors under `i` the automaton does not replicate.
 */

export interface AnchorEntry {
  readonly anchor: string;
  /** ASCII case-insensitive (the anchor is given in lower case). */
  readonly ci: boolean;
  /** Index of the rule this anchor belongs to. */
  readonly rule: number;
  /** Record every position (for rules that match at their anchors) instead of only presence. */
  readonly positional: boolean;
}

/** What one scan found: rules with at least one anchor present, and anchor positions of positional rules. */
export interface AnchorHits {
  readonly rules: ReadonlySet<number>;
  readonly positions: ReadonlyMap<number, number[]>;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** One case mode: an alternation regex, and for each anchor the entries it stands for (incl. its prefixes). */
class AnchorGroup {
  readonly regex: RegExp | undefined;
  readonly #byAnchor = new Map<string, AnchorEntry[]>();

  constructor(
    entries: readonly AnchorEntry[],
    readonly ci: boolean,
  ) {
    const anchors = [...new Set(entries.map((e) => e.anchor))].sort((a, b) => b.length - a.length);
    for (const anchor of anchors) {
      // Entries of this anchor and of every anchor that is a prefix of it.
      this.#byAnchor.set(
        anchor,
        entries.filter((e) => anchor.startsWith(e.anchor)),
      );
    }
    this.regex =
      anchors.length === 0 ? undefined : new RegExp(anchors.map(escapeRegExp).join('|'), ci ? 'gi' : 'g');
  }

  entriesFor(match: string): readonly AnchorEntry[] {
    return this.#byAnchor.get(this.ci ? match.toLowerCase() : match) ?? [];
  }
}

/** The Aho-Corasick automaton of one case mode (see the module comment). */
class Automaton {
  /** Class of each ASCII code unit (0: no anchor uses it). */
  readonly classes = new Uint8Array(128);
  readonly width: number;
  /**
   * `next[row + class]`: the DFA transition (failure links already folded in), where `row` is `state * width`
   * and the value is the target's `row` too. The root is state 0.
   */
  readonly next: Int32Array;
  /** The row of the first state with outputs: every state from there on reports a hit. */
  readonly firstOutput: number;
  /** Per state, the offset into `out` of its outputs, and `outEnd` its end. */
  readonly outStart: Int32Array;
  readonly outEnd: Int32Array;
  /** Outputs as pairs: rule index, anchor length (negative for a positional rule). */
  readonly out: Int32Array;

  constructor(entries: readonly AnchorEntry[], ci: boolean) {
    let width = 1;
    for (const { anchor } of entries)
      for (let i = 0; i < anchor.length; i++) {
        const c = anchor.charCodeAt(i);
        if (this.classes[c] === 0) this.classes[c] = width++;
      }
    if (ci)
      for (let c = 0x41; c <= 0x5a; c++) {
        const lower = this.classes[c + 0x20] ?? 0;
        if (lower !== 0) this.classes[c] = lower;
      }
    this.width = width;

    // Trie.
    const goto: number[][] = [[]];
    const outputs: number[][] = [[]];
    for (const { anchor, rule, positional } of entries) {
      let state = 0;
      for (let i = 0; i < anchor.length; i++) {
        const cls = this.classes[anchor.charCodeAt(i)] ?? 0;
        const row = goto[state] ?? [];
        let to = row[cls];
        if (to === undefined) {
          to = goto.length;
          row[cls] = to;
          goto.push([]);
          outputs.push([]);
        }
        state = to;
      }
      outputs[state]?.push(rule, positional ? -anchor.length : anchor.length);
    }

    // Breadth-first: failure links, full transitions, outputs inherited along failure links.
    const count = goto.length;
    const next = new Int32Array(count * width);
    const fail = new Int32Array(count);
    const queue: number[] = [];
    const root = goto[0] ?? [];
    for (let cls = 1; cls < width; cls++) {
      const to = root[cls];
      if (to !== undefined) {
        next[cls] = to;
        queue.push(to);
      }
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] ?? 0;
      const f = fail[state] ?? 0;
      const own = outputs[state] ?? [];
      if (state !== 0) own.push(...(outputs[f] ?? []));
      const row = goto[state] ?? [];
      for (let cls = 1; cls < width; cls++) {
        const to = row[cls];
        const viaFail = next[f * width + cls] ?? 0;
        if (to === undefined) {
          next[state * width + cls] = viaFail;
        } else {
          next[state * width + cls] = to;
          fail[to] = viaFail;
          queue.push(to);
        }
      }
    }
    // Renumber the states so that those with outputs come last (one comparison tells whether a state reports),
    // and store each transition as the target's row offset (`state * width`), saving a multiplication.
    const order: number[] = [];
    for (let state = 0; state < count; state++) if ((outputs[state]?.length ?? 0) === 0) order.push(state);
    this.firstOutput = order.length * width;
    for (let state = 0; state < count; state++) if ((outputs[state]?.length ?? 0) > 0) order.push(state);
    const renumbered = new Int32Array(count);
    order.forEach((old, state) => {
      renumbered[old] = state;
    });
    this.next = new Int32Array(count * width);
    this.outStart = new Int32Array(count);
    this.outEnd = new Int32Array(count);
    const flat: number[] = [];
    order.forEach((old, state) => {
      for (let cls = 0; cls < width; cls++)
        this.next[state * width + cls] = (renumbered[next[old * width + cls] ?? 0] ?? 0) * width;
      this.outStart[state] = flat.length;
      flat.push(...(outputs[old] ?? []));
      this.outEnd[state] = flat.length;
    });
    this.out = Int32Array.from(flat);
  }
}

/** Records the hits of one case mode: presence per rule, start positions per positional rule. */
function record(
  a: Automaton,
  row: number,
  end: number,
  rules: Set<number>,
  positions: Map<number, number[]>,
): void {
  const out = a.out;
  const state = row / a.width;
  for (let k = a.outStart[state] ?? 0, stop = a.outEnd[state] ?? 0; k < stop; k += 2) {
    const rule = out[k] ?? 0;
    const length = out[k + 1] ?? 0;
    rules.add(rule);
    if (length > 0) continue;
    const start = end + 1 + length;
    const list = positions.get(rule);
    if (list) list.push(start);
    else positions.set(rule, [start]);
  }
}

/** Ascending and without repeats (a rule's anchors of different lengths are reported by end, not start). */
function normalise(positions: Map<number, number[]>): void {
  for (const list of positions.values()) {
    let sorted = true;
    for (let i = 1; i < list.length; i++)
      if ((list[i] ?? 0) <= (list[i - 1] ?? 0)) {
        sorted = false;
        break;
      }
    if (sorted) continue;
    list.sort((x, y) => x - y);
    let w = 0;
    for (let i = 0; i < list.length; i++) if (w === 0 || list[i] !== list[w - 1]) list[w++] = list[i] ?? 0;
    list.length = w;
  }
}

/**
 * Breadth-first over the pairs of states of `cs` and `ci` reachable from the root pair, for the pair classes
 * represented by `sample`: each pair's two rows, and its transitions as pair ids (`width` per pair).
 * (A function of its own so that V8 optimises this hot loop once, not with every new rule set.)
 */
function reachablePairs(
  cs: Automaton,
  ci: Automaton,
  sample: Int32Array,
): { count: number; rows: Int32Array; targets: Int32Array } {
  const width = sample.length;
  const csWidth = cs.width;
  const ciWidth = ci.width;
  const csNext = cs.next;
  const ciNext = ci.next;
  const csClasses = cs.classes;
  const ciClasses = ci.classes;
  const ciStates = ciNext.length / ciWidth;
  // `ids` maps a pair of states to its id (-1: not reached yet). Typed arrays grown by doubling: pushing ~10^5
  // numbers onto plain arrays measured several times slower here.
  const ids = new Int32Array((csNext.length / csWidth) * ciStates).fill(-1);
  ids[0] = 0;
  let rows = new Int32Array(2 * 1024);
  let targets = new Int32Array(1024 * width);
  let count = 1;
  for (let state = 0; state < count; state++) {
    const r1 = rows[2 * state] as number;
    const r2 = rows[2 * state + 1] as number;
    if ((state + 1) * width > targets.length) {
      const grown = new Int32Array(targets.length * 2);
      grown.set(targets);
      targets = grown;
    }
    for (let cls = 1; cls < width; cls++) {
      const c = sample[cls] as number;
      const t1 = csNext[r1 + (csClasses[c] as number)] as number;
      const t2 = ciNext[r2 + (ciClasses[c] as number)] as number;
      const key = ((t1 / csWidth) | 0) * ciStates + ((t2 / ciWidth) | 0);
      let id = ids[key] as number;
      if (id === -1) {
        id = count++;
        ids[key] = id;
        if (2 * id + 1 >= rows.length) {
          const grown = new Int32Array(rows.length * 2);
          grown.set(rows);
          rows = grown;
        }
        rows[2 * id] = t1;
        rows[2 * id + 1] = t2;
      }
      targets[state * width + cls] = id;
    }
  }
  return { count, rows, targets };
}

/**
 * The two automata run as one: a DFA over pairs of their states (only the pairs the text can reach), so each
 * code unit costs one dependent table look-up instead of two. A state reports when either of its halves does.
 */
class PairAutomaton {
  /** Class of every UTF-16 code unit (64 KiB, so the scan needs no ASCII test; non-ASCII is class 0). */
  readonly classes = new Uint8Array(65536);
  readonly width: number;
  readonly next: Int32Array;
  readonly firstOutput: number;
  /** Per state, the rows of its two halves in `cs` and `ci`. */
  readonly csRow: Int32Array;
  readonly ciRow: Int32Array;

  constructor(
    readonly cs: Automaton,
    readonly ci: Automaton,
  ) {
    const byPair = new Map<number, number>([[0, 0]]);
    for (let c = 0; c < 128; c++) {
      const key = (cs.classes[c] ?? 0) * ci.width + (ci.classes[c] ?? 0);
      if (!byPair.has(key)) byPair.set(key, byPair.size);
      this.classes[c] = byPair.get(key) ?? 0;
    }
    const width = byPair.size;
    // One representative code unit per class (class 0: any code unit no anchor uses).
    const sample = new Int32Array(width);
    for (let c = 127; c >= 0; c--) sample[this.classes[c] ?? 0] = c;
    const { count, rows, targets } = reachablePairs(cs, ci, sample);
    const reports = (state: number) =>
      (rows[2 * state] ?? 0) >= cs.firstOutput || (rows[2 * state + 1] ?? 0) >= ci.firstOutput;
    const order: number[] = [];
    for (let state = 0; state < count; state++) if (!reports(state)) order.push(state);
    this.firstOutput = order.length * width;
    for (let state = 0; state < count; state++) if (reports(state)) order.push(state);
    const renumbered = new Int32Array(count);
    order.forEach((old, state) => {
      renumbered[old] = state;
    });
    this.next = new Int32Array(count * width);
    this.csRow = new Int32Array(count);
    this.ciRow = new Int32Array(count);
    order.forEach((old, state) => {
      for (let cls = 0; cls < width; cls++)
        this.next[state * width + cls] = (renumbered[targets[old * width + cls] ?? 0] ?? 0) * width;
      this.csRow[state] = rows[2 * old] ?? 0;
      this.ciRow[state] = rows[2 * old + 1] ?? 0;
    });
    this.width = width;
  }
}

export class AnchorIndex {
  readonly #groups: AnchorGroup[] | undefined;
  readonly #pair: PairAutomaton | undefined;
  readonly #count: number;

  constructor(entries: readonly AnchorEntry[]) {
    this.#count = entries.length;
    // The automata assume non-empty ASCII anchors (case-insensitive ones in lower case, as documented);
    // anything else keeps the regex scan, so its results stay exactly what they were.
    const simple = (e: AnchorEntry) =>
      e.anchor.length > 0 &&
      /^[\x00-\x7f]*$/.test(e.anchor) &&
      (!e.ci || e.anchor === e.anchor.toLowerCase());
    if (entries.every(simple)) {
      this.#pair = new PairAutomaton(
        new Automaton(
          entries.filter((e) => !e.ci),
          false,
        ),
        new Automaton(
          entries.filter((e) => e.ci),
          true,
        ),
      );
      return;
    }
    this.#groups = [
      new AnchorGroup(
        entries.filter((e) => !e.ci),
        false,
      ),
      new AnchorGroup(
        entries.filter((e) => e.ci),
        true,
      ),
    ];
  }

  get size(): number {
    return this.#count;
  }

  scan(text: string): AnchorHits {
    const pair = this.#pair;
    if (pair === undefined) return this.#scanRegex(text);
    const { cs, ci, csRow, ciRow } = pair;
    const rules = new Set<number>();
    const csPositions = new Map<number, number[]>();
    const ciPositions = new Map<number, number[]>();
    const next = pair.next;
    const classes = pair.classes;
    const first = pair.firstOutput;
    const width = pair.width;
    let s = 0;
    for (let i = 0, n = text.length; i < n; i++) {
      // Class 0 (every code unit no anchor uses, non-ASCII included) leads back to the root from any state.
      s = next[s + (classes[text.charCodeAt(i)] as number)] as number;
      if (s < first) continue;
      const state = s / width;
      const r1 = csRow[state] as number;
      const r2 = ciRow[state] as number;
      if (r1 >= cs.firstOutput) record(cs, r1, i, rules, csPositions);
      if (r2 >= ci.firstOutput) record(ci, r2, i, rules, ciPositions);
    }
    normalise(csPositions);
    normalise(ciPositions);
    // As the regex scan did: a rule's case-sensitive positions, then its case-insensitive ones.
    for (const [rule, list] of ciPositions) {
      const head = csPositions.get(rule);
      if (head === undefined) csPositions.set(rule, list);
      else for (const position of list) head.push(position);
    }
    return { rules, positions: csPositions };
  }

  /** The fallback scan (anchors with non-ASCII code units): one alternation regex per case mode. */
  #scanRegex(text: string): AnchorHits {
    const rules = new Set<number>();
    const positions = new Map<number, number[]>();
    for (const group of this.#groups ?? []) {
      const re = group.regex;
      if (re === undefined) continue;
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        const at = m.index;
        for (const entry of group.entriesFor(m[0])) {
          rules.add(entry.rule);
          if (!entry.positional) continue;
          const list = positions.get(entry.rule);
          if (list) list.push(at);
          else positions.set(entry.rule, [at]);
        }
        re.lastIndex = at + 1;
      }
    }
    return { rules, positions };
  }
}
