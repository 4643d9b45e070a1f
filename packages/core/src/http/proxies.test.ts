import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { startTestHttpServer, type TestHttpServer } from '../testing/index.js';
import { createHttpHandler } from './edge.js';
import { createClientAddressResolver, normalizeAddress } from './proxies.js';

const PROXIES = ['10.0.0.0/8', '192.0.2.7', '2001:db8:1::/48', '::1'];
const resolve = createClientAddressResolver(PROXIES);

const octet = fc.integer({ min: 0, max: 255 });
const trustedV4 = fc.tuple(octet, octet, octet).map(([a, b, c]) => `10.${a}.${b}.${c}`);
const trustedV6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 5, maxLength: 5 })
  .map((g) => `2001:db8:1:${g.map((n) => n.toString(16)).join(':')}`);
const trustedHop = fc.oneof(trustedV4, trustedV6, fc.constant('192.0.2.7'), fc.constant('::1'));
/** Public addresses, outside every trusted range. */
const untrustedHop = fc.oneof(
  fc.tuple(fc.integer({ min: 11, max: 126 }), octet, octet, octet).map((p) => p.join('.')),
  fc.tuple(octet, octet).map(([a, b]) => `198.51.${a}.${b}`),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 6, maxLength: 6 }).map(
    (g) =>
      `2001:db8:2:${g
        .slice(1)
        .map((n) => n.toString(16))
        .join(':')}`,
  ),
);
/** Whatever a client writes to the left of its own entry: addresses, garbage, huge lists. */
const spoofed = fc.array(fc.oneof(trustedHop, untrustedHop, fc.constantFrom('unknown', 'x', '', '1.2.3')), {
  maxLength: 6,
});

describe('client address from X-Forwarded-For with a list of trusted proxies', () => {
  it('a peer that is not a trusted proxy is the client, whatever the header says', () => {
    fc.assert(
      fc.property(untrustedHop, spoofed, (peer, header) => {
        expect(resolve(peer, header.join(', '))).toBe(normalizeAddress(peer));
      }),
    );
  });

  it('behind trusted proxies: the rightmost untrusted hop, never anything a client wrote left of it', () => {
    fc.assert(
      fc.property(
        spoofed,
        untrustedHop,
        fc.array(trustedHop, { maxLength: 4 }),
        trustedHop,
        (left, client, innerProxies, peer) => {
          // client → proxy … → proxy(peer) → us; each proxy appends who connected to it.
          const header = [...left, client, ...innerProxies].join(', ');
          expect(resolve(peer, header)).toBe(normalizeAddress(client));
        },
      ),
    );
  });

  it('a client rotating the header behind a trusted proxy always gets the same address', () => {
    fc.assert(
      fc.property(untrustedHop, fc.array(spoofed, { minLength: 2, maxLength: 5 }), (client, rotations) => {
        const seen = new Set(rotations.map((left) => resolve('10.0.0.1', [...left, client].join(','))));
        expect([...seen]).toEqual([normalizeAddress(client)]);
      }),
    );
  });

  it('only trusted hops: the leftmost; garbage written by a trusted hop stops at that hop', () => {
    expect(resolve('10.0.0.1', '10.0.0.3, 10.0.0.2')).toBe('10.0.0.3');
    expect(resolve('10.0.0.1', '')).toBe('10.0.0.1');
    expect(resolve('10.0.0.1', undefined)).toBe('10.0.0.1');
    expect(resolve('10.0.0.1', '198.51.100.9, nonsense, 10.0.0.2')).toBe('10.0.0.2');
  });

  it('IPv4-mapped peers, ports and brackets are read as the address they carry', () => {
    expect(resolve('::ffff:10.1.2.3', '198.51.100.9')).toBe('198.51.100.9');
    expect(resolve('::ffff:198.51.100.1', '203.0.113.1')).toBe('198.51.100.1');
    expect(resolve('10.0.0.1', '198.51.100.9:4711')).toBe('198.51.100.9');
    expect(resolve('10.0.0.1', '[2001:db8:2::5]:443')).toBe('2001:db8:2::5');
    expect(resolve('::1', '[::1]:1, 2001:DB8:2::A')).toBe('2001:db8:2::a');
  });
});

describe('trustedProxies options', () => {
  it('refuses a bare hop count with a message that says what to write', () => {
    for (const count of [1, 2, 10]) {
      expect(() => createClientAddressResolver(count)).toThrow(/not a number.*\{ hops: \d+ \}/s);
      expect(() =>
        createHttpHandler({} as never, { createServer: demoServer, trustedProxies: count as never }),
      ).toThrow(/trustedProxies must list/);
    }
  });

  it('refuses entries that are not addresses or CIDRs', () => {
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0',
      'proxy.local',
      '::1/129',
      '10.0.0.1/8/1',
      '10.0.0.1:80',
      '*',
      '',
    ])
      expect(() => createClientAddressResolver([bad]), bad).toThrow(/not an IP address or CIDR/);
    expect(() => createClientAddressResolver({ hops: -1 })).toThrow(/hops/);
  });

  it('0 and [] trust nobody', () => {
    for (const option of [0, [], undefined, { hops: 0 }] as const)
      expect(createClientAddressResolver(option)('10.0.0.1', '198.51.100.9')).toBe('10.0.0.1');
  });

  it('{ hops } takes the n-th entry from the right, from anyone (the explicit, weaker mode)', () => {
    fc.assert(
      fc.property(fc.array(untrustedHop, { minLength: 1, maxLength: 6 }), untrustedHop, (chain, peer) => {
        const hops = 1 + (chain.length % 3);
        const expected = chain[chain.length - hops] ?? peer;
        expect(createClientAddressResolver({ hops })(peer, chain.join(', '))).toBe(expected);
      }),
    );
  });

  it('IPv4-mapped IPv6 ranges are the IPv4 ranges they map', () => {
    const mapped = createClientAddressResolver(['::ffff:10.0.0.0/104']);
    expect(mapped('10.9.9.9', '198.51.100.1')).toBe('198.51.100.1');
    expect(mapped('11.0.0.1', '198.51.100.1')).toBe('11.0.0.1');
  });
});

describe('trustedProxies over HTTP', () => {
  async function remoteAddressSeen(trustedProxies: readonly string[]): Promise<string | undefined> {
    const srv: TestHttpServer = await startTestHttpServer({
      plugins: [tokenAuth()],
      createServer: demoServer,
      sessions: 'stateless',
      handlerOptions: { trustedProxies },
    });
    try {
      const response = await fetch(srv.url, {
        method: 'POST',
        headers: {
          authorization: 'Bearer good:alice',
          'content-type': 'application/json',
          accept: 'application/json',
          'x-forwarded-for': '203.0.113.9',
        },
        body: '{}',
      });
      await response.text();
      return srv.events.ofType('request.rejected')[0]?.remoteAddress;
    } finally {
      await srv.close();
    }
  }
  let untrusted: string | undefined;
  let trusted: string | undefined;
  beforeAll(async () => {
    untrusted = await remoteAddressSeen(['10.0.0.0/8']);
    trusted = await remoteAddressSeen(['127.0.0.1']);
  });

  it('uses the header only when the TCP peer is a listed proxy', () => {
    expect(untrusted).toBe('127.0.0.1');
    expect(trusted).toBe('203.0.113.9');
  });
});
