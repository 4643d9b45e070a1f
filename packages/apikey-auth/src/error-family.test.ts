import { WardenError } from '@mcp-warden/core';
import { runErrorFamilyTests } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import * as apikey from './index.js';
import { PEPPER_1 } from './test-helpers.js';

const { APIKEY_AUTH_ERROR_CODES: CODES, ApiKeyManagerError } = apikey;
const MANAGER_CODES = [CODES.NOT_FOUND, CODES.INVALID_INPUT, CODES.NOT_ACTIVE];

runErrorFamilyTests({
  name: '@mcp-warden/apikey-auth',
  exports: apikey,
  codes: CODES,
  samples: { ApiKeyManagerError: () => MANAGER_CODES.map((code) => new ApiKeyManagerError(code, code)) },
});

describe('ApiKeyManagerError from the manager itself', () => {
  it('an unknown id, bad input and rotating a revoked key each carry their code', async () => {
    const manager = new apikey.ApiKeyManager({
      store: new apikey.MemoryApiKeyStore(),
      peppers: [PEPPER_1],
    });
    const { info } = await manager.create({ name: 'ci' });
    await manager.revoke(info.id);
    const failures = await Promise.all([
      manager.revoke('key_nope').catch((e: unknown) => e),
      manager.create({ name: '' }).catch((e: unknown) => e),
      manager.rotate(info.id).catch((e: unknown) => e),
    ]);
    for (const error of failures) expect(WardenError.isInstance(error)).toBe(true);
    expect(failures.map((e) => [(e as WardenError).code, (e as WardenError).httpStatus])).toEqual([
      [CODES.NOT_FOUND, 404],
      [CODES.INVALID_INPUT, 400],
      [CODES.NOT_ACTIVE, 400],
    ]);
    await manager.close();
  });
});
