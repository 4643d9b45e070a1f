import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalizeName,
  canonicalizeUri,
  canonicalizeUriSlow,
  isPlainCanonicalUri,
  resolvePathSegments,
} from './canonical-uri.js';

const ok = (raw: string) => {
  const result = canonicalizeUri(raw);
  if (!result.ok) throw new Error(`expected ${raw} to canonicalise, got: ${result.reason}`);
  return result.value;
};
const refused = (raw: string) => {
  const result = canonicalizeUri(raw);
  return result.ok ? `accepted as ${result.value}` : 'refused';
};

describe('canonicalizeUri', () => {
  it.each([
    ['file:///public/a.txt', 'file:///public/a.txt'],
    ['FILE:///public/a.txt', 'file:///public/a.txt'],
    ['file://LOCALHOST/public/a.txt', 'file:///public/a.txt'],
    ['HTTPS://Example.COM./Docs/A', 'https://example.com/Docs/A'],
    ['https://example.com:/x', 'https://example.com/x'],
    ['file:///public//a///b', 'file:///public/a/b'],
    ['file:///public/./a/../b', 'file:///public/b'],
    ['file:///public/a/', 'file:///public/a/'],
    ['file:///public/a/.', 'file:///public/a/'],
    ['file:///public/a%20b', 'file:///public/a b'],
    ['file:///public/%2e%2e/private/x', 'file:///private/x'],
    ['file:///public/%2E/x', 'file:///public/x'],
    ['file:///public/caf%C3%A9', 'file:///public/café'],
    ['file:///public/100%25', 'file:///public/100%'],
    ['notes://alice/today?sort=asc', 'notes://alice/today?sort=asc'],
    ['urn:isbn:0451450523', 'urn:isbn:0451450523'],
    ['file:///public/notes..txt', 'file:///public/notes..txt'],
  ])('%s → %s', (raw, expected) => {
    expect(ok(raw)).toBe(expected);
  });

  it.each([
    ['encoded slash', 'file:///public/..%2fprivate/x'],
    ['encoded slash (upper case)', 'file:///public/..%2Fprivate/x'],
    ['encoded backslash', 'file:///public/..%5cprivate'],
    ['raw backslash', 'file:///public/..\\private'],
    ['NUL', 'file:///public/a%00.txt'],
    ['raw control character', 'file:///public/a\u0001'],
    ['double encoding of a dot', 'file:///public/%252e%252e/private'],
    ['double encoding of a slash', 'file:///public/..%252fprivate'],
    ['malformed escape', 'file:///public/%zz'],
    ['truncated escape', 'file:///public/%2'],
    ['overlong UTF-8 dot', 'file:///public/%c0%ae%c0%ae/private'],
    ['overlong UTF-8 slash', 'file:///public/%c0%af'],
    ['lone continuation byte', 'file:///public/%80'],
    ['encoded surrogate', 'file:///public/%ed%a0%80'],
    ['full-width dots', 'file:///public/\uff0e\uff0e/private'],
    ['full-width solidus', 'file:///public\uff0fprivate'],
    ['encoded full-width dots', 'file:///public/%ef%bc%8e%ef%bc%8e/private'],
    ['zero-width space', 'file:///pri\u200bvate/x'],
    ['bidi override', 'file:///public/\u202etxt.exe'],
    ['climbing above the root', 'file:///../etc/passwd'],
    ['climbing above the root (encoded)', 'file:///public/%2e%2e/%2e%2e/etc'],
    ['segment of dots only', 'file:///public/.../x'],
    ['file URI with a host (UNC)', 'file://server/share/x'],
    ['dot-dot host', 'file://../private/x'],
    ['malformed host', 'https://exa mple.com/x'],
    ['user information', 'https://user@example.com/x'],
    ['encoded host', 'https://%65xample.com/x'],
    ['no scheme', '/etc/passwd'],
    ['empty', ''],
    ['too long', `file:///${'a'.repeat(5000)}`],
  ])('refuses %s', (_name, raw) => {
    expect(refused(raw)).toBe('refused');
  });

  const safeChar = fc.constantFrom(...'abcXYZ019-_~!$&()*+,;=:@ é'.split(''));
  const segment = fc
    .array(safeChar, { minLength: 1, maxLength: 6 })
    .map((cs) => cs.join('').replace(/^ +| +$/g, 'x'));
  const path = fc.array(segment, { minLength: 1, maxLength: 5 });

  it('percent-encoding any character (but "/") never changes the canonical form', () => {
    fc.assert(
      fc.property(path, fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (segments, encodeMask) => {
        const plain = `file:///${segments.join('/')}`;
        let k = 0;
        const encoded = `file:///${segments
          .map((s) =>
            [...s]
              .map((ch) =>
                encodeMask[k++ % encodeMask.length]
                  ? encodeURIComponent(ch).replace(
                      /^[^%]/,
                      (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
                    )
                  : ch,
              )
              .join(''),
          )
          .join('/')}`;
        expect(canonicalizeUri(encoded)).toEqual(canonicalizeUri(plain));
      }),
    );
  });

  it('canonical forms have no dot segments, no empty segments and a lower-case scheme', () => {
    const messy = fc.array(fc.oneof(segment, fc.constantFrom('.', '..', '', '%2e', '%2E%2e')), {
      maxLength: 8,
    });
    fc.assert(
      fc.property(fc.constantFrom('file', 'FILE', 'File'), messy, (scheme, segments) => {
        const result = canonicalizeUri(`${scheme}:///${segments.join('/')}`);
        if (!result.ok) return;
        expect(result.value.startsWith('file:///')).toBe(true);
        const inner = result.value.slice('file:///'.length).split('/');
        inner.slice(0, -1).forEach((s) => {
          expect(s).not.toBe('');
        });
        for (const s of inner) expect(['.', '..']).not.toContain(s);
      }),
    );
  });

  it('is idempotent on its output when the output has no "%"', () => {
    fc.assert(
      fc.property(path, (segments) => {
        const once = canonicalizeUri(`FILE://localhost//${segments.join('//')}/./`);
        if (!once.ok || once.value.includes('%')) return;
        expect(canonicalizeUri(once.value)).toEqual(once);
      }),
    );
  });
});

