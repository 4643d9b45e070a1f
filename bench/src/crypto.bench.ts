/**
 * What @mcp-warden/crypto costs, next to node:crypto's native AEADs, in one run.
 *
 * Part 1, the targets (issue 17), paired: KeyRing and its baseline run in alternating batches back to back, and
 * each measure is the median over the pairs of (baseline time ÷ KeyRing time), by process CPU time and by wall
 * time. 1 KiB: KeyRing vs raw libsodium.js XChaCha20-Poly1305 (target ≥ 0.9×); 1 MiB: KeyRing vs raw node:crypto
 * ChaCha20-Poly1305 (target ≥ 0.8×).
 *
 * Part 2, context: for 1 KiB (ops/s) and 1 MiB (MB/s) plaintexts, encrypt and decrypt with:
 * - `KeyRing` (XChaCha20-Poly1305-IETF with the mcpw1 header, a context as associated data and a creation time) on
 *   the runtime's backend (native node:crypto here), and forced onto the libsodium.js (WebAssembly) backend that
 *   Workers and browsers use,
 * - raw libsodium.js `crypto_aead_xchacha20poly1305_ietf_*` (the same primitive without our format),
 * - node:crypto AES-256-GCM and ChaCha20-Poly1305 (OpenSSL, native: the ceiling).
 *
 * Run: cd bench && pnpm tsx src/crypto.bench.ts
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { aeadBackendName, useAeadBackend } from '../../packages/crypto/src/aead.ts';
import { KeyRing, loadSodium } from '../../packages/crypto/src/index.ts';
import { recordMeasures } from './summary.ts';

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

function onLibsodium<T>(fn: () => T): T {
  const previous = useAeadBackend('libsodium');
  try {
    return fn();
  } finally {
    useAeadBackend(previous);
  }
}

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
      name: '@mcp-warden/crypto KeyRing, new context object per call',
      encrypt: (pt) => ring.encrypt(pt, { context: { tenant: 'acme', record: 'note:42', field: 'body' } }),
      decrypt: (ct) => ring.decrypt(ct, { context: { tenant: 'acme', record: 'note:42', field: 'body' } }),
    },
    {
      name: '@mcp-warden/crypto KeyRing on the libsodium backend',
      encrypt: (pt) => onLibsodium(() => ring.encrypt(pt, { context })),
      decrypt: (ct) => onLibsodium(() => ring.decrypt(ct, { context })),
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

/** CPU time of this process (user + system) and wall time, in µs, of `ops` calls of `fn`. */
function batch(fn: () => void, ops: number): { cpu: number; wall: number } {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  return { cpu: cpu.user + cpu.system, wall };
}

interface Paired {
  measure: string;
  target: number;
  cpuRatio: number;
  wallRatio: number;
  oursUsPerOp: number;
  baseUsPerOp: number;
  pairs: number;
}

/**
 * KeyRing and baseline in alternating batches (the order flips every pair), so a burst of load on this shared
 * machine hits both sides of a pair alike. Ratio = baseline time ÷ KeyRing time per pair, median over pairs.
 */
function paired(
  measure: string,
  target: number,
  ours: () => void,
  base: () => void,
  ops: number,
  pairs: number,
): Paired {
  for (let i = 0; i < 3; i++) {
    batch(ours, ops);
    batch(base, ops);
  }
  const cpuRatios: number[] = [];
  const wallRatios: number[] = [];
  const oursCpu: number[] = [];
  const baseCpu: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const first = i % 2 === 0 ? ours : base;
    const second = i % 2 === 0 ? base : ours;
    const a = batch(first, ops);
    const b = batch(second, ops);
    const [o, bl] = i % 2 === 0 ? [a, b] : [b, a];
    cpuRatios.push(bl.cpu / o.cpu);
    wallRatios.push(bl.wall / o.wall);
    oursCpu.push(o.cpu / ops);
    baseCpu.push(bl.cpu / ops);
  }
  return {
    measure,
    target,
    cpuRatio: median(cpuRatios),
    wallRatio: median(wallRatios),
    oursUsPerOp: median(oursCpu),
    baseUsPerOp: median(baseCpu),
    pairs,
  };
}

