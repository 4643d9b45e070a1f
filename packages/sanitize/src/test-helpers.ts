import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Path of a file of the shared test corpora (`shared/corpus/<rel>`, beside the project root). Searched upwards from
 * this package, so the tests find it from the main checkout (`../shared`) and from a git worktree nested one or more
 * levels deeper alike. Throws when it is nowhere: a missing corpus is a failing test, never a skipped one.
 */
export function sharedCorpusFile(rel: string): string {
  let dir = import.meta.dirname;
  for (;;) {
    const candidate = join(dir, 'shared', 'corpus', rel);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`shared corpus file shared/corpus/${rel} not found above ${import.meta.dirname}`);
    dir = parent;
  }
}

/**
 * Deterministic fake credentials for tests. Prefixes are assembled at run time (`k('gh', 'p_', …)`) so no
 * complete token literal sits in the source for secret scanners to trip over; none of them is a real credential.
 */
export const DIGITS = '0123456789';
export const HEX = '0123456789abcdef';
export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const LOWER = 'abcdefghijklmnopqrstuvwxyz';
export const ALNUM = `${UPPER}${LOWER}${DIGITS}`;
export const B64 = `${ALNUM}+/`;
export const URL64 = `${ALNUM}_-`;
export const B32 = `${UPPER}234567`;

/** A deterministic pseudo-random string of `length` characters from `alphabet`. Contains a digit when it can. */
export function gen(length: number, alphabet = ALNUM, seed = 7): string {
  let x = seed * 2654435761;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += alphabet[(x >>> 8) % alphabet.length];
  }
  return out;
}

/** Joins parts: keeps credential prefixes split in the source. */
export function k(...parts: string[]): string {
  return parts.join('');
}
