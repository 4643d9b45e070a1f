import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createWarden,
  getPrincipal,
  MemoryEventSink,
  type Warden,
  type WardenHttpHandler,
} from '@mcp-warden/core';
import { type OAuthClientProvider, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { oauth } from './plugin.js';
import { startAuthorizationServer, type TestAuthorizationServer } from './testing/authorization-server.js';

/**
 * End to end: a real authorization server (oidc-provider), MCP Warden's HTTP edge with the oauth plugin, and the
 * official SDK client's OAuth flow — discovery from WWW-Authenticate, RFC 9728 metadata, dynamic registration,
 * authorization code with PKCE and `resource`, token, retry — then step-up on 403 insufficient_scope.
 */

/** An SDK OAuth client provider that records the authorization URL instead of opening a browser. */
class RecordingProvider implements OAuthClientProvider {
  readonly redirectUrl = 'http://127.0.0.1:9/callback';
  authorizationUrl: URL | undefined;
  #client: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier = '';
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'mcp-warden e2e client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.#client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.#client = info;
  }
  tokens() {
    return this.#tokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.#tokens = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.#verifier = verifier;
  }
  codeVerifier() {
    return this.#verifier;
  }
}

function notesServer(): McpServer {
  const server = new McpServer({ name: 'notes', version: '1.0.0' });
  server.registerTool('list_notes', { description: 'Lists notes' }, async () => ({
    content: [{ type: 'text', text: 'note-1, note-2' }],
  }));
  server.registerTool(
    'delete_note',
    { description: 'Deletes a note', inputSchema: { id: z.string() } },
    async ({ id }) => ({
      content: [{ type: 'text', text: `deleted ${id}` }],
    }),
  );
  server.registerTool('whoami', { description: 'Who is calling' }, async (extra) => {
    const principal = getPrincipal(extra);
    const text = JSON.stringify({
      id: principal?.id,
      scopes: principal?.scopes,
      tokenLength: extra.authInfo?.token.length,
    });
    return { content: [{ type: 'text', text }] };
  });
  return server;
}

let as: TestAuthorizationServer;
let http: Server;
let warden: Warden;
let handler: WardenHttpHandler;
let mcpUrl: URL;
const events = new MemoryEventSink();

beforeAll(async () => {
  as = await startAuthorizationServer({ scopes: ['notes:read', 'notes:write'] });
  // Listen first so the canonical resource URI (with its port) is known before the plugin is built.
  http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  mcpUrl = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
  as.allowResource(mcpUrl.href);
  warden = await createWarden({
    plugins: [
      oauth({
        resource: mcpUrl.href,
        issuer: as.issuer,
        jwksUri: as.jwksUri,
        requireTyp: true,
        scopesSupported: ['notes:read'],
        requiredScopes: ['notes:read'],
        tools: { delete_note: ['notes:write'] },
        scopeHierarchy: { implies: { 'notes:write': ['notes:read'] } },
      }),
    ],
  });
  warden.events.addSink(events);
  handler = warden.httpHandler({ createServer: notesServer, sessions: 'stateful' });
  http.on('request', handler);
});

afterAll(async () => {
  await handler.close();
  await new Promise<void>((resolve) => {
    http.closeAllConnections();
    http.close(() => resolve());
  });
  await warden.close();
  await as.close();
});

describe('SDK client OAuth flow against oidc-provider', () => {
  it('answers 401 with the challenge and serves the metadata', async () => {
    const response = await fetch(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain(
      `resource_metadata="${mcpUrl.origin}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(challenge).toContain('scope="notes:read"');
    expect(challenge).not.toContain('error=');
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const metadata = await (await fetch(new URL(path, mcpUrl))).json();
      expect(metadata).toEqual({
        resource: mcpUrl.href,
        authorization_servers: [as.issuer],
        scopes_supported: ['notes:read'],
        bearer_methods_supported: ['header'],
      });
    }
    const bad = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('authorizes (registration, PKCE, resource), calls a tool, then steps up on 403 insufficient_scope', async () => {
    const provider = new RecordingProvider();
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    // Records the MCP endpoint's refusals as the client sees them.
    const refusals: { status: number; challenge: string | null }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).startsWith(mcpUrl.href) && response.status >= 400)
        refusals.push({ status: response.status, challenge: response.headers.get('www-authenticate') });
      return response;
    };

    // 1. No token: the transport discovers everything from the 401 and asks for a browser redirect.
    await expect(
      client.connect(
        new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider, fetch: recordingFetch }),
      ),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    const first = provider.authorizationUrl as URL;
    expect(first.origin).toBe(as.issuer);
    expect(first.searchParams.get('resource')).toBe(mcpUrl.href);
    expect(first.searchParams.get('code_challenge_method')).toBe('S256');
    expect(first.searchParams.get('scope')).toBe('notes:read');
    expect(provider.clientInformation()?.client_id).toBeTruthy();

    // 2. Login and consent (automated), then the code exchange.
    const { code } = await as.authorize(first);
    const transport = new StreamableHTTPClientTransport(mcpUrl, {
      authProvider: provider,
      fetch: recordingFetch,
    });
    await transport.finishAuth(code);
    await client.connect(transport);
    const list = await client.callTool({ name: 'list_notes', arguments: {} });
    expect(list.content).toEqual([{ type: 'text', text: 'note-1, note-2' }]);
    // The tool sees the principal, never the token (no token passthrough).
    const whoami = await client.callTool({ name: 'whoami', arguments: {} });
    expect(JSON.parse((whoami.content as { text: string }[])[0]?.text ?? '{}')).toEqual({
      id: 'alice',
      scopes: ['notes:read'],
      tokenLength: 0,
    });

    // 3. A tool needing notes:write: 403 insufficient_scope with every scope it needs → re-authorization.
    provider.authorizationUrl = undefined;
    const interactionsBefore = as.interactions;
    await expect(
      client.callTool({ name: 'delete_note', arguments: { id: 'note-1' } }),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    const stepUp = provider.authorizationUrl as URL | undefined;
    expect(stepUp).toBeDefined();
    expect(stepUp?.searchParams.get('scope')?.split(' ').sort()).toEqual(['notes:read', 'notes:write']);
    const forbidden = refusals.at(-1);
    expect(forbidden?.status).toBe(403);
    expect(forbidden?.challenge).toContain('error="insufficient_scope"');
    expect(forbidden?.challenge).toContain('scope="notes:read notes:write"');
    expect(forbidden?.challenge).toContain(
      `resource_metadata="${mcpUrl.origin}/.well-known/oauth-protected-resource/mcp"`,
    );
    const denied = events.events.find((e) => e.type === 'access.denied' && e.plugin === 'oauth');
    expect(denied?.reason).toContain('missing scope(s) notes:write');

    const second = await as.authorize(stepUp as URL);
    expect(as.interactions).toBeGreaterThan(interactionsBefore);
    await transport.finishAuth(second.code);
    expect(provider.tokens()?.scope?.split(' ').sort()).toEqual(['notes:read', 'notes:write']);
    const deleted = await client.callTool({ name: 'delete_note', arguments: { id: 'note-1' } });
    expect(deleted.content).toEqual([{ type: 'text', text: 'deleted note-1' }]);
    await client.close();
  });
});
