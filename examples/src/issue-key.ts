// Issues an API key into the examples' key store (what `mcp-warden keys create` does for the reference server).
// Run: PEPPER=… KEYS_DB=keys.db tsx src/issue-key.ts [role…]   (prints the key once)
import { pathToFileURL } from 'node:url';
import { ApiKeyManager, SqliteApiKeyStore } from '@mcp-warden/apikey-auth';

export async function issueKey(
  keysDb: string,
  pepper: string,
  access: { scopes?: string[]; roles?: string[] } = {},
): Promise<string> {
  const manager = new ApiKeyManager({
    store: new SqliteApiKeyStore({ path: keysDb, watchIntervalMs: 0 }),
    peppers: [{ id: 'p1', secret: pepper }],
  });
  const issued = await manager.create({ name: 'example', ...access });
  await manager.close();
  return issued.key;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const key = await issueKey(process.env.KEYS_DB ?? 'keys.db', process.env.PEPPER!, {
    roles: process.argv.slice(2),
  });
  console.log(key);
}
