import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryEventSink, redactEventDetails, SecurityEventBus } from './events.js';
import { pinoSink } from './pino-sink.js';

describe('security events', () => {
  it('masks values under secret-looking keys but keeps ids and hashes', () => {
    expect(
      redactEventDetails({
        token: 'abc',
        apiKey: 'k',
        password: 'p',
        keyId: 'key_1',
        tokenHash: 'h',
        nested: { Authorization: 'Bearer x', count: 2 },
      }),
    ).toEqual({
      token: '[redacted]',
      apiKey: '[redacted]',
      password: '[redacted]',
      keyId: 'key_1',
      tokenHash: 'h',
      nested: { Authorization: '[redacted]', count: 2 },
    });
  });

  it('bounds what a hostile value can make it log', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 50; i++) {
      deep.next = {};
      deep = deep.next as Record<string, unknown>;
    }
    expect(JSON.stringify(redactEventDetails(root))).toContain('[truncated]');
    expect((redactEventDetails('x'.repeat(10_000)) as string).length).toBeLessThan(2100);
  });

  it('fills time, outcome and severity, and isolates a throwing sink', () => {
    const memory = new MemoryEventSink();
    const bus = new SecurityEventBus([
      {
        write: () => {
          throw new Error('sink down');
        },
      },
      memory,
    ]);
    bus.emit({ type: 'access.denied', outcome: 'denied', reason: 'r' });
    expect(memory.events[0]).toMatchObject({ type: 'access.denied', outcome: 'denied', severity: 'warn' });
    expect(Date.parse(memory.events[0]!.time)).not.toBeNaN();
  });

  it('writes JSON lines through pino to a file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'warden-events-')), 'events.log');
    const bus = new SecurityEventBus([pinoSink({ destination: file, level: 'info' })]);
    bus.emit({
      type: 'auth.failed',
      outcome: 'denied',
      reason: 'unknown key',
      details: { keyId: 'k1', key: 'mcpw_secret' },
    });
    bus.emit({ type: 'auth.succeeded', outcome: 'allowed' }); // debug: below the level
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      event: 'security',
      type: 'auth.failed',
      reason: 'unknown key',
      details: { keyId: 'k1', key: '[redacted]' },
    });
    expect(lines[0]).not.toContain('mcpw_secret');
  });

  it('pinoSink() writes to stderr by default: stdout stays free for a JSON-RPC stream', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const script = join(mkdtempSync(join(tmpdir(), 'warden-events-')), 'emit.ts');
    writeFileSync(
      script,
      `import { SecurityEventBus } from ${JSON.stringify(join(here, 'events.ts'))};
import { pinoSink } from ${JSON.stringify(join(here, 'pino-sink.ts'))};
const bus = new SecurityEventBus([pinoSink()]);
for (const outcome of ['denied', 'error', 'info']) bus.emit({ type: 'access.denied', outcome, severity: 'error', reason: 'no rule' });
`,
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: join(here, '..'),
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines)
      expect(JSON.parse(line)).toMatchObject({ event: 'security', reason: 'no rule' });
  });

  it.each([
    ['the default', {}, false],
    ['fd 2', { destination: 2 }, false],
    ['a file', { destination: join(tmpdir(), 'warden-events-any.log') }, false],
    ['fd 1', { destination: 1 }, true],
    ['process.stdout', { destination: process.stdout }, true],
    ['/dev/stdout', { destination: '/dev/stdout' }, true],
    ['/proc/self/fd/1', { destination: '/proc/self/fd/1' }, true],
    ['/dev/stderr', { destination: '/dev/stderr' }, false],
    ['a pino destination on fd 1', { destination: pino.destination({ dest: 1, sync: true }) }, true],
    ['a logger on stdout', { logger: pino(pino.destination({ dest: 1, sync: true })) }, true],
    ['a logger on stderr', { logger: pino(pino.destination({ dest: 2, sync: true })) }, false],
  ] as const)('pinoSink on %s says whether it writes to stdout', (_name, options, expected) => {
    const sink = pinoSink(options);
    expect(sink.writesToStdout).toBe(expected);
    expect(new SecurityEventBus([new MemoryEventSink(), sink]).writesToStdout).toBe(expected);
  });
});
