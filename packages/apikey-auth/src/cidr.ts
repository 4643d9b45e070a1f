import { BlockList, isIP } from 'node:net';

/**
 * Client-address ranges as a `node:net` `BlockList` (Node's own matcher; no hand-rolled bit arithmetic). IPv4
 * clients seen through an IPv6 socket (`::ffff:10.0.0.1`) match IPv4 ranges.
 */
export class CidrMatcher {
  readonly #list = new BlockList();

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (!parsed)
        throw new TypeError(
          `Not a CIDR range: ${JSON.stringify(cidr.slice(0, 60))} (expected e.g. 10.0.0.0/8 or 2001:db8::/32).`,
        );
      this.#list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }

  /** Whether `address` lies in one of the ranges. `undefined` (no address known, e.g. stdio) never matches. */
  matches(address: string | undefined): boolean {
    if (!address) return false;
    let candidate = address;
    if (candidate.startsWith('::ffff:') && isIP(candidate.slice(7)) === 4) candidate = candidate.slice(7);
    const family = isIP(candidate);
    if (family === 0) return false;
    return this.#list.check(candidate, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Parses `a.b.c.d/n` or `x:y::/n` (a bare address is a single host). `undefined` when malformed. */
export function parseCidr(
  cidr: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  if (typeof cidr !== 'string' || cidr.length > 64) return undefined;
  const slash = cidr.indexOf('/');
  const address = slash === -1 ? cidr : cidr.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}
