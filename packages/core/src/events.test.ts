import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryEventSink, pinoSink, redactEventDetails, SecurityEventBus } from './events.js';

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
});
