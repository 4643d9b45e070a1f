import { afterEach, describe, expect, it, vi } from 'vitest';

// The load-time feature test: where node:crypto has no working chacha20-poly1305, libsodium seals and opens.
type NodeCrypto = typeof import('node:crypto');

const variants: { name: string; patch: (real: NodeCrypto) => Partial<NodeCrypto> }[] = [
  {
    name: 'the cipher is not listed',
    patch: (real) => ({ getCiphers: () => real.getCiphers().filter((c) => c !== 'chacha20-poly1305') }),
  },
  {
    name: 'creating the cipher throws',
    patch: () => ({
      createCipheriv: (() => {
        throw new Error('Unknown cipher');
      }) as unknown as NodeCrypto['createCipheriv'],
    }),
  },
  {
    name: 'the cipher computes something else',
    patch: (real) => ({
      createCipheriv: ((_alg: string, key: Uint8Array, iv: Uint8Array, opts: object) =>
        real.createCipheriv(
          'chacha20-poly1305',
          Uint8Array.from(key).reverse(),
          iv,
          opts as never,
        )) as unknown as NodeCrypto['createCipheriv'],
    }),
  },
  {
    name: 'there is no createCipheriv',
    patch: () => ({ createCipheriv: undefined as unknown as NodeCrypto['createCipheriv'] }),
  },
];

afterEach(() => {
  vi.doUnmock('node:crypto');
  vi.resetModules();
});

describe('feature test at load', () => {
  for (const variant of variants) {
    it(`falls back to libsodium when ${variant.name}, and libsodium seals and opens`, async () => {
      vi.resetModules();
      vi.doMock('node:crypto', async (importOriginal) => {
        const real = await importOriginal<NodeCrypto>();
        return { ...real, ...variant.patch(real) };
      });
      const { loadSodium } = await import('./sodium.js');
      await loadSodium();
      const { aead, aeadBackendName, useAeadBackend } = await import('./aead.js');
      expect(aeadBackendName()).toBe('libsodium');
      expect(() => useAeadBackend('native')).toThrow(/not available/);
      const key = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
      const nonce = Uint8Array.from({ length: 24 }, (_, i) => 0x40 + i);
      const pt = new TextEncoder().encode('x');
      const out = new Uint8Array(17);
      aead().seal(key, nonce, new Uint8Array(0), new Uint8Array(0), pt, out, 0);
      expect(aead().open(key, nonce, new Uint8Array(0), new Uint8Array(0), out)?.[0]).toBe(0x78);
    });
  }
});

const wrapperCalls: string[] = [];

describe('libsodium without its WebAssembly module exposed', () => {
  it('goes through the libsodium.js API and still gives the draft A.3.1 bytes and refuses a flipped tag', async () => {
    vi.resetModules();
    vi.doMock('node:crypto', async (importOriginal) => {
      const real = await importOriginal<NodeCrypto>();
      return { ...real, getCiphers: () => [] };
    });
    vi.doMock('libsodium-wrappers-sumo', async (importOriginal) => {
      const real = (await importOriginal<{ default: object }>()).default;
      const hidden = new Proxy(real, {
        get: (t, k) => {
          if (k === 'libsodium') return undefined;
          if (typeof k === 'string' && k.startsWith('crypto_aead_xchacha20poly1305_ietf_'))
            wrapperCalls.push(k);
          return Reflect.get(t, k);
        },
      });
      return { default: hidden };
    });
    try {
      const { loadSodium } = await import('./sodium.js');
      await loadSodium();
      const { aead, aeadBackendName } = await import('./aead.js');
      expect(aeadBackendName()).toBe('libsodium');
      const key = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
      const nonce = Uint8Array.from({ length: 24 }, (_, i) => 0x40 + i);
      const ad = Buffer.from('50515253c0c1c2c3c4c5c6c7', 'hex');
      const pt = Buffer.from(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
      );
      const out = new Uint8Array(pt.length + 16);
      aead().seal(key, nonce, ad, new Uint8Array(0), pt, out, 0);
      expect(Buffer.from(out.subarray(pt.length)).toString('hex')).toBe('c0875924c1c7987947deafd8780acf49');
      out[0]! ^= 1;
      expect(aead().open(key, nonce, ad, new Uint8Array(0), out)).toBeUndefined();
      expect(wrapperCalls).toContain('crypto_aead_xchacha20poly1305_ietf_encrypt');
      expect(wrapperCalls).toContain('crypto_aead_xchacha20poly1305_ietf_decrypt');
    } finally {
      vi.doUnmock('libsodium-wrappers-sumo');
    }
  });
});
