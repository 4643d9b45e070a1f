import { createHmac, randomBytes } from 'node:crypto';

/** Header names authenticators read credentials from by default (`@mcp-warden/apikey-auth`, `@mcp-warden/oauth`). */
export const DEFAULT_CREDENTIAL_HEADERS: readonly string[] = Object.freeze(['authorization', 'x-api-key']);

/** 128 bits of HMAC-SHA256: enough to tell credentials apart, and no more of the MAC than that is stored. */
const FINGERPRINT_BYTES = 16;

export interface CredentialFingerprinterOptions {
  /** Lower-case header names whose values make up the presented credential. @default ['authorization', 'x-api-key'] */
  headers?: readonly string[];
  /**
   * HMAC key. Instances that share a Redis store need the same key so that they count one credential under one
   * name. @default 32 random bytes, new in every process
   */
  secret?: string | Uint8Array;
}

/**
 * A keyed hash (HMAC-SHA256, truncated to 128 bits, base64url) of the credential a request presents, so failures
 * can be counted per credential without the credential itself ever being stored, logged or sent anywhere. With
 * the default per-process random key a fingerprint means nothing outside this process, and nobody holding the
 * counters can test guesses against them.
 *
 * @example
 * const fingerprints = new CredentialFingerprinter();
 * fingerprints.of({ authorization: 'Bearer abc' }); // 'q9…' (22 characters); undefined without a credential
 */
export class CredentialFingerprinter {
  readonly headers: readonly string[];
  readonly #key: Uint8Array | string;

  constructor(options: CredentialFingerprinterOptions = {}) {
    this.headers = [...(options.headers ?? DEFAULT_CREDENTIAL_HEADERS)].map((h) => h.toLowerCase());
    this.#key = options.secret ?? randomBytes(32);
  }

  /** The fingerprint of the credential in `headers`, or `undefined` when none of the credential headers is present. */
  of(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
    let mac: ReturnType<typeof createHmac> | undefined;
    for (const name of this.headers) {
      const raw = headers[name];
      if (raw === undefined) continue;
      const value = Array.isArray(raw) ? raw.join('\n') : raw;
      mac ??= createHmac('sha256', this.#key);
      // Name and value, NUL-separated: no two different header sets can feed the MAC the same bytes.
      mac.update(`${name}\0${value.length}\0${value}\0`);
    }
    return mac?.digest().subarray(0, FINGERPRINT_BYTES).toString('base64url');
  }
}
