// The plugins the SDK v2 examples put in front of my-server.ts: API keys, least privilege, clean output.
import { acl } from '@mcp-warden/acl';
import { apiKeyAuth, SqliteApiKeyStore } from '@mcp-warden/apikey-auth';
import type { WardenPlugin } from '@mcp-warden/core';
import { sanitize } from '@mcp-warden/sanitize';

export function plugins(env: NodeJS.ProcessEnv = process.env): WardenPlugin[] {
  return [
    apiKeyAuth({
      store: new SqliteApiKeyStore({ path: env.KEYS_DB ?? 'keys.db' }),
      peppers: [{ id: 'p1', secret: env.PEPPER! }],
    }),
    // Any key may list tools and call add and read_note; only a key with the admin role may delete.
    acl({
      policy: {
        version: 1,
        roles: { admin: {} },
        rules: [
          { id: 'lists', effect: 'allow', subjects: ['authenticated'], actions: ['tools:list'] },
          {
            id: 'notes',
            effect: 'allow',
            subjects: ['authenticated'],
            actions: ['tools:call'],
            targets: ['{add,read_note}'],
          },
          {
            id: 'admin',
            effect: 'allow',
            subjects: ['role:admin'],
            actions: ['tools:call'],
            targets: ['delete_notes'],
          },
        ],
      },
    }),
    // Defaults: invisible text and terminal escapes removed, secrets redacted, in every result.
    sanitize(),
  ];
}
