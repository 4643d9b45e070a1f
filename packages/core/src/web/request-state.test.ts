import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, WardenError } from '../errors.js';
import { createPrincipal } from '../principal.js';
import { decodeBase64url, encodeBase64url } from './base64url.js';
import { canonicalJson } from './canonical-json.js';
import {
  createRequestStateSealer,
  openRequestState,
  principalBinding,
  type RequestStateBinding,
  RequestStateError,
  requestDigest,
  requestStateBinding,
  sealMessageRequestState,
  sealResultRequestState,
} from './request-state.js';

const key = new Uint8Array(32).map((_, i) => i + 1);
const otherKey = new Uint8Array(32).map((_, i) => 200 - i);
const alice: RequestStateBinding = { principal: 'apikey:alice', digest: 'digest-of-tools-call-1' };
const bob: RequestStateBinding = { principal: 'apikey:bob', digest: alice.digest };
const otherRequest: RequestStateBinding = { principal: alice.principal, digest: 'digest-of-tools-call-2' };

function fakeClock(start = 1_800_000_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

/** Asserts the one refusal every failure must give: same class, message and client data. */
async function expectRefused(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RequestStateError);
  const refusal = error as RequestStateError;
  expect(WardenError.isInstance(refusal)).toBe(true);
  expect(refusal.toJsonRpcError()).toEqual({
    code: -32602,
    message: 'The request state is not valid: send the request again without requestState.',
    data: { code: 'REQUEST_STATE_INVALID' },
  });
  expect(refusal.httpStatus).toBe(400);
}

describe('requestState sealer: round trip and what the token shows', () => {
  it('opens what it sealed, for any state and binding', async () => {
    const sealer = createRequestStateSealer({ key });
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme' }), fc.string(), fc.string(), async (state, p, d) => {
        const binding = { principal: p, digest: d };
        const token = await sealer.seal(state, binding);
        expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(await sealer.open(token, binding)).toBe(state);
      }),
      { numRuns: 100 },
    );
  });

  it('writes neither the state, the principal nor the digest in clear, and never the same token twice', async () => {
    const sealer = createRequestStateSealer({ key });
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 8 }),
        fc.string({ minLength: 8 }),
        fc.string({ minLength: 8 }),
        async (state, principal, digest) => {
          const binding = { principal, digest };
          const token = await sealer.seal(state, binding);
          const bytes = new TextDecoder('latin1').decode(decodeBase64url(token));
          for (const secret of [state, principal, digest]) {
            expect(bytes.includes(new TextDecoder('latin1').decode(new TextEncoder().encode(secret)))).toBe(
              false,
            );
            expect(token.includes(secret)).toBe(false);
          }
          expect(await sealer.seal(state, binding)).not.toBe(token);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('requestState sealer: every tampering is one refusal', () => {
  it('refuses every single-byte change, at every position', async () => {
    const sealer = createRequestStateSealer({ key });
    const token = await sealer.seal('{"step":2,"approved":false}', alice);
    const bytes = decodeBase64url(token) as Uint8Array;
    for (let i = 0; i < bytes.length; i += 1) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const flipped = bytes.slice();
        flipped[i] = (flipped[i] as number) ^ mask;
        await expectRefused(sealer.open(encodeBase64url(flipped), alice));
      }
    }
  });

  it('refuses every truncation and every extension', async () => {
    const sealer = createRequestStateSealer({ key });
    const token = await sealer.seal('state', alice);
    for (let n = 0; n < token.length; n += 1) await expectRefused(sealer.open(token.slice(0, n), alice));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 40 }), async (extra) => {
        const bytes = decodeBase64url(token) as Uint8Array;
        const longer = new Uint8Array(bytes.length + extra.length);
        longer.set(bytes);
        longer.set(extra, bytes.length);
        await expectRefused(sealer.open(encodeBase64url(longer), alice));
      }),
      { numRuns: 50 },
    );
    for (const suffix of ['A', 'AA', 'AAA', '=', '==', '.', ' ']) {
      await expectRefused(sealer.open(token + suffix, alice));
    }
  });

  it('refuses other spellings of the same bytes (padding, base64, whitespace, case, trailing bits)', async () => {
    const sealer = createRequestStateSealer({ key });
    const tokens = await Promise.all(['a', 'bb', 'ccc', 'dddd', 'state'].map((s) => sealer.seal(s, alice)));
    for (const token of tokens) {
      const variants = [
        `${token}${'='.repeat((4 - (token.length % 4)) % 4 || 4)}`,
        token.replaceAll('-', '+').replaceAll('_', '/'),
        `${token.slice(0, 10)}\n${token.slice(10)}`,
        ` ${token}`,
        `${token}\t`,
        token.toUpperCase(),
        token.toLowerCase(),
        encodeURIComponent(token).replaceAll('-', '%2D'),
      ];
      // Non-canonical trailing bits: when the last character carries unused bits, set one.
      const last = token.at(-1) as string;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      if (token.length % 4 !== 0) variants.push(token.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1]);
      for (const variant of variants.filter((v) => v !== token))
        await expectRefused(sealer.open(variant, alice));
      expect(await sealer.open(token, alice)).toBeTypeOf('string');
    }
  });

  it('refuses a token swapped to another principal or another request', async () => {
    const sealer = createRequestStateSealer({ key });
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.record({ principal: fc.string(), digest: fc.string() }),
        fc.record({ principal: fc.string(), digest: fc.string() }),
        async (state, a, b) => {
          fc.pre(a.principal !== b.principal || a.digest !== b.digest);
          await expectRefused(sealer.open(await sealer.seal(state, a), b));
        },
      ),
      { numRuns: 100 },
    );
    const token = await sealer.seal('state', alice);
    await expectRefused(sealer.open(token, bob));
    await expectRefused(sealer.open(token, otherRequest));
    // Length prefixes: moving a character from the principal to the digest is another binding.
    const shifted = { principal: 'apikey:alic', digest: `e${alice.digest}` };
    await expectRefused(
      sealer.open(await sealer.seal('s', { principal: 'ab', digest: 'c' }), { principal: 'a', digest: 'bc' }),
    );
    await expectRefused(sealer.open(token, shifted));
  });

  it('refuses anything that is not a token', async () => {
    const sealer = createRequestStateSealer({ key });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.base64String(), fc.stringMatching(/^[A-Za-z0-9_-]{0,120}$/)),
        async (s) => expectRefused(sealer.open(s, alice)),
      ),
      { numRuns: 200 },
    );
    await expectRefused(sealer.open('A'.repeat(1_000_000), alice));
    await expectRefused(sealer.open(42 as unknown as string, alice));
  });
});

