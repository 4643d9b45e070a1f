import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AuthenticationError,
  createPrincipal,
  createWarden,
  JSON_RPC_ERROR_CODES,
  type Principal,
  type RequestContext,
  type SecurityEvent,
  type WardenPlugin,
} from '@mcp-warden/core';
import {
  connectHttpClient,
  connectTestClient,
  fakePrincipal,
  runPluginContractTests,
  startTestHttpServer,
} from '@mcp-warden/core/testing';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { acl } from './plugin.js';
import type { AclPolicyDocument } from './policy-schema.js';

const referencePolicy = fileURLToPath(new URL('../examples/reference-policy.yaml', import.meta.url));

/** Stands in for apikey-auth/oauth: the principal comes from the test kit, or from a fake key header over HTTP. */
function testAuth(keys: Record<string, Principal> = {}): WardenPlugin {
  return {
    specVersion: 1,
    name: 'test-auth',
    provides: ['authentication'],
    authenticate(request) {
      const header = request.headers.authorization;
      if (header === undefined) return undefined;
      const principal = keys[header.replace(/^Bearer /, '')];
      if (!principal) throw new AuthenticationError({ oauthError: 'invalid_token' });
      return principal;
    },
  };
}

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

/** The reference server's demo surface. */
function demoServer(): McpServer {
  const server = new McpServer({ name: 'acl-demo', version: '1.0.0' });
  server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text: t }) => text(t));
  server.registerTool('read_file', { inputSchema: { path: z.string() } }, async ({ path }) =>
    text(`contents of ${path}`),
  );
  server.registerTool(
    'write_note',
    { inputSchema: { name: z.string(), body: z.string() } },
    async ({ name }) => text(`saved ${name}`),
  );
  server.registerTool('read_note', { inputSchema: { name: z.string() } }, async ({ name }) =>
    text(`note ${name}`),
  );
  server.registerTool('list_notes', {}, async () => text('a, b'));
  server.registerTool('admin_stats', {}, async () => text('42 requests'));
  server.registerResource('readme', 'file:///public/readme.txt', {}, async (uri) => ({
    contents: [{ uri: uri.href, text: 'public' }],
  }));
  server.registerResource('plan', 'file:///private/plan.txt', {}, async (uri) => ({
    contents: [{ uri: uri.href, text: 'secret plan' }],
  }));
  server.registerResource(
    'public-files',
    new ResourceTemplate('file:///public/{name}', { list: undefined }),
    {},
    async (uri) => ({ contents: [{ uri: uri.href, text: 'p' }] }),
  );
  server.registerResource(
    'private-files',
    new ResourceTemplate('file:///private/{name}', { list: undefined }),
    {},
    async (uri) => ({ contents: [{ uri: uri.href, text: 's' }] }),
  );
  return server;
}

const reader = createPrincipal({
  id: 'reader-key',
  kind: 'apikey',
  roles: ['reader'],
  authenticatedBy: 'test-auth',
});
const admin = createPrincipal({
  id: 'admin-key',
  kind: 'apikey',
  roles: ['admin'],
  authenticatedBy: 'test-auth',
});

const smallPolicy: AclPolicyDocument = {
  version: 1,
  rules: [
    {
      id: 'lists',
      effect: 'allow',
      subjects: 'authenticated',
      actions: ['tools:list', 'prompts:list', 'resources:list', 'resources:templates:list'],
    },
    {
      id: 'echo',
      effect: 'allow',
      subjects: 'authenticated',
      actions: 'tools:call',
      targets: 'contract_echo',
    },
  ],
};

runPluginContractTests({
  name: 'acl',
  create: (mode) => acl({ policy: smallPolicy, mode }),
  companions: () => [testAuth()],
  invalidOptions: [
    () => acl({} as never),
    () => acl({ policy: smallPolicy, policyFile: 'x.yaml' }),
    () => acl({ policy: { version: 2, rules: [] } }),
    () => acl({ policy: { version: 1, rules: [{ effect: 'allow', subjects: 'role:ghost', actions: '*' }] } }),
    () => acl({ policyFile: '/nonexistent/warden-policy.yaml' }),
  ],
  refusal: { kind: 'request', method: 'tools/call', params: { name: 'contract_admin', arguments: {} } },
});

