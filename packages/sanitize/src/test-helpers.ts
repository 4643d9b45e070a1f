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