describe('requestState sealer: time and keys', () => {
  it('honours the TTL with a fake clock, and refuses an expiry further ahead than the TTL', async () => {
    const clock = fakeClock();
    const sealer = createRequestStateSealer({ key, ttlMs: 60_000, now: clock.now });
    const token = await sealer.seal('state', alice);
    clock.t += 60_000;
    expect(await sealer.open(token, alice)).toBe('state');
    clock.t += 1;
    await expectRefused(sealer.open(token, alice));
    // A token "from the future" (sealed by a clock far ahead) is not accepted for longer than the TTL allows.
    const ahead = fakeClock(clock.t + 3_600_000);
    const future = await createRequestStateSealer({ key, ttlMs: 60_000, now: ahead.now }).seal('s', alice);
    await expectRefused(sealer.open(future, alice));
  });

  it('rotates keys: old tokens open only while the old key is listed, new tokens need the new key', async () => {
    const old = createRequestStateSealer({ key });
    const rotated = createRequestStateSealer({ key: otherKey, previousKeys: [key] });
    const newOnly = createRequestStateSealer({ key: otherKey });
    const oldToken = await old.seal('state', alice);
    expect(await rotated.open(oldToken, alice)).toBe('state');
    await expectRefused(newOnly.open(oldToken, alice));
    const newToken = await rotated.seal('state', alice);
    expect(await newOnly.open(newToken, alice)).toBe('state');
    await expectRefused(old.open(newToken, alice));
  });

  it('keeps its own copy of the key', async () => {
    const mutable = key.slice();
    const sealer = createRequestStateSealer({ key: mutable });
    const token = await sealer.seal('state', alice);
    mutable.fill(0);
    expect(await sealer.open(token, alice)).toBe('state');
  });

  it('rejects bad options at setup', () => {
    const bad = [
      { key: new Uint8Array(31) },
      { key: 'x'.repeat(32) as unknown as Uint8Array },
      { key, previousKeys: [new Uint8Array(8)] },
      { key, ttlMs: 0 },
      { key, ttlMs: 1.5 },
      { key, maxStateBytes: -1 },
    ];
    for (const options of bad) expect(() => createRequestStateSealer(options)).toThrow(ConfigError);
  });

  it('refuses to seal a state over the bound, with a server-side error', async () => {
    const sealer = createRequestStateSealer({ key, maxStateBytes: 16 });
    const error = await sealer.seal('x'.repeat(17), alice).catch((e: unknown) => e);
    expect(WardenError.isInstance(error) && error.httpStatus).toBe(500);
    expect(error).not.toBeInstanceOf(RequestStateError);
  });
});

