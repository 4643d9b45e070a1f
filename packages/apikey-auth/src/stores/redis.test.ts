import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { RedisApiKeyStore } from './redis.js';
import { describeApiKeyStoreContract } from './store-contract.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runPrefix = `mcp-warden-test:apikey:${randomBytes(6).toString('hex')}:`;
const admin = new Redis(REDIS_URL);

afterAll(async () => {
  const keys = await admin.keys(`${runPrefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

let n = 0;
describeApiKeyStoreContract(
  'redis',
  async () => {
    const keyPrefix = `${runPrefix}${++n}:`;
    const store = new RedisApiKeyStore({ redis: REDIS_URL, keyPrefix });
    return {
      store,
      openSibling: async () => new RedisApiKeyStore({ redis: REDIS_URL, keyPrefix }),
      cleanup: () => store.close(),
    };
  },
  { shared: true },
);
