import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rateLimitHeaders } from './headers.js';

describe('rateLimitHeaders', () => {
  it('writes the RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers', () => {
    expect(
      rateLimitHeaders({
        policy: 'per-identity',
        points: 120,
        windowSeconds: 60,
        remaining: 0,
        msBeforeReset: 12_300,
      }),
    ).toEqual({
      'RateLimit-Policy': '"per-identity";q=120;w=60',
      RateLimit: '"per-identity";r=0;t=13',
    });
  });

  it('always yields valid structured-field strings and non-negative integers', () => {
    const item = /^"(?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\])*";[a-z]=\d+;[a-z]=\d+$/;
    fc.assert(
      fc.property(
        fc.string(),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: -5, max: 1_000_000 }),
        fc.double({ min: -1000, max: 1e9, noNaN: true }),
        (policy, points, window, remaining, ms) => {
          const headers = rateLimitHeaders({
            policy,
            points,
            windowSeconds: window,
            remaining,
            msBeforeReset: ms,
          });
          expect(headers['RateLimit-Policy']).toMatch(item);
          expect(headers.RateLimit).toMatch(item);
        },
      ),
    );
  });
});
