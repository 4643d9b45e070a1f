import ipaddr from 'ipaddr.js';

/**
 * What kind of address an IP is, for SSRF decisions. `public` is the only category allowed by default.
 * Embedded IPv4 addresses (IPv4-mapped, NAT64 `64:ff9b::/96`, 6to4, SIIT) are classified by the IPv4 they carry.
 */
export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'carrierGradeNat'
  | 'uniqueLocal'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'metadata'
  | 'reserved';

export const ADDRESS_CATEGORIES: readonly AddressCategory[] = [
  'public',
  'loopback',
  'private',
  'linkLocal',
  'carrierGradeNat',
  'uniqueLocal',
  'multicast',
  'unspecified',
  'broadcast',
  'metadata',
  'reserved',
];

/**
 * Cloud instance-metadata endpoints: AWS/GCP/Azure/OpenStack IMDS (169.254.169.254), AWS IMDS over IPv6
 * (fd00:ec2::254), AWS ECS task metadata (169.254.170.2), Alibaba Cloud (100.100.100.200), Oracle Cloud
 * (192.0.0.192).
 */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '100.100.100.200',
  '192.0.0.192',
  'fd00:ec2::254',
]);

const V4_RANGE_TO_CATEGORY: Record<string, AddressCategory> = {
  unicast: 'public',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'linkLocal',
  loopback: 'loopback',
  carrierGradeNat: 'carrierGradeNat',
  private: 'private',
};

const V6_RANGE_TO_CATEGORY: Record<string, AddressCategory> = {
  unicast: 'public',
  unspecified: 'unspecified',
  linkLocal: 'linkLocal',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'uniqueLocal',
  deprecatedSiteLocal: 'private',
};

function classifyV4(addr: ipaddr.IPv4): AddressCategory {
  if (METADATA_ADDRESSES.has(addr.toString())) return 'metadata';
  return V4_RANGE_TO_CATEGORY[addr.range()] ?? 'reserved';
}

function embeddedV4(parts: readonly number[], hiIndex: number): ipaddr.IPv4 {
  const hi = parts[hiIndex] ?? 0;
  const lo = parts[hiIndex + 1] ?? 0;
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/** Classifies an IP address string (IPv4 or IPv6, no brackets). Returns `undefined` when it is not an IP. */
export function classifyAddress(address: string): AddressCategory | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // Zone ids (fe80::1%eth0) are link-local by definition.
  if (bare.includes('%')) return ipaddr.IPv6.isValid(bare) ? 'linkLocal' : undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return classifyV4(ipaddr.IPv4.parse(bare));
  if (!ipaddr.IPv6.isValid(bare)) return undefined;
  const v6 = ipaddr.IPv6.parse(bare);
  if (METADATA_ADDRESSES.has(v6.toString())) return 'metadata';
  const parts = v6.parts;
  const range = v6.range();
  switch (range) {
    case 'ipv4Mapped':
      return classifyV4(v6.toIPv4Address());
    case 'rfc6145': // ::ffff:0:a.b.c.d (SIIT)
      return classifyV4(embeddedV4(parts, 6));
    case 'rfc6052': // NAT64: the well-known /96 carries the IPv4 in its last 32 bits; 64:ff9b:1::/48 is local-use.
      return parts[2] === 0 && parts[3] === 0 && parts[4] === 0 && parts[5] === 0
        ? classifyV4(embeddedV4(parts, 6))
        : 'private';
    case '6to4': // 2002:AABB:CCDD::/48 carries IPv4 AA.BB.CC.DD
      return classifyV4(embeddedV4(parts, 1));
    default:
      break;
  }
  // Deprecated IPv4-compatible addresses (::a.b.c.d) are not "unicast" whatever ipaddr.js says.
  if (range === 'unicast' && parts.slice(0, 6).every((p) => p === 0)) return 'reserved';
  return V6_RANGE_TO_CATEGORY[range] ?? 'reserved';
}
