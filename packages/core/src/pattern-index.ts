/**
 * An index from many patterns (of the one pattern language, see `pattern.ts`) to values, queried with one name.
 * The engine for many patterns at once; {@link compilePattern} is the one for a single pattern, and both parse
 * through the same functions.
 *
 * Why hand-written: no library matches a string against thousands of globs at once in time that depends on the
 * string rather than the number of globs (minimatch/picomatch compile one regex per glob and are tried one by
 * one; casbin loops over its policy lines). The structure is deliberately simple:
 * - literal globs live in a `Map` (one lookup);
 * - the rest form a trie of segments. A node has literal children (a `Map`), a `*` child, `**` child and a short
 *   list of partial-wildcard children (`*.md`). The target is walked segment by segment as a set of active nodes
 *   (an NFA simulation, no backtracking); `**` nodes stay active and also try their children.
 * Cost: O(segments × active nodes), where active nodes are bounded by the shape of the globs (how many distinct
 * wildcard branches share a prefix), not by how many rules use them.
 */
import {
  type CompiledPattern,
  isLiteralAlternative,
  matchWildSegment,
  type PatternSegment,
  parsePatternSegments,
} from './pattern.js';

interface TrieNode<T> {
  readonly literal: Map<string, TrieNode<T>>;
  star: TrieNode<T> | undefined;
  globstar: TrieNode<T> | undefined;
  readonly wild: { readonly parts: readonly string[]; readonly source: string; readonly node: TrieNode<T> }[];
  /** True for a node entered through `**`: it can consume further segments itself. */
  readonly loops: boolean;
  readonly values: T[];
  /** Visit stamp, so a node is not added twice to one step's active set. */
  stamp: number;
}

function createNode<T>(loops: boolean): TrieNode<T> {
  return { literal: new Map(), star: undefined, globstar: undefined, wild: [], loops, values: [], stamp: 0 };
}

export class PatternIndex<T> {
  readonly #exact = new Map<string, T[]>();
  readonly #root: TrieNode<T> = createNode(false);
  #stamp = 0;
  #size = 0;
  #bufferA: TrieNode<T>[] = [];
  #bufferB: TrieNode<T>[] = [];

  /** Number of brace-free alternatives added. */
  get size(): number {
    return this.#size;
  }

  /** Adds every alternative of a compiled pattern with the value reported when it matches. */
  add(pattern: CompiledPattern, value: T): void {
    for (const alternative of pattern.alternatives) this.addAlternative(alternative, value);
  }

  /**
   * Adds one brace-free alternative (one of `expandPattern`'s results, possibly rewritten by the caller, e.g.
   * canonicalised) with the value reported when it matches. Braces in it are literal.
   */
  addAlternative(glob: string, value: T): void {
    this.#size++;
    if (isLiteralAlternative(glob)) {
      const list = this.#exact.get(glob);
      if (list) list.push(value);
      else this.#exact.set(glob, [value]);
      return;
    }
    let node = this.#root;
    for (const segment of parsePatternSegments(glob)) node = this.#child(node, segment);
    node.values.push(value);
  }

  #child(node: TrieNode<T>, segment: PatternSegment): TrieNode<T> {
    switch (segment.kind) {
      case 'literal': {
        let next = node.literal.get(segment.text);
        if (!next) {
          next = createNode(false);
          node.literal.set(segment.text, next);
        }
        return next;
      }
      case 'star':
        node.star ??= createNode(false);
        return node.star;
      case 'globstar':
        node.globstar ??= createNode(true);
        return node.globstar;
      case 'wild': {
        const found = node.wild.find((w) => w.source === segment.source);
        if (found) return found.node;
        const next = createNode<T>(false);
        node.wild.push({ parts: segment.parts, source: segment.source, node: next });
        return next;
      }
    }
  }

  /** Appends to `out` the value of every alternative that matches `target`, in no particular order. */
  collect(target: string, out: T[]): void {
    const exact = this.#exact.get(target);
    if (exact) for (let i = 0; i < exact.length; i++) out.push(exact[i] as T);
    const root = this.#root;
    if (root.literal.size === 0 && !root.star && !root.globstar && root.wild.length === 0) return;

    // Two reusable buffers for the active node sets (matching is synchronous, so sharing them is safe).
    let active = this.#bufferA;
    let next = this.#bufferB;
    active.length = 0;
    let stamp = ++this.#stamp;
    enter(root, active, stamp);
    let start = 0;
    for (;;) {
      const slash = target.indexOf('/', start);
      const segment = slash === -1 ? target.slice(start) : target.slice(start, slash);
      next.length = 0;
      stamp = ++this.#stamp;
      for (let i = 0; i < active.length; i++) {
        const node = active[i] as TrieNode<T>;
        if (node.loops) enter(node, next, stamp);
        if (node.literal.size > 0) {
          const lit = node.literal.get(segment);
          if (lit) enter(lit, next, stamp);
        }
        if (node.star) enter(node.star, next, stamp);
        const wild = node.wild;
        for (let w = 0; w < wild.length; w++) {
          const entry = wild[w] as (typeof wild)[number];
          if (matchWildSegment(entry.parts, segment)) enter(entry.node, next, stamp);
        }
      }
      const swap = active;
      active = next;
      next = swap;
      if (active.length === 0 || slash === -1) break;
      start = slash + 1;
    }
    for (let i = 0; i < active.length; i++) {
      const values = (active[i] as TrieNode<T>).values;
      for (let v = 0; v < values.length; v++) out.push(values[v] as T);
    }
  }
}

/** Adds `node` and, through `**` matching zero segments, its globstar descendants, each once per step. */
function enter<T>(node: TrieNode<T>, into: TrieNode<T>[], stamp: number): void {
  let current: TrieNode<T> | undefined = node;
  while (current && current.stamp !== stamp) {
    current.stamp = stamp;
    into.push(current);
    current = current.globstar;
  }
}
