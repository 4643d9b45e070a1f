/**
 * Wildcard patterns for rule matching: `*` matches any run of characters (also none), everything else is
 * literal. Hand-rolled instead of a regex or a glob library because targets are arbitrary strings (resource URIs
 * contain `/`, `?`, `[`…) that must stay literal, and because the greedy two-pointer match below never
 * backtracks more than O(pattern × text): no catastrophic backtracking on hostile names.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starT = t;
    } else if (starP !== -1) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** A set of patterns compiled once: exact ones go to a `Set`, only the wildcard ones are scanned. */
export class PatternSet {
  readonly #exact = new Set<string>();
  readonly #wild: string[] = [];

  constructor(patterns: readonly string[]) {
    for (const pattern of patterns) {
      if (pattern.includes('*')) this.#wild.push(pattern);
      else this.#exact.add(pattern);
    }
  }

  matches(text: string): boolean {
    if (this.#exact.has(text)) return true;
    return this.#wild.some((pattern) => wildcardMatch(pattern, text));
  }
}

/** Ordered pattern → value table: the first entry whose pattern matches wins. */
export class PatternTable<T> {
  readonly #entries: readonly (readonly [string, T])[];
  readonly #exact = new Map<string, { index: number; value: T }>();

  constructor(entries: readonly (readonly [string, T])[]) {
    this.#entries = entries;
    entries.forEach(([pattern, value], index) => {
      if (!pattern.includes('*') && !this.#exact.has(pattern)) this.#exact.set(pattern, { index, value });
    });
  }

  lookup(text: string): T | undefined {
    const exact = this.#exact.get(text);
    for (let i = 0; i < this.#entries.length; i++) {
      if (exact && i === exact.index) return exact.value;
      const entry = this.#entries[i];
      if (entry?.[0].includes('*') && wildcardMatch(entry[0], text)) return entry[1];
    }
    return exact?.value;
  }
}
