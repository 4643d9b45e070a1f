/**
 * Every pattern-taking option of ratelimit (`match.methods`, `match.targets`, `costs`) parses through core's one
 * pattern language when `rateLimit()` is called: a bad pattern is core's PatternSyntaxError naming the option, and
 * a spelling whose meaning changed with the move from the old wildcard is refused with the one that keeps it.
 */
import { CORE_ERROR_CODES, PatternSyntaxError } from '@mcp-warden/core';
import { describe, expect, it } from 'vitest';
import type { RateLimitRuleInput } from './options.js';
import { rateLimit } from './plugin.js';

type Place = 'match.methods' | 'match.targets' | 'costs';

function ruleWith(place: Place, pattern: string): RateLimitRuleInput {
  const base = { name: 'r', points: 10, duration: 60 };
  if (place === 'costs') return { ...base, costs: { [pattern]: 2 } };
  return { ...base, match: { [place === 'match.methods' ? 'methods' : 'targets']: [pattern] } };
}

function factoryError(place: Place, pattern: string): unknown {
  try {
    rateLimit({ rules: [{ name: 'first', points: 1, duration: 1 }, ruleWith(place, pattern)] });
    return undefined;
  } catch (error) {
    return error;
  }
}

const PLACES: readonly Place[] = ['match.methods', 'match.targets', 'costs'];
const INVALID = ['{a,b', 'a}', 'tool:{a,{b}', `tool:${'{a,b}'.repeat(9)}`];

describe('ratelimit patterns', () => {
  for (const place of PLACES) {
    it.each(INVALID)(`${place}: refuses %s in the factory with core's PatternSyntaxError`, (pattern) => {
      const error = factoryError(place, pattern);
      expect(error).toBeInstanceOf(PatternSyntaxError);
      expect((error as PatternSyntaxError).code).toBe(CORE_ERROR_CODES.PATTERN_INVALID);
      const path = place === 'costs' ? `rules[1].costs[${JSON.stringify(pattern)}]` : `rules[1].${place}[0]`;
      expect((error as PatternSyntaxError).path).toBe(path);
      expect((error as Error).message.startsWith(`ratelimit: ${path}: `)).toBe(true);
    });
  }

  it.each([
    ['match.methods', '*', '**'],
    ['match.methods', 'resources/*', 'resources/**'],
    ['match.methods', '*/list', '**/list'],
    ['match.targets', 'resource:file:///*', 'resource:file:///**'],
    ['match.targets', '*', '**'],
    ['costs', 'resource:*', 'resource:*/**'],
  ] as const)('%s: refuses the old spelling %s and names %s', (place, pattern, fix) => {
    const error = factoryError(place, pattern);
    expect(error).toBeInstanceOf(PatternSyntaxError);
    expect((error as PatternSyntaxError).hint).toContain(`"${fix}"`);
  });

  it.each([
    ['match.methods', 'tools/*'],
    ['match.methods', '**'],
    ['match.targets', 'tool:db_*'],
    ['match.targets', 'prompt:*'],
    ['match.targets', 'resource:file:///**'],
    ['costs', 'tool:generate_*'],
    ['costs', 'resource:file:///{*}'],
  ] as const)('%s: accepts %s', (place, pattern) => {
    expect(factoryError(place, pattern)).toBeUndefined();
  });
});
