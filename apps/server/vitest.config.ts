import { resolve } from 'node:path';
import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// The gateway fixtures serve and call MCP over the SDK v2 packages, which apps/server does not depend on yet:
// tests borrow packages/core's installed copies (same versions) instead of changing the lockfile.
const sdkV2 = resolve(import.meta.dirname, '../../packages/core/node_modules/@modelcontextprotocol');

export default mergeConfig(sharedConfig(import.meta.dirname), {
  resolve: {
    alias: [
      { find: /^@modelcontextprotocol\/server$/, replacement: `${sdkV2}/server/dist/index.mjs` },
      { find: /^@modelcontextprotocol\/client$/, replacement: `${sdkV2}/client/dist/index.mjs` },
    ],
  },
});
