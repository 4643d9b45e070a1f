import { runErrorFamilyTests } from '@mcp-warden/core/testing';
import * as ratelimit from './index.js';

// ratelimit refuses with core's RateLimitError (code from RATELIMIT_ERROR_CODES) and exports no error class of
// its own: the check proves that stays so, and that its code map is sound.
runErrorFamilyTests({
  name: '@mcp-warden/ratelimit',
  exports: ratelimit,
  codes: ratelimit.RATELIMIT_ERROR_CODES,
  samples: {},
});
