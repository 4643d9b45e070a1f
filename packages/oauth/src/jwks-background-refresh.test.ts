import type { ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { OAUTH_ERROR_CODES, TokenVerificationError } from './errors.js';
import { createTestKey, signAccessToken } from './testing/keys.js';
import { listenLocal } from './testing/servers.js';
import { createTokenVerifier } from './token-verifier.js';

/**
 * Issue 13 item 9: a slow JWKS endpoint must not hold requests. A real node:http JWKS server that answers at once
 * until told to hold, then keeps every request open until the test releases it.
 */
const RESOURCE = 'http://127.0.0.1:3000/mcp';
const ISSUER = 'https://as.example.test';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function slowJwksServer(initial: JWK[]) {
  let keys = initial;
  let holding = false;
  let held: ServerResponse[] = [];
  const arrived: (() => void)[] = [];
  let requests = 0;
  let answered = 0;
  const answer = (res: ServerResponse) => {
    answered++;
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys }));
  };
  const local = await listenLocal((_req, res) => {
    requests++;
    if (holding) held.push(res);
    else answer(res);
    for (const notify of arrived.splice(0)) notify();
  });
  cleanups.push(local.close);
  return {
    url: `${local.origin}/jwks`,
    get requests() {
      return requests;
    },
    get answered() {
      return answered;
    },
    setKeys(next: JWK[]) {
      keys = next;
    },
    hold() {
      holding = true;
    },
    /** Resolves once the server holds at least `n` requests. */
    async holdingAtLeast(n: number) {
      while (held.length < n) await new Promise<void>((resolve) => arrived.push(resolve));
    },
    /** Answers every held request (with the current keys) and stops holding. */
    release() {
      holding = false;
      const list = held;
      held = [];
      for (const res of list) answer(res);
    },
  };
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(TokenVerificationError);
    return (error as TokenVerificationError).code;
  }
}

/**
 * Verifies until accepted: with a 50 ms wait budget, a request right after the JWKS is released may still find the
 * fetch finishing (then it is refused as late, and the next one joins the same fetch). Bounded, and never a new fetch.
 */
async function eventuallyAccepted(verify: () => Promise<unknown>): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < 100 && last !== 'accepted'; attempt++) last = await outcome(verify());
  return last;
}

const staleAfterOneSecond = () => new Promise((r) => setTimeout(r, 1100));

describe('JWKS refresh in the background (stale-while-revalidate)', () => {
  it('answers known kids while the refresh hangs, then picks up the new keys from that refresh', async () => {
    const known = await createTestKey('ES256');
    const next = await createTestKey('ES256');
    const jwks = await slowJwksServer([known.publicJwk]);
    const verifier = createTokenVerifier({
      resource: RESOURCE,
      issuer: ISSUER,
      jwksUri: jwks.url,
      tokenCache: false,
      // The held fetch would keep an awaiting request for up to a minute: the test would time out.
      // A generous wait budget: the new kid below joins the background refresh if it is still finishing.
      jwks: { cacheMaxAgeSeconds: 1, cooldownSeconds: 0, timeoutMs: 60_000, unknownKidWaitMs: 10_000 },
    });
    const token = (key: typeof known, sub: string) =>
      signAccessToken(key, { iss: ISSUER, aud: RESOURCE, sub });
    expect(await outcome(verifier.verify(await token(known, 'warm')))).toBe('accepted');
    expect(jwks.requests).toBe(1);

    await staleAfterOneSecond();
    jwks.hold();
    jwks.setKeys([known.publicJwk, next.publicJwk]);
    // Stale keys: each of these starts (or joins) the background refresh and is answered from the cache, while
    // the JWKS server has not answered anything since the warm-up.
    for (let i = 0; i < 5; i++) {
      expect(await outcome(verifier.verify(await token(known, `user-${i}`)))).toBe('accepted');
      expect(jwks.answered).toBe(1);
    }
    // The refresh really is in flight, and only one of it.
    await jwks.holdingAtLeast(1);
    expect(jwks.requests).toBe(2);
    expect(jwks.answered).toBe(1);

    jwks.release();
    // The new kid is served by the keys of the background refresh (joining it if it is still finishing), with
    // no further fetch.
    expect(await outcome(verifier.verify(await token(next, 'after')))).toBe('accepted');
    expect(jwks.requests).toBe(2);
  });

  it('lets an unknown kid wait only up to unknownKidWaitMs; known kids do not wait at all', async () => {
    const known = await createTestKey('EdDSA');
    const rotated = await createTestKey('EdDSA');
    const jwks = await slowJwksServer([known.publicJwk]);
    const verifier = createTokenVerifier({
      resource: RESOURCE,
      issuer: ISSUER,
      jwksUri: jwks.url,
      algorithms: ['EdDSA'],
      tokenCache: false,
      jwks: { cacheMaxAgeSeconds: 1, cooldownSeconds: 0, timeoutMs: 60_000, unknownKidWaitMs: 50 },
    });
    expect(await outcome(verifier.verify(await signAccessToken(known, { iss: ISSUER, aud: RESOURCE })))).toBe(
      'accepted',
    );
    jwks.hold();
    jwks.setKeys([known.publicJwk, rotated.publicJwk]);
    // Unknown kid, JWKS hanging: refused after the short budget, not after timeoutMs, while the fetch is still held.
    const refused = verifier.verify(await signAccessToken(rotated, { iss: ISSUER, aud: RESOURCE }));
    expect(await outcome(refused)).toBe(OAUTH_ERROR_CODES.JWKS_UNAVAILABLE);
    await expect(refused).rejects.toMatchObject({
      reason: expect.stringContaining('did not finish within 50 ms'),
    });
    expect(jwks.answered).toBe(1);
    // Known kid in the meantime: answered at once.
    expect(await outcome(verifier.verify(await signAccessToken(known, { iss: ISSUER, aud: RESOURCE })))).toBe(
      'accepted',
    );
    await jwks.holdingAtLeast(1);
    expect(jwks.answered).toBe(1);
    jwks.release();
    const rotatedToken = await signAccessToken(rotated, { iss: ISSUER, aud: RESOURCE });
    expect(await eventuallyAccepted(() => verifier.verify(rotatedToken))).toBe('accepted');
    expect(jwks.requests).toBe(2);
  });

  it('does not wait past the budget for the first fetch either, and serves its keys once it arrives', async () => {
    const key = await createTestKey('ES256');
    const jwks = await slowJwksServer([key.publicJwk]);
    jwks.hold();
    const verifier = createTokenVerifier({
      resource: RESOURCE,
      issuer: ISSUER,
      jwksUri: jwks.url,
      tokenCache: false,
      jwks: { timeoutMs: 60_000, unknownKidWaitMs: 50 },
    });
    const token = await signAccessToken(key, { iss: ISSUER, aud: RESOURCE });
    const refused = verifier.verify(token);
    expect(await outcome(refused)).toBe(OAUTH_ERROR_CODES.JWKS_UNAVAILABLE);
    await expect(refused).rejects.toMatchObject({
      reason: expect.stringContaining('did not arrive within 50 ms'),
    });
    await jwks.holdingAtLeast(1);
    expect(jwks.answered).toBe(0);
    jwks.release();
    // The default cooldown (30 s) forbids a second fetch: the key comes from the first one.
    expect(await eventuallyAccepted(() => verifier.verify(token))).toBe('accepted');
    expect(jwks.requests).toBe(1);
  });
});
