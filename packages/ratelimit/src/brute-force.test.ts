import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BruteForceGuard } from './brute-force.js';
import { createMemoryStore } from './store.js';

describe('BruteForceGuard', () => {
  it('allows, then imposes doubling cool-downs, then blocks at maxFailures', async () => {
    const guard = new BruteForceGuard(createMemoryStore(), {
      slowAfter: 2,
      maxFailures: 5,
      slowdownSeconds: 1,
      maxSlowdownSeconds: 3,
      blockSeconds: 60,
    });
    const address = '203.0.113.10';
    expect((await guard.recordFailure(address)).consequence).toBe('none');
    expect((await guard.check(address)).action).toBe('allow');
    const records = [
      await guard.recordFailure(address),
      await guard.recordFailure(address),
      await guard.recordFailure(address),
    ];
    expect(records.map((r) => [r.failures, r.consequence, r.seconds])).toEqual([
      [2, 'cooldown', 1],
      [3, 'cooldown', 2],
      [4, 'cooldown', 3], // capped at maxSlowdownSeconds
    ]);
    expect(await guard.check(address)).toMatchObject({ action: 'slow' });
    expect(await guard.recordFailure(address)).toMatchObject({
      failures: 5,
      consequence: 'blocked',
      seconds: 60,
    });
    const verdict = await guard.check(address);
    expect(verdict.action).toBe('block');
    expect(verdict.action === 'block' && verdict.retryAfterMs).toBeGreaterThan(50_000);
    // Other addresses are unaffected.
    expect((await guard.check('203.0.113.11')).action).toBe('allow');
  });

  it('releases a blocked address after the block window', async () => {
    const guard = new BruteForceGuard(createMemoryStore(), { slowAfter: 3, maxFailures: 3, blockSeconds: 1 });
    const address = '2001:db8:5::1';
    for (let i = 0; i < 3; i++) await guard.recordFailure(address);
    const verdict = await guard.check(address);
    expect(verdict.action).toBe('block');
    // The same /64 is blocked too.
    expect((await guard.check('2001:db8:5::99')).action).toBe('block');
    await sleep((verdict.action === 'block' ? verdict.retryAfterMs : 0) + 100);
    expect((await guard.check(address)).action).toBe('allow');
    // It starts from zero: one failure is not a block.
    expect((await guard.recordFailure(address)).consequence).toBe('none');
  });

  it('forgets failures on success, and lifts blocks on release', async () => {
    const guard = new BruteForceGuard(createMemoryStore(), {
      slowAfter: 2,
      maxFailures: 3,
      blockSeconds: 60,
    });
    await guard.recordFailure('192.0.2.1');
    await guard.recordSuccess('192.0.2.1');
    expect((await guard.recordFailure('192.0.2.1')).failures).toBe(1);
    for (let i = 0; i < 2; i++) await guard.recordFailure('192.0.2.1');
    expect((await guard.check('192.0.2.1')).action).toBe('block');
    await guard.release('192.0.2.1');
    expect((await guard.check('192.0.2.1')).action).toBe('allow');
  });

  it('rejects inconsistent options', () => {
    expect(() => new BruteForceGuard(createMemoryStore(), { slowAfter: 6, maxFailures: 5 })).toThrow(
      /slowAfter/,
    );
  });
});
