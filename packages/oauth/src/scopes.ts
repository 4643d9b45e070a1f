/**
 * Scope parsing and the scope hierarchy (MCP 2026-07-28: "Servers MUST account for scope hierarchies, where a
 * broader scope implies narrower ones").
 */

/** RFC 6749 §3.3 `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** True when `value` is one valid RFC 6749 scope token (printable ASCII without space, `"` and `\`). */
export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

/**
 * Scopes from token claims: the space-separated `scope` string (RFC 8693 / RFC 9068), else `scp` as an array or
 * string (Azure AD, Okta). Invalid tokens and duplicates are dropped; at most 256 scopes are kept.
 */
export function scopesFromClaims(claims: Readonly<Record<string, unknown>>): string[] {
  const raw = typeof claims.scope === 'string' ? claims.scope : claims.scp;
  let list: unknown[] = [];
  if (typeof raw === 'string') list = raw.split(' ');
  else if (Array.isArray(raw)) list = raw;
  const out = new Set<string>();
  for (const item of list) {
    if (typeof item === 'string' && item.length <= 256 && isScopeToken(item)) out.add(item);
    if (out.size >= 256) break;
  }
  return [...out];
}

/** How scopes imply one another. */
export interface ScopeHierarchyOptions {
  /**
   * Explicit implications, applied transitively: `{ 'notes:write': ['notes:read'], admin: ['notes:write'] }`.
   */
  implies?: Readonly<Record<string, readonly string[]>>;
  /**
   * Prefix rule: with `':'`, a granted `notes` implies `notes:read`, `notes:write:drafts`, … (any scope that starts
   * with the granted one followed by the separator). Off when not set.
   */
  prefixSeparator?: string;
}

/** Decides whether granted scopes satisfy required ones, honouring a {@link ScopeHierarchyOptions} hierarchy. */
export class ScopeHierarchy {
  readonly #closure = new Map<string, ReadonlySet<string>>();
  readonly #separator: string | undefined;

  constructor(options: ScopeHierarchyOptions = {}) {
    this.#separator = options.prefixSeparator === '' ? undefined : options.prefixSeparator;
    const implies = options.implies ?? {};
    // Transitive closure by a depth-first walk per scope; the visited set makes cycles harmless.
    for (const scope of Object.keys(implies)) {
      const seen = new Set<string>();
      const stack = [...(implies[scope] ?? [])];
      while (stack.length > 0) {
        const next = stack.pop() as string;
        if (seen.has(next) || next === scope) continue;
        seen.add(next);
        for (const child of implies[next] ?? []) stack.push(child);
      }
      this.#closure.set(scope, seen);
    }
  }

  /** Every scope the granted ones stand for through explicit implications (the granted ones included). */
  expand(granted: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const scope of granted) {
      out.add(scope);
      for (const implied of this.#closure.get(scope) ?? []) out.add(implied);
    }
    return out;
  }

  /** True when `required` is granted directly, implied explicitly, or implied by the prefix rule. */
  satisfies(expanded: ReadonlySet<string>, required: string): boolean {
    if (expanded.has(required)) return true;
    const sep = this.#separator;
    if (sep === undefined) return false;
    // Walk the required scope's own prefixes (`a:b:c` → `a:b`, `a`): linear in its length.
    let end = required.lastIndexOf(sep);
    while (end > 0) {
      if (expanded.has(required.slice(0, end))) return true;
      end = required.lastIndexOf(sep, end - 1);
    }
    return false;
  }

  /** The required scopes the granted ones do not cover. */
  missing(granted: Iterable<string>, required: Iterable<string>): string[] {
    const expanded = this.expand(granted);
    const out: string[] = [];
    for (const scope of required) if (!this.satisfies(expanded, scope)) out.push(scope);
    return out;
  }
}