it('gives segments ending in dots or spaces an alias without them (the Windows reading)', () => {
  expect(canonicalizeUri('file:///private./x')).toEqual({
    ok: true,
    value: 'file:///private./x',
    alias: 'file:///private/x',
  });
  expect(canonicalizeUri('file:///a/b%20%20')).toEqual({
    ok: true,
    value: 'file:///a/b  ',
    alias: 'file:///a/b',
  });
  expect(canonicalizeUri('file:///a/notes..txt')).toEqual({ ok: true, value: 'file:///a/notes..txt' });
});

it('the fast path only accepts what the full algorithm leaves unchanged', () => {
  const piece = fc.constantFrom(
    'file:',
    'FILE:',
    'https:',
    'x-y:',
    '//',
    '/',
    '///',
    'localhost',
    'Host',
    'a.b',
    '.',
    '..',
    '%2e',
    '%41',
    'a',
    'B',
    '-',
    '~',
    '?',
    '#',
    '\\',
    ' ',
    'é',
    ':80',
    '@',
    '*',
    '**',
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const raw = pieces.join('');
      if (isPlainCanonicalUri(raw)) expect(canonicalizeUriSlow(raw)).toEqual({ ok: true, value: raw });
      expect(canonicalizeUri(raw)).toEqual(canonicalizeUriSlow(raw));
    }),
    { numRuns: 5000 },
  );
});

describe('resolvePathSegments', () => {
  it.each([
    ['/a/b/../c', '/a/c'],
    ['a//b/./c/', 'a/b/c/'],
    ['public/../private', 'private'],
    ['/', '/'],
    ['notes..txt', 'notes..txt'],
  ])('%s → %s', (input, expected) => {
    expect(resolvePathSegments(input)).toBe(expected);
  });
  it('refuses climbing above the root', () => {
    expect(resolvePathSegments('../x')).toBeUndefined();
    expect(resolvePathSegments('/a/../../x')).toBeUndefined();
  });
});

describe('canonicalizeName', () => {
  it('keeps names exactly (case-sensitive, no decoding)', () => {
    expect(canonicalizeName('Read_File%2e')).toEqual({ ok: true, value: 'Read_File%2e' });
  });
  it('refuses control, invisible and compatibility characters', () => {
    for (const name of ['admin\u0000', 'admin\u200b_stats', '\uff41dmin_stats', 'a\\b', ''])
      expect(canonicalizeName(name).ok).toBe(false);
  });
});
