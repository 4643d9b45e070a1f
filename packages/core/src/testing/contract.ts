import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CORE_ERROR_CODES, WardenError } from '../errors.js';
import type { EdgeRequest, PluginMode, WardenPlugin } from '../plugin.js';
import type { Principal } from '../principal.js';
import { createWarden } from '../warden.js';
import { contextTests } from './contract-context.js';
import { connectTestClient, fakePrincipal } from './kit.js';

/** A refusal the plugin under test makes in enforce mode. */
export type ContractRefusal =
  | {
      kind: 'request';
      /** JSON-RPC method, e.g. `tools/call`. */
      method: string;
      params: Record<string, unknown>;
      principal?: Principal;
      /**
       * Requests sent first on the same session, whatever they answer: what makes the refusal happen (a rate
       * limit's earlier calls, the list a pin was taken from, …).
       */
      prelude?: Array<{ method: string; params?: Record<string, unknown> }>;
    }
  | { kind: 'authenticate'; request: EdgeRequest };

export interface PluginContractOptions {
  /** The plugin's name, as it reports it. */
  name: string;
  /** Builds the plugin under test in the given mode. */
  create: (mode: PluginMode) => WardenPlugin | Promise<WardenPlugin>;
  /** Plugins it needs beside it (e.g. an authenticator for an ACL). */
  companions?: () => WardenPlugin[];
  /** Factories with bad options: each must throw a `ConfigError` (at the call or at `createWarden`). */
  invalidOptions?: Array<() => WardenPlugin | Promise<WardenPlugin>>;
  /**
   * A request the plugin refuses in enforce mode (and lets pass in audit mode). Plugins that never refuse (e.g.
   * one that only provides a service) leave it out, and the refusal checks do not apply to them.
   */
  refusal?: ContractRefusal;
  /** Strings that must never appear in an error message or a security event (keys, tokens, offending values). */
  secrets?: string[];
  /** The server requests are sent to. @default a server with tools `contract_echo` and `contract_admin`, a prompt and a resource */
  createServer?: () => McpServer;
}

/** The server the contract suite talks to unless a plugin brings its own. */
export function contractServer(): McpServer {
  const server = new McpServer(
    { name: 'mcp-warden-contract', version: '1.0.0' },
    { capabilities: { logging: {} } },
  );
  // A server's own message during a call: what `onServerMessage` sees.
  server.registerTool('contract_notify', { description: 'Logs a line, then answers' }, async (extra) => {
    await extra.sendNotification({
      method: 'notifications/message',
      params: { level: 'info', data: 'contract log line' },
    });
    return { content: [{ type: 'text', text: 'notified' }] };
  });
  server.registerTool(
    'contract_echo',
    { description: 'Echoes its text', inputSchema: { text: z.string() } },
    async ({ text }) => ({
      content: [{ type: 'text', text }],
    }),
  );
  server.registerTool('contract_admin', { description: 'An admin-only tool' }, async () => ({
    content: [{ type: 'text', text: 'admin' }],
  }));
  server.registerPrompt(
    'contract_prompt',
    { description: 'A prompt', argsSchema: { topic: z.string() } },
    ({ topic }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `About ${topic}` } }],
    }),
  );
  server.registerResource(
    'contract_resource',
    'file:///public/readme.txt',
    { mimeType: 'text/plain' },
    async (uri) => ({
      contents: [{ uri: uri.href, text: 'public text' }],
    }),
  );
  return server;
}

/** The plugin with its hooks crashing on the refusal's request (lifecycle requests still pass, so a client connects). */
function throwing(plugin: WardenPlugin, refusal: ContractRefusal): WardenPlugin {
  const boom = () => {
    throw new Error('contract: simulated plugin crash');
  };
  const method = refusal.kind === 'request' ? refusal.method : undefined;
  return {
    ...plugin,
    ...(plugin.admit ? { admit: boom } : {}),
    ...(plugin.authenticate ? { authenticate: boom } : {}),
    beforeRequest: (ctx) => {
      if (ctx.method === method) boom();
      return plugin.beforeRequest?.(ctx);
    },
  };
}

