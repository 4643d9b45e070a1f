import { WardenError } from '@mcp-warden/core';
import { runErrorFamilyTests, thrownBy } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import * as acl from './index.js';

// GlobSyntaxError is core's PatternSyntaxError under its old name, with a core code: core's error-family test
// checks it. Every other exported error class is checked here against acl's codes.
const { GlobSyntaxError: _patternLanguage, ...exports } = acl;

const invalidPolicy = () =>
  thrownBy(() => acl.AccessPolicy.compile({ version: 1, roles: {}, rules: [{}] } as never));

runErrorFamilyTests({
  name: '@mcp-warden/acl',
  exports,
  codes: acl.ACL_ERROR_CODES,
  samples: {
    PolicyError: () => [
      invalidPolicy(),
      new acl.PolicyError(
        [{ path: [], message: 'cannot read the policy file', hint: 'check the path' }],
        acl.ACL_ERROR_CODES.POLICY_UNREADABLE,
      ),
    ],
  },
});

describe('PolicyError', () => {
  it('is a core ConfigError (setup, HTTP 500) that keeps its issues', () => {
    const error = invalidPolicy();
    expect(error).toBeInstanceOf(acl.PolicyError);
    expect(WardenError.isInstance(error)).toBe(true);
    const policyError = error as acl.PolicyError;
    expect(policyError.name).toBe('PolicyError');
    expect(policyError.code).toBe(acl.ACL_ERROR_CODES.POLICY_INVALID);
    expect(policyError.httpStatus).toBe(500);
    expect(policyError.issues.length).toBeGreaterThan(0);
  });
});
