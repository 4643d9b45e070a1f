import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, spawnServer, tempDataDir } from './test-support.js';

/** Runs `mcp-warden serve` until it exits or says it is serving (then stops it): its exit status and stderr. */
async function serve(
  dataDir: string,
  args: string[] = [],
): Promise<{ status: number | 'serving'; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--port', '0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (/serving MCP at/.test(stderr)) child.kill('SIGTERM');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ status: /serving MCP at/.test(stderr) ? 'serving' : (code ?? -1), stderr });
    });
  });
}

/** A data directory that was served from once (keys, notes, store and policy all written), kept as a template. */
let template: string;
beforeAll(async () => {
  template = tempDataDir();
  const server = await spawnServer(['--data-dir', template]);
  await server.stop();
}, 60_000);

function copyOfTemplate(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'mcp-warden-integrity-')), 'data');
  cpSync(template, dir, { recursive: true });
  return dir;
}

describe('a damaged data directory refuses to start, naming the file and the fix', () => {
  const STORES = ['keys.db', 'notes.db', 'warden-store.db', 'audit.db'];

  it.each(STORES)('%s: empty, truncated, header or pages overwritten', async (file) => {
    // One generated family of damage per store, each checked against a fresh copy of a served data directory.
    const damages = fc.sample(
      fc.oneof(
        fc.constant({ kind: 'empty' as const }),
        fc.record({ kind: fc.constant('header' as const), at: fc.integer({ min: 0, max: 15 }) }),
        fc.record({ kind: fc.constant('truncate' as const), keep: fc.integer({ min: 1, max: 99 }) }),
        fc.record({
          kind: fc.constant('pages' as const),
          page: fc.integer({ min: 1, max: 3 }),
          seed: fc.integer({ min: 0, max: 255 }),
        }),
      ),
      { numRuns: 6, seed: file.length },
    );
    for (const damage of [{ kind: 'empty' as const }, ...damages]) {
      const dataDir = copyOfTemplate();
      const path = join(dataDir, file);
      for (const suffix of ['-wal', '-shm']) rmSync(path + suffix, { force: true });
      const bytes = readFileSync(path);
      let damaged: Buffer;
      if (damage.kind === 'empty') damaged = Buffer.alloc(0);
      else if (damage.kind === 'header') {
        damaged = Buffer.from(bytes);
        damaged[damage.at] = (damaged[damage.at]! + 1) % 256;
      } else if (damage.kind === 'truncate') {
        damaged = bytes.subarray(0, Math.max(16, Math.floor((bytes.length * damage.keep) / 100) - 1));
        if (damaged.length === bytes.length) damaged = bytes.subarray(0, bytes.length - 1);
      } else {
        damaged = Buffer.from(bytes);
        const pageSize = damaged.readUInt16BE(16) === 1 ? 65536 : damaged.readUInt16BE(16);
        const start = Math.min(damage.page * pageSize, damaged.length - 64);
        for (let i = 0; i < pageSize && start + i < damaged.length; i++)
          damaged[start + i] = (damage.seed + i * 31) % 256;
      }
      writeFileSync(path, damaged);
      const before = readFileSync(path);
      const run = await serve(dataDir);
      const label = `${file} ${JSON.stringify(damage)}`;
      if (run.status === 'serving') {
        // Only bytes overwritten in a page no table uses may leave a readable database; anything else refuses.
        expect(damage.kind, `${label} started`).toBe('pages');
        continue;
      }
      expect(typeof run.status === 'number' && run.status !== 0, label).toBe(true);
      expect(run.stderr, label).toContain(path);
      expect(run.stderr, label).toMatch(/damaged/);
      expect(run.stderr, label).toMatch(/Restore it from a backup, or move it away/);
      expect(readFileSync(path).equals(before), `${label}: the damaged file is left as it was`).toBe(true);
    }
  });

  it('a zero-byte keys.db no longer starts with no keys and no new bootstrap key', async () => {
    const dataDir = copyOfTemplate();
    writeFileSync(join(dataDir, 'keys.db'), '');
    rmSync(join(dataDir, 'keys.db-wal'), { force: true });
    const run = await serve(dataDir);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(join(dataDir, 'keys.db'));
    expect(statSync(join(dataDir, 'keys.db')).size).toBe(0);
  });

  it('a deleted keys.db after keys were issued refuses too, and says how to start afresh', async () => {
    const dataDir = copyOfTemplate();
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, `keys.db${suffix}`), { force: true });
    const run = await serve(dataDir);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('keys.db is missing');
    expect(run.stderr).toContain('.bootstrap-key-issued');
    expect(existsSync(join(dataDir, 'keys.db'))).toBe(false);
  });
});

describe('a missing access policy', () => {
  it('that was installed refuses to start instead of bringing back the default policy', async () => {
    const dataDir = copyOfTemplate();
    rmSync(join(dataDir, 'policy.yaml'));
    const run = await serve(dataDir);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${join(dataDir, 'policy.yaml')} is missing`);
    expect(existsSync(join(dataDir, 'policy.yaml'))).toBe(false);
  });

  it('that the configuration names refuses to start', async () => {
    const dataDir = tempDataDir();
    const config = join(mkdtempSync(join(tmpdir(), 'mcp-warden-cfg-')), 'config.yaml');
    const policy = join(dataDir, '..', 'custom-policy.yaml');
    writeFileSync(config, `plugins:\n  acl:\n    policyFile: ${JSON.stringify(policy)}\n`);
    const run = await serve(dataDir, ['--config', config]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${policy} is missing`);
    expect(existsSync(policy)).toBe(false);
  });

  it('on a new data directory is installed once, as before', async () => {
    const dataDir = tempDataDir();
    const server = await spawnServer(['--data-dir', dataDir]);
    await server.stop();
    expect(readFileSync(join(dataDir, 'policy.yaml'), 'utf8')).toContain('nobody-reads-key-resources');
    expect(existsSync(join(dataDir, '.policy-installed'))).toBe(true);
  });
});
