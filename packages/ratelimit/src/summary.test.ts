import { describe, expect, it } from 'vitest';
import { RefusalAggregator, type RefusalSummary } from './summary.js';

describe('RefusalAggregator', () => {
  it('reports one summary per rule and key with the refusal count', () => {
    const summaries: RefusalSummary[] = [];
    const aggregator = new RefusalAggregator({ onSummary: (s) => summaries.push(s) });
    for (let i = 0; i < 1000; i++) aggregator.record('per-user', 'principal=mallory');
    aggregator.record('per-user', 'principal=bob');
    aggregator.record('brute-force', '203.0.113.5');
    aggregator.flush();
    expect(summaries.map(({ rule, key, count }) => ({ rule, key, count }))).toEqual([
      { rule: 'per-user', key: 'principal=mallory', count: 1000 },
      { rule: 'per-user', key: 'principal=bob', count: 1 },
      { rule: 'brute-force', key: '203.0.113.5', count: 1 },
    ]);
    aggregator.flush();
    expect(summaries).toHaveLength(3);
    aggregator.close();
  });

  it('bounds memory: keys beyond maxKeys are counted under one overflow entry', () => {
    const summaries: RefusalSummary[] = [];
    const aggregator = new RefusalAggregator({ maxKeys: 10, onSummary: (s) => summaries.push(s) });
    for (let i = 0; i < 5000; i++) aggregator.record('per-address', `address=10.0.${i >> 8}.${i & 255}`);
    aggregator.close();
    expect(summaries.length).toBe(11);
    expect(summaries.find((s) => s.key === '*')?.count).toBe(4990);
    expect(summaries.reduce((sum, s) => sum + s.count, 0)).toBe(5000);
  });

  it('keeps counting when a summary consumer throws', () => {
    let calls = 0;
    const aggregator = new RefusalAggregator({
      onSummary: () => {
        calls++;
        throw new Error('sink down');
      },
    });
    aggregator.record('a', 'k1');
    aggregator.record('a', 'k2');
    expect(() => aggregator.close()).not.toThrow();
    expect(calls).toBe(2);
  });
});
