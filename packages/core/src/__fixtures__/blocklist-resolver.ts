import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../errors.js';
import type { TrustedProxies } from '../web/client-address.js';

// Test oracle: the client-address resolver as it was written on node:net's BlockList, kept to check the pure
// resolver (web/client-address.ts, which both edges use) against Node's own address parsing and matching.

/** `::ffff:10.0.0.1` → `10.0.0.1`; brackets and a port (`[::1]:80`, `1.2.3.4:80`) removed; undefined if not an IP. */
export function normalizeAddress(value: string): string | undefined {
  let address = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else {
    const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(address);
    if (v4WithPort) address = v4WithPort[1]!;
  }
  const zone = address.indexOf('%');
  if (zone > 0) address = address.slice(0, zone);
  const family = isIP(address);
  if (family === 0) return undefined;
  if (family === 6) {
    const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
    if (mapped && isIP(mapped[1]!) === 4) return mapped[1]!;
    return address.toLowerCase();
  }
  return address;
}

function addressFamily(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 4 ? 'ipv4' : 'ipv6';
}

/**
 * Builds `(socketAddress, xForwardedFor) => client address` for the option. Throws a `ConfigError` for a bare
 * hop count and for entries that are not addresses or CIDRs.
 */
export function createClientAddressResolver(
  option: TrustedProxies | number | undefined,
): (socketAddress: string | undefined, forwardedFor: string | undefined) => string | undefined {
  const peerOnly = (socketAddress: string | undefined) =>
    socketAddress === undefined ? undefined : (normalizeAddress(socketAddress) ?? socketAddress);
  if (option === undefined || option === 0) return peerOnly;
  if (typeof option === 'number') {
    throw new ConfigError(
      `trustedProxies must list the proxies' addresses or CIDR ranges (e.g. ["10.0.0.5", "10.1.0.0/16"]), not a number: a hop count (${option}) trusts X-Forwarded-For from any direct client. If every request really passes through exactly ${option} proxies, say so explicitly: { hops: ${option} }.`,
    );
  }
  if (!Array.isArray(option)) {
    const hops = (option as { hops?: unknown }).hops;
    if (typeof hops !== 'number' || !Number.isSafeInteger(hops) || hops < 0 || hops > 32)
      throw new ConfigError('trustedProxies { hops } must be an integer from 0 to 32.');
    if (hops === 0) return peerOnly;
    return (socketAddress, forwardedFor) => {
      const entries = splitForwarded(forwardedFor);
      const picked = entries[entries.length - hops];
      return (picked === undefined ? undefined : normalizeAddress(picked)) ?? peerOnly(socketAddress);
    };
  }
  const list = new BlockList();
  for (const entry of option as readonly unknown[]) {
    if (typeof entry !== 'string') throw new ConfigError('trustedProxies entries must be strings.');
    const [rawAddress = '', prefix, ...extra] = entry.trim().split('/');
    const normalized = isIP(rawAddress) === 0 ? undefined : normalizeAddress(rawAddress);
    const family = normalized === undefined ? undefined : addressFamily(normalized);
    // An IPv4-mapped IPv6 range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
    const mappedOffset = family === 'ipv4' && isIP(rawAddress) === 6 ? 96 : 0;
    const bits = family === 'ipv4' ? 32 : 128;
    const length =
      prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) - mappedOffset : Number.NaN;
    if (
      normalized === undefined ||
      family === undefined ||
      extra.length > 0 ||
      !(length >= 0 && length <= bits)
    ) {
      throw new ConfigError(
        `trustedProxies entry "${entry.slice(0, 100)}" is not an IP address or CIDR range (e.g. "10.0.0.5", "10.1.0.0/16", "fd00::/8").`,
      );
    }
    list.addSubnet(normalized, length, family);
  }
  const trusted = (address: string) => list.check(address, addressFamily(address));
  return (socketAddress, forwardedFor) => {
    const peer = peerOnly(socketAddress);
    if (peer === undefined || isIP(peer) === 0 || !trusted(peer)) return peer;
    // Walk from the right: each entry was written by the hop to its right, which we trust so far.
    let client = peer;
    const entries = splitForwarded(forwardedFor);
    for (let i = entries.length - 1; i >= 0; i--) {
      const hop = normalizeAddress(entries[i]!);
      if (hop === undefined) break; // a trusted proxy wrote something that is no address: stop at that proxy
      client = hop;
      if (!trusted(hop)) break;
    }
    return client;
  };
}

function splitForwarded(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .slice(0, 8192)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
