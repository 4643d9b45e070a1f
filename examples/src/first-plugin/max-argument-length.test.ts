import { connectTestClient, runPluginContractTests } from '@mcp-warden/core/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { longStrings, maxArgumentLength } from './max-argument-length.js';

const LONG = 'a-value-the-events-must-never-show';

runPluginContractTests({
  name: 'max-argument-length',
  create: (mode) => maxArgumentLength({ maxLength: 8, mode }),
  invalidOptions: [
    () => maxArgumentLength({ maxLength: 0 }),
    () => maxArgumentLength({ maxLenght: 8 } as never),
  ],
  refusal: {
    kind: 'request',
    method: 'tools/call',
    params: { name: 'contract_echo', arguments: { text: LONG } },
  },
  secrets: [LONG],
});

function notesServer(): McpServer {
  const server = new McpServer({ name: 'notes', version: '1.0.0' });
  server.registerTool(
    'save_note',
    { inputSchema: { title: z.string(), tags: z.array(z.string()) } },
    async ({ title }) => ({ content: [{ type: 'text', text: `saved ${title}` }] }),
  );
  return server;
}

describe('maxArgumentLength', () => {
  it('refuses a call with a long string anywhere in its arguments, naming where', async () => {
    const kit = await connectTestClient({
      plugins: [maxArgumentLength({ maxLength: 16 })],
      createServer: notesServer,
    });
    try {
      const ok = await kit.client.callTool({
        name: 'save_note',
        arguments: { title: 'groceries', tags: [] },
      });
      expect(ok.content).toEqual([{ type: 'text', text: 'saved groceries' }]);
      const refused = await kit.client
        .callTool({ name: 'save_note', arguments: { title: 'groceries', tags: ['ok', LONG] } })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({
        code: -32602,
        data: { issues: [{ pointer: '/tags/1', message: 'longer than 16 characters' }] },
      });
      expect(JSON.stringify(refused)).not.toContain(LONG);
    } finally {
      await kit.close();
    }
  });

  it('refuses bad options when it is created, every problem in one ConfigError', () => {
    expect(() => maxArgumentLength({ maxLength: 0, tool: ['save_note'] } as never)).toThrow(
      [
        'max-argument-length: invalid options (2 problems):',
        '  ✖ maxLength: Too small: expected number to be >0 (fix: use a value > 0)',
        '  ✖ (options): unknown option "tool" (fix: did you mean "tools"?)',
      ].join('\n'),
    );
  });

  it('finds a long string at any depth and in property names, and only then', () => {
    const hasLong = (v: unknown, max: number): boolean =>
      typeof v === 'string'
        ? v.length > max
        : typeof v === 'object' && v !== null
          ? Object.entries(v).some(([k, c]) => k.length > max || hasLong(c, max))
          : false;
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 6 }), (value, max) => {
        const issues = longStrings(value, max);
        expect(issues.length > 0).toBe(hasLong(value, max));
        expect(issues.length).toBeLessThanOrEqual(10);
        // A pointer is made only of property names within the cap: it never carries a long string.
        for (const { pointer } of issues) {
          for (const token of pointer.split('/').slice(1)) {
            expect(token.replaceAll('~1', '/').replaceAll('~0', '~').length).toBeLessThanOrEqual(max);
          }
        }
      }),
    );
  });
});
