import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKey } from './address.js';

describe('addressKey', () => {
  it('keeps IPv4 addresses, also when IPv4-mapped', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(addressKey(ip)).toBe(ip);
        expect(addressKey(`::ffff:${ip}`)).toBe(ip);
      }),
    );
  });

  it('maps every address of one /64 to one key, and different /64s to different keys', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    const prefix = fc.tuple(group, group, group, group);
    fc.assert(
      fc.property(
        prefix,
        prefix,
        fc.tuple(group, group, group, group),
        fc.tuple(group, group, group, group),
        (p1, p2, h1, h2) => {
          const text = (groups: number[]) => groups.map((g) => g.toString(16)).join(':');
          const a = addressKey(text([...p1, ...h1]));
          expect(addressKey(text([...p1, ...h2]))).toBe(a);
          expect(a.endsWith('/64')).toBe(true);
          if (p1.some((g, i) => g !== p2[i])) expect(addressKey(text([...p2, ...h1]))).not.toBe(a);
        },
      ),
    );
  });

  it('normalizes IPv6 text forms (case, zero compression, zone ids)', () => {
    expect(addressKey('2001:DB8:0:0:1::1')).toBe('2001:db8::/64');
    expect(addressKey('2001:db8::1%eth0')).toBe('2001:db8::/64');
    expect(addressKey('2001:db8:1:2:3:4:5:6', 128)).toBe('2001:db8:1:2:3:4:5:6/128');
    expect(addressKey('2001:db8:1:2ff::', 56)).toBe('2001:db8:1:200::/56');
    expect(addressKey('::1')).toBe('::/64');
  });

  it('keeps unknown address strings, bounded', () => {
    expect(addressKey('unix-socket')).toBe('unix-socket');
    expect(addressKey('x'.repeat(1000)).length).toBe(200);
  });
});
