/** A settable location inside a JSON value. */
export interface PointerSlot {
  value: unknown;
  set(value: unknown): void;
}

/**
 * Resolves an RFC 6901 JSON pointer (`/a/b~1c/0`) to a settable slot in objects and arrays, or `undefined` when
 * the path does not exist. Hand-rolled: a dozen lines, and it must never create paths (a library `set` would).
 */
export function resolvePointer(root: unknown, pointer: string): PointerSlot | undefined {
  if (!pointer.startsWith('/')) return undefined;
  const tokens = pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
  let parent: unknown = root;
  for (let i = 0; i < tokens.length - 1; i++) {
    if (typeof parent !== 'object' || parent === null) return undefined;
    const token = tokens[i]!;
    if (!Object.hasOwn(parent, token)) return undefined;
    parent = (parent as Record<string, unknown>)[token];
  }
  if (typeof parent !== 'object' || parent === null) return undefined;
  const last = tokens[tokens.length - 1]!;
  const container = parent as Record<string, unknown>;
  if (!Object.hasOwn(container, last)) return undefined;
  return {
    value: container[last],
    set: (value) => {
      container[last] = value;
    },
  };
}
