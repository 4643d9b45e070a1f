import { describe, expect, it } from 'vitest';
import { RateLimitEngine, type RateLimitSubject } from './engine.js';
import { type RateLimitRuleInput, ruleSchema } from './options.js';
import { createMemoryStore } from './store.js';

function engineFor(...rules: RateLimitRuleInput[]): RateLimitEngine {
  return new RateLimitEngine(
    rules.map((r) => ruleSchema.parse(r)),
    createMemoryStore(),
  );
}

const alice: RateLimitSubject = {
  principalId: 'alice',
  authenticated: true,
  roles: [],
  method: 'tools/call',
  target: 'tool:search',
  remoteAddress: '192.0.2.1',
};

async function allowedCount(engine: RateLimitEngine, subject: RateLimitSubject, n: number): Promise<number> {
  const decisions = await Promise.all(Array.from({ length: n }, () => engine.consume(subject)));
  return decisions.filter((d) => d.allowed).length;
}

describe('RateLimitEngine (memory store)', () => {
  it('allows exactly the budget among many concurrent requests', async () => {
    const engine = engineFor({ name: 'per-user', key: ['principal'], points: 37, duration: 60 });
    expect(await allowedCount(engine, alice, 250)).toBe(37);
  });

  it('refuses with the time to wait and the budget that applied', async () => {
    const engine = engineFor({ name: 'per-user', key: ['principal'], points: 2, duration: 30 });
    await engine.consume(alice);
    await engine.consume(alice);
    const refused = await engine.consume(alice);
    expect(refused.allowed).toBe(false);
    expect(refused.refusal).toMatchObject({
      rule: 'per-user',
      points: 2,
      duration: 30,
      remaining: 0,
      allowed: false,
    });
    expect(refused.refusal?.msBeforeNext).toBeGreaterThan(0);
    expect(refused.refusal?.msBeforeNext).toBeLessThanOrEqual(30_000);
  });

  it('keeps separate budgets per key dimension value', async () => {
    const engine = engineFor({ name: 'per-tool', key: ['principal', 'target'], points: 3, duration: 60 });
    expect(await allowedCount(engine, alice, 10)).toBe(3);
    expect(await allowedCount(engine, { ...alice, target: 'tool:other' }, 10)).toBe(3);
    expect(await allowedCount(engine, { ...alice, principalId: 'bob' }, 10)).toBe(3);
  });

  it('charges the configured cost per target (first matching pattern wins, 0 is free)', async () => {
    const engine = engineFor({
      name: 'spend',
      key: ['principal'],
      points: 10,
      duration: 60,
      costs: { 'tool:generate_image': 4, 'tool:generate_*': 2, 'tool:ping': 0 },
    });
    const image = { ...alice, target: 'tool:generate_image' };
    expect(await allowedCount(engine, image, 5)).toBe(2); // 4 + 4, the third would need 12
    expect(await allowedCount(engine, { ...alice, target: 'tool:generate_text' }, 5)).toBe(1); // 10 - 8 = 2 left
    expect(await allowedCount(engine, { ...alice, target: 'tool:ping' }, 50)).toBe(50);
    expect(await allowedCount(engine, alice, 1)).toBe(0);
  });

  it('allows the burst allowance once the steady budget is spent', async () => {
    const engine = engineFor({
      name: 'bursty',
      key: ['principal'],
      points: 5,
      duration: 60,
      burst: { points: 3, duration: 600 },
    });
    expect(await allowedCount(engine, alice, 40)).toBe(8);
  });

  it('applies the first listed role override the principal holds, and exempts unlimited roles', async () => {
    const engine = engineFor({
      name: 'per-user',
      key: ['principal'],
      points: 2,
      duration: 60,
      roles: { premium: { points: 6, duration: 60 }, basic: { points: 4, duration: 60 }, admin: 'unlimited' },
    });
    expect(await allowedCount(engine, { ...alice, principalId: 'p', roles: ['basic', 'premium'] }, 20)).toBe(
      6,
    );
    expect(await allowedCount(engine, { ...alice, principalId: 'b', roles: ['basic'] }, 20)).toBe(4);
    expect(await allowedCount(engine, { ...alice, principalId: 'n', roles: ['other'] }, 20)).toBe(2);
    expect(await allowedCount(engine, { ...alice, principalId: 'a', roles: ['admin'] }, 100)).toBe(100);
    const refused = await engine.consume({ ...alice, principalId: 'b', roles: ['basic'] });
    expect(refused.refusal).toMatchObject({ role: 'basic', points: 4 });
  });

  it('applies a rule only to matching methods and targets', async () => {
    const engine = engineFor({
      name: 'db',
      key: ['principal'],
      points: 1,
      duration: 60,
      match: { methods: ['tools/*'], targets: ['tool:db_*'] },
    });
    expect(await allowedCount(engine, { ...alice, target: 'tool:db_query' }, 5)).toBe(1);
    expect(await allowedCount(engine, { ...alice, target: 'tool:search' }, 5)).toBe(5);
    expect(
      await allowedCount(engine, { ...alice, method: 'resources/read', target: 'tool:db_query' }, 5),
    ).toBe(5);
  });

  it('counts anonymous callers by address under the identity dimension, authenticated ones by principal', async () => {
    const engine = engineFor({ name: 'per-identity', key: ['identity'], points: 2, duration: 60 });
    const anon = {
      principalId: 'anonymous',
      authenticated: false,
      method: 'tools/call',
      remoteAddress: '198.51.100.1',
    };
    expect(await allowedCount(engine, anon, 5)).toBe(2);
    expect(await allowedCount(engine, { ...anon, remoteAddress: '198.51.100.2' }, 5)).toBe(2);
    // The same principal from two addresses shares one budget.
    expect(await allowedCount(engine, { ...alice, remoteAddress: '198.51.100.3' }, 1)).toBe(1);
    expect(await allowedCount(engine, { ...alice, remoteAddress: '198.51.100.4' }, 5)).toBe(1);
  });

  it('groups IPv6 clients by /64 and skips address rules when there is no address (stdio)', async () => {
    const engine = engineFor({ name: 'per-address', key: ['address'], points: 2, duration: 60 });
    expect(await allowedCount(engine, { ...alice, remoteAddress: '2001:db8:0:1::a' }, 1)).toBe(1);
    expect(await allowedCount(engine, { ...alice, remoteAddress: '2001:db8:0:1:ffff::b' }, 5)).toBe(1);
    expect(await allowedCount(engine, { ...alice, remoteAddress: '2001:db8:0:2::a' }, 5)).toBe(2);
    const { remoteAddress: _omitted, ...stdio } = alice;
    expect(await allowedCount(engine, stdio, 20)).toBe(20);
  });

  it('charges every applicable rule and reports the refusal with the longest wait', async () => {
    const engine = engineFor(
      { name: 'short', key: ['principal'], points: 1, duration: 5 },
      { name: 'long', key: ['principal'], points: 1, duration: 500 },
    );
    const first = await engine.consume(alice);
    expect(first.outcomes.map((o) => o.rule).sort()).toEqual(['long', 'short']);
    const second = await engine.consume(alice);
    expect(second.refusal?.rule).toBe('long');
  });

  it('hashes long keys (long resource URIs) into bounded store keys', async () => {
    const engine = engineFor({ name: 'per-resource', key: ['target'], points: 1, duration: 60 });
    const target = `resource:file:///${'a'.repeat(5000)}`;
    const decision = await engine.consume({ ...alice, method: 'resources/read', target });
    expect(decision.outcomes[0]?.key.length).toBeLessThanOrEqual(200);
    expect((await engine.consume({ ...alice, method: 'resources/read', target })).allowed).toBe(false);
    expect((await engine.consume({ ...alice, method: 'resources/read', target: `${target}b` })).allowed).toBe(
      true,
    );
  });
});
