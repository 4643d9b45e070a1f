import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClientAddressResolver, normalizeAddress } from '../__fixtures__/blocklist-resolver.js';
import { createWebClientAddressResolver, ipFamily, normalizeWebAddress } from './client-address.js';

/** Addresses in every spelling a peer, a proxy or a client may write, plus near misses. */
const v4 = fc.ipV4();
const v6 = fc.ipV6();
const mapped = v4.map((a) => `::ffff:${a}`);
const hexMapped = fc
  .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
  .map(([a, b]) => `::ffff:${a.toString(16)}:${b.toString(16)}`);
const near = fc.oneof(
  fc.constantFrom('1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', ':::', '1::2::3', 'fe80::1%eth0', '::', 'x'),
  fc.stringMatching(/^[0-9a-f:.]{1,20}$/),
);
const address = fc.oneof(
  v4,
  v6,
  mapped,
  hexMapped,
  near,
  v4.map((a) => `${a}:8080`),
  v6.map((a) => `[${a}]:443`),
);
const cidr = fc.oneof(
  fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, n]) => `${a}/${n}`),
  fc.tuple(v6, fc.integer({ min: 0, max: 128 })).map(([a, n]) => `${a}/${n}`),
  fc.tuple(v4, fc.integer({ min: 96, max: 128 })).map(([a, n]) => `::ffff:${a}/${n}`),
  v4,
  v6,
);

describe('web client address resolver: parity with the node BlockList resolver', () => {
  it('generated: same family and normalization as net.isIP / normalizeAddress', () => {
    fc.assert(
      fc.property(address, (a) => {
        expect(ipFamily(a)).toBe(isIP(a));
        expect(normalizeWebAddress(a)).toBe(normalizeAddress(a));
      }),
      { numRuns: 3000 },
    );
  });

  it('generated: same client address for any proxies, peer and X-Forwarded-For', () => {
    fc.assert(
      fc.property(
        fc.array(cidr, { minLength: 1, maxLength: 4 }),
        address,
        fc.array(address, { maxLength: 4 }),
        (proxies, peer, hops) => {
          const node = createClientAddressResolver(proxies);
          const web = createWebClientAddressResolver(proxies);
          const forwarded = hops.join(', ');
          expect(web(peer, forwarded)).toBe(node(peer, forwarded));
          // A peer inside a trusted range: the walk through the header must agree too.
          const inside = proxies[0]!.split('/')[0]!;
          expect(web(inside, forwarded)).toBe(node(inside, forwarded));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses the same configurations', () => {
    for (const bad of [['10.0.0.0/33'], ['x'], ['1.2.3.4/8/1'], ['::/129'], [3], 2, { hops: 33 }]) {
      const call = (make: typeof createClientAddressResolver) => () => make(bad as never);
      expect(call(createWebClientAddressResolver)).toThrow();
      expect(call(createClientAddressResolver)).toThrow();
    }
  });
});