async function targets(impls: Impl[]): Promise<Paired[]> {
  const by = (name: string) => impls.find((i) => i.name === name)!;
  const ring = by('@mcp-warden/crypto KeyRing');
  const fresh = by('@mcp-warden/crypto KeyRing, new context object per call');
  const sodiumRaw = by('libsodium.js XChaCha20-Poly1305 (raw)');
  const nodeChacha = by('node:crypto ChaCha20-Poly1305');
  const kib = randomBytes(1024);
  const mib = randomBytes(1024 * 1024);
  const out: Paired[] = [];
  for (const [label, pt, base, ops, pairs, target] of [
    ['1 KiB', kib, sodiumRaw, 2000, 41, 0.9],
    ['1 MiB', mib, nodeChacha, 6, 21, 0.8],
  ] as const) {
    const ringCt = ring.encrypt(pt);
    const baseCt = base.encrypt(pt);
    out.push(
      paired(
        `KeyRing ${label} encrypt vs ${base.name}`,
        target,
        () => void ring.encrypt(pt),
        () => void base.encrypt(pt),
        ops,
        pairs,
      ),
      paired(
        `KeyRing ${label} decrypt vs ${base.name}`,
        target,
        () => void ring.decrypt(ringCt),
        () => void base.decrypt(baseCt),
        ops,
        pairs,
      ),
    );
    if (label === '1 KiB') {
      const freshCt = fresh.encrypt(pt);
      out.push(
        paired(
          `(KeyRing ${label} encrypt, new context object per call)`,
          target,
          () => void fresh.encrypt(pt),
          () => void base.encrypt(pt),
          ops,
          pairs,
        ),
        paired(
          `(KeyRing ${label} decrypt, new context object per call)`,
          target,
          () => void fresh.decrypt(freshCt),
          () => void base.decrypt(baseCt),
          ops,
          pairs,
        ),
      );
    }
  }
  return out;
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
  const measured = await targets(impls);
  const targetTable = [
    '## Targets (issue 17), paired',
    '',
    '| measure | ratio by CPU time | ratio by wall time | KeyRing µs/op (CPU) | baseline µs/op (CPU) | target | met |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...measured.map(
      (m) =>
        `| ${m.measure} | ${fmt(m.cpuRatio, 2)}× | ${fmt(m.wallRatio, 2)}× | ${fmt(m.oursUsPerOp, 1)} | ${fmt(m.baseUsPerOp, 1)} | ≥ ${m.target}× | ${m.cpuRatio >= m.target ? 'yes' : 'no'} |`,
    ),
    '',
    `Ratio = baseline time ÷ KeyRing time (1.00× = as fast as the baseline, above 1 = faster), median over ${measured[0]?.pairs}/${measured.at(-1)?.pairs} pairs of`,
    'alternating batches (2,000 ops at 1 KiB, 6 at 1 MiB). KeyRing here = the mcpw1 format with a 3-field context',
    `and a creation time, on the ${aeadBackendName()} backend (libsodium WebAssembly below 4 KiB, node:crypto above); the raw`,
    'baselines have no header and no associated data. The context is one object passed on every call (its encoding',
    'is reused after an entry-by-entry check); the rows in parentheses pass a new object each call (encoded each',
    'time). "met" is judged on CPU time, the steadier measure on this shared machine.',
    '',
    '## All implementations',
    '',
  ].join('\n');
  console.log(targetTable);
  recordMeasures(
    'crypto',
    measured
      .filter((m) => !m.measure.startsWith('('))
      .map((m) => ({
        measure: `crypto: ${m.measure}, by CPU`,
        ratio: m.cpuRatio,
        target: m.target,
        kind: 'atLeast',
      })),
  );
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
    rows.find((r) => r.op === op && r.size === size && r.impl === '@mcp-warden/crypto KeyRing')!;
  const base = (op: string, size: string, impl: string) =>
    rows.find((r) => r.op === op && r.size === size && r.impl.startsWith(impl))!;
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
        `| ${op} | ${size.label} | ${fmt(m / base(op, size.label, 'node:crypto AES').opsPerSec, 2)}× | ${fmt(m / base(op, size.label, 'node:crypto ChaCha').opsPerSec, 2)}× | ${fmt(m / base(op, size.label, 'libsodium.js').opsPerSec, 2)}× |`,
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
    'KeyRing = XChaCha20-Poly1305-IETF (HChaCha20 in TypeScript + node:crypto ChaCha20-Poly1305 on Node; libsodium.js',
    'WebAssembly where there is no native ChaCha) plus the mcpw1 header, a 3-field context as associated data and a',
    'creation time. node:crypto = OpenSSL, native code (the ceiling). A ratio below 1 means KeyRing is slower.',
    'ops/s in the second table = median over 3 interleaved rounds of tinybench medians (p50). The machine is shared',
    `(load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} at the end of the run), so treat them as indicative.`,
    '',
  ].join('\n');
  console.log(table);
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'crypto.md');
  writeFileSync(out, `${header}\n${targetTable}${table}\n`);
  console.log(`\nwritten to ${out}`);
}

await main();
