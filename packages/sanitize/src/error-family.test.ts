import { ConfigError, JSON_RPC_ERROR_CODES, WardenError } from '@mcp-warden/core';
import { runErrorFamilyTests, thrownBy } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import * as sanitize from './index.js';

let deep: unknown = 'leaf';
for (let i = 0; i < 10; i++) deep = [deep];

runErrorFamilyTests({
  name: '@mcp-warden/sanitize',
  exports: sanitize,
  codes: sanitize.SANITIZE_ERROR_CODES,
  samples: {
    RuleConfigError: () => [
      thrownBy(() => sanitize.compileRules({ 'no-such-rule': 'enforce' } as never)),
      thrownBy(() => sanitize.compileRules({}, { entropyThreshold: 99 })),
    ],
    ValueTooDeepError: () => thrownBy(() => sanitize.sanitizeValue(deep, undefined, { maxDepth: 4 })),
  },
});

describe('sanitize errors', () => {
  it('RuleConfigError is a ConfigError with its own code', () => {
    const error = thrownBy(() => sanitize.compileRules({ 'no-such-rule': 'enforce' } as never));
    expect(error).toBeInstanceOf(sanitize.RuleConfigError);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(sanitize.SANITIZE_ERROR_CODES.RULES_INVALID);
    expect((error as Error).name).toBe('RuleConfigError');
  });

  it('ValueTooDeepError keeps maxDepth and is invalid params, naming no value', () => {
    const error = thrownBy(() => sanitize.sanitizeValue([[['ghp_secretvalue']]], undefined, { maxDepth: 2 }));
    expect(error).toBeInstanceOf(sanitize.ValueTooDeepError);
    expect(WardenError.isInstance(error)).toBe(true);
    const tooDeep = error as InstanceType<typeof sanitize.ValueTooDeepError>;
    expect(tooDeep.maxDepth).toBe(2);
    expect(tooDeep.name).toBe('ValueTooDeepError');
    expect(tooDeep.jsonRpcCode).toBe(JSON_RPC_ERROR_CODES.INVALID_PARAMS);
    expect(tooDeep.message).not.toContain('ghp_');
  });
});
