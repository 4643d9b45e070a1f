import { ConfigError } from './errors.js';

/**
 * Scope hierarchies (MCP 2026-07-28, authorization, "Step-Up Authorization Flow": servers MUST account for scope
 * hierarchies, where a broader scope implies narrower ones, when deciding whether a token is sufficient). Shared by
 * every plugin that decides on scopes, so a hierarchy means the same thing to all of them.
 */

/** How scopes imply one another. */
export interface ScopeHierarchyOptions {
  /**
   * Explicit implications, broader → narrower, applied transitively:
   * `{ 'mcp:admin': ['mcp:write'], 'mcp:write': ['mcp:read'] }`. A cycle is refused at setup.
   */
  implies?: Readonly<Record<string, readonly string[]>>;
  /**
   * Prefix rule: with `':'`, a granted `notes` implies `notes:read`, `notes:write:drafts`, … (any scope that starts
   * with the granted one followed by the separator; never `notesbook`, and never upward). Off when not set.
   */
  prefixSeparator?: string;
}

/** At most this many distinct scopes (keys, implied scopes and their prefixes) in one hierarchy. */
const MAX_NODES = 2_000;

/**
 * Decides whether granted scopes satisfy required ones. Implication is the transitive closure of the explicit
 * `implies` edges and the prefix rule together (a scope implied through a prefix keeps its own implications), and it
 * never runs upward: any cycle, including one closed through the prefix rule, is a {@link ConfigError}.
 */
export class ScopeHierarchy {
  /** Every scope a configured scope implies (itself excluded). */
  readonly #closure = new Map<string, ReadonlySet<string>>();
  readonly #separator: string | undefined;

  constructor(options: ScopeHierarchyOptions = {}) {
    this.#separator = options.prefixSeparator === '' ? undefined : options.prefixSeparator;
    const edges = this.#graph(options.implies ?? {});
    // Depth-first, children before parents; `path` is the current chain, so meeting a scope on it is a cycle.
    const path: string[] = [];
    const visit = (scope: string): ReadonlySet<string> => {
      const done = this.#closure.get(scope);
      if (done) return done;
      const onPath = path.indexOf(scope);
      if (onPath !== -1) throw cycleError([...path.slice(onPath), scope]);
      path.push(scope);
      const out = new Set<string>();
      for (const child of edges.get(scope) ?? []) {
        out.add(child);
        for (const implied of visit(child)) out.add(implied);
      }
      path.pop();
      this.#closure.set(scope, out);
      return out;
    };
    for (const scope of edges.keys()) visit(scope);
  }

  /** The cuts of `scope` at each separator (`a:b:c` → `a:b`, `a`): the scopes that cover it by the prefix rule. */
  prefixesOf(scope: string): string[] {
    const sep = this.#separator;
    if (sep === undefined) return [];
    const out: string[] = [];
    for (let at = scope.indexOf(sep, 1); at > 0; at = scope.indexOf(sep, at + 1))
      out.push(scope.slice(0, at));
    return out;
  }

  /** Every scope the granted ones stand for through implications (the granted ones included). */
  expand(granted: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const scope of granted) {
      out.add(scope);
      for (const implied of this.#closure.get(scope) ?? []) out.add(implied);
    }
    return out;
  }

  /** True when `required` is in `expanded` (from {@link expand}) or covered by one of its prefixes there. */
  satisfies(expanded: ReadonlySet<string>, required: string): boolean {
    if (expanded.has(required)) return true;
    for (const prefix of this.prefixesOf(required)) if (expanded.has(prefix)) return true;
    return false;
  }

  /** The required scopes the granted ones do not cover, in the order given. */
  missing(granted: Iterable<string>, required: Iterable<string>): string[] {
    const expanded = this.expand(granted);
    const out: string[] = [];
    for (const scope of required) if (!this.satisfies(expanded, scope)) out.push(scope);
    return out;
  }

  /**
   * The implication graph over every scope the configuration names and their prefixes: explicit edges, plus an
   * edge from each prefix to the configured scopes below it. A granted scope outside this set has no implications
   * beyond the prefix rule, which {@link satisfies} applies.
   */
  #graph(implies: Readonly<Record<string, readonly string[]>>): Map<string, Set<string>> {
    const edges = new Map<string, Set<string>>();
    const node = (scope: string): Set<string> => {
      let set = edges.get(scope);
      if (!set) {
        if (edges.size >= MAX_NODES)
          throw new ConfigError(`scopeHierarchy names more than ${MAX_NODES} scopes; keep it smaller.`);
        set = new Set();
        edges.set(scope, set);
      }
      return set;
    };
    for (const [scope, children] of Object.entries(implies)) {
      const set = node(scope);
      for (const child of children) {
        set.add(child);
        node(child);
      }
    }
    // Object.entries (own keys only), so "constructor" or "__proto__" are scopes like any other.
    for (const scope of [...edges.keys()]) {
      for (const prefix of this.prefixesOf(scope)) node(prefix).add(scope);
    }
    return edges;
  }
}

function cycleError(cycle: string[]): ConfigError {
  const shown = cycle.map((s) => JSON.stringify(s.slice(0, 100))).join(' → ');
  return new ConfigError(
    `scopeHierarchy has a cycle: ${shown}. A narrower scope must never imply a broader one (that would grant upward); remove one implication of the cycle (with prefixSeparator, a scope also implies every scope below it).`,
  );
}
