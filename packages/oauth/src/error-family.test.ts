import { AuthenticationError, CORE_ERROR_CODES, WardenError } from '@mcp-warden/core';
import { runErrorFamilyTests } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import * as oauth from './index.js';

const { OAUTH_ERROR_CODES, TokenVerificationError } = oauth;

runErrorFamilyTests({
  name: '@mcp-warden/oauth',
  exports: oauth,
  codes: OAUTH_ERROR_CODES,
  samples: {
    TokenVerificationError: () =>
      Object.values(OAUTH_ERROR_CODES).map((code) => new TokenVerificationError(code, `refused: ${code}`)),
  },
});

describe('TokenVerificationError', () => {
  it.each(Object.values(OAUTH_ERROR_CODES))(
    '%s is a 401 invalid_token that tells the client nothing more',
    (code) => {
      const reason = `signature of eyJhbGciOi.secret-token-part did not verify (${code})`;
      const error = new TokenVerificationError(code, reason);
      expect(WardenError.isInstance(error)).toBe(true);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.name).toBe('TokenVerificationError');
      expect(error.code).toBe(code);
      expect(error.reason).toBe(reason);
      expect(error.httpStatus).toBe(401);
      expect(error.oauthError).toBe('invalid_token');
      expect(error.eventType).toBe('auth.failed');
      expect(error.message).toBe(oauth.INVALID_TOKEN_MESSAGE);
      expect(error.toJsonRpcError().data).toEqual({ code: CORE_ERROR_CODES.INVALID_CREDENTIALS });
      expect(JSON.stringify(error.toJsonRpcError())).not.toContain('secret-token-part');
    },
  );
});
