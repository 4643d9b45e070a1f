import { describe, expect, it } from 'vitest';
import * as core from '../index.js';
import * as web from '../web.js';
import {
  codeMapProblems,
  errorFamilyProblems,
  exportedErrorClasses,
  runErrorFamilyTests,
} from './error-family.js';

const {
  AccessDeniedError,
  ArgumentValidationError,
  AuthenticationError,
  CORE_ERROR_CODES,
  ConfigError,
  compilePattern,
  InsufficientScopeError,
  PatternSyntaxError,
  PluginFailureError,
  RateLimitError,
  RequestStateError,
  WardenError,
} = core;

const coreSamples = {
  WardenError: () => new WardenError({ code: CORE_ERROR_CODES.BAD_REQUEST, message: 'bad request' }),
  AuthenticationError: () => new AuthenticationError(),
  InsufficientScopeError: () => new InsufficientScopeError({ requiredScopes: ['files:read'] }),
  AccessDeniedError: () => new AccessDeniedError({ message: 'denied' }),
  ArgumentValidationError: () => new ArgumentValidationError({ issues: [{ pointer: '/a', message: 'bad' }] }),
  RateLimitError: () => new RateLimitError({ retryAfterSeconds: 3 }),
  ConfigError: () => new ConfigError('bad options'),
  PluginFailureError: () => new PluginFailureError('p', new Error('boom')),
  PatternSyntaxError: () => {
    try {
      compilePattern('{a,b');
    } catch (error) {
      return error as InstanceType<typeof PatternSyntaxError>;
    }
    throw new Error('an unbalanced brace was accepted');
  },
  RequestStateError: () =>
    ['malformed', 'unverifiable', 'expired'].map((r) => new RequestStateError(r as never)),
};

runErrorFamilyTests({
  name: '@mcp-warden/core',
  exports: core,
  codes: CORE_ERROR_CODES,
  samples: coreSamples,
});
runErrorFamilyTests({
  name: '@mcp-warden/core/web',
  exports: web,
  codes: CORE_ERROR_CODES,
  samples: coreSamples,
});

describe('errorFamilyProblems finds each way out of the family', () => {
  class PlainError extends Error {}
  class CodedError extends WardenError {}
  const codes = { A: 'PKG_A', B: 'PKG_B' } as const;
  const ok = () => new CodedError({ code: codes.A, message: 'a' });

  it('accepts a package that keeps to it', () => {
    expect(
      errorFamilyProblems({ name: 'p', exports: { CodedError, codes }, codes, samples: { CodedError: ok } }),
    ).toEqual([]);
  });

  it.each([
    ['a plain Error class', { PlainError }, { PlainError: () => new PlainError('x') }, 'not a WardenError'],
    ['a class without a sample', { CodedError }, {}, 'without a sample'],
    ['a sample of no export', { CodedError }, { CodedError: ok, Other: ok }, 'not an exported error class'],
    [
      'a code outside the map',
      { CodedError },
      { CodedError: () => new CodedError({ code: 'ELSEWHERE', message: 'x' }) },
      'is not in the package',
    ],
    [
      'a sample of another class',
      { CodedError, PlainError },
      { CodedError: ok, PlainError: ok },
      'not an instance',
    ],
    ['an empty sample list', { CodedError }, { CodedError: () => [] }, 'list is empty'],
    [
      'one bad instance in a list',
      { CodedError },
      { CodedError: () => [ok(), new CodedError({ code: 'NOPE', message: 'x' })] },
      'is not in the package',
    ],
  ])('reports %s', (_what, exports, samples, expected) => {
    const problems = errorFamilyProblems({ name: 'p', exports, codes, samples });
    expect(problems.join('\n')).toContain(expected);
  });

  it('sees error classes among other exports, including the Error class itself', () => {
    expect(exportedErrorClasses({ a: 1, f: () => 1, PlainError, CodedError, Error, codes })).toEqual([
      'CodedError',
      'Error',
      'PlainError',
    ]);
  });

  it.each([
    [{ A: 'X', B: 'X' }, 'share "X"'],
    [{ A: 'lower_case' }, 'not an UPPER_SNAKE'],
    [{ A: '' }, 'not an UPPER_SNAKE'],
    [{ A: 3 }, 'not an UPPER_SNAKE'],
    [{ A: 'TRAILING_' }, 'not an UPPER_SNAKE'],
  ])('reports a bad code map %j', (map, expected) => {
    expect(codeMapProblems(map).join('\n')).toContain(expected);
  });
});
