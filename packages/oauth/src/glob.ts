/**
 * Glob matching for tool, prompt and resource names in scope rules: `*` matches any run of characters
 * (including none), `?` exactly one; everything else is literal.
 *
 * Hand-rolled (rather than a glob library converted to a RegExp) to guarantee linear-time behaviour: this is the
 * classic two-pointer wildcard match with a single backtrack point, O(pattern × name) in the worst case and
 * without the catastrophic backtracking a regex built from user input can have.
 */
export function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    const pc = pattern[p];
    if (pc !== undefined && (pc === '?' || (pc !== '*' && pc === name[n]))) {
      p++;
      n++;
    } else if (pc === '*') {
      starP = p++;
      starN = n;
    } else if (starP !== -1) {
      p = starP + 1;
      n = ++starN;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** True when the pattern has a wildcard (otherwise it is matched exactly, through a map lookup). */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** A compiled set of `pattern → scopes` rules: exact names by lookup, globs in order. Every matching rule applies. */
export class ScopeRules {
  readonly #exact = new Map<string, readonly string[]>();
  readonly #globs: { pattern: string; scopes: readonly string[] }[] = [];

  constructor(rules: Readonly<Record<string, readonly string[]>> = {}) {
    for (const [pattern, scopes] of Object.entries(rules)) {
      if (isGlob(pattern)) this.#globs.push({ pattern, scopes });
      else this.#exact.set(pattern, scopes);
    }
  }

  /** Adds the scopes of every rule matching `name` to `into`. */
  collect(name: string, into: Set<string>): void {
    for (const scope of this.#exact.get(name) ?? []) into.add(scope);
    for (const rule of this.#globs)
      if (globMatch(rule.pattern, name)) for (const scope of rule.scopes) into.add(scope);
  }

  get size(): number {
    return this.#exact.size + this.#globs.length;
  }
}
