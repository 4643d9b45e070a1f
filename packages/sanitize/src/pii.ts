/**
 * PII rules (opt-in): e-mail addresses, phone numbers, payment cards (Luhn), IBANs (ISO 13616 mod-97), US Social
 * Security numbers (SSA area/group/serial rules) and UK National Insurance numbers (HMRC prefix rules).
 */
import type { PatternRule } from './pattern-rule.js';

/** Luhn (mod 10) check of a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Issuer prefixes of the major networks (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
const CARD_IIN =
  /^(?:4|5[1-5]|2(?:2[2-9]|[3-6][0-9]|7[01]|720)|3[47]|6(?:011|5|4[4-9]|2)|35|3(?:0[0-5]|[689])|5[06-9]|6[0-9])/;

/** A payment card number: 13–19 digits, a known issuer prefix, consistent separators, valid Luhn check. */
export function isPaymentCard(candidate: string): boolean {
  const separators = new Set(candidate.replace(/[0-9]/g, ''));
  if (separators.size > 1) return false;
  const digits = candidate.replace(/[^0-9]/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  if (/^(\d)\1+$/.test(digits)) return false;
  return CARD_IIN.test(digits) && luhnValid(digits);
}

/** IBAN lengths per country (ISO 13616 registry). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** IBAN check: known country, its length, and the ISO 7064 mod-97-10 checksum. */
export function isIban(candidate: string): boolean {
  const iban = candidate.replace(/ /g, '').toUpperCase();
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected === undefined || iban.length !== expected) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48;
    if (value < 0 || value > 35) return false;
    remainder = value > 9 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

/** US SSN: area not 000, 666 or 900–999; group not 00; serial not 0000; not a famous advertising number. */
export function isUsSsn(candidate: string): boolean {
  const digits = candidate.replace(/[^0-9]/g, '');
  if (digits.length !== 9) return false;
  const area = Number(digits.slice(0, 3));
  const group = digits.slice(3, 5);
  const serial = digits.slice(5);
  if (area === 0 || area === 666 || area >= 900) return false;
  if (group === '00' || serial === '0000') return false;
  return digits !== '078051120' && digits !== '219099999';
}

/**
 * Phone numbers: international (+ and 8–15 digits, E.164) or North American (NPA-NXX-XXXX, with area and exchange
 * codes starting 2–9). Dates, times, versions and bare digit runs are not phone numbers.
 */
export function isPhoneNumber(candidate: string): boolean {
  const digits = candidate.replace(/[^0-9]/g, '');
  if (candidate.startsWith('+'))
    return digits.length >= 8 && digits.length <= 15 && /^\+[1-9]/.test(candidate);
  const groups = candidate
    .replace(/[()]/g, ' ')
    .trim()
    .split(/[ .-]{1,3}/);
  let parts = groups;
  if (parts.length === 4 && parts[0] === '1') parts = parts.slice(1);
  if (parts.length !== 3) return false;
  const [npa, nxx, line] = parts as [string, string, string];
  if (npa.length !== 3 || nxx.length !== 3 || line.length !== 4) return false;
  // A parenthesised area code must be the first group, and the separators of a dotted date never parenthesise.
  if (candidate.includes('(') && !/^(?:1 ?)?\(\d{3}\)/.test(candidate)) return false;
  return /^[2-9]\d\d$/.test(npa) && /^[2-9]\d\d$/.test(nxx);
}

const EMAIL =
  /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/y;

function isLocalPartChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x25 ||
    c === 0x2b ||
    c === 0x2d // . _ % + -
  );
}

/**
 * E-mail addresses, found from each `@` (walking left over at most 64 local-part characters, then one anchored
 * match), so ordinary text costs one `indexOf` pass rather than a regex attempt at every word.
 */
function findEmails(text: string, emit: (start: number, end: number) => void): void {
  let from = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', from)) {
    let start = at;
    while (start > 0 && at - start < 65 && isLocalPartChar(text.charCodeAt(start - 1))) start--;
    from = at + 1;
    if (start === at || at - start > 64) continue;
    EMAIL.lastIndex = start;
    const m = EMAIL.exec(text);
    if (m === null) continue;
    emit(start, start + m[0].length);
    from = start + m[0].length;
  }
}

function pii(rule: Omit<PatternRule, 'category' | 'action'>): PatternRule {
  return { ...rule, category: 'pii', action: 'redact' };
}

export const PII_RULES: readonly PatternRule[] = [
  pii({
    id: 'pii-email',
    title: 'E-mail address',
    anchors: ['@'],
    find: findEmails,
  }),
  pii({
    id: 'pii-payment-card',
    title: 'Payment card number (Luhn-checked, known issuer prefix)',
    pattern: /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g,
    validate: isPaymentCard,
  }),
  pii({
    id: 'pii-iban',
    title: 'IBAN (mod-97 checked)',
    pattern: /(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g,
    validate: isIban,
  }),
  pii({
    id: 'pii-us-ssn',
    title: 'US Social Security number (area, group and serial rules)',
    pattern: /(?<![0-9-])[0-9]{3}([- ])[0-9]{2}\1[0-9]{4}(?![0-9-])/g,
    validate: isUsSsn,
  }),
  pii({
    id: 'pii-uk-nino',
    title: 'UK National Insurance number',
    pattern:
      /(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[ABCEGHJ-PRSTW-Z][ABCEGHJ-NPRSTW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?![A-Za-z0-9])/g,
  }),
  pii({
    id: 'pii-phone',
    title: 'Phone number (E.164 international or North American format)',
    pattern: /(?<![\w+])\+?\(?[0-9][0-9 ().-]{5,22}[0-9](?![\w])/g,
    validate: isPhoneNumber,
  }),
];
