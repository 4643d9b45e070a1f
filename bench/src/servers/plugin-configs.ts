// The plugin configurations the HTTP benchmarks compare (one function per configuration, fresh plugins each call),
// shared by the SDK 1.x server (plugin-http-server.ts) and the SDK v2 server (v2-http-server.ts), with the
// credential each one needs and whether it lets anonymous callers in.
import { randomBytes } from 'node:crypto';
import { acl } from '../../../packages/acl/src/index.ts';
import { ApiKeyManager, apiKeyAuth, MemoryApiKeyStore } from '../../../packages/apikey-auth/src/index.ts';
import type { WardenPlugin } from '../../../packages/core/src/index.ts';
import { oauth } from '../../../packages/oauth/src/index.ts';
import { exportJWK, generateKeyPair, SignJWT } from '../../../packages/oauth/src/testing/bench-support.ts';
import { rateLimit } from '../../../packages/ratelimit/src/index.ts';
import { sanitize } from '../../../packages/sanitize/src/index.ts';
import { validation } from '../../../packages/validation/src/index.ts';

const manager = new ApiKeyManager({
  store: new MemoryApiKeyStore(),
  peppers: [{ id: 'p1', secret: randomBytes(32) }],
});
const issued = await manager.create({ name: 'bench', roles: ['user'] });
const auth = () => apiKeyAuth({ manager });
const policy = () =>
  acl({
    policy: {
      version: 1,
      roles: { user: {} },
      rules: [
        {
          id: 'users-echo',
          effect: 'allow',
          subjects: ['role:user'],
          actions: ['tools:call'],
          targets: ['echo'],
        },
      ],
    },
  });
// OAuth: an ES256 access token for this resource from a static key (what a JWKS would serve).
const RESOURCE = 'http://127.0.0.1/mcp';
const ISSUER = 'https://as.example.com';
const signing = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(signing.publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
const accessToken = await new SignJWT({ sub: 'bench-user', client_id: 'bench', scope: 'notes:read' })
  .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'at+jwt' })
  .setIssuer(ISSUER)
  .setAudience(RESOURCE)
  .setIssuedAt()
  .setExpirationTime('2h')
  .sign(signing.privateKey);
const bearer = (tokenCache: boolean) =>
  oauth({
    resource: RESOURCE,
    issuer: ISSUER,
    keys: [jwk as typeof jwk & { kty: string }],
    ...(tokenCache ? {} : { tokenCache: false as const }),
  });

const generous = () =>
  rateLimit({ rules: [{ name: 'bench', key: ['identity'], points: 1_000_000_000, duration: 60 }] });

export const configurations: Record<string, () => WardenPlugin[]> = {
  empty: () => [],
  apikey: () => [auth()],
  oauth: () => [bearer(true)],
  'oauth, cache off': () => [bearer(false)],
  'apikey+acl': () => [auth(), policy()],
  validation: () => [
    validation({
      tools: {
        echo: {
          schema: {
            type: 'object',
            properties: { text: { type: 'string', maxLength: 1000 } },
            required: ['text'],
          },
        },
      },
    }),
  ],
  sanitize: () => [sanitize()],
  ratelimit: () => [generous()],
  all: () => [generous(), auth(), policy(), validation({}), sanitize()],
};

/** Configurations without an authentication plugin serve anonymous callers (as the empty pipeline does). */
export function allowsAnonymous(mode: string): boolean {
  return mode === 'empty' || mode === 'validation' || mode === 'sanitize' || mode === 'ratelimit';
}

/** The request headers a configuration's credential goes in (none for the anonymous ones). */
export function credentialHeaders(mode: string): Record<string, string> {
  const credential = mode.startsWith('oauth')
    ? accessToken
    : mode.includes('apikey') || mode === 'all'
      ? issued.key
      : undefined;
  return credential === undefined ? {} : { authorization: `Bearer ${credential}` };
}
