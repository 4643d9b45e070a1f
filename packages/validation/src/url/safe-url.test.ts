import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@mcp-warden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UrlValidationError } from '../errors.js';
import { classifyAddress } from './ip-classify.js';
import { createSafeUrl, type HostResolver, type ResolvedAddress } from './safe-url.js';

/** A DNS stub: names map to fixed answers, anything else fails like NXDOMAIN. */
function stubResolver(table: Record<string, string[]>): HostResolver {
  return async (hostname) => {
    const answers = table[hostname];
    if (!answers) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answers.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

const resolver = stubResolver({
  'example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  '127.0.0.1.nip.io': ['127.0.0.1'],
  'rebind.example': ['93.184.215.14', '10.0.0.5'],
  'metadata.example': ['169.254.169.254'],
  'v6only.example': ['2001:4860:4860::8888'],
  'ula.example': ['fd12:3456::1'],
  'mapped.example': ['::ffff:127.0.0.1'],
  'cgnat.example': ['100.64.1.1'],
  'weird.example': ['not-an-ip'],
  'empty.example': [],
  localhost: ['127.0.0.1', '::1'],
});
const check = createSafeUrl({ allowedSchemes: ['https', 'http'], resolver });

async function code(input: string, checker = check): Promise<string> {
  try {
    await checker(input);
  } catch (error) {
    expect(UrlValidationError.is(error)).toBe(true);
    expect((error as UrlValidationError).jsonRpcCode).toBe(-32602);
    return (error as UrlValidationError).code;
  }
  return 'OK';
}

describe('safeUrl: SSRF bypass forms are refused', () => {
  const refused: [string, string][] = [
    ['http://127.0.0.1/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://localhost:8080/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://app.localhost/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://2130706433/', 'URL_ADDRESS_NOT_ALLOWED'], // decimal
    ['http://0177.0.0.1/', 'URL_ADDRESS_NOT_ALLOWED'], // octal
    ['http://0x7f.0x0.0x0.0x1/', 'URL_ADDRESS_NOT_ALLOWED'], // hex
    ['http://0x7f000001/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://127.1/', 'URL_ADDRESS_NOT_ALLOWED'], // short form
    ['http://[::1]/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://[::ffff:127.0.0.1]/', 'URL_ADDRESS_NOT_ALLOWED'], // IPv4-mapped IPv6
    ['http://[::ffff:7f00:1]/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://[::127.0.0.1]/', 'URL_ADDRESS_NOT_ALLOWED'], // IPv4-compatible
    ['http://[64:ff9b::7f00:1]/', 'URL_ADDRESS_NOT_ALLOWED'], // NAT64 of loopback
    ['http://[2002:7f00:1::]/', 'URL_ADDRESS_NOT_ALLOWED'], // 6to4 of loopback
    ['http://0.0.0.0/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://[::]/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://10.1.2.3/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://172.16.0.1/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://192.168.1.1/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://169.254.169.254/latest/meta-data/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://[fd00:ec2::254]/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://[fe80::1]/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://224.0.0.1/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://255.255.255.255/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://127.0.0.1.nip.io/', 'URL_ADDRESS_NOT_ALLOWED'], // DNS says loopback
    ['http://rebind.example/', 'URL_ADDRESS_NOT_ALLOWED'], // one private answer among public ones
    ['http://metadata.example/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://ula.example/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://mapped.example/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://cgnat.example/', 'URL_ADDRESS_NOT_ALLOWED'],
    ['http://evil.com@127.0.0.1/', 'URL_CREDENTIALS_NOT_ALLOWED'],
    ['http://user:pass@example.com/', 'URL_CREDENTIALS_NOT_ALLOWED'],
    ['file:///etc/passwd', 'URL_SCHEME_NOT_ALLOWED'],
    ['gopher://127.0.0.1:25/', 'URL_SCHEME_NOT_ALLOWED'],
    ['javascript:alert(1)', 'URL_SCHEME_NOT_ALLOWED'],
    ['http://nxdomain.example/', 'URL_RESOLUTION_FAILED'],
    ['http://weird.example/', 'URL_RESOLUTION_FAILED'],
    ['http://empty.example/', 'URL_RESOLUTION_FAILED'],
    ['not a url', 'URL_INVALID'],
  ];
  it.each(refused)('%s → %s', async (input, expected) => {
    expect(await code(input)).toBe(expected);
  });
});

describe('safeUrl: allowed', () => {
  it('returns the checked addresses to pin', async () => {
    const result = await check('https://Example.COM./path?q=1');
    expect(result.hostname).toBe('example.com');
    expect(result.address).toBe('93.184.215.14');
    expect(result.addresses).toHaveLength(2);
    expect(result.url.pathname).toBe('/path');
  });
  it('accepts public IP literals without resolving them', async () => {
    const noDns = createSafeUrl({
      allowedSchemes: ['http'],
      resolver: async () => {
        throw new Error('must not resolve');
      },
    });
    expect((await noDns('http://8.8.8.8/')).address).toBe('8.8.8.8');
    expect((await noDns('http://[2001:4860:4860::8888]/')).family).toBe(6);
  });
  it('allowPrivate categories and CIDRs open exactly what they name', async () => {
    const dev = createSafeUrl({ allowedSchemes: ['http'], allowPrivate: ['loopback'], resolver });
    expect((await dev('http://localhost/')).hostname).toBe('localhost');
    expect(await code('http://127.0.0.1.nip.io/', dev)).toBe('OK');
    expect(await code('http://10.0.0.1/', dev)).toBe('URL_ADDRESS_NOT_ALLOWED');
    const all = createSafeUrl({ allowedSchemes: ['http'], allowPrivate: true, resolver });
    expect(await code('http://10.0.0.1/', all)).toBe('OK');
    expect(await code('http://169.254.169.254/', all)).toBe('URL_ADDRESS_NOT_ALLOWED');
    const cidr = createSafeUrl({ allowedSchemes: ['http'], allowedCidrs: ['10.20.0.0/16'], resolver });
    expect(await code('http://10.20.3.4/', cidr)).toBe('OK');
    expect(await code('http://10.21.3.4/', cidr)).toBe('URL_ADDRESS_NOT_ALLOWED');
  });
  it('host and port lists', async () => {
    const hosts = createSafeUrl({
      allowedHosts: ['*.example.org', 'example.com'],
      allowedPorts: [443],
      resolver: stubResolver({
        'api.example.org': ['8.8.4.4'],
        'example.com': ['8.8.8.8'],
        'example.org': ['8.8.8.8'],
      }),
    });
    expect(await code('https://api.example.org/', hosts)).toBe('OK');
    expect(await code('https://example.com/', hosts)).toBe('OK');
    expect(await code('https://example.org/', hosts)).toBe('URL_HOST_NOT_ALLOWED');
    expect(await code('https://example.com.evil.net/', hosts)).toBe('URL_HOST_NOT_ALLOWED');
    expect(await code('https://example.com:8443/', hosts)).toBe('URL_PORT_NOT_ALLOWED');
    expect(await code('http://example.com/', hosts)).toBe('URL_SCHEME_NOT_ALLOWED');
  });
  it('rejects bad options at creation', () => {
    expect(() => createSafeUrl({ allowedCidrs: ['10.0.0.0/99'] })).toThrow(ConfigError);
    expect(() => createSafeUrl({ allowedHosts: ['*'] })).toThrow(ConfigError);
    expect(() => createSafeUrl({ allowedSchemes: [] })).toThrow(ConfigError);
  });
  it('the pinned lookup connects to the checked address, whatever the name', async () => {
    const server = createServer((_req, res) => res.end('pinned'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const local = createSafeUrl({
        allowedSchemes: ['http'],
        allowPrivate: ['loopback'],
        resolver: stubResolver({ 'service.test': ['127.0.0.1'] }),
      });
      const { url, lookup } = await local(`http://service.test:${port}/`);
      const body = await new Promise<string>((resolve, reject) => {
        get(url, { lookup }, (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => resolve(data));
        }).on('error', reject);
      });
      expect(body).toBe('pinned');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('safeUrl: properties', () => {
  it('any IPv4 written as a decimal integer is classified like its dotted form', async () => {
    const open = createSafeUrl({ allowedSchemes: ['http'], allowPrivate: true, resolver });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0xffffffff }), async (n) => {
        const dotted = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
        const expectedPublic = classifyAddress(dotted) === 'public';
        expect((await code(`http://${n}/`)) === 'OK').toBe(expectedPublic);
        if (classifyAddress(dotted) !== 'metadata') expect(await code(`http://${n}/`, open)).toBe('OK');
      }),
      { numRuns: 150 },
    );
  });
  it('IPv4-mapped IPv6 is classified like the IPv4 it carries', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        expect(classifyAddress(`::ffff:${v4}`)).toBe(classifyAddress(v4));
      }),
    );
  });
  it('any IPv4 spelling (octal, hex, short forms): allowed exactly when the address it means is public', async () => {
    await fc.assert(
      fc.asyncProperty(fc.ipV4Extended(), async (host) => {
        const meant = new URL(`http://${host}/`).hostname;
        expect((await code(`http://${host}/`)) === 'OK').toBe(classifyAddress(meant) === 'public');
      }),
      { numRuns: 150 },
    );
  });
  it('arbitrary strings and URL-shaped strings: a result or a UrlValidationError, nothing else', async () => {
    const host = fc.oneof(
      fc.domain(),
      fc.ipV4(),
      fc.ipV4Extended(),
      fc.ipV6().map((v) => `[${v}]`),
      fc.string({ maxLength: 8 }),
    );
    const urlish = fc
      .tuple(
        fc.constantFrom('http://', 'https://', 'ftp://', '//', ''),
        fc.option(fc.constantFrom('u:p@', '@', 'a@b@')),
        host,
        fc.string({ maxLength: 8 }),
      )
      .map(([scheme, auth, h, rest]) => `${scheme}${auth ?? ''}${h}${rest}`);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), urlish), async (s) => {
        await code(s);
      }),
      { numRuns: 200 },
    );
  });
});
