import { ConfigError, createWarden, InsufficientScopeError, type RequestContext } from '@mcp-warden/core';
import { fakePrincipal, pluginSetupContext, runPluginContractTests } from '@mcp-warden/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type OAuthOptions, oauth } from './plugin.js';
import { createTestKey, type TestKey } from './testing/keys.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const ISSUER = 'https://as.example.com';
let key: TestKey;

beforeAll(async () => {
  key = await createTestKey('ES256');
});

function options(extra: Partial<OAuthOptions> = {}): OAuthOptions {
  return { resource: RESOURCE, issuer: ISSUER, keys: [key.publicJwk], ...extra };
}

function request(partial: Partial<RequestContext>): RequestContext {
  return {
    method: 'tools/call',
    target: undefined,
    principal: fakePrincipal(),
    ...partial,
  } as RequestContext;
}

describe('oauth plugin: metadata, challenge, scopes', () => {
  it('serves RFC 9728 metadata at the path-inserted and root well-known URIs', async () => {
    const plugin = oauth(
      options({ scopesSupported: ['notes:read'], authorizationServers: [ISSUER], resourceName: 'Notes' }),
    );
    await plugin.setup(pluginSetupContext());
    expect(plugin.routes.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /.well-known/oauth-protected-resource/mcp',
      'GET /.well-known/oauth-protected-resource',
    ]);
    const response = await plugin.routes[0]?.handle({ transport: 'http', headers: {} });
    expect(response?.status).toBe(200);
    expect(response?.body).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      scopes_supported: ['notes:read'],
      bearer_methods_supported: ['header'],
      resource_name: 'Notes',
    });
  });

  it('challenges with resource_metadata and the globally required scopes', async () => {
    const plugin = oauth(options({ requiredScopes: ['mcp:use', 'notes:read'] }));
    await plugin.setup(pluginSetupContext());
    expect(plugin.challenge({ transport: 'http', headers: {} })).toEqual({
      scheme: 'Bearer',
      params: {
        resource_metadata: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
        scope: 'mcp:use notes:read',
      },
    });
    const bare = oauth(options());
    await bare.setup(pluginSetupContext());
    expect(bare.challenge({ transport: 'http', headers: {} })?.params).toEqual({
      resource_metadata: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    });
  });

  it('takes the resource from the warden when not given, and serves one route for an origin resource', async () => {
    const plugin = oauth({ issuer: ISSUER, keys: [key.publicJwk] });
    expect(plugin.routes).toEqual([]);
    await plugin.setup(pluginSetupContext(new URL('https://api.example.com')));
    expect(plugin.routes.map((r) => r.path)).toEqual(['/.well-known/oauth-protected-resource']);
    expect(plugin.challenge({ transport: 'http', headers: {} })?.params.resource_metadata).toBe(
      'https://api.example.com/.well-known/oauth-protected-resource',
    );
  });

  it('refuses with every scope the operation needs, honouring globs and the hierarchy', async () => {
    const plugin = oauth(
      options({
        requiredScopes: ['mcp'],
        methods: { 'tools/list': ['tools:list'] },
        tools: { 'notes_*': ['notes:read'], notes_delete: ['notes:write'] },
        prompts: { summarize: ['prompts:use'] },
        resources: { 'file:///private/**': ['files:private'] },
        scopeHierarchy: { implies: { 'notes:write': ['notes:read'] }, prefixSeparator: ':' },
      }),
    );
    await plugin.setup(pluginSetupContext());
    const who = (scopes: string[]) => fakePrincipal({ scopes, authenticatedBy: 'oauth', kind: 'oauth' });
    const call = (scopes: string[], partial: Partial<RequestContext>) => () =>
      plugin.beforeRequest(request({ principal: who(scopes), ...partial }));

    const deleteNote: Partial<RequestContext> = { target: { type: 'tool', name: 'notes_delete' } };
    let error: unknown;
    try {
      call(['mcp', 'notes:read'], deleteNote)();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InsufficientScopeError);
    expect((error as InsufficientScopeError).requiredScopes).toEqual(['mcp', 'notes:read', 'notes:write']);
    expect((error as InsufficientScopeError).httpStatus).toBe(403);
    expect((error as InsufficientScopeError).reason).toContain('missing scope(s) notes:write');
    // notes:write implies notes:read.
    expect(call(['mcp', 'notes:write'], deleteNote)).not.toThrow();
    // Prefix rule: "notes" covers notes:read and notes:write.
    expect(call(['mcp', 'notes'], deleteNote)).not.toThrow();
    expect(call(['mcp'], { method: 'tools/list' })).toThrow(InsufficientScopeError);
    expect(call(['mcp', 'tools:list'], { method: 'tools/list' })).not.toThrow();
    expect(call(['mcp'], { method: 'prompts/get', target: { type: 'prompt', name: 'summarize' } })).toThrow(
      InsufficientScopeError,
    );
    expect(
      call(['mcp'], { method: 'resources/read', target: { type: 'resource', uri: 'file:///private/a.txt' } }),
    ).toThrow(InsufficientScopeError);
    expect(
      call(['mcp'], { method: 'resources/read', target: { type: 'resource', uri: 'file:///public/a.txt' } }),
    ).not.toThrow();
    expect(call([], { method: 'ping' })).toThrow(InsufficientScopeError);
  });

  it('leaves bearer tokens with an ignored prefix to other authenticators', async () => {
    const plugin = oauth(options({ ignoreTokenPrefixes: ['mcpw_'] }));
    await plugin.setup(pluginSetupContext());
    const ctx = { services: pluginSetupContext().services, emit() {} };
    await expect(
      plugin.authenticate({ transport: 'http', headers: { authorization: 'Bearer mcpw_abc123' } }, ctx),
    ).resolves.toBeUndefined();
    await expect(
      plugin.authenticate({ transport: 'http', headers: { authorization: 'Bearer other' } }, ctx),
    ).rejects.toMatchObject({
      httpStatus: 401,
      oauthError: 'invalid_token',
      code: 'OAUTH_UNSUPPORTED_TOKEN',
    });
  });

  it('leaves principals of other authenticators alone', async () => {
    const plugin = oauth(options({ requiredScopes: ['mcp'] }));
    await plugin.setup(pluginSetupContext());
    expect(() =>
      plugin.beforeRequest(request({ principal: fakePrincipal({ authenticatedBy: 'apikey-auth' }) })),
    ).not.toThrow();
  });

  it('reports bad options as a ConfigError when oauth() is called; a missing resource at setup', async () => {
    expect(() => oauth({ resource: 'not a url', issuer: ISSUER, keys: [key.publicJwk] })).toThrow(
      ConfigError,
    );
    await expect(
      createWarden({ plugins: [oauth({ issuer: ISSUER, keys: [key.publicJwk] })] }),
    ).rejects.toThrow(/needs "resource"/);
    expect(() => oauth(options({ tools: { x: ['bad scope'] } }))).toThrow(
      /^oauth: invalid options \(1 problem\):\n {2}✖ tools\.x\[0\]: a scope must be/,
    );
    expect(() => oauth({ resource: RESOURCE, keys: [key.publicJwk] })).toThrow(/issuer is required/);
    expect(() =>
      oauth(options({ scopeHierarchy: { implies: { 'mcp:read': ['mcp'] }, prefixSeparator: ':' } })),
    ).toThrow(/scopeHierarchy has a cycle: "mcp:read" → "mcp" → "mcp:read"/);
  });
});

runPluginContractTests({
  name: 'oauth',
  create: (mode) => oauth(options({ mode, tools: { contract_admin: ['admin'] } })),
  invalidOptions: [
    () => oauth(options({ algorithms: ['HS256' as never] })),
    () => oauth(options({ jwksUri: 'http://as.example.com/jwks', keys: undefined })),
    () =>
      oauth({
        resource: RESOURCE,
        introspection: { endpoint: 'ftp://x', clientId: 'a', clientSecret: 'contract-secret-value' },
      }),
  ],
  refusal: {
    kind: 'request',
    method: 'tools/call',
    params: { name: 'contract_admin', arguments: {} },
    principal: fakePrincipal({ kind: 'oauth', authenticatedBy: 'oauth', scopes: ['notes:read'] }),
  },
  secrets: ['contract-secret-value'],
});
