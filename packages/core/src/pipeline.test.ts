import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { demoServer } from './__fixtures__/demo-server.js';
import { adminScope, denyTools } from './__fixtures__/plugins.js';
import { ArgumentValidationError, JSON_RPC_ERROR_CODES } from './errors.js';
import type { WardenPlugin } from './plugin.js';
import { connectTestClient, fakePrincipal, type TestClient } from './testing/index.js';

let kit: TestClient | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

async function callError(promise: Promise<unknown>): Promise<McpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpError);
  return error as McpError;
}

function recorder(name: string, log: string[], stage?: WardenPlugin['stage']): WardenPlugin {
  return {
    specVersion: 1,
    name,
    stage,
    beforeRequest: (ctx) => {
      if (ctx.method === 'tools/call') log.push(`before:${name}`);
    },
    afterResponse: (ctx) => {
      if (ctx.method === 'tools/call') log.push(`after:${name}`);
    },
  };
}

describe('pipeline order', () => {
  it('runs before hooks by stage then registration order, and after hooks in reverse', async () => {
    const log: string[] = [];
    kit = await connectTestClient({
      plugins: [
        recorder('d1', log),
        recorder('s1', log, 'sanitize'),
        recorder('a1', log, 'authorize'),
        recorder('d2', log),
        recorder('adm', log, 'admission'),
      ],
      createServer: demoServer,
    });
    await kit.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    expect(log).toEqual([
      'before:adm',
      'before:a1',
      'before:s1',
      'before:d1',
      'before:d2',
      'after:d2',
      'after:d1',
      'after:s1',
      'after:a1',
      'after:adm',
    ]);
  });
});

/**
 * Adds a tool to every tools/list result in afterResponse, keeps a note in ctx.state for its own filter, and logs
 * each hook call: what the order within one plugin (contract 1.2) is checked with.
 */
function listShaper(name: string, log: string[], stage: WardenPlugin['stage'], mode?: 'audit'): WardenPlugin {
  const note = Symbol(name);
  return {
    specVersion: 1,
    name,
    stage,
    mode,
    afterResponse: (ctx) => {
      if (ctx.method !== 'tools/list') return;
      log.push(`after:${name}:${(ctx.result.tools as Array<{ name: string }>).map((t) => t.name).join(',')}`);
      ctx.state.set(note, 'from-after');
      const tools = [
        ...(ctx.result.tools as unknown[]),
        { name: `added_by_${name}`, inputSchema: { type: 'object' } },
      ];
      return { result: { ...ctx.result, tools } };
    },
    filterListItem: (item, ctx) => {
      if (item.type === 'tool') log.push(`filter:${name}:${item.name}:${String(ctx.state.get(note))}`);
      return item.type !== 'tool' || item.name !== 'whoami' || name !== 'inner';
    },
  };
}

describe('order within one plugin (contract 1.2)', () => {
  it("runs a plugin's afterResponse, then its filterListItem on that hook's result, before the next plugin outward", async () => {
    const log: string[] = [];
    kit = await connectTestClient({
      plugins: [listShaper('outer', log, 'authorize'), listShaper('inner', log, 'sanitize')],
      createServer: demoServer,
    });
    const listed = await kit.client.listTools();
    const server = ['echo', 'whoami', 'admin_stats', 'stall'];
    const filter = (name: string, tools: string[]) => tools.map((t) => `filter:${name}:${t}:from-after`);
    const withoutWhoami = server.filter((t) => t !== 'whoami');
    expect(log).toEqual([
      `after:inner:${server.join(',')}`,
      ...filter('inner', [...server, 'added_by_inner']),
      `after:outer:${[...withoutWhoami, 'added_by_inner'].join(',')}`,
      ...filter('outer', [...withoutWhoami, 'added_by_inner', 'added_by_outer']),
    ]);
    expect(listed.tools.map((t) => t.name)).toEqual([...withoutWhoami, 'added_by_inner', 'added_by_outer']);
  });

  it('an audit-mode plugin filters the result its afterResponse did not change', async () => {
    const log: string[] = [];
    kit = await connectTestClient({
      plugins: [listShaper('audited', log, 'default', 'audit')],
      createServer: demoServer,
    });
    await kit.client.listTools();
    expect(log.some((l) => l.startsWith('after:audited:'))).toBe(true);
    expect(log.filter((l) => l.startsWith('filter:audited:added_by'))).toEqual([]);
    expect(log.filter((l) => l.startsWith('filter:audited:')).length).toBe(4);
  });
});