describe('request digest and binding', () => {
  it('ignores key order, _meta, requestState and inputResponses, and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), async (args, noise) => {
        const params = { name: 'deploy', arguments: args };
        const reordered = Object.fromEntries(Object.entries({ ...params }).reverse());
        const retried = { ...reordered, _meta: { noise }, requestState: 'x', inputResponses: { a: noise } };
        expect(await requestDigest('tools/call', retried)).toBe(await requestDigest('tools/call', params));
        expect(await requestDigest('prompts/get', params)).not.toBe(
          await requestDigest('tools/call', params),
        );
        const changed = { ...params, arguments: { ...args, __extra: 1 } };
        expect(await requestDigest('tools/call', changed)).not.toBe(
          await requestDigest('tools/call', params),
        );
      }),
      { numRuns: 60 },
    );
  });

  it('writes canonical JSON that parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
    expect(canonicalJson({ b: 1, a: [true, null, 'x'] })).toBe('{"a":[true,null,"x"],"b":1}');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const bad of [cycle, 1n, () => 1, Number.NaN]) expect(() => canonicalJson(bad)).toThrow(TypeError);
  });

  it('binds the authenticating plugin and the id, unambiguously', async () => {
    const p = createPrincipal({ id: 'alice', kind: 'apikey', authenticatedBy: 'api-key' });
    expect(principalBinding(p)).toBe('api-key:alice');
    expect(principalBinding(createPrincipal({ id: 'b:c', kind: 'x', authenticatedBy: 'a' }))).not.toBe(
      principalBinding(createPrincipal({ id: 'c', kind: 'x', authenticatedBy: 'a:b' })),
    );
    const binding = await requestStateBinding(p, 'tools/call', { name: 't' });
    expect(binding).toEqual({
      principal: 'api-key:alice',
      digest: await requestDigest('tools/call', { name: 't' }),
    });
  });
});

describe('sealResultRequestState / openRequestState: where the spec puts the field', () => {
  const sealer = createRequestStateSealer({ key });
  const inputRequired = {
    resultType: 'input_required',
    inputRequests: {
      github_login: { method: 'elicitation/create', params: { mode: 'form', message: 'Name?' } },
    },
    requestState: '{"approved":false}',
  };

  it('seals result.requestState and opens params.requestState of the retry', async () => {
    const p = createPrincipal({ id: 'alice', kind: 'apikey', authenticatedBy: 'api-key' });
    const original = { name: 'deploy', arguments: { env: 'prod' }, _meta: { progressToken: 1 } };
    const sealed = await sealResultRequestState(
      inputRequired,
      await requestStateBinding(p, 'tools/call', original),
      sealer,
    );
    expect(sealed.inputRequests).toEqual(inputRequired.inputRequests);
    expect(sealed.requestState).not.toBe(inputRequired.requestState);

    const retry = {
      ...original,
      inputResponses: { github_login: { action: 'accept' } },
      requestState: sealed.requestState,
    };
    const opened = await openRequestState(retry, await requestStateBinding(p, 'tools/call', retry), sealer);
    expect(opened).toEqual({ ...retry, requestState: inputRequired.requestState });

    // The same token on a retry with other arguments, or from another principal, is refused.
    const edited = { ...retry, arguments: { env: 'staging' } };
    await expectRefused(openRequestState(edited, await requestStateBinding(p, 'tools/call', edited), sealer));
    const mallory = createPrincipal({ id: 'mallory', kind: 'apikey', authenticatedBy: 'api-key' });
    await expectRefused(
      openRequestState(retry, await requestStateBinding(mallory, 'tools/call', retry), sealer),
    );
  });

  it('seals the result of a JSON-RPC response and leaves other messages alone', async () => {
    const response = { jsonrpc: '2.0', id: 3, result: inputRequired };
    const sealed = await sealMessageRequestState(response, alice, sealer);
    expect(sealed.id).toBe(3);
    expect(await sealer.open(sealed.result.requestState, alice)).toBe(inputRequired.requestState);
    const progress = { jsonrpc: '2.0', method: 'notifications/progress', params: { requestState: 'x' } };
    expect(await sealMessageRequestState(progress, alice, sealer)).toBe(progress);
    const complete = { jsonrpc: '2.0', id: 4, result: { resultType: 'complete', content: [] } };
    expect(await sealMessageRequestState(complete, alice, sealer)).toBe(complete);
  });

  it('leaves results and params without requestState alone, drops a non-string one, refuses a non-string echo', async () => {
    const complete = { resultType: 'complete', content: [] };
    expect(await sealResultRequestState(complete, alice, sealer)).toBe(complete);
    expect(await sealResultRequestState(null, alice, sealer)).toBe(null);
    expect(
      await sealResultRequestState({ resultType: 'input_required', requestState: { a: 1 } }, alice, sealer),
    ).toEqual({
      resultType: 'input_required',
    });
    const params = { name: 't' };
    expect(await openRequestState(params, alice, sealer)).toBe(params);
    for (const bad of [null, 1, {}, [], true]) {
      await expectRefused(openRequestState({ name: 't', requestState: bad }, alice, sealer));
    }
    // A client inventing a requestState the server never issued is refused, whatever it contains.
    await expectRefused(openRequestState({ name: 't', requestState: '{"approved":true}' }, alice, sealer));
  });
});
