// The bench McpServer behind MCP Warden, one port per plugin configuration named on the command line, all in this
// one process (so every configuration runs on the same core placement and memory), stateless, JSON responses.
// Prints {"servers": [{"url", "headers"}, …]} (in argument order) once listening; "headers" carries the credential
// when the configuration needs one.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from '../../../apps/server/src/metrics.ts';
import { acl } from '../../../packages/acl/src/index.ts';
import { ApiKeyManager, apiKeyAuth, MemoryApiKeyStore } from '../../../packages/apikey-auth/src/index.ts';
import { auditTrail, jsonLinesSink, SqliteAuditStore } from '../../../packages/audit/src/index.ts';
import type { WardenPlugin } from '../../../packages/core/src/index.ts';
import { oauth } from '../../../packages/oauth/src/index.ts';
import { exportJWK, generateKeyPair, SignJWT } from '../../../packages/oauth/src/testing/bench-support.ts';
import { rateLimit } from '../../../packages/ratelimit/src/index.ts';
import { sanitize } from '../../../packages/sanitize/src/index.ts';
import { validation } from '../../../packages/validation/src/index.ts';
import { type Observing, serveWarden } from './core-http-server.ts';

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

const configurations: Record<string, () => WardenPlugin[]> = {
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
// Audit and metrics on the empty pipeline, as the reference server wires them: the audit trail into SQLite in the
// data directory (its default), or a JSON-lines file; Prometheus counters and a latency histogram fed by a request
// observer and by every security event.
const dataDir = mkdtempSync(join(tmpdir(), 'mcp-warden-bench-'));
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
// The benchmark stops this process with SIGTERM; exit normally so the audit files go too.
process.once('SIGTERM', () => process.exit(0));
const sqliteAudit = () =>
  auditTrail({
    sinks: [new SqliteAuditStore({ path: join(dataDir, `audit-${randomBytes(4).toString('hex')}.db`) })],
  });
const prometheus = (): Observing => {
  const metrics = createMetrics({ sessions: () => 0 });
  return { observers: [metrics.observer], onEvent: (event) => metrics.onEvent(event) };
};
const observed: Record<string, () => Observing> = {
  // The baseline again on its own port: the A/A control, how far two identical servers differ in this run.
  'empty (A/A control)': () => ({}),
  // Core's observation path alone (trace context, stage timings, the answer followed), with nothing recorded.
  'no-op observer': () => ({ observers: [{ name: 'no-op', start: () => ({ end: () => undefined }) }] }),
  'audit (SQLite)': () => ({ observers: [sqliteAudit()] }),
  'audit (JSON lines)': () => ({
    observers: [
      auditTrail({ sinks: [jsonLinesSink(join(dataDir, `audit-${randomBytes(4).toString('hex')}.jsonl`))] }),
    ],
  }),
  'metrics (Prometheus)': prometheus,
  'audit (SQLite) + metrics': () => {
    const metrics = prometheus();
    return { ...metrics, observers: [sqliteAudit(), ...(metrics.observers ?? [])] };
  },
};

const servers = [];
for (const mode of process.argv.slice(2)) {
  const build = configurations[mode];
  const observe = observed[mode];
  if (!build && !observe) throw new Error(`unknown configuration ${mode}`);
  const url = observe
    ? await serveWarden([], true, observe())
    : await serveWarden(
        build!(),
        mode === 'empty' || mode === 'validation' || mode === 'sanitize' || mode === 'ratelimit',
      );
  const credential = mode.startsWith('oauth')
    ? accessToken
    : mode.includes('apikey') || mode === 'all'
      ? issued.key
      : undefined;
  servers.push({ url, headers: credential === undefined ? {} : { authorization: `Bearer ${credential}` } });
}
process.stdout.write(`${JSON.stringify({ servers })}\n`);
