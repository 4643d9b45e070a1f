import { ConfigError, WardenError } from '@mcp-warden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiKeyManager, type ApiKeyManagerOptions } from './manager.js';
import { MemoryApiKeyStore } from './stores/memory.js';
import { PEPPER_1 } from './test-helpers.js';

const SECRET = 'this-is-a-pepper-secret-never-echoed'; // 36 bytes
const good = (): Record<string, unknown> => ({
  store: new MemoryApiKeyStore(),
  peppers: [{ id: 'p1', secret: SECRET }],
});

function construct(options: unknown): unknown {
  try {
    new ApiKeyManager(options as ApiKeyManagerOptions);
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Each bad option, what the message must name, and the fix it must suggest (core's parseOptions format). */
const BAD: ReadonlyArray<[string, () => unknown, RegExp]> = [
  [
    'no options at all',
    () => undefined,
    /✖ \(options\): options \{ store, peppers \} are required, e\.g\. new ApiKeyManager\(\{ store/,
  ],
  ['null', () => null, /✖ \(options\): options \{ store, peppers \} are required/],
  [
    'no peppers',
    () => ({ store: new MemoryApiKeyStore() }),
    /✖ peppers: must be a list of peppers such as .*openssl rand.* \(fix: this option is required/,
  ],
  [
    'no store',
    () => ({ peppers: [{ id: 'p1', secret: SECRET }] }),
    /✖ store: must be an ApiKeyStore \(fix: give new SqliteApiKeyStore/,
  ],
  ['empty peppers', () => ({ ...good(), peppers: [] }), /✖ peppers: needs at least one pepper/],
  ['peppers not a list', () => ({ ...good(), peppers: SECRET }), /✖ peppers: must be a list of peppers/],
  [
    'a short pepper',
    () => ({ ...good(), peppers: [{ id: 'p1', secret: 'short' }] }),
    /✖ peppers\[0\]\.secret: must be at least 32 bytes \(fix: generate one with `openssl rand/,
  ],
  ['a pepper without a secret', () => ({ ...good(), peppers: [{ id: 'p1' }] }), /✖ peppers\[0\]\.secret: /],
  [
    'a bad pepper id',
    () => ({ ...good(), peppers: [{ id: 'has space', secret: SECRET }] }),
    /✖ peppers\[0\]\.id: must be 1-32 .*\(fix: match /,
  ],
  [
    'a pepper id twice',
    () => ({
      ...good(),
      peppers: [
        { id: 'p1', secret: SECRET },
        { id: 'p1', secret: `${SECRET}2` },
      ],
    }),
    /✖ peppers: uses a pepper id twice \(fix: give each pepper its own id\)/,
  ],
  [
    'an unknown current pepper',
    () => ({ ...good(), currentPepperId: 'p9' }),
    /✖ currentPepperId: must be the id of one of the peppers \("p1"\) \(fix: /,
  ],
  [
    'a bad prefix',
    () => ({ ...good(), prefix: 'Bad_Prefix' }),
    /✖ prefix: must be 2-16 lower-case .*\(fix: match /,
  ],
  ['a store that is not one', () => ({ ...good(), store: {} }), /✖ store: must be an ApiKeyStore/],
  ['a bad cache', () => ({ ...good(), cache: { ttlMs: -1 } }), /✖ cache\.ttlMs: .*\(fix: use a value >= 0\)/],
  [
    'a bad lastUsedResolutionMs',
    () => ({ ...good(), lastUsedResolutionMs: 'often' }),
    /✖ lastUsedResolutionMs: .*\(fix: give a number\)/,
  ],
  [
    'a misspelled option',
    () => ({ ...good(), pepper: SECRET }),
    /✖ \(options\): unknown option "pepper" \(fix: did you mean "peppers"\?\)/,
  ],
  ['onEvent not a function', () => ({ ...good(), onEvent: 'log' }), /✖ onEvent: must be a function/],
];

describe('new ApiKeyManager(options) with bad options', () => {
  it.each(BAD)('%s: throws ConfigError saying what is wrong and how to fix it', (_name, options, message) => {
    const error = construct(options());
    expect(error).toBeInstanceOf(ConfigError);
    expect(WardenError.isInstance(error)).toBe(true);
    expect(error).not.toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^ApiKeyManager: invalid options \(\d+ problems?\):\n/);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('never throws anything but ConfigError for any options object, and never echoes a secret', () => {
    const value = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.constant(new MemoryApiKeyStore()),
      fc.constant([{ id: 'p1', secret: SECRET }]),
      fc.array(fc.record({ id: fc.string(), secret: fc.constantFrom(SECRET, 'x', PEPPER_1) })),
    );
    fc.assert(
      fc.property(
        fc.record(
          { store: value, peppers: value, prefix: value, currentPepperId: value, cache: value },
          { requiredKeys: [] },
        ),
        (options) => {
          const error = construct(options);
          if (error === undefined) return;
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).not.toContain(SECRET);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('good options still work', async () => {
    const manager = new ApiKeyManager(good() as unknown as ApiKeyManagerOptions);
    const { key } = await manager.create({ name: 'x' });
    expect(await manager.verify(key)).toMatchObject({ ok: true });
    await manager.close();
  });
});