describe('acl plugin hooks', () => {
  const plugin = acl({ policyFile: referencePolicy, watch: false });
  beforeAll(async () => {
    await plugin.setup?.({
      services: undefined as never,
      plugins: [],
      resourceUrl: undefined,
      emit: () => {},
    });
  });

  const ctx = (over: Partial<RequestContext>): RequestContext =>
    ({
      method: 'tools/call',
      action: 'tools:call',
      target: undefined,
      arguments: undefined,
      params: {},
      principal: reader,
      state: new Map(),
      ...over,
    }) as RequestContext;

  it('refuses with a message naming action and target, and the rule only in details', () => {
    let error: unknown;
    try {
      plugin.beforeRequest?.(ctx({ target: { type: 'tool', name: 'admin_stats' } }));
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'ACCESS_DENIED',
      jsonRpcCode: JSON_RPC_ERROR_CODES.ACCESS_DENIED,
      message: 'Access denied: tools:call on "admin_stats" is not permitted.',
    });
    expect((error as { details: unknown }).details).toMatchObject({
      decision: 'no-matching-rule',
      canonicalTarget: 'admin_stats',
    });

    try {
      plugin.beforeRequest?.(
        ctx({
          principal: admin,
          method: 'resources/read',
          action: 'resources:read',
          target: { type: 'resource', uri: 'file:///private/keys/../keys/a.pem' },
        }),
      );
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe(
      'Access denied: resources:read on "file:///private/keys/../keys/a.pem" is not permitted.',
    );
    expect((error as Error).message).not.toContain('nobody-reads');
    expect((error as { reason: string }).reason).toMatch(
      /^denied by rule "nobody-reads-key-resources" \(.*reference-policy\.yaml:\d+\), overriding allow rule "admin-reads-private-resources"$/,
    );
    expect((error as { details: { rule: unknown } }).details.rule).toMatchObject({
      id: 'nobody-reads-key-resources',
      effect: 'deny',
      line: expect.any(Number),
    });
  });

  it('never checks initialize, server/discover, ping or notifications', () => {
    const methods = [
      'initialize',
      'server/discover',
      'ping',
      'notifications/initialized',
      'notifications/cancelled',
    ];
    for (const method of methods) {
      expect(
        plugin.beforeRequest?.(
          ctx({
            method,
            action: method.replaceAll('/', ':'),
            principal: createPrincipal({ id: 'x', kind: 'anonymous' }),
          }),
        ),
      ).toBeUndefined();
    }
  });

  it('passes tool arguments to conditions', () => {
    expect(
      plugin.beforeRequest?.(
        ctx({ target: { type: 'tool', name: 'read_file' }, arguments: { path: 'public/a' } }),
      ),
    ).toBeUndefined();
    expect(() =>
      plugin.beforeRequest?.(
        ctx({ target: { type: 'tool', name: 'read_file' }, arguments: { path: 'public/../private/a' } }),
      ),
    ).toThrow(/Access denied/);
    expect(() => plugin.beforeRequest?.(ctx({ target: { type: 'tool', name: 'read_file' } }))).toThrow(
      /Access denied/,
    );
  });

  it('exposes explain() for the CLI', () => {
    expect(plugin.explain(admin, 'tools:call', 'admin_stats')).toMatchObject({
      allowed: true,
      rule: { id: 'admin-stats-for-admins' },
    });
  });
});