describe('argument and result transforms', () => {
  it('hands replaced arguments to later plugins and to the handler', async () => {
    const seen: unknown[] = [];
    const upper: WardenPlugin = {
      specVersion: 1,
      name: 'upper',
      stage: 'sanitize',
      beforeRequest: (ctx) =>
        ctx.method === 'tools/call'
          ? { arguments: { text: String(ctx.arguments?.text).toUpperCase() } }
          : undefined,
    };
    const look: WardenPlugin = {
      specVersion: 1,
      name: 'look',
      beforeRequest: (ctx) => void seen.push(ctx.arguments),
    };
    kit = await connectTestClient({ plugins: [look, upper], createServer: demoServer });
    const result = await kit.client.callTool({ name: 'echo', arguments: { text: 'quiet' } });
    expect(result.content).toEqual([{ type: 'text', text: 'QUIET' }]);
    expect(seen.at(-1)).toEqual({ text: 'QUIET' });
  });

  it('replaces results in afterResponse', async () => {
    const redact: WardenPlugin = {
      specVersion: 1,
      name: 'redact',
      afterResponse: (ctx) =>
        ctx.method === 'tools/call'
          ? { result: { content: [{ type: 'text', text: '[REDACTED]' }] } }
          : undefined,
    };
    kit = await connectTestClient({ plugins: [redact], createServer: demoServer });
    const result = await kit.client.callTool({ name: 'echo', arguments: { text: 'secret' } });
    expect(result.content).toEqual([{ type: 'text', text: '[REDACTED]' }]);
  });

  it('ignores transforms of an audit-mode plugin', async () => {
    const upper: WardenPlugin = {
      specVersion: 1,
      name: 'upper',
      mode: 'audit',
      beforeRequest: () => ({ arguments: { text: 'CHANGED' } }),
    };
    kit = await connectTestClient({ plugins: [upper], createServer: demoServer });
    const result = await kit.client.callTool({ name: 'echo', arguments: { text: 'same' } });
    expect(result.content).toEqual([{ type: 'text', text: 'same' }]);
  });
});

describe('refusals', () => {
  it('answers a policy refusal with the access-denied code, recording the real reason only in the event', async () => {
    kit = await connectTestClient({ plugins: [denyTools(['admin_stats'])], createServer: demoServer });
    const error = await callError(kit.client.callTool({ name: 'admin_stats', arguments: {} }));
    expect(error.code).toBe(JSON_RPC_ERROR_CODES.ACCESS_DENIED);
    expect(error.message).toContain('Access denied: tools:call admin_stats');
    expect(error.message).not.toContain('rule:');
    const [event] = kit.events.ofType('access.denied');
    expect(event).toMatchObject({
      outcome: 'denied',
      plugin: 'deny-tools',
      reason: 'rule: deny admin_stats',
      target: 'admin_stats',
      principalId: 'test-user',
    });
  });

  it('lets an audit-mode refusal pass and records it as audited', async () => {
    kit = await connectTestClient({
      plugins: [denyTools(['admin_stats'], 'audit')],
      createServer: demoServer,
    });
    const result = await kit.client.callTool({ name: 'admin_stats', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'stats' }]);
    expect(kit.events.ofType('access.denied')[0]).toMatchObject({ outcome: 'audited', mode: 'audit' });
  });

  it('fails closed when a plugin throws something unexpected, without leaking what it threw', async () => {
    const broken: WardenPlugin = {
      specVersion: 1,
      name: 'broken',
      beforeRequest: (ctx) => {
        if (ctx.method === 'tools/call') throw new TypeError('internal detail xyz');
      },
    };
    kit = await connectTestClient({ plugins: [broken], createServer: demoServer });
    const error = await callError(kit.client.callTool({ name: 'echo', arguments: { text: 'x' } }));
    expect(error.code).toBe(JSON_RPC_ERROR_CODES.INTERNAL_ERROR);
    expect(error.message).not.toContain('xyz');
    expect(kit.events.ofType('plugin.error')[0]).toMatchObject({
      plugin: 'broken',
      outcome: 'denied',
      severity: 'error',
    });
    expect(kit.events.ofType('plugin.error')[0]?.reason).toContain('internal detail xyz');
  });

  it('fails closed when afterResponse throws: the client gets an error, never the result', async () => {
    const broken: WardenPlugin = {
      specVersion: 1,
      name: 'broken-after',
      afterResponse: (ctx) => {
        if (ctx.method === 'tools/call') throw new Error('boom');
      },
    };
    kit = await connectTestClient({ plugins: [broken], createServer: demoServer });
    const error = await callError(kit.client.callTool({ name: 'echo', arguments: { text: 'do-not-leak' } }));
    expect(error.message).not.toContain('do-not-leak');
  });

  it('maps ArgumentValidationError to invalid params with JSON pointers', async () => {
    const validator: WardenPlugin = {
      specVersion: 1,
      name: 'validator',
      stage: 'validate',
      beforeRequest: (ctx) => {
        if (ctx.method === 'tools/call')
          throw new ArgumentValidationError({ issues: [{ pointer: '/text', message: 'too long' }] });
      },
    };
    kit = await connectTestClient({ plugins: [validator], createServer: demoServer });
    const error = await callError(kit.client.callTool({ name: 'echo', arguments: { text: 'x' } }));
    expect(error.code).toBe(JSON_RPC_ERROR_CODES.INVALID_PARAMS);
    expect(error.data).toMatchObject({
      code: 'INVALID_ARGUMENTS',
      issues: [{ pointer: '/text', message: 'too long' }],
    });
    expect(kit.events.ofType('validation.rejected')).toHaveLength(1);
  });

  it('refuses malformed params of targeted methods before any plugin or the server sees them', async () => {
    let called = false;
    const spy: WardenPlugin = {
      specVersion: 1,
      name: 'spy',
      beforeRequest: (ctx) => void (called ||= ctx.method === 'tools/call'),
    };
    kit = await connectTestClient({ plugins: [spy], createServer: demoServer });
    const { z } = await import('zod');
    const error = await callError(
      kit.client.request({ method: 'tools/call', params: { arguments: {} } } as never, z.any()),
    );
    expect(error.code).toBe(JSON_RPC_ERROR_CODES.INVALID_PARAMS);
    expect(called).toBe(false);
  });

  it('refuses step-up errors in-band as access denied when there is no HTTP edge', async () => {
    kit = await connectTestClient({ plugins: [adminScope()], createServer: demoServer });
    const error = await callError(kit.client.callTool({ name: 'admin_stats', arguments: {} }));
    expect(error.code).toBe(JSON_RPC_ERROR_CODES.ACCESS_DENIED);
    expect(error.data).toMatchObject({ requiredScopes: ['admin'] });
  });
});

