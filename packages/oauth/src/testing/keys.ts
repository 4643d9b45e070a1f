import { KeyObject, sign, type webcrypto } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/** A signing key pair for tests, with its public JWK (carrying `kid` and `alg`). */
export interface TestKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK & { kty: string };
}

let counter = 0;

/** Generates a key pair for `alg` with a unique `kid`. */
export async function createTestKey(
  alg: 'ES256' | 'EdDSA' | 'RS256' | 'PS256' | 'ES384',
  kid = `test-${alg.toLowerCase()}-${++counter}`,
): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const publicJwk = (await exportJWK(publicKey)) as JWK & { kty: string };
  publicJwk.kid = kid;
  publicJwk.alg = alg;
  publicJwk.use = 'sig';
  return { alg, kid, privateKey, publicKey, publicJwk };
}

/** Signs an access token with sensible valid defaults (5 min lifetime) that `claims` and `header` override. */
export async function signAccessToken(
  key: TestKey,
  claims: JWTPayload & Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iat: now,
    exp: now + 300,
    sub: 'alice',
    client_id: 'client-1',
    scope: 'notes:read',
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
    .sign(key.privateKey);
}

export function b64url(value: string | Uint8Array): string {
  return Buffer.from(value).toString('base64url');
}

/** Assembles a compact JWS by hand from a header, a payload and raw signature bytes (for forged tokens). */
export function rawJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signature: Uint8Array | string = '',
): string {
  const sig = typeof signature === 'string' ? signature : b64url(signature);
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${sig}`;
}

/**
 * Signs any header by hand with node:crypto (jose refuses to sign headers such as an unknown `crit`, which is
 * exactly what an attacker would send). Supports ES256 and RS256 keys.
 */
export function signRaw(
  key: TestKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown> | string,
): string {
  // A string payload is taken as the JSON text itself (for values JSON.stringify cannot write, e.g. 1e999).
  const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const input = `${b64url(JSON.stringify(header))}.${b64url(json)}`;
  const keyObject = KeyObject.from(key.privateKey as unknown as webcrypto.CryptoKey);
  const signature =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: keyObject, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), keyObject);
  return `${input}.${b64url(signature)}`;
}
