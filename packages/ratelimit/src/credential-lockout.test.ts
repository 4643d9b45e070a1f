import {
  AuthenticationError,
  createPrincipal,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from '@mcp-warden/core';
import { startTestHttpServer, type TestHttpServer } from '@mcp-warden/core/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BruteForceGuard } from './brute-force.js';
import { CredentialFingerprinter } from './fingerprint.js';
import { rateLimit } from './plugin.js';
import { createMemoryStore } from './store.js';

const VALID_KEY = 'victim-valid-key-0123456789';

/** A Bearer authenticator with one valid key; every other Bearer value is a bad credential. */
function bearerAuth(): WardenPlugin {
  return {
    specVersion: WARDEN_SPEC_VERSION,
    name: 'bearer-test',
    authenticate(request) {
      const header = request.headers.authorization;
      if (header === undefined) return undefined;
      if (header !== `Bearer ${VALID_KEY}`) throw new AuthenticationError({ reason: 'unknown bearer key' });
      return createPrincipal({ id: 'victim', kind: 'test' });
    },
    challenge: () => ({ scheme: 'Bearer', params: { realm: 'test' } }),
  };
}

function createServer(): McpServer {
  const server = new McpServer({ name: 'lockout-test', version: '1.0.0' });
  server.registerTool('work', { inputSchema: { n: z.number() } }, async ({ n }) => ({
    content: [{ type: 'text', text: String(n) }],
  }));
  return server;
}

let nextId = 1;
async function call(server: TestHttpServer, key: string): Promise<number> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${key}`,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: nextId++,
      method: 'tools/call',
      params: { name: 'work', arguments: { n: 1 } },
    }),
  });
  await response.text();
  return response.status;
}

/** Distinct random bad keys (never the valid one). */
const badKeys = (min: number, max: number) =>
  fc.uniqueArray(fc.stringMatching(/^bad_[A-Za-z0-9]{12,36}$/), { minLength: min, maxLength: max });

describe('CredentialFingerprinter', () => {
  it('is keyed, deterministic per process, tells credentials apart and never contains the credential', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 200 }),
        (a, b) => {
          const one = new CredentialFingerprinter();
          const other = new CredentialFingerprinter();
          const fa = one.of({ authorization: a });
          expect(fa).toMatch(/^[A-Za-z0-9_-]{22}$/);
          expect(one.of({ authorization: a })).toBe(fa);
          // Another process (another random key) gives another name to the same credential.
          expect(other.of({ authorization: a })).not.toBe(fa);
          if (a !== b) expect(one.of({ authorization: b })).not.toBe(fa);
          // The same value in another credential header is another presentation.
          expect(one.of({ 'x-api-key': a })).not.toBe(fa);
          if (a.length >= 4) expect(fa).not.toContain(a);
        },
      ),
      { numRuns: 200 },
    );
    expect(new CredentialFingerprinter().of({ 'content-type': 'application/json' })).toBeUndefined();
    const shared = { secret: 'x'.repeat(32) };
    expect(new CredentialFingerprinter(shared).of({ authorization: 'k' })).toBe(
      new CredentialFingerprinter(shared).of({ authorization: 'k' }),
    );
  });
});

describe('BruteForceGuard per credential and address', () => {
  it('caps spraying at addressMaxFailures, while a valid credential below it is never refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 25 }),
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 30 }), { minLength: 40, maxLength: 40 }),
        async (maxFailures, extra, credentials) => {
          const addressMaxFailures = maxFailures + extra;
          const guard = new BruteForceGuard(createMemoryStore(), {
            maxFailures,
            slowAfter: maxFailures,
            addressMaxFailures,
          });
          const [victim, ...sprayed] = credentials;
          for (let i = 0; i < addressMaxFailures - 1; i++) {
            await guard.recordFailure('198.51.100.7', sprayed[i]);
            expect((await guard.check('198.51.100.7', victim)).action).toBe('allow');
          }
          const last = await guard.recordFailure('198.51.100.7', sprayed[addressMaxFailures - 1]);
          expect(last).toMatchObject({ consequence: 'blocked', scope: 'address' });
          expect(await guard.check('198.51.100.7', sprayed[addressMaxFailures])).toMatchObject({
            action: 'block',
            scope: 'address',
          });
          // Another address is untouched.
          expect((await guard.check('198.51.100.8', sprayed[0])).action).toBe('allow');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('caps guessing one credential at maxFailures without touching other credentials from the address', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        async (maxFailures, guessed, other) => {
          fc.pre(guessed !== other);
          const guard = new BruteForceGuard(createMemoryStore(), { maxFailures, slowAfter: maxFailures });
          for (let i = 1; i < maxFailures; i++) {
            expect(await guard.recordFailure('203.0.113.5', guessed)).toMatchObject({
              failures: i,
              consequence: 'none',
            });
            expect((await guard.check('203.0.113.5', guessed)).action).toBe('allow');
          }
          expect(await guard.recordFailure('203.0.113.5', guessed)).toMatchObject({
            consequence: 'blocked',
            scope: 'credential',
          });
          expect(await guard.check('203.0.113.5', guessed)).toMatchObject({
            action: 'block',
            scope: 'credential',
          });
          expect((await guard.check('203.0.113.5', other)).action).toBe('allow');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('lets a recently successful credential through an address block, and no other', async () => {
    const guard = new BruteForceGuard(createMemoryStore(), {
      maxFailures: 2,
      slowAfter: 2,
      addressMaxFailures: 5,
    });
    await guard.markTrusted('good');
    for (let i = 0; i < 5; i++) await guard.recordFailure('192.0.2.9', `bad-${i}`);
    expect((await guard.check('192.0.2.9', 'good')).action).toBe('allow');
    expect(await guard.check('192.0.2.9', 'never-seen')).toMatchObject({ action: 'block', scope: 'address' });
    expect(await guard.check('192.0.2.9')).toMatchObject({ action: 'block', scope: 'address' });
    // The trusted credential's own counter still caps it.
    await guard.recordFailure('192.0.2.9', 'good');
    await guard.recordFailure('192.0.2.9', 'good');
    expect(await guard.check('192.0.2.9', 'good')).toMatchObject({ action: 'block', scope: 'credential' });
  });

  it('refuses addressMaxFailures below maxFailures', () => {
    expect(
      () => new BruteForceGuard(createMemoryStore(), { maxFailures: 10, addressMaxFailures: 9 }),
    ).toThrow(/addressMaxFailures/);
  });
});

describe('rateLimit plugin: shared addresses over HTTP', () => {
  it('a valid key from the same address gets in while others spray bad keys in parallel below the address threshold; past it the sprayer is capped', async () => {
    await fc.assert(
      fc.asyncProperty(badKeys(12, 40), fc.integer({ min: 1, max: 3 }), async (keys, maxFailures) => {
        const addressMaxFailures = keys.length + 1;
        const server = await startTestHttpServer({
          plugins: [
            rateLimit({
              rules: [],
              bruteForce: { maxFailures, slowAfter: maxFailures, addressMaxFailures, blockSeconds: 60 },
            }),
            bearerAuth(),
          ],
          createServer,
          sessions: 'stateless',
        });
        try {
          // Attacker and victim interleaved: a failure attributed to the wrong credential would block the victim.
          const results = await Promise.all(
            keys.flatMap((key) => [call(server, key).then((s) => ['bad', s]), call(server, VALID_KEY)]),
          );
          expect(results.filter((r) => r === 200)).toHaveLength(keys.length);
          expect(results.filter((r) => Array.isArray(r) && r[1] !== 401)).toEqual([]);
          expect(await call(server, VALID_KEY)).toBe(200);
          // One more failure reaches the address-wide threshold: any further new key is refused.
          expect(await call(server, 'one-more-bad-key')).toBe(401);
          expect(await call(server, 'yet-another-bad-key')).toBe(429);
          // The victim authenticated within the window, so its key is still let through.
          expect(await call(server, VALID_KEY)).toBe(200);
        } finally {
          await server.close();
        }
        // One address-wide block; with maxFailures 1 each bad key's single failure also blocked that key.
        const scopes = server.events.ofType('auth.blocked').map((e) => e.details?.scope);
        expect(scopes.filter((s) => s === 'address')).toHaveLength(1);
        expect(scopes.filter((s) => s === 'credential')).toHaveLength(maxFailures === 1 ? keys.length : 0);
        const log = JSON.stringify(server.events.events);
        for (const key of [...keys, VALID_KEY]) expect(log).not.toContain(key);
      }),
      { numRuns: 4 },
    );
  });

  it('caps guessing one credential repeatedly at maxFailures, while the valid key from the address still works', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^bad_[A-Za-z0-9]{12,36}$/),
        fc.integer({ min: 1, max: 5 }),
        async (guess, maxFailures) => {
          const server = await startTestHttpServer({
            plugins: [
              rateLimit({ rules: [], bruteForce: { maxFailures, slowAfter: maxFailures } }),
              bearerAuth(),
            ],
            createServer,
            sessions: 'stateless',
          });
          try {
            const statuses: number[] = [];
            for (let i = 0; i < maxFailures + 3; i++) statuses.push(await call(server, guess));
            expect(statuses).toEqual([...Array(maxFailures).fill(401), 429, 429, 429]);
            expect(await call(server, VALID_KEY)).toBe(200);
          } finally {
            await server.close();
          }
          expect(server.events.ofType('auth.blocked').map((e) => e.details?.scope)).toEqual(['credential']);
        },
      ),
      { numRuns: 5 },
    );
  });
});
