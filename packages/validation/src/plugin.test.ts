import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '@mcp-warden/core';
import {
  connectHttpClient,
  connectTestClient,
  runPluginContractTests,
  startTestHttpServer,
} from '@mcp-warden/core/testing';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tempTree } from './path/test-tree.js';
import { validation } from './plugin.js';
import { safePathSchema } from './schema/zod-schemas.js';

const tree = tempTree('warden-plugin-');
const root = path.join(tree.base, 'data');
mkdirSync(path.join(root, 'notes'), { recursive: true });
writeFileSync(path.join(root, 'notes', 'todo.md'), 'buy milk');
writeFileSync(path.join(tree.base, 'canary.txt'), 'CANARY');
symlinkSync(tree.base, path.join(root, 'up'));
afterAll(() => tree.cleanup());

const SECRET = 'sk-live-SECRET-VALUE-0123456789';

/** A low-level SDK Server: it validates nothing itself and declares only JSON Schemas. */
function lowLevelServer(): Server {
  const server = new Server({ name: 'low-level', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [
      {
        name: 'send',
        inputSchema: {
          type: 'object',
          properties: {
            to: { type: 'string', format: 'email' },
            count: { type: 'integer', minimum: 1, maximum: 5 },
            tags: { type: 'array', items: { type: 'string' } },
          },
          required: ['to'],
          additionalProperties: false,
        },
      },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => ({
    content: [{ type: 'text', text: JSON.stringify(request.params.arguments ?? {}) }],
  }));
  return server;
}

/** An McpServer with a file tool that trusts whatever path it receives (the plugin must protect it). */
function fileServer(): McpServer {
  const server = new McpServer({ name: 'files', version: '1.0.0' });
  server.registerTool('read_file', { inputSchema: { path: z.string() } }, async ({ path: p }) => ({
    content: [{ type: 'text', text: `${p}\n${await readFile(p, 'utf8')}` }],
  }));
  server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerPrompt('summarise', { argsSchema: { topic: z.string() } }, ({ topic }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: topic } }],
  }));
  server.registerResource(
    'note',
    new ResourceTemplate('notes://{name}', { list: undefined }),
    {},
    async (uri) => ({ contents: [{ uri: uri.href, text: 'note' }] }),
  );
  return server;
}

async function rpcError(promise: Promise<unknown>): Promise<{
  code: number;
  message: string;
  data: { code?: string; issues?: { pointer: string; message: string }[] };
}> {
  try {
    await promise;
  } catch (error) {
    return error as never;
  }
  throw new Error('expected a JSON-RPC error');
}

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0]?.text ?? '';

describe('validation plugin with a low-level Server (JSON Schema learned from tools/list)', () => {
  it('refuses arguments that break the declared inputSchema, with pointers and without the value', async () => {
    const kit = await connectTestClient({ plugins: [validation()], createServer: lowLevelServer });
    try {
      await kit.client.listTools();
      const error = await rpcError(
        kit.client.callTool({ name: 'send', arguments: { to: SECRET, count: 9, extra: true } }),
      );
      expect(error.code).toBe(-32602);
      expect(error.data.code).toBe('SCHEMA_MISMATCH');
      expect(error.data.issues?.map((i) => i.pointer).sort()).toEqual(['/count', '/extra', '/to']);
      expect(JSON.stringify(error)).not.toContain(SECRET);
      const event = kit.events.ofType('validation.rejected')[0];
      expect(event?.plugin).toBe('validation');
      expect(event?.outcome).toBe('denied');
      expect(JSON.stringify(kit.events.events)).not.toContain(SECRET);
      const ok = await kit.client.callTool({ name: 'send', arguments: { to: 'a@example.com', count: 2 } });
      expect(JSON.parse(text(ok))).toEqual({ to: 'a@example.com', count: 2 });
    } finally {
      await kit.close();
    }
  });

  it('unknownTargets: deny refuses a tool whose schema is not known yet; inputSchemas makes it known', async () => {
    const strict = await connectTestClient({
      plugins: [validation({ unknownTargets: 'deny' })],
      createServer: lowLevelServer,
    });
    try {
      expect(
        (await rpcError(strict.client.callTool({ name: 'send', arguments: { to: 'a@example.com' } }))).data
          .code,
      ).toBe('SCHEMA_UNKNOWN');
    } finally {
      await strict.close();
    }
    const given = await connectTestClient({
      plugins: [
        validation({ unknownTargets: 'deny', inputSchemas: { send: { type: 'object', required: ['to'] } } }),
      ],
      createServer: lowLevelServer,
    });
    try {
      expect(
        (await rpcError(given.client.callTool({ name: 'send', arguments: {} }))).data.issues?.[0]?.pointer,
      ).toBe('/to');
    } finally {
      await given.close();
    }
  });
});

