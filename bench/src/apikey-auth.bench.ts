/**
 * API-key verifications per second, next to the floor of the design in the same run.
 *
 * Floor: a bare `HMAC-SHA256(pepper, key)` + `Map.get(hash)` loop over the same keys (what any peppered-hash
 * lookup must at least do). Measured: `ApiKeyManager.verify(key)` (format + checksum check, HMAC, lookup,
 * constant-time compare, revocation/expiry checks, principal) with
 *   - the memory store holding 10,000 keys and 1,000,000 keys,
 *   - the SQLite store (file in a temp dir, WAL) holding 10,000 keys, behind the verified-key cache.
 * Each task verifies a batch of 1,000 keys per sample (cycling through the issued keys); configurations alternate
 * over rounds and each reports the median of its per-round medians. All managers use their defaults (verified-key
 * cache of 10,000 entries), plus one run of the 1,000,000-key store with the cache off: cycling through 100,000
 * distinct keys is the worst case for a 10,000-entry cache.
 *
 * The 1,000,000-key store is filled directly with records: 100,000 of them hash real keys (the ones verified),
 * the other 900,000 carry random hashes, so setup stays within seconds.
 *
 * Run: cd bench && pnpm tsx src/apikey-auth.bench.ts
 */
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import {
  ApiKeyManager,
  type ApiKeyRecord,
  generateApiKey,
  MemoryApiKeyStore,
  PepperRing,
  SqliteApiKeyStore,
} from '../../packages/apikey-auth/src/index.ts';

const ROUNDS = 3;
const BATCH = 1000;
const TASK_MS = 800;
const PEPPER = { id: 'p1', secret: randomBytes(32) };
const ring = new PepperRing([PEPPER]);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

let counter = 0;
/**
 * Records share one frozen copy of their lists and metadata (as records read back from a store do), so building
 * a million of them costs an object each, not five.
 */
const template: ApiKeyRecord = (() => {
  const store = new MemoryApiKeyStore();
  const hash = randomBytes(32).toString('base64url');
  store.insertSync(plainRecord(hash));
  return store.getByHashSync(hash)!;
})();
function record(keyHash: string): ApiKeyRecord {
  counter++;
  return { ...template, id: `key_bench${counter.toString(36)}`, keyHash, name: `bench ${counter}` };
}
function plainRecord(keyHash: string): ApiKeyRecord {
  counter++;
  return {
    id: `key_bench${counter.toString(36)}`,
    keyHash,
    pepperId: PEPPER.id,
    displayPrefix: 'mcpw_Bnch',
    name: `bench ${counter}`,
    owner: 'bench',
    scopes: ['tools:call'],
    roles: ['reader'],
    createdAt: Date.now(),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    remainingUses: null,
    allowedCidrs: [],
    metadata: {},
    rotatedFrom: null,
    replacedBy: null,
  };
}

/** `real` issued keys plus `filler` records with random hashes, as records ready to insert. */
function population(real: number, filler: number): { keys: string[]; records: ApiKeyRecord[] } {
  const keys = Array.from({ length: real }, () => generateApiKey());
  const records = keys.map((k) => record(ring.hash(k)));
  const noise = randomBytes(32 * filler);
  for (let i = 0; i < filler; i++)
    records.push(record(noise.subarray(i * 32, i * 32 + 32).toString('base64url')));
  return { keys, records };
}

/** The floor: HMAC-SHA256 + Map.get over the same keys. */
function floorTask(keys: string[], records: ApiKeyRecord[]): () => void {
  const secret = createSecretKey(PEPPER.secret);
  const map = new Map(records.map((r) => [r.keyHash, r]));
  let i = 0;
  return () => {
    for (let n = 0; n < BATCH; n++) {
      const key = keys[i++ % keys.length]!;
      const hit = map.get(createHmac('sha256', secret).update(key, 'utf8').digest('base64url'));
      if (hit === undefined) throw new Error('floor: key not found');
    }
  };
}

