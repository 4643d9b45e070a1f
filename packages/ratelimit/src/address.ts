import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key a client address is counted under: IPv4 as is (also when IPv4-mapped, `::ffff:192.0.2.1`), IPv6
 * reduced to its `/subnet` prefix (one host usually controls a whole /64, so counting single IPv6 addresses would
 * let it rotate through them). Anything that is not an IP address is kept as given, bounded in length.
 *
 * @example
 * addressKey('::ffff:192.0.2.7') // '192.0.2.7'
 * addressKey('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 */
export function addressKey(address: string, ipv6Subnet = 64): string {
  const trimmed = address.trim();
  const zoneless = trimmed.includes('%') ? trimmed.slice(0, trimmed.indexOf('%')) : trimmed;
  if (isIPv4(zoneless)) return zoneless;
  if (!isIPv6(zoneless)) return zoneless.slice(0, 200);
  const groups = expandIpv6(zoneless);
  // IPv4-mapped (::ffff:a.b.c.d): count it as the IPv4 address it is.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const hi = groups[6] ?? 0;
    const lo = groups[7] ?? 0;
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  const bits = Math.min(128, Math.max(1, ipv6Subnet));
  const masked = groups.map((group, index) => {
    const start = index * 16;
    if (start + 16 <= bits) return group;
    if (start >= bits) return 0;
    const keep = bits - start;
    return group & ((0xffff << (16 - keep)) & 0xffff);
  });
  return `${compressIpv6(masked)}/${bits}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`isIPv6` already checked), embedded IPv4 included. */
function expandIpv6(address: string): number[] {
  let text = address.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const octets = tail.split('.').map(Number);
    const [a = 0, b = 0, c = 0, d = 0] = octets;
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::', 2);
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  const all =
    rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...restGroups];
  return all.map((g) => Number.parseInt(g, 16));
}

/** RFC 5952 text form: lower case, longest run (≥ 2) of zero groups as `::`. */
function compressIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
