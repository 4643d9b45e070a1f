import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sanitizeText } from './engine.js';
import { isIban, isPaymentCard, isPhoneNumber, isUsSsn, luhnValid } from './pii.js';
import { compileRules } from './rules.js';

const pii = compileRules([{ pii: 'enforce' }]);
const redact = (text: string) => sanitizeText(text, pii).text;
const hits = (text: string) => sanitizeText(text, pii).counts.map((c) => c.rule);

describe('PII rules are opt-in', () => {
  it('leave e-mail addresses and phone numbers alone by default', () => {
    const text = 'Email me at alice@example.com or call +1 (555) 010-2020.';
    expect(sanitizeText(text).text).toBe(text);
  });
});

describe('pii-email', () => {
  it('redacts addresses', () => {
    expect(redact('Email me at alice@example.com or bob.smith+tag@mail.example.co.uk.')).toBe(
      'Email me at [REDACTED:pii-email] or [REDACTED:pii-email].',
    );
  });
  it('ignores what is not an address', () => {
    for (const t of ['@mention in chat', 'user@localhost', 'a@b', 'price @ 5 EUR'])
      expect(hits(t)).not.toContain('pii-email');
  });
});

describe('pii-payment-card', () => {
  it('redacts Luhn-valid numbers of known issuers, with or without consistent separators', () => {
    for (const n of [
      '4111111111111111',
      '4111 1111 1111 1111',
      '5500-0000-0000-0004',
      '378282246310005',
      '6011111111111117',
    ]) {
      expect(redact(`card ${n} exp 12/29`)).toBe('card [REDACTED:pii-payment-card] exp 12/29');
    }
  });
  it('ignores Luhn failures, unknown prefixes, mixed separators and digit runs of other lengths', () => {
    for (const n of [
      '4111111111111112',
      '9111111111111111',
      '4111 1111-1111 1111',
      '411111111111',
      '0000000000000000',
    ]) {
      expect(hits(`card ${n}`)).not.toContain('pii-payment-card');
    }
  });
  it('luhnValid agrees with the textbook algorithm on random digit strings', () => {
    const reference = (d: string) =>
      [...d].reverse().reduce((sum, ch, i) => {
        const v = Number(ch) * (i % 2 === 1 ? 2 : 1);
        return sum + (v > 9 ? v - 9 : v);
      }, 0) %
        10 ===
      0;
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,19}$/), (d) => {
        expect(luhnValid(d)).toBe(reference(d));
      }),
    );
    expect(isPaymentCard('4111111111111111')).toBe(true);
  });
});

describe('pii-iban', () => {
  it('redacts checksum-valid IBANs, compact or grouped', () => {
    for (const iban of [
      'DE89370400440532013000',
      'DE89 3704 0044 0532 0130 00',
      'GB82 WEST 1234 5698 7654 32',
      'FR1420041010050500013M02606',
    ]) {
      expect(redact(`IBAN: ${iban}.`)).toBe('IBAN: [REDACTED:pii-iban].');
    }
  });
  it('ignores a wrong checksum, a wrong length or an unknown country', () => {
    for (const iban of ['DE89370400440532013001', 'DE8937040044053201300', 'XX89370400440532013000'])
      expect(isIban(iban)).toBe(false);
    expect(hits('DE89370400440532013001')).not.toContain('pii-iban');
  });
});

describe('pii-us-ssn', () => {
  it('redacts numbers that follow the area/group/serial rules', () => {
    expect(redact('SSN 123-45-6789 on file')).toBe('SSN [REDACTED:pii-us-ssn] on file');
    expect(redact('SSN 123 45 6789')).toBe('SSN [REDACTED:pii-us-ssn]');
  });
  it('ignores invalid areas, groups, serials, advertising numbers and mixed separators', () => {
    for (const n of [
      '000-12-3456',
      '666-12-3456',
      '912-12-3456',
      '123-00-4567',
      '123-45-0000',
      '078-05-1120',
      '123-45 6789',
    ]) {
      expect(hits(`SSN ${n}`)).not.toContain('pii-us-ssn');
    }
    expect(isUsSsn('123456789')).toBe(true);
  });
});

describe('pii-uk-nino', () => {
  it('redacts National Insurance numbers', () => {
    expect(redact('NI: AB 12 34 56 C')).toBe('NI: [REDACTED:pii-uk-nino]');
    expect(redact('NI: JG103759A')).toBe('NI: [REDACTED:pii-uk-nino]');
  });
  it('ignores excluded prefixes and bad letters', () => {
    for (const n of ['BG 12 34 56 C', 'GB123456A', 'DA123456A', 'AB123456E'])
      expect(hits(n)).not.toContain('pii-uk-nino');
  });
});

describe('pii-phone', () => {
  it('redacts international and North American numbers', () => {
    expect(redact('call +1 (555) 010-2020 now')).toBe('call [REDACTED:pii-phone] now');
    expect(redact('call +44 20 7946 0958')).toBe('call [REDACTED:pii-phone]');
    expect(redact('call (212) 555-0199 or 212-555-0199')).toBe(
      'call [REDACTED:pii-phone] or [REDACTED:pii-phone]',
    );
  });
  it('ignores dates, times, versions, prices and short numbers', () => {
    for (const t of [
      '2024-01-15',
      '2024-01-15 10:30',
      'v1.2.3',
      '$19.99 (was $24.99)',
      'room 1234',
      '123-456-7890',
      '10.0.0.1',
    ]) {
      expect(hits(t), t).not.toContain('pii-phone');
    }
    expect(isPhoneNumber('555-555-5555')).toBe(true);
  });
});
