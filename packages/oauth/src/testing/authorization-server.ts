import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration, errors } from 'oidc-provider';

/**
 * A real OAuth 2.1 / OpenID authorization server for tests: `oidc-provider` on 127.0.0.1 (free port) with dynamic
 * client registration, PKCE (S256, required), resource indicators (RFC 8707) issuing ES256 JWT access tokens
 * whose `aud` is the resource, client credentials, introspection and revocation. Login and consent are automated:
 * `authorize(url)` follows the redirects with a cookie jar, and the interaction endpoint logs in `accountId` and
 * grants whatever the authorization request asks for, through oidc-provider's own interaction API.
 */
export interface TestAuthorizationServer {
  issuer: string;
  jwksUri: string;
  introspectionEndpoint: string;
  /** Client id and secret of a confidential client allowed to introspect and to mint client-credentials tokens. */
  serviceClient: { clientId: string; clientSecret: string };
  provider: Provider;
  /** Adds a resource indicator the server accepts (e.g. once the MCP server's port is known). */
  allowResource(resource: string): void;
  /** A JWT access token for `resource` with `scope`, through the client-credentials grant. */
  mintToken(options: { resource: string; scope: string }): Promise<string>;
  /** An opaque access token for `resource` (introspection only). */
  mintOpaqueToken(options: { resource: string; scope: string }): Promise<string>;
  /** Follows an authorization URL through login and consent to the redirect; returns the `code` (and `iss`). */
  authorize(url: URL | string): Promise<{ code: string; iss: string | null; redirect: URL }>;
  /** Number of interactions (login/consent screens) completed: a step-up shows up as a new consent. */
  readonly interactions: number;
  close(): Promise<void>;
}

export async function startAuthorizationServer(options: {
  scopes: string[];
  accountId?: string;
  opaqueResources?: string[];
}): Promise<TestAuthorizationServer> {
  const accountId = options.accountId ?? 'alice';
  const resources = new Set<string>();
  const opaque = new Set(options.opaqueResources ?? []);
  const serviceClient = { clientId: 'mcp-resource-server', clientSecret: 'service-client-secret-for-tests' };
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'as-es256-1', alg: 'ES256', use: 'sig' };

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let interactions = 0;

  const configuration: Configuration = {
    clients: [
      {
        client_id: serviceClient.clientId,
        client_secret: serviceClient.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: options.scopes.join(' '),
      },
    ],
    jwks: { keys: [signingKey] as never },
    clientDefaults: {
      id_token_signed_response_alg: 'ES256',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    scopes: ['openid', 'offline_access', ...options.scopes],
    pkce: { required: () => true },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: 300,
      ClientCredentials: 300,
      AuthorizationCode: 60,
      Grant: 3600,
      Interaction: 600,
      Session: 3600,
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) =>
          oneOf && oneOf.length > 0 ? oneOf : ([...resources][0] ?? ''),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (!resources.has(resourceIndicator)) throw new errors.InvalidTarget();
          return {
            scope: options.scopes.join(' '),
            audience: resourceIndicator,
            accessTokenTTL: 300,
            ...(opaque.has(resourceIndicator)
              ? { accessTokenFormat: 'opaque' }
              : { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
          };
        },
      },
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    interactions++;
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const prompt = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) as InstanceType<typeof provider.Grant>)
      : new provider.Grant({
          accountId: details.session?.accountId ?? accountId,
          clientId: String(details.params.client_id),
        });
    if (prompt.missingOIDCScope) grant.addOIDCScope(prompt.missingOIDCScope.join(' '));
    if (prompt.missingOIDCClaims) grant.addOIDCClaims(prompt.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    await provider.interactionFinished(
      req,
      res,
      { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true },
    );
  }

  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
      return;
    }
    if (req.method === 'POST' && req.url === '/reg') {
      registration(req, res).catch((error: unknown) => {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
      });
      return;
    }
    callback(req, res);
  });

  // The MCP SDK registers its client with the scope of the first challenge; oidc-provider would then refuse any
  // later step-up beyond it. Like authorization servers that let the user consent to any of a resource's scopes,
  // this one drops `scope` from registrations (consent still grants only what each authorization asks for).
  async function registration(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    delete body.scope;
    (req as IncomingMessage & { body?: unknown }).body = body;
    callback(req, res);
  }

  async function clientCredentials(resource: string, scope: string): Promise<string> {
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${serviceClient.clientId}:${serviceClient.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }).toString(),
    });
    const body = (await response.json()) as {
      access_token?: string;
      error?: string;
      error_description?: string;
    };
    if (!body.access_token) throw new Error(`token request failed: ${body.error}: ${body.error_description}`);
    return body.access_token;
  }

  async function authorize(
    start: URL | string,
  ): Promise<{ code: string; iss: string | null; redirect: URL }> {
    const jar = cookieJar;
    let url = new URL(start);
    for (let hop = 0; hop < 20; hop++) {
      if (url.origin !== issuer) {
        const code = url.searchParams.get('code');
        if (!code)
          throw new Error(
            `authorization ended without a code: ${url.searchParams.get('error')}: ${url.searchParams.get('error_description')}`,
          );
        return { code, iss: url.searchParams.get('iss'), redirect: url };
      }
      const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url) } });
      jar.store(url, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        throw new Error(
          `authorization stopped at ${url.pathname} with HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`,
        );
      }
      await response.body?.cancel();
      url = new URL(location, url);
    }
    throw new Error('too many redirects during authorization');
  }

  // One browser, as it were: the session cookie survives between authorizations, so a step-up needs consent only.
  const cookieJar = new CookieJar();

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    serviceClient,
    provider,
    allowResource: (resource) => void resources.add(resource),
    mintToken: ({ resource, scope }) => clientCredentials(resource, scope),
    mintOpaqueToken: ({ resource, scope }) => {
      opaque.add(resource);
      return clientCredentials(resource, scope);
    },
    authorize,
    get interactions() {
      return interactions;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Just enough of a cookie jar for one origin: name=value pairs, path ignored, no expiry handling. */
class CookieJar {
  readonly #cookies = new Map<string, string>();
  store(_url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(_url: URL): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}