const crash = () => {
  throw new Error('contract: simulated plugin crash');
};

/**
 * Fail-closed for each response-direction hook the plugin has, on its own: the request hooks are taken away so
 * that the request surely reaches the server, then the hook crashes. Nothing the hook should have checked may
 * reach the client, and the crash is recorded.
 */
function hookFailClosedTests(
  options: PluginContractOptions,
  createServer: () => McpServer,
  companions: () => WardenPlugin[],
): void {
  const connect = async (plugin: WardenPlugin) =>
    connectTestClient({ plugins: [...companions(), plugin], createServer, principal: fakePrincipal() });
  const withoutRequestHooks = (plugin: WardenPlugin, hooks: Partial<WardenPlugin>): WardenPlugin =>
    Object.assign(
      {},
      plugin,
      {
        beforeRequest: undefined,
        afterResponse: undefined,
        filterListItem: undefined,
        onServerMessage: undefined,
      },
      hooks,
    );

  it('fails closed when afterResponse crashes: the client gets an error, not the result', async () => {
    const plugin = await options.create('enforce');
    if (!plugin.afterResponse) return;
    // Only on the call: the session's own initialize must still succeed for a client to connect.
    const kit = await connect(
      withoutRequestHooks(plugin, {
        afterResponse: (ctx) => {
          if (ctx.method === 'tools/call') crash();
        },
      }),
    );
    try {
      await expect(
        kit.client.callTool({ name: 'contract_echo', arguments: { text: 'unchecked result' } }),
      ).rejects.toThrow();
      expect(kit.events.events.some((e) => e.type === 'plugin.error' && e.plugin === plugin.name)).toBe(true);
    } finally {
      await kit.close();
    }
  });

  it('fails closed when filterListItem crashes: no entry it did not decide on is listed', async () => {
    const plugin = await options.create('enforce');
    if (!plugin.filterListItem) return;
    const kit = await connect(withoutRequestHooks(plugin, { filterListItem: crash }));
    try {
      const listed = await kit.client.listTools().then(
        (r) => r.tools,
        () => [],
      );
      expect(listed).toEqual([]);
      expect(kit.events.events.some((e) => e.type === 'plugin.error' && e.plugin === plugin.name)).toBe(true);
    } finally {
      await kit.close();
    }
  });

  it('fails closed when onServerMessage crashes: the message is withheld', async () => {
    const plugin = await options.create('enforce');
    if (!plugin.onServerMessage) return;
    const kit = await connect(withoutRequestHooks(plugin, { onServerMessage: crash }));
    try {
      const received: unknown[] = [];
      kit.client.fallbackNotificationHandler = async (n) => {
        received.push(n);
      };
      await kit.client.callTool({ name: 'contract_notify', arguments: {} });
      expect(received).toEqual([]);
      expect(kit.events.events.some((e) => e.type === 'plugin.error' && e.plugin === plugin.name)).toBe(true);
    } finally {
      await kit.close();
    }
  });
}

/**
 * The contract every MCP Warden plugin proves about itself: it registers cleanly, refuses bad options at setup,
 * fails closed when it crashes, lets requests pass (recording them) in audit mode, records its refusals as security
 * events, and never leaks a secret into an error or an event; and its hooks get what contract 1.2 promises (one
 * `connectionId` per connection, the list context of each page). Call it inside a vitest test file.
 */
