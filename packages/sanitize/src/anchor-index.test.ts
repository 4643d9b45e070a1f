import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnchorIndex } from './anchor-index.js';

describe('AnchorIndex', () => {
  const index = new AnchorIndex([
    { anchor: 'ghp_', ci: false, rule: 0, positional: false },
    { anchor: 'pass', ci: true, rule: 1, positional: true },
    { anchor: 'password', ci: true, rule: 2, positional: false },
    { anchor: 'xoxp-', ci: false, rule: 3, positional: true },
    { anchor: 'xoxe.xoxp-', ci: false, rule: 4, positional: false },
    { anchor: '@', ci: false, rule: 5, positional: true },
  ]);

  it('finds case-sensitive and case-insensitive anchors in one scan, with positions for positional rules', () => {
    const hits = index.scan('GHP_ no; ghp_x; PassWord=1; a@b @');
    expect([...hits.rules].sort()).toEqual([0, 1, 2, 5]);
    expect(hits.positions.get(1)).toEqual([16]);
    expect(hits.positions.get(5)).toEqual([29, 32]);
  });

  it('credits an anchor that is a prefix of a longer hit, and sees overlapping anchors', () => {
    const hits = index.scan('xoxe.xoxp-1-abc');
    expect(hits.rules.has(4)).toBe(true);
    expect(hits.positions.get(3)).toEqual([5]);
  });

  it('agrees with a naive search on random text', () => {
    const anchors = ['ab', 'abc', 'ba', 'CA'];
    const idx = new AnchorIndex(
      anchors.map((anchor, rule) => ({
        anchor: anchor.toLowerCase(),
        ci: rule === 3,
        rule,
        positional: true,
      })),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[abcABC ]{0,40}$/), (text) => {
        const hits = idx.scan(text);
        anchors.forEach((anchor, rule) => {
          const expected: number[] = [];
          const hay = rule === 3 ? text.toLowerCase() : text;
          const needle = anchor.toLowerCase();
          for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + 1)) expected.push(i);
          expect(hits.positions.get(rule) ?? []).toEqual(expected);
        });
      }),
    );
  });
});
