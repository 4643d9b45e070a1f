import { ConfigError, createWarden } from '@mcp-warden/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type OAuthOptions, oauth } from './plugin.js';
import { createTestKey, type TestKey } from './testing/keys.js';

/**
 * MCP 2026-07-28, "Refresh Tokens": a protected resource SHOULD NOT advertise `offline_access` (scopes_supported,
 * WWW-Authenticate scope). The oauth plugin refuses it, in any case, wherever a scope can be configured: required
 * or advertised, it would either be advertised or send clients into a step-up that can never succeed.
 */

const RESOURCE = 'https://mcp.example.com/mcp';
let key: TestKey;
beforeAll(async () => {
  key = await createTestKey('ES256');
});

const variantArb = fc
  .array(fc.boolean(), { minLength: 14, maxLength: 14 })
  .map((upper) => [...'offline_access'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

/** Every option that holds scopes, with the variant placed in it, and the option path the error must name. */
const placements: [string, (v: string) => Partial<OAuthOptions>][] = [
  ['scopesSupported', (v) => ({ scopesSupported: ['mcp:read', v] })],
  ['requiredScopes', (v) => ({ requiredScopes: [v] })],
  ['methods', (v) => ({ methods: { 'tools/list': ['mcp:read', v] } })],
  ['tools', (v) => ({ tools: { 'notes_*': [v] } })],
  ['prompts', (v) => ({ prompts: { summarize: [v] } })],
  ['resources', (v) => ({ resources: { 'file:///private/*': [v] } })],
  ['scopeHierarchy.implies', (v) => ({ scopeHierarchy: { implies: { 'mcp:admin': [v] } } })],
  ['scopeHierarchy.implies', (v) => ({ scopeHierarchy: { implies: { [v]: ['mcp:read'] } } })],
];

describe('offline_access is refused in every scope option, in any case', () => {
  it.each(placements)('%s', async (path, place) => {
    await fc.assert(
      fc.asyncProperty(variantArb, async (variant) => {
        const options: OAuthOptions = {
          resource: RESOURCE,
          issuer: 'https://as.example.com',
          keys: [key.publicJwk],
          ...place(variant),
        };
        // In the factory, like every option problem, so the warden is never built with it.
        const refusal = (() => {
          try {
            oauth(options);
          } catch (error) {
            return error;
          }
          return undefined;
        })();
        expect(refusal).toBeInstanceOf(ConfigError);
        expect((refusal as ConfigError).message).toContain(path);
        expect((refusal as ConfigError).message).toContain('not a scope of this resource');
      }),
      { numRuns: 20 },
    );
  });

  it('keeps scopes that only look alike', async () => {
    for (const scope of ['offline_access:read', 'offline', 'mcp:offline_access', 'offline-access']) {
      const warden = await createWarden({
        plugins: [
          oauth({
            resource: RESOURCE,
            issuer: 'https://as.example.com',
            keys: [key.publicJwk],
            requiredScopes: [scope],
          }),
        ],
      });
      await warden.close();
    }
  });
});
