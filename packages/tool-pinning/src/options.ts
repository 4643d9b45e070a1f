import { parseOptions } from '@mcp-warden/core';
import { z } from 'zod';
import { PinStore } from './store.js';

/** Printable, no control characters: it names the upstream in events, store keys and operator commands. */
const upstreamName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u, 'must be printable text without control or format characters');

/** Options of {@link toolPinning}. Exported so a host can embed it in its own configuration schema. */
export const toolPinningOptionsSchema = z
  .object({
    /** SQLite file of the pins (created with mode 0600). Exactly one of `storeFile` and `store`. */
    storeFile: z.string().min(1).optional(),
    /** An open {@link PinStore} (the plugin does not close it). */
    store: z.instanceof(PinStore).optional(),
    /**
     * The name pins are kept under. @default the server's name from `initialize` or `server/discover` when seen,
     * else `'default'`
     */
    upstream: upstreamName.optional(),
    /** Pin every tool of an upstream that has no pins yet as approved on its first list. @default true */
    trustOnFirstUse: z.boolean().default(true),
    /** Hold a new or changed definition that names another upstream's tool. @default true */
    detectShadowing: z.boolean().default(true),
    /** `audit` records what would be held and lets it pass. @default 'enforce' */
    mode: z.enum(['enforce', 'audit']).default('enforce'),
    /** Plugin name. @default 'tool-pinning' */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/)
      .default('tool-pinning'),
  })
  .strict()
  .refine((o) => (o.storeFile === undefined) !== (o.store === undefined), {
    message: 'give exactly one of "storeFile" (a SQLite file path) and "store" (a PinStore)',
  });

export type ToolPinningOptions = z.input<typeof toolPinningOptionsSchema>;
export type ResolvedToolPinningOptions = z.output<typeof toolPinningOptionsSchema>;

/** Validates options with core's `parseOptions`: one `ConfigError` lists every problem with its fix. */
export function parseToolPinningOptions(options: unknown): ResolvedToolPinningOptions {
  return parseOptions(toolPinningOptionsSchema, options, { plugin: 'tool-pinning' });
}
