import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;

/**
 * One vitest setup for every workspace package: `@mcp-warden/*` imports resolve to the packages' sources, so a
 * test always runs against the code beside it (not a stale dist), and each package keeps its own `vitest run`.
 */
export function sharedConfig(_packageDir: string) {
  return defineConfig({
    resolve: {
      alias: [
        {
          find: /^@mcp-warden\/core\/testing$/,
          replacement: resolve(root, 'packages/core/src/testing/index.ts'),
        },
        { find: /^@mcp-warden\/core\/web$/, replacement: resolve(root, 'packages/core/src/web.ts') },
        {
          find: /^@mcp-warden\/core\/otel$/,
          replacement: resolve(root, 'packages/core/src/otel/index.ts'),
        },
        { find: /^@mcp-warden\/([a-z-]+)$/, replacement: resolve(root, 'packages/$1/src/index.ts') },
      ],
    },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      // Memory-retention tests force a collection before they measure.
      poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    },
  });
}
