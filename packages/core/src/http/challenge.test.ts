import {
  extractResourceMetadataUrl,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { type AuthChallenge, AuthenticationError } from '../errors.js';
import type { WardenPlugin } from '../plugin.js';
import { startTestHttpServer } from '../testing/index.js';
import { formatChallenge, mergeChallenges, withBearerError } from './challenge.js';

/** Issue 13 item 10: challenges of one scheme are merged, so clients that read the first one see everything. */
const METADATA = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
const apiKeys: AuthChallenge = { scheme: 'Bearer', params: { realm: 'mcp-warden' } };
const oauth: AuthChallenge = {
  scheme: 'Bearer',
  params: { resource_metadata: METADATA, scope: 'notes:read' },
};

/** The header the edge sends: exactly what edge.ts does with the pipeline's challenges. */
function header(challenges: AuthChallenge[], extra: Record<string, string>): string {
  return withBearerError(challenges, extra).map(formatChallenge).join(', ');
}

/** The SDK client's own parsers, fed the header as a fetch Response. */
function sdkParse(value: string) {
  const response = new Response(null, { status: 401, headers: { 'WWW-Authenticate': value } });
  return { params: extractWWWAuthenticateParams(response), url: extractResourceMetadataUrl(response) };
}

const refusals: [string, Record<string, string>][] = [
  ['no credential', {}],
  ['invalid_token', { error: 'invalid_token' }],
  ['invalid_request', { error: 'invalid_request' }],
  [
    'insufficient_scope',
    { error: 'insufficient_scope', scope: 'notes:read', error_description: 'needs more scope' },
  ],
];

describe('one Bearer challenge per 401/403', () => {
  it.each(
    refusals.flatMap(([name, extra]) => [
      [name, 'api keys first', [apiKeys, oauth], extra] as const,
      [name, 'oauth first', [oauth, apiKeys], extra] as const,
    ]),
  )('%s, %s: the SDK parser finds resource_metadata, scope and error', (_name, _order, challenges, extra) => {
    const value = header([...challenges], extra);
    expect(value.match(/bearer/gi)).toHaveLength(1);
    const { params, url } = sdkParse(value);
    expect(url?.href).toBe(METADATA);
    expect(params.resourceMetadataUrl?.href).toBe(METADATA);
    expect(params.scope).toBe('notes:read');
    expect(params.error).toBe(extra.error);
    expect(value).toContain('realm="mcp-warden"');
  });

  it('the old two-challenge header hid resource_metadata from the first-challenge reading (the regression)', () => {
    // What the edge sent before: the SDK still finds it by regex, but a first-challenge-only parser does not.
    const old = `${formatChallenge(apiKeys)}, ${formatChallenge(oauth)}`;
    const first = old.split(/,\s*(?=Bearer\s)/i)[0] ?? '';
    expect(first).not.toContain('resource_metadata');
    const merged = header([apiKeys, oauth], { error: 'invalid_token' });
    expect(merged.split(/,\s*(?=Bearer\s)/i)).toHaveLength(1);
  });

  const scopeToken = fc.stringMatching(/^[a-z][a-z0-9:._-]{0,11}$/);
  const bearerScheme = fc.constantFrom('Bearer', 'bearer', 'BEARER');
  const otherChallenge = fc.record({
    scheme: fc.constantFrom('Basic', 'DPoP'),
    params: fc.record({ realm: fc.constantFrom('a', 'b') }, { requiredKeys: [] }),
  });
  const bearerChallenge = fc.record({
    scheme: bearerScheme,
    params: fc.record(
      {
        realm: fc.constantFrom('mcp-warden', 'other'),
        scope: fc.array(scopeToken, { maxLength: 4 }).map((s) => s.join(' ')),
        error_uri: fc.constant('https://docs.example/errors'),
      },
      { requiredKeys: [] },
    ),
  });

  it('property: any mix of authenticators gives one challenge per scheme, Bearer first, with every scope', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(bearerChallenge, otherChallenge), { maxLength: 6 }),
        fc.nat(),
        fc.constantFrom(...refusals),
        (others, at, [, extra]) => {
          const challenges: AuthChallenge[] = [...others];
          challenges.splice(at % (challenges.length + 1), 0, oauth);
          const result = withBearerError(challenges, extra);
          const schemes = result.map((c) => c.scheme.toLowerCase());
          expect(new Set(schemes).size).toBe(schemes.length);
          expect(schemes[0]).toBe('bearer');

          const { params } = sdkParse(result.map(formatChallenge).join(', '));
          expect(params.resourceMetadataUrl?.href).toBe(METADATA);
          const expected = new Set(
            extra.scope !== undefined
              ? extra.scope.split(' ')
              : challenges
                  .filter((c) => c.scheme.toLowerCase() === 'bearer')
                  .flatMap((c) => (c.params.scope ?? '').split(' ').filter(Boolean)),
          );
          expect(new Set((params.scope ?? '').split(' ').filter(Boolean))).toEqual(expected);
          expect(params.error).toBe(extra.error);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('merges parameter names case-insensitively and keeps the first value of a repeated one', () => {
    const merged = mergeChallenges([
      { scheme: 'Bearer', params: { Realm: 'first', Scope: 'a b' } },
      { scheme: 'bearer', params: { realm: 'second', scope: 'b c', resource_metadata: METADATA } },
      { scheme: 'Basic', params: { realm: 'basic' } },
    ]);
    expect(merged).toEqual([
      { scheme: 'Bearer', params: { Realm: 'first', Scope: 'a b c', resource_metadata: METADATA } },
      { scheme: 'Basic', params: { realm: 'basic' } },
    ]);
    const withError = withBearerError(merged, { scope: 'x', error: 'insufficient_scope' });
    expect(formatChallenge(withError[0]!)).toBe(
      `Bearer Realm="first", resource_metadata="${METADATA}", scope="x", error="insufficient_scope"`,
    );
  });
});

/** An authenticator with a realm-only Bearer challenge, as the API-key plugin has. */
function realmAuth(): WardenPlugin {
  return {
    specVersion: 1,
    name: 'realm-auth',
    authenticate(request) {
      const value = request.headers['x-test-key'];
      if (value === undefined) return undefined;
      throw new AuthenticationError({ oauthError: 'invalid_token', reason: 'unknown test key' });
    },
    challenge: () => ({ scheme: 'Bearer', params: { realm: 'mcp-warden' } }),
  };
}

describe('through the real HTTP edge', () => {
  it('sends one merged Bearer challenge that the SDK parser reads, with two Bearer authenticators', async () => {
    const srv = await startTestHttpServer({
      plugins: [realmAuth(), tokenAuth()],
      createServer: () => new McpServer({ name: 'challenge-test', version: '1.0.0' }),
      sessions: 'stateless',
      handlerOptions: { responseMode: 'json' },
    });
    try {
      const post = (headers: Record<string, string>) =>
        fetch(srv.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...headers,
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
      const variants: Record<string, string>[] = [
        {},
        { 'x-test-key': 'nope' },
        { authorization: 'Bearer bad' },
      ];
      for (const headers of variants) {
        const response = await post(headers);
        expect(response.status).toBe(401);
        const value = response.headers.get('www-authenticate') ?? '';
        expect(value.match(/bearer/gi)).toHaveLength(1);
        expect(value).toContain('realm="mcp-warden"');
        const params = extractWWWAuthenticateParams(response);
        expect(params.resourceMetadataUrl?.href).toBe(
          'http://127.0.0.1/.well-known/oauth-protected-resource/mcp',
        );
        expect(params.error).toBe(Object.keys(headers).length === 0 ? undefined : 'invalid_token');
        await response.text();
      }
    } finally {
      await srv.close();
    }
  });
});
