// The bench McpServer behind MCP Warden, one port per plugin configuration named on the command line, all in this
// one process (so every configuration runs on the same core placement and memory), stateless, JSON responses.
// Prints {"servers": [{"url", "headers"}, …]} (in argument order) once listening; "headers" carries the credential
// when the configuration needs one.
import { randomBytes } from 'node:crypto';
import { acl } from '../../../packages/acl/src/index.ts';
import { ApiKeyManager, apiKeyAuth, MemoryApiKeyStore } from '../../../packages/apikey-auth/src/index.ts';
import type { WardenPlugin } from '../../../packages/core/src/index.ts';
import { rateLimit } from '../../../packages/ratelimit/src/index.ts';
import { sanitize } from '../../../packages/sanitize/src/index.ts';
import { validation } from '../../../packages/validation/src/index.ts';
import { serveWarden } from './core-http-server.ts';

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
const generous = () =>
  rateLimit({ rules: [{ name: 'bench', key: ['identity'], points: 1_000_000_000, duration: 60 }] });

const configurations: Record<string, () => WardenPlugin[]> = {
  empty: () => [],
  apikey: () => [auth()],
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
const servers = [];
for (const mode of process.argv.slice(2)) {
  const build = configurations[mode];
  if (!build) throw new Error(`unknown configuration ${mode}`);
  const url = await serveWarden(
    build(),
    mode === 'empty' || mode === 'validation' || mode === 'sanitize' || mode === 'ratelimit',
  );
  const needsKey = mode.includes('apikey') || mode === 'all';
  servers.push({ url, headers: needsKey ? { authorization: `Bearer ${issued.key}` } : {} });
}
process.stdout.write(`${JSON.stringify({ servers })}\n`);
