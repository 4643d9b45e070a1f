/** Fixtures for bench/src/validation.bench.ts: kept here because the SDK and zod resolve from this package. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** A typical tool argument object of about 1 KB. */
export const ARGS = {
  title: 'Quarterly report for the platform team',
  body: 'The quarter closed with every service inside its error budget. '.repeat(9),
  tags: ['report', 'quarterly', 'platform', 'reliability'],
  priority: 3,
  due: '2026-12-01',
  assignee: { name: 'Ada Lovelace', email: 'ada@example.com' },
  attachments: [
    { name: 'latency.csv', size: 20_480 },
    { name: 'errors.csv', size: 10_240 },
    { name: 'summary.pdf', size: 204_800 },
  ],
  draft: false,
};
export const ArgsShape = {
  title: z.string().min(1).max(200),
  body: z.string().max(10_000),
  tags: z.array(z.string().max(40)).max(20),
  priority: z.number().int().min(1).max(5),
  due: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  assignee: z.object({ name: z.string(), email: z.string().email() }),
  attachments: z.array(z.object({ name: z.string(), size: z.number().int().nonnegative() })).max(10),
  draft: z.boolean(),
};
export const ArgsSchema = z.object(ArgsShape);
export const ARGS_JSON_SCHEMA = z.toJSONSchema(ArgsSchema) as Record<string, unknown>;

export function benchServer(root: string) {
  return () => {
    const server = new McpServer({ name: 'bench', version: '1.0.0' });
    server.registerTool('submit', { inputSchema: ArgsShape }, async (args) => ({
      content: [{ type: 'text', text: args.title }],
    }));
    server.registerTool('read_file', { inputSchema: { path: z.string() } }, async ({ path: p }) => ({
      content: [{ type: 'text', text: await readFile(path.resolve(root, p), 'utf8') }],
    }));
    return server;
  };
}
