import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isMultiRoundTripRetry,
  privateCacheHeaders,
  stripSharedCacheHints,
  stripSharedCacheHintsFromMessage,
} from './cache-hints.js';

const scopeArb = fc.oneof(
  fc.constantFrom('public', 'private', 'PUBLIC', 'Public', ' public', 'shared', '', null, 1, true, {}),
  fc.string(),
);
const ttlArb = fc.oneof(fc.nat(), fc.constantFrom(-1, Number.NaN, '3600', null), fc.double());

const cacheableResults = fc.record(
  {
    resultType: fc.constantFrom('complete', undefined),
    tools: fc.array(fc.record({ name: fc.string() }), { maxLength: 3 }),
    cacheScope: scopeArb,
    ttlMs: ttlArb,
  },
  { requiredKeys: ['tools'] },
);

describe('stripSharedCacheHints', () => {
  it('never leaves a shared scope on a result that has cache hints', () => {
    fc.assert(
      fc.property(cacheableResults, fc.boolean(), (result, retried) => {
        const before = structuredClone(result);
        const out = stripSharedCacheHints(result, { retried });
        expect(result).toEqual(before);
        expect(out.tools).toEqual(result.tools);
        const hadHints = 'cacheScope' in result || 'ttlMs' in result;
        if (hadHints || retried) {
          expect(out.cacheScope).toBe('private');
          expect(typeof out.ttlMs === 'number' && out.ttlMs >= 0).toBe(true);
        } else {
          expect(out).toBe(result);
        }
        if (retried) expect(out.ttlMs).toBe(0);
        if (
          !retried &&
          typeof result.ttlMs === 'number' &&
          result.ttlMs >= 0 &&
          Number.isFinite(result.ttlMs)
        ) {
          expect(out.ttlMs).toBe(result.ttlMs);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('tells a multi round-trip retry by its params', () => {
    expect(isMultiRoundTripRetry({ name: 't', requestState: 'x' })).toBe(true);
    expect(isMultiRoundTripRetry({ name: 't', inputResponses: {} })).toBe(true);
    expect(isMultiRoundTripRetry({ name: 't', arguments: { requestState: 'x' } })).toBe(false);
    for (const p of [undefined, null, 'requestState', { name: 't' }])
      expect(isMultiRoundTripRetry(p)).toBe(false);
  });

  it('removes hints from interim input_required results', () => {
    const interim = { resultType: 'input_required', requestState: 's', ttlMs: 60_000, cacheScope: 'public' };
    expect(stripSharedCacheHints(interim)).toEqual({ resultType: 'input_required', requestState: 's' });
    const plain = { resultType: 'input_required', requestState: 's' };
    expect(stripSharedCacheHints(plain)).toBe(plain);
  });

  it('passes non-results and messages without a result unchanged, and rewrites a response’s result', () => {
    for (const value of [null, 1, 'x', [{ cacheScope: 'public' }]])
      expect(stripSharedCacheHints(value)).toBe(value);
    const notification = {
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { cacheScope: 'public' },
    };
    expect(stripSharedCacheHintsFromMessage(notification)).toBe(notification);
    const error = { jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x' } };
    expect(stripSharedCacheHintsFromMessage(error)).toBe(error);
    const response = { jsonrpc: '2.0', id: 1, result: { tools: [], ttlMs: 5, cacheScope: 'public' } };
    expect(stripSharedCacheHintsFromMessage(response)).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { tools: [], ttlMs: 5, cacheScope: 'private' },
    });
  });
});

describe('privateCacheHeaders', () => {
  const directiveArb = fc.constantFrom(
    'public',
    'PUBLIC',
    'max-age=3600',
    's-maxage=600',
    'proxy-revalidate',
    'private="set-cookie"',
    'no-cache="x, no-store"',
    'stale-while-revalidate=30',
    'immutable',
    'no-cache',
    'must-revalidate',
    'no-transform',
    ' No-Transform ',
  );
  const cdnArb = fc.constantFrom(
    'CDN-Cache-Control',
    'cdn-cache-control',
    'Cloudflare-CDN-Cache-Control',
    'Vercel-CDN-Cache-Control',
    'Surrogate-Control',
    'Expires',
  );

  it('leaves only private, no-store (and no-transform) and no CDN-targeted field, whatever upstream sent', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(directiveArb, { maxLength: 4 }), { maxLength: 3 }),
        fc.array(cdnArb, { maxLength: 3 }),
        (lines, cdn) => {
          const headers = new Headers({
            'content-type': 'text/event-stream',
            'mcp-protocol-version': '2026-07-28',
          });
          for (const line of lines) headers.append('cache-control', line.join(', '));
          for (const name of cdn) headers.append(name, 'public, max-age=86400');
          const out = privateCacheHeaders(headers);
          const keepsNoTransform = lines.flat().some((d) => d.trim().toLowerCase() === 'no-transform');
          expect(out.get('cache-control')).toBe(
            keepsNoTransform ? 'private, no-store, no-transform' : 'private, no-store',
          );
          for (const name of out.keys()) {
            expect(
              name.endsWith('cdn-cache-control') || name === 'surrogate-control' || name === 'expires',
            ).toBe(false);
          }
          expect(out.get('content-type')).toBe('text/event-stream');
          expect(out.get('mcp-protocol-version')).toBe('2026-07-28');
          // The input headers are not changed.
          expect(headers.get('content-type')).toBe('text/event-stream');
        },
      ),
      { numRuns: 200 },
    );
  });
});
