import { ArgumentValidationError } from '@mcp-warden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertWithinLimits, checkLimits, DEFAULT_LIMITS } from './limits.js';

const limits = { maxBytes: 1000, maxStringLength: 10, maxArrayLength: 3, maxDepth: 3, maxKeys: 4 };

describe('checkLimits', () => {
  it('passes small values', () => {
    expect(checkLimits({ a: 'hello', b: [1, 2, 3], c: { d: true } }, limits)).toEqual([]);
  });
  it('reports each breach with its JSON pointer, never the value', () => {
    const secret = 'sk-0123456789-secret';
    const issues = checkLimits(
      {
        token: secret,
        'a/b': [1, 2, 3, 4],
        deep: { x: { y: { z: 1 } } },
        wide: { a: 1, b: 2, c: 3, d: 4, e: 5 },
      },
      limits,
    );
    expect(issues.map((i) => i.pointer).sort()).toEqual(['/a~1b', '/deep/x/y', '/token', '/wide']);
    expect(JSON.stringify(issues)).not.toContain(secret);
  });
  it('stops at the size limit', () => {
    const issues = checkLimits(
      { a: 'x'.repeat(9), b: Array.from({ length: 3 }, () => 'y'.repeat(9)) },
      { ...limits, maxBytes: 20 },
    );
    expect(issues[0]).toEqual({ pointer: '', message: 'arguments larger than 20 bytes' });
  });
  it('counts UTF-8 bytes', () => {
    expect(checkLimits({ a: '€'.repeat(9) }, { ...limits, maxBytes: 30 })).toHaveLength(1);
    expect(checkLimits({ a: 'e'.repeat(9) }, { ...limits, maxBytes: 30 })).toHaveLength(0);
  });
  it('survives hostile nesting without recursion', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const issues = checkLimits(deep, DEFAULT_LIMITS);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toContain('nested deeper');
  });
  it('assertWithinLimits throws -32602 LIMIT_EXCEEDED', () => {
    try {
      assertWithinLimits({ s: 'x'.repeat(11) }, limits, { pointerPrefix: '/arguments' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ArgumentValidationError);
      expect((error as ArgumentValidationError).code).toBe('LIMIT_EXCEEDED');
      expect((error as ArgumentValidationError).jsonRpcCode).toBe(-32602);
      expect((error as ArgumentValidationError).issues[0]?.pointer).toBe('/arguments/s');
    }
  });
  it('property: the byte estimate never undercounts JSON without escapes by more than the punctuation', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (text) => {
        const value = JSON.parse(text) as unknown;
        const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
        // Allowed iff the estimate fits; a limit just above the real size must never reject on size alone.
        const issues = checkLimits(value, { ...DEFAULT_LIMITS, maxBytes: size * 3 + 16 });
        expect(issues.filter((i) => i.message.startsWith('arguments larger'))).toEqual([]);
      }),
    );
  });
  it('property: any value deeper than maxDepth is reported, any value within all limits is not', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 1, max: 6 }), (value, maxDepth) => {
        const depthOf = (v: unknown): number =>
          typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;
        const issues = checkLimits(value, { ...DEFAULT_LIMITS, maxDepth });
        expect(issues.some((i) => i.message.startsWith('nested deeper'))).toBe(depthOf(value) > maxDepth);
      }),
    );
  });
});
