// Issues an API key into the examples' key store and prints it once (what `mcp-warden keys create` does).
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