describe('end to end with the real SDK client', () => {
  it('two principals with different roles see different lists and get the expected allow/deny', async () => {
    const as = async (principal: Principal) =>
      connectTestClient({
        plugins: [testAuth(), acl({ policyFile: referencePolicy, watch: false })],
        createServer: demoServer,
        principal,
      });
    const r = await as(reader);
    const a = await as(admin);
    try {
      const names = async (kit: typeof r) => (await kit.client.listTools()).tools.map((t) => t.name).sort();
      expect(await names(r)).toEqual(['echo', 'list_notes', 'read_file', 'read_note']);
      expect(await names(a)).toEqual([
        'admin_stats',
        'echo',
        'list_notes',
        'read_file',
        'read_note',
        'write_note',
      ]);

      expect((await r.client.listResources()).resources.map((x) => x.uri)).toEqual([
        'file:///public/readme.txt',
      ]);
      expect((await a.client.listResources()).resources.map((x) => x.uri).sort()).toEqual([
        'file:///private/plan.txt',
        'file:///public/readme.txt',
      ]);
      expect((await r.client.listResourceTemplates()).resourceTemplates.map((x) => x.uriTemplate)).toEqual([
        'file:///public/{name}',
      ]);

      await expect(r.client.callTool({ name: 'admin_stats', arguments: {} })).rejects.toMatchObject({
        code: -32003,
        message: expect.stringContaining('Access denied: tools:call on "admin_stats"'),
      });
      expect(await a.client.callTool({ name: 'admin_stats', arguments: {} })).toMatchObject({
        content: [{ text: '42 requests' }],
      });
      expect(
        await r.client.callTool({ name: 'read_file', arguments: { path: 'public/readme.txt' } }),
      ).toMatchObject({ content: [{ text: 'contents of public/readme.txt' }] });
      await expect(
        r.client.callTool({ name: 'read_file', arguments: { path: 'public/../private/plan.txt' } }),
      ).rejects.toMatchObject({ code: -32003 });

      expect(await r.client.readResource({ uri: 'file:///public/readme.txt' })).toMatchObject({
        contents: [{ text: 'public' }],
      });
      await expect(r.client.readResource({ uri: 'file:///private/plan.txt' })).rejects.toMatchObject({
        code: -32003,
      });
      await expect(
        r.client.readResource({ uri: 'file:///public/%2e%2e/private/plan.txt' }),
      ).rejects.toMatchObject({ code: -32003 });
      await expect(
        r.client.readResource({ uri: 'file:///public/..%2fprivate/plan.txt' }),
      ).rejects.toMatchObject({ code: -32003 });
      expect(await a.client.readResource({ uri: 'file:///private/plan.txt' })).toMatchObject({
        contents: [{ text: 'secret plan' }],
      });

      const denied = r.events.events.filter(
        (e: SecurityEvent) => e.type === 'access.denied' && e.plugin === 'acl',
      );
      expect(denied.length).toBeGreaterThanOrEqual(4);
      expect(denied.find((e) => e.target === 'file:///public/..%2fprivate/plan.txt')?.details).toMatchObject({
        decision: 'invalid-target',
        detail: 'encoded "/" is ambiguous',
      });
      expect(denied.find((e) => e.target === 'file:///private/plan.txt')?.details).toMatchObject({
        decision: 'no-matching-rule',
      });
    } finally {
      await r.close();
      await a.close();
    }
  });

  it('over Streamable HTTP, two keys see different tools/list results', async () => {
    const server = await startTestHttpServer({
      plugins: [
        testAuth({ 'key-reader': reader, 'key-admin': admin }),
        acl({ policyFile: referencePolicy, watch: false }),
      ],
      createServer: demoServer,
      sessions: 'stateless',
    });
    try {
      const readerClient = await connectHttpClient(server.url, {
        headers: { authorization: 'Bearer key-reader' },
      });
      const adminClient = await connectHttpClient(server.url, {
        headers: { authorization: 'Bearer key-admin' },
      });
      expect((await readerClient.listTools()).tools.map((t) => t.name)).not.toContain('admin_stats');
      expect((await adminClient.listTools()).tools.map((t) => t.name)).toContain('admin_stats');
      await expect(
        readerClient.callTool({ name: 'write_note', arguments: { name: 'n', body: 'b' } }),
      ).rejects.toMatchObject({ code: -32003 });
      expect(
        await adminClient.callTool({ name: 'write_note', arguments: { name: 'n', body: 'b' } }),
      ).toMatchObject({ content: [{ text: 'saved n' }] });
      await readerClient.close();
      await adminClient.close();
    } finally {
      await server.close();
    }
  });

  it('list actions can be denied outright', async () => {
    const policy: AclPolicyDocument = {
      version: 1,
      rules: [{ effect: 'allow', subjects: '*', actions: 'tools:call', targets: '*' }],
    };
    const kit = await connectTestClient({
      plugins: [testAuth(), acl({ policy })],
      createServer: demoServer,
      principal: fakePrincipal(),
    });
    try {
      await expect(kit.client.listTools()).rejects.toMatchObject({
        code: -32003,
        message: expect.stringContaining('tools:list'),
      });
      expect(await kit.client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toMatchObject({
        content: [{ text: 'hi' }],
      });
    } finally {
      await kit.close();
    }
  });
});

describe('hot reload through the plugin', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-acl-plugin-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('emits policy.loaded on a good change and policy.rejected (keeping the old policy) on a broken one', async () => {
    const file = join(dir, 'policy.yaml');
    await copyFile(referencePolicy, file);
    const plugin = acl({ policyFile: file, debounceMs: 10 });
    const warden = await createWarden({ plugins: [testAuth(), plugin] });
    const events: SecurityEvent[] = [];
    const waitFor = (type: string) =>
      new Promise<SecurityEvent>((resolve) => {
        const off = warden.events.on((e) => {
          if (e.type === type) {
            off();
            resolve(e);
          }
        });
      });
    warden.events.on((e) => events.push(e));
    try {
      expect(plugin.explain(reader, 'tools:call', 'write_note').allowed).toBe(false);

      const loaded = waitFor('policy.loaded');
      await writeFile(
        file,
        'version: 1\nrules:\n  - {effect: allow, subjects: [role:reader], actions: [tools:call], targets: [write_note]}\nroles: {reader: {}}\n',
      );
      expect((await loaded).details).toMatchObject({ rules: 1 });
      expect(plugin.explain(reader, 'tools:call', 'write_note').allowed).toBe(true);

      const rejected = waitFor('policy.rejected');
      await writeFile(
        file,
        'version: 1\nrules:\n  - {effect: alow, subjects: [role:reader], actions: [tools:call]}\n',
      );
      const event = await rejected;
      expect(event).toMatchObject({
        plugin: 'acl',
        severity: 'error',
        details: { issues: [expect.objectContaining({ line: 3, path: ['rules', 0, 'effect'] })] },
      });
      expect(plugin.explain(reader, 'tools:call', 'write_note').allowed).toBe(true);
    } finally {
      await warden.close();
    }
  });
});