describe('list filtering', () => {
  it('hides denied items from tools/list', async () => {
    kit = await connectTestClient({
      plugins: [denyTools(['admin_stats', 'stall'])],
      createServer: demoServer,
    });
    const names = (await kit.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(['echo', 'whoami']);
  });

  it('keeps items in audit mode and records what it would hide', async () => {
    kit = await connectTestClient({
      plugins: [denyTools(['admin_stats'], 'audit')],
      createServer: demoServer,
    });
    const names = (await kit.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('admin_stats');
    expect(
      kit.events.events.some(
        (e) => e.outcome === 'audited' && JSON.stringify(e.details).includes('admin_stats'),
      ),
    ).toBe(true);
  });

  it('filters prompts and resources through the same hook', async () => {
    const hidePrivate: WardenPlugin = {
      specVersion: 1,
      name: 'hide-private',
      filterListItem: (item) =>
        !(item.type === 'resource' && item.uri.startsWith('file:///private/')) && !(item.type === 'prompt'),
    };
    kit = await connectTestClient({ plugins: [hidePrivate], createServer: demoServer });
    expect((await kit.client.listResources()).resources.map((r) => r.uri)).toEqual([
      'file:///public/readme.txt',
    ]);
    expect((await kit.client.listPrompts()).prompts).toEqual([]);
  });
});

describe('principal and timeouts', () => {
  it('hands the principal to tool handlers', async () => {
    kit = await connectTestClient({ createServer: demoServer, principal: fakePrincipal({ id: 'alice' }) });
    const result = await kit.client.callTool({ name: 'whoami', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'alice' }]);
  });

  it('answers a request the server does not finish in time with a timeout error and aborts the handler', async () => {
    let aborted = false;
    const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
    const createServer = () => {
      const server = new McpServer({ name: 't', version: '1' });
      server.registerTool(
        'stall',
        { description: 'stalls' },
        (extra) =>
          new Promise((resolve) => {
            extra.signal.addEventListener('abort', () => {
              aborted = true;
              resolve({ content: [] });
            });
          }),
      );
      return server;
    };
    kit = await connectTestClient({ createServer, wardenOptions: { requestTimeoutMs: 150 } });
    const error = await callError(kit.client.callTool({ name: 'stall', arguments: {} }));
    expect(error.code).toBe(JSON_RPC_ERROR_CODES.REQUEST_TIMEOUT);
    await expect.poll(() => aborted).toBe(true);
    expect(kit.events.ofType('request.timeout')).toHaveLength(1);
    // The transport keeps serving after a timeout.
    expect(await kit.client.callTool({ name: 'stall', arguments: {} }).catch((e: McpError) => e.code)).toBe(
      JSON_RPC_ERROR_CODES.REQUEST_TIMEOUT,
    );
  });
});