export function runPluginContractTests(options: PluginContractOptions): void {
  const createServer = options.createServer ?? contractServer;
  const companions = options.companions ?? (() => []);

  async function attempt(plugin: WardenPlugin, refusal: ContractRefusal, allowAnonymous = false) {
    if (refusal.kind === 'authenticate') {
      const warden = await createWarden({ plugins: [...companions(), plugin], allowAnonymous });
      const events: unknown[] = [];
      warden.events.on((e) => events.push(e));
      try {
        const principal = await warden.pipeline.authenticate(refusal.request);
        return { ok: true as const, principal, error: undefined, events };
      } catch (error) {
        return { ok: false as const, principal: undefined, error, events };
      } finally {
        await warden.close();
      }
    }
    const kit = await connectTestClient({
      plugins: [...companions(), plugin],
      createServer,
      principal: refusal.principal ?? fakePrincipal(),
    });
    try {
      for (const earlier of refusal.prelude ?? [])
        await kit.client
          .request({ method: earlier.method, params: earlier.params ?? {} } as never, z.any())
          .catch(() => undefined);
      const result = await kit.client.request(
        { method: refusal.method, params: refusal.params } as never,
        z.any(),
      );
      return { ok: true as const, result, error: undefined, events: [...kit.events.events] };
    } catch (error) {
      return { ok: false as const, result: undefined, error, events: [...kit.events.events] };
    } finally {
      await kit.close();
    }
  }

  describe(`plugin contract: ${options.name}`, () => {
    it('satisfies the contract and registers in a warden', async () => {
      const plugin = await options.create('enforce');
      expect(plugin.specVersion).toBe(1);
      expect(plugin.name).toBe(options.name);
      const warden = await createWarden({ plugins: [...companions(), plugin] });
      await warden.close();
    });

    it('refuses bad options at setup with a ConfigError', async () => {
      for (const make of options.invalidOptions ?? []) {
        const outcome = await (async () => {
          try {
            const plugin = await make();
            await (await createWarden({ plugins: [...companions(), plugin] })).close();
            return undefined;
          } catch (error) {
            return error;
          }
        })();
        expect(WardenError.isInstance(outcome), `expected a ConfigError, got ${String(outcome)}`).toBe(true);
        expect((outcome as WardenError).code).toBe(CORE_ERROR_CODES.CONFIG_INVALID);
      }
    });

    hookFailClosedTests(options, createServer, companions);
    contextTests({ name: options.name, create: () => options.create('enforce'), companions, createServer });

    const refusal = options.refusal;
    if (!refusal) return;

    it('records its refusal as a security event (enforce mode)', async () => {
      const out = await attempt(await options.create('enforce'), refusal);
      expect(out.ok).toBe(false);
      const recorded = out.events.filter(
        (e) =>
          (e as { plugin?: string; outcome?: string }).plugin === options.name &&
          (e as { outcome?: string }).outcome === 'denied',
      );
      expect(recorded.length).toBeGreaterThan(0);
    });

    it('lets the request pass and records it in audit mode', async () => {
      const plugin = await options.create('audit');
      expect(plugin.mode).toBe('audit');
      const out = await attempt(plugin, refusal, true);
      expect(out.ok, `audit mode refused: ${String(out.error)}`).toBe(true);
      const audited = out.events.filter(
        (e) =>
          (e as { plugin?: string }).plugin === options.name &&
          (e as { outcome?: string }).outcome === 'audited',
      );
      expect(audited.length).toBeGreaterThan(0);
    });

    it('fails closed when it crashes', async () => {
      const out = await attempt(throwing(await options.create('enforce'), refusal), refusal);
      expect(out.ok).toBe(false);
      expect(out.events.some((e) => (e as { type?: string }).type === 'plugin.error')).toBe(true);
      expect(String((out.error as Error)?.message)).not.toContain('simulated plugin crash');
    });

    it('never puts a secret into an error or an event', async () => {
      const out = await attempt(await options.create('enforce'), refusal);
      // Only a refusal that happened proves anything about what refusals reveal.
      expect(out.ok).toBe(false);
      const visible = JSON.stringify({
        message: (out.error as Error)?.message,
        data: (out.error as { data?: unknown })?.data,
        events: out.events,
      });
      for (const secret of options.secrets ?? []) expect(visible).not.toContain(secret);
    });
  });
}
