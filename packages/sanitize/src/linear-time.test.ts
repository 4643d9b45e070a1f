/**
 * Linear time, checked two ways (no timing assertion: a catastrophic backtrack on 100 KB would not finish within
 * the test timeout, a linear scan takes milliseconds):
 * 1. statically: no pattern or prefilter has an unbounded quantifier (`*`, `+`, `{n,}`);
 * 2. dynamically: each rule gets 100 KB of adversarial near-matches built for it (its anchors repeated, its
 *    anchors followed by long runs of its token characters, its positive vectors cut short and repeated).
 */
import { describe, expect, it } from 'vitest';
import { type ControlScanModes, scanControls } from './control-scan.js';
import { INJECTION_RULES } from './injection.js';
import { SQL_KEYWORDS_RULE } from './markup.js';
import { type PatternRule, PatternSet } from './pattern-rule.js';
import { PII_RULES } from './pii.js';
import { SECRET_VECTORS } from './secret-vectors.js';
import { SECRET_RULES } from './secrets.js';

const SIZE = 100 * 1024;
const ALL: readonly PatternRule[] = [...SECRET_RULES, ...PII_RULES, ...INJECTION_RULES, SQL_KEYWORDS_RULE];

/** Repeats `unit` up to SIZE characters. */
const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / Math.max(1, unit.length))).slice(0, SIZE);

/** Quantifiers outside character classes that have no upper bound. */
export function unboundedQuantifiers(source: string): string[] {
  const found: string[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '*' || c === '+') found.push(`${c} at ${i}`);
    else if (c === '{') {
      const m = /^\{(\d+),\}/.exec(source.slice(i));
      if (m) found.push(`${m[0]} at ${i}`);
    }
  }
  return found;
}

/** Seeds for rules without literal anchors (prefiltered or anchor-free rules), per category. */
const KEYWORDS: Record<PatternRule['category'], string[]> = {
  secrets: [
    'password=',
    'aws_secret_access_key=',
    'aws_session_token=',
    'twilio_auth_token=',
    'Server=x;Password=',
    'Bearer ',
    'M',
  ],
  pii: ['@', '+1 ', '4111 ', 'DE89 ', '123-45-', 'AB 12 '],
  injection: ['ignore all previous ', '<!-- ', '<div style="', 'do not tell ', '<|im_start|>'],
  markup: ['; DROP ', '--'],
};
const CLASS_RUNS = ['a', '0', 'aA0-', '/+= '];

function adversarialInputs(rule: PatternRule): string[] {
  const anchors = [...(rule.anchors ?? []), ...(rule.anchorsCI ?? [])];
  const seeds = anchors.length > 0 ? anchors : KEYWORDS[rule.category];
  const inputs: string[] = [];
  for (const seed of seeds) {
    inputs.push(fill(seed));
    inputs.push(fill(`${seed}${'a1B2'.repeat(30)} `));
    for (const run of CLASS_RUNS) inputs.push(seed + fill(run));
  }
  const [first] = SECRET_VECTORS[rule.id]?.positive ?? [];
  if (first)
    inputs.push(fill(first[0].slice(0, -1)), fill(first[0].slice(0, Math.ceil(first[0].length / 2))));
  return inputs;
}

describe('linear time', () => {
  it('no rule pattern or prefilter has an unbounded quantifier', () => {
    for (const rule of ALL) {
      if (rule.pattern) expect(unboundedQuantifiers(rule.pattern.source), rule.id).toEqual([]);
      if (rule.at) expect(unboundedQuantifiers(rule.at.source), rule.id).toEqual([]);
      if (rule.prefilter) expect(unboundedQuantifiers(rule.prefilter.source), rule.id).toEqual([]);
    }
    // The checker itself finds what it should.
    expect(unboundedQuantifiers('a+b*[+*]c{2,}d{1,3}\\+')).toEqual(['+ at 1', '* at 3', '{2,} at 9']);
  });

  for (const rule of ALL) {
    it(`${rule.id} finishes on 100 KB of near-matches built for it`, () => {
      const set = new PatternSet([{ rule, mode: 'enforce' }], { entropyThreshold: 2.8 });
      for (const input of adversarialInputs(rule)) expect(typeof set.apply(input, undefined)).toBe('string');
    });
  }

  it('the invisible/escape scanner finishes on 100 KB of adversarial control sequences', () => {
    const modes: ControlScanModes = {
      tags: 'enforce',
      bidi: 'enforce',
      invisible: 'enforce',
      variation: 'enforce',
      escapes: 'enforce',
      controls: 'enforce',
      overwrite: 'enforce',
    };
    const inputs = [
      fill('\x1b]'),
      fill('\x1b]52;c;'),
      `\x1b]${fill('a')}`,
      fill('\x1b['),
      `\x1b[${fill('0;')}`,
      fill('\x1bP'),
      fill('\u009d'),
      fill('\u{1F3F4}\u{E0067}\u{E0062}'),
      fill('\u{E0067}'),
      fill('👩\u200D'),
      fill('\u200D'),
      fill('a\uFE0F'),
      fill('葛\u{E0100}'),
      fill('\u0627\u200C'),
      fill('\r'),
      fill('\b\r'),
      fill('\u094D\u200D'),
      fill('\u09B0\u200D\u09CD'),
      fill('\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}'),
    ];
    for (const input of inputs) expect(typeof scanControls(input, modes)).toBe('string');
  });
});
