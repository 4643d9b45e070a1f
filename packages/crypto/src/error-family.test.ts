import { runErrorFamilyTests } from '@mcp-warden/core/testing';
import * as crypto from './index.js';

runErrorFamilyTests({
  name: '@mcp-warden/crypto',
  exports: crypto,
  codes: crypto.CRYPTO_ERROR_CODES,
  samples: {
    CryptoError: () =>
      Object.values(crypto.CRYPTO_ERROR_CODES).map((code) => new crypto.CryptoError(code, `failed: ${code}`)),
  },
});
