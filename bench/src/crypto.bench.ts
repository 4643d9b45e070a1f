/**
 * What @mcp-warden/crypto costs, next to node:crypto's native AEADs, in one run.
 *
 * For 1 KiB (ops/s) and 1 MiB (MB/s) plaintexts, encrypt and decrypt with:
 * - `KeyRing` (XChaCha20-Poly1305-IETF through libsodium.js WebAssembly, with the mcpw1 header, a context as
 *   associated data and a creation time),
 * - raw libsodium.js `crypto_aead_xchacha20poly1305_ietf_*` (the same primitive without our format),
 * - node:crypto AES-256-GCM and ChaCha20-Poly1305 (OpenSSL, native: the ceiling).
 * Ratios are KeyRing / node:crypto (1.00 = as fast as native).
 *
 * Run: cd bench && pnpm tsx src/crypto.bench.ts
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { KeyRing, loadSodium } from '../../packages/crypto/src/index.ts';

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const ROUNDS = 3;
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

type Impl = {
  name: string;
  encrypt: (pt: Uint8Array) => Uint8Array;
  decrypt: (ct: Uint8Array) => Uint8Array;
};

async function implementations(): Promise<Impl[]> {
  const sodium = await loadSodium();
  const ring = await KeyRing.generate('bench-key');
  const context = { tenant: 'acme', record: 'note:42', field: 'body' };
  const sodiumKey = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
  const nodeKey = randomBytes(32);
  const nodeAead = (algorithm: 'aes-256-gcm' | 'chacha20-poly1305'): Impl => ({
    name: `node:crypto ${algorithm === 'aes-256-gcm' ? 'AES-256-GCM' : 'ChaCha20-Poly1305'}`,
    encrypt(pt) {
      const iv = randomBytes(12);
      const c = createCipheriv(algorithm, nodeKey, iv, { authTagLength: 16 });
      return Buffer.concat([iv, c.update(pt), c.final(), c.getAuthTag()]);
    },
    decrypt(ct) {
      const d = createDecipheriv(algorithm, nodeKey, ct.subarray(0, 12), { authTagLength: 16 });
      d.setAuthTag(ct.subarray(ct.length - 16));
      return Buffer.concat([d.update(ct.subarray(12, ct.length - 16)), d.final()]);
    },
  });
  return [
    {
      name: '@mcp-warden/crypto KeyRing',
      encrypt: (pt) => ring.encrypt(pt, { context }),
      decrypt: (ct) => ring.decrypt(ct, { context }),
    },
    {
      name: 'libsodium.js XChaCha20-Poly1305 (raw)',
      encrypt(pt) {
        const nonce = randomFillSync(new Uint8Array(24));
        const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, null, null, nonce, sodiumKey);
        const out = new Uint8Array(24 + ct.length);
        out.set(nonce);
        out.set(ct, 24);
        return out;
      },
      decrypt: (ct) =>
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
          null,
          ct.subarray(24),
          null,
          ct.subarray(0, 24),
          sodiumKey,
        ),
    },
    nodeAead('aes-256-gcm'),
    nodeAead('chacha20-poly1305'),
  ];
}

interface Row {
  op: 'encrypt' | 'decrypt';
  size: string;
  bytes: number;
  impl: string;
  opsPerSec: number;
}

async function main(): Promise<void> {
  const impls = await implementations();
  const sizes = [
    { label: '1 KiB', bytes: 1024, time: 300 },
    { label: '1 MiB', bytes: 1024 * 1024, time: 600 },
  ];
  // The machine is shared: every configuration runs in each of ROUNDS interleaved rounds and reports the median
  // of its per-round medians, so a burst of load hits all implementations alike.
  const samples: Row[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const size of sizes) {
      const plaintext = randomBytes(size.bytes);
      for (const op of ['encrypt', 'decrypt'] as const) {
        const bench = new Bench({ time: size.time, warmupTime: 100 });
        for (const impl of impls) {
          const ct = impl.encrypt(plaintext);
          // Sanity: each implementation round-trips before it is timed.
          if (Buffer.compare(Buffer.from(impl.decrypt(ct)), plaintext) !== 0)
            throw new Error(`${impl.name} does not round-trip`);
          bench.add(
            impl.name,
            op === 'encrypt' ? () => void impl.encrypt(plaintext) : () => void impl.decrypt(ct),
          );
        }
        await bench.run();
        for (const task of bench.tasks) {
          const r = task.result;
          if (r.state !== 'completed') throw new Error(`${task.name} ${op} ${size.label}: ${r.state}`);
          samples.push({
            op,
            size: size.label,
            bytes: size.bytes,
            impl: task.name,
            opsPerSec: r.throughput.p50,
          });
        }
      }
    }
  }
  const rows: Row[] = [];
  for (const s of samples) {
    if (rows.some((r) => r.op === s.op && r.size === s.size && r.impl === s.impl)) continue;
    const all = samples
      .filter((r) => r.op === s.op && r.size === s.size && r.impl === s.impl)
      .map((r) => r.opsPerSec);
    rows.push({ ...s, opsPerSec: median(all) });
  }

  const ours = (op: string, size: string) =>
    rows.find((r) => r.op === op && r.size === size && r.impl.startsWith('@mcp-warden'))!;
  const base = (op: string, size: string, impl: string) =>
    rows.find((r) => r.op === op && r.size === size && r.impl.includes(impl))!;
  const lines = [
    '| operation | size | implementation | ops/s (median) | MB/s | KeyRing ÷ this |',
    '| --- | --- | --- | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const mine = ours(r.op, r.size);
    lines.push(
      `| ${r.op} | ${r.size} | ${r.impl} | ${fmt(r.opsPerSec)} | ${fmt((r.opsPerSec * r.bytes) / 1e6, 1)} | ${fmt(mine.opsPerSec / r.opsPerSec, 2)} |`,
    );
  }
  const summary = [
    '',
    '| operation | size | KeyRing vs AES-256-GCM | KeyRing vs ChaCha20-Poly1305 | KeyRing vs raw libsodium.js |',
    '| --- | --- | ---: | ---: | ---: |',
  ];
  for (const size of sizes) {
    for (const op of ['encrypt', 'decrypt']) {
      const m = ours(op, size.label).opsPerSec;
      summary.push(
        `| ${op} | ${size.label} | ${fmt(m / base(op, size.label, 'AES').opsPerSec, 2)}× | ${fmt(m / base(op, size.label, 'node:crypto ChaCha').opsPerSec, 2)}× | ${fmt(m / base(op, size.label, 'libsodium').opsPerSec, 2)}× |`,
      );
    }
  }
  const table = [...lines, ...summary].join('\n');
  const header = [
    '# @mcp-warden/crypto benchmark',
    '',
    `Date: ${new Date().toISOString()}  `,
    `Machine: ${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores, shared), Node ${process.version}, ${os.platform()} ${os.arch()}`,
    '',
    'KeyRing = XChaCha20-Poly1305-IETF in libsodium.js (WebAssembly) plus the mcpw1 header, a 3-field context as',
    'associated data and a creation time. node:crypto = OpenSSL, native code (the ceiling). A ratio below 1 means',
    'KeyRing is slower. ops/s = median over 3 interleaved rounds of tinybench medians (p50). The machine is shared',
    `(load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} at the end of the run), so treat them as indicative.`,
    '',
  ].join('\n');
  console.log(table);
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'crypto.md');
  writeFileSync(out, `${header}${table}\n`);
  console.log(`\nwritten to ${out}`);
}

await main();