function verifyTask(manager: ApiKeyManager, keys: string[]): () => Promise<void> {
  let i = 0;
  return async () => {
    for (let n = 0; n < BATCH; n++) {
      const result = await manager.verify(keys[i++ % keys.length]!);
      if (!result.ok) throw new Error(`verify failed: ${result.failure}`);
    }
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  process.stdout.write('setting up 10,000-key stores… ');
  const small = population(10_000, 0);
  const memorySmall = new MemoryApiKeyStore();
  for (const r of small.records) memorySmall.insertSync(r);
  const dir = mkdtempSync(join(os.tmpdir(), 'apikey-bench-'));
  const sqlite = new SqliteApiKeyStore({ path: join(dir, 'keys.db') });
  sqlite.insertMany(small.records);
  process.stdout.write(`${((Date.now() - started) / 1000).toFixed(1)} s\nsetting up 1,000,000-key store… `);
  const big = population(100_000, 900_000);
  const memoryBig = new MemoryApiKeyStore();
  for (const r of big.records) memoryBig.insertSync(r);
  process.stdout.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  const managers = {
    memorySmall: new ApiKeyManager({ store: memorySmall, peppers: [PEPPER] }),
    memoryBig: new ApiKeyManager({ store: memoryBig, peppers: [PEPPER] }),
    memoryBigNoCache: new ApiKeyManager({ store: memoryBig, peppers: [PEPPER], cache: false }),
    sqlite: new ApiKeyManager({ store: sqlite, peppers: [PEPPER], cache: { maxEntries: 10_000 } }),
  };
  const tasks: [string, () => unknown][] = [
    ['floor: HMAC-SHA256 + Map.get, 10,000 keys', floorTask(small.keys, small.records)],
    ['verify, memory store, 10,000 keys', verifyTask(managers.memorySmall, small.keys)],
    ['verify, SQLite store + cache, 10,000 keys', verifyTask(managers.sqlite, small.keys)],
    ['floor: HMAC-SHA256 + Map.get, 1,000,000 keys', floorTask(big.keys, big.records)],
    ['verify, memory store, 1,000,000 keys', verifyTask(managers.memoryBig, big.keys)],
    ['verify, memory store, 1,000,000 keys, cache off', verifyTask(managers.memoryBigNoCache, big.keys)],
  ];
  const perRound = new Map<string, number[]>(tasks.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TASK_MS, warmupTime: round === 0 ? 400 : 100 });
    for (const [name, fn] of tasks) bench.add(name, fn);
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
      perRound.get(task.name)!.push((BATCH * 1000) / result.latency.p50);
    }
    process.stdout.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  const ops = (name: string) => median(perRound.get(name)!);
  const floorSmall = ops(tasks[0]![0]);
  const floorBig = ops(tasks[3]![0]);
  const rows = [
    [tasks[0]![0], floorSmall, floorSmall],
    [tasks[1]![0], ops(tasks[1]![0]), floorSmall],
    [tasks[2]![0], ops(tasks[2]![0]), floorSmall],
    [tasks[3]![0], floorBig, floorBig],
    [tasks[4]![0], ops(tasks[4]![0]), floorBig],
    [tasks[5]![0], ops(tasks[5]![0]), floorBig],
  ] as const;
  const table = [
    '| Scenario | verifications/s (median) | ratio to the floor (same key count) |',
    '| --- | ---: | ---: |',
    ...rows.map(([name, value, floor]) => `| ${name} | ${fmt(value)} | ${fmt(value / floor, 3)} |`),
  ].join('\n');

  const report = [
    '# @mcp-warden/apikey-auth: verification throughput',
    '',
    `Date: ${new Date().toISOString()}  `,
    `Machine: ${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores, shared with other jobs; load average ${os.loadavg()[0]?.toFixed(1)} at the end), Node ${process.version}  `,
    `Method: tinybench, ${BATCH.toLocaleString('en-US')} verifications per sample, ${ROUNDS} alternating rounds of ${TASK_MS} ms per task, median of per-round medians. Targets (issue 3): memory ≥ 0.9× the floor, SQLite with cache ≥ 100,000/s.`,
    '',
    table,
    '',
    'HTTP `tools/call` throughput with API-key auth is measured in plugins-http.bench.ts (server in its own process).',
    '',
    'The floor is `createHmac(sha256, pepper).update(key).digest()` + `Map.get` and nothing else. `verify` adds the',
    'offline format and CRC32 check, the constant-time digest comparison, the revocation / expiry / address checks,',
    'the throttled last-used bookkeeping and the (memoised) principal; with SQLite, a cache lookup in front of the store.',
    'With the default cache (10,000 entries) a key verified once is recognised by its SHA-256 fingerprint: a one-shot',
    'hash several times cheaper than creating an HMAC, so cached verification can beat the HMAC floor. The',
    '1,000,000-key store verifies 100,000 distinct real keys (in turn) among 900,000 random-hash records: every',
    'lookup misses a 10,000-entry cache, which is why that row is also shown with the cache off.',
    '',
    'Not met: the 1,000,000-key rows stay below 0.9× the floor. There every verification takes the uncached path',
    '(format + CRC32, HMAC, lookup, constant-time compare, building the result), about 3× the work of the floor; a',
    'working set that fits the cache (raise `cache.maxEntries`) runs at the 10,000-key figures.',
    '',
  ].join('\n');
  process.stdout.write(`\n${table}\n\ntotal ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'apikey-auth.md');
  writeFileSync(out, report);
  for (const manager of Object.values(managers)) await manager.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
