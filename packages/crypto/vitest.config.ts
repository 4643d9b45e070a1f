import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// The test files share no global state beyond libsodium's one-time initialisation, so they reuse one module graph
// (isolate: false): loading libsodium's WebAssembly, zod and the MCP SDK once keeps the suite fast on a busy machine.
export default mergeConfig(sharedConfig(import.meta.dirname), { test: { isolate: false } });