describe('validation plugin over stateless Streamable HTTP', () => {
  it('a schema learned from one request protects the next, though each has its own server instance', async () => {
    const http = await startTestHttpServer({
      plugins: [validation()],
      createServer: lowLevelServer,
      sessions: 'stateless',
      wardenOptions: { allowAnonymous: true },
    });
    const client = await connectHttpClient(http.url);
    try {
      await client.listTools();
      const error = await rpcError(client.callTool({ name: 'send', arguments: { to: 'not-an-email' } }));
      expect(error.code).toBe(-32602);
      expect(error.data.issues).toEqual([{ pointer: '/to', message: 'must match format "email"' }]);
      expect(http.events.ofType('validation.rejected')).toHaveLength(1);
    } finally {
      await client.close();
      await http.close();
    }
  });
});

describe('validation plugin: a declared schema that does not compile', () => {
  it('fails closed with SCHEMA_INVALID and records why', async () => {
    const broken = () => {
      const server = new Server({ name: 'broken', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, async () => ({
        tools: [{ name: 'bad', inputSchema: { type: 'object', properties: { a: { type: 'nonsense' } } } }],
      }));
      server.setRequestHandler(CallToolRequestSchema, async () => ({
        content: [{ type: 'text', text: 'ran' }],
      }));
      return server;
    };
    const kit = await connectTestClient({ plugins: [validation()], createServer: broken });
    try {
      await kit.client.listTools();
      expect(kit.events.ofType('validation.schema_invalid')).toHaveLength(1);
      expect((await rpcError(kit.client.callTool({ name: 'bad', arguments: { a: 1 } }))).data.code).toBe(
        'SCHEMA_INVALID',
      );
    } finally {
      await kit.close();
    }
  });
});

describe('validation plugin with McpServer', () => {
  it('paths rule: the tool only ever receives a real path inside the root', async () => {
    const plugin = validation({
      tools: { read_file: { paths: { path: { root, mustExist: true } }, transform: true } },
    });
    const kit = await connectTestClient({ plugins: [plugin], createServer: fileServer });
    try {
      const ok = await kit.client.callTool({
        name: 'read_file',
        arguments: { path: 'notes/../notes/todo.md' },
      });
      expect(text(ok)).toBe(`${path.join(root, 'notes', 'todo.md')}\nbuy milk`);
      for (const bad of [
        '../canary.txt',
        'up/canary.txt',
        path.join(tree.base, 'canary.txt'),
        '%2e%2e/canary.txt',
        'notes\0',
      ]) {
        const error = await rpcError(kit.client.callTool({ name: 'read_file', arguments: { path: bad } }));
        expect(error.code).toBe(-32602);
        expect(error.data.issues?.[0]?.pointer).toBe('/path');
        expect(error.data.code).toMatch(/^PATH_/);
      }
    } finally {
      await kit.close();
    }
  });

  it('zod rule with safePathSchema and transform', async () => {
    const plugin = validation({
      tools: {
        read_file: {
          schema: { path: safePathSchema({ root, allowedExtensions: ['.md'] }) },
          transform: true,
        },
      },
    });
    const kit = await connectTestClient({ plugins: [plugin], createServer: fileServer });
    try {
      expect(
        text(await kit.client.callTool({ name: 'read_file', arguments: { path: 'notes/todo.md' } })),
      ).toContain('buy milk');
      const error = await rpcError(
        kit.client.callTool({ name: 'read_file', arguments: { path: 'notes/todo.txt' } }),
      );
      expect(error.data.issues).toEqual([{ pointer: '/path', message: 'this file type is not allowed' }]);
      const outside = await rpcError(
        kit.client.callTool({ name: 'read_file', arguments: { path: '../canary.md' } }),
      );
      expect(outside.data.issues).toEqual([
        { pointer: '/path', message: 'the path is outside the allowed directory' },
      ]);
    } finally {
      await kit.close();
    }
  });

  it('limits: plugin-wide and per-tool, on every request', async () => {
    const plugin = validation({
      limits: { maxStringLength: 1000 },
      tools: { echo: { limits: { maxStringLength: 10 } } },
    });
    const kit = await connectTestClient({ plugins: [plugin], createServer: fileServer });
    try {
      const error = await rpcError(kit.client.callTool({ name: 'echo', arguments: { text: SECRET } }));
      expect(error.data).toMatchObject({
        code: 'LIMIT_EXCEEDED',
        issues: [{ pointer: '/text', message: 'string longer than 10 characters' }],
      });
      expect(JSON.stringify(error)).not.toContain(SECRET);
      expect(text(await kit.client.callTool({ name: 'echo', arguments: { text: 'short' } }))).toBe('short');
      expect(
        (await rpcError(kit.client.getPrompt({ name: 'summarise', arguments: { topic: 'x'.repeat(2000) } })))
          .data.code,
      ).toBe('LIMIT_EXCEEDED');
      expect(
        (await rpcError(kit.client.readResource({ uri: `notes://${'y'.repeat(2000)}` }))).data.code,
      ).toBe('LIMIT_EXCEEDED');
    } finally {
      await kit.close();
    }
  });

  it('prompts: learned declared arguments, and zod rules', async () => {
    const kit = await connectTestClient({ plugins: [validation({ prompts: {} })], createServer: fileServer });
    try {
      await kit.client.listPrompts();
      const error = await rpcError(kit.client.getPrompt({ name: 'summarise', arguments: { subject: 'x' } }));
      expect(error.data.issues?.map((i) => i.pointer).sort()).toEqual(['/subject', '/topic']);
    } finally {
      await kit.close();
    }
    const zodKit = await connectTestClient({
      plugins: [validation({ prompts: { summarise: { schema: z.object({ topic: z.string().max(5) }) } } })],
      createServer: fileServer,
    });
    try {
      expect(
        (await rpcError(zodKit.client.getPrompt({ name: 'summarise', arguments: { topic: 'too long' } })))
          .data.issues?.[0]?.pointer,
      ).toBe('/topic');
      expect(await zodKit.client.getPrompt({ name: 'summarise', arguments: { topic: 'ok' } })).toBeTruthy();
    } finally {
      await zodKit.close();
    }
  });

  it('resource templates: the template variables are validated', async () => {
    const plugin = validation({
      resourceTemplates: { 'notes://{name}': { schema: z.object({ name: z.string().regex(/^[a-z]+$/) }) } },
    });
    const kit = await connectTestClient({ plugins: [plugin], createServer: fileServer });
    try {
      expect(await kit.client.readResource({ uri: 'notes://groceries' })).toBeTruthy();
      const error = await rpcError(kit.client.readResource({ uri: 'notes://..%2F..%2Fetc' }));
      expect(error.data.issues?.[0]?.pointer).toBe('/name');
    } finally {
      await kit.close();
    }
  });
});

describe('validation plugin options', () => {
  it('refuses bad options with a ConfigError that says what to fix', () => {
    expect(() =>
      validation({ tools: { read_file: { paths: { path: { root: path.join(tree.base, 'missing') } } } } }),
    ).toThrow(ConfigError);
    expect(() => validation({ limits: { maxDepth: -1 } })).toThrow(/limits\.maxDepth/);
    expect(() => validation({ tools: { t: { schema: { type: 'no-such-type' } } } })).toThrow(
      /does not compile/,
    );
    expect(() => validation({ resourceTemplates: { 'x://{?q}': {} } })).toThrow(ConfigError);
    expect(() => validation({ bogus: true } as never)).toThrow(ConfigError);
  });
});

runPluginContractTests({
  name: 'validation',
  create: (mode) => validation({ mode, tools: { contract_echo: { limits: { maxStringLength: 8 } } } }),
  invalidOptions: [
    () => validation({ unknownTargets: 'maybe' as never }),
    () => validation({ tools: { x: { paths: { p: { root: '' } } } } }),
  ],
  refusal: {
    kind: 'request',
    method: 'tools/call',
    params: { name: 'contract_echo', arguments: { text: SECRET } },
  },
  secrets: [SECRET],
});
