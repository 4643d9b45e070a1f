/**
 * The client address of a request, from the peer and `X-Forwarded-For` through `trustedProxies`, for both edges
 * (node:http and fetch), without `node:net`, so the web face runs on Workers.
 * Addresses are parsed to 128-bit integers and CIDR ranges matched by mask; an IPv4-mapped IPv6 address
 * (`::ffff:a.b.c.d`) is its IPv4 address. A property test checks parity with the `BlockList` resolver.
 */
import { ConfigError } from '../errors.js';

/**
 * Which reverse proxies may speak for the client in `X-Forwarded-For`:
 * - a list of proxy addresses and CIDR ranges (IPv4 and IPv6), e.g. `['10.0.0.5', '10.1.0.0/16', 'fd00::/8']`:
 *   the direct peer must be one of them for the header to count at all, and the header is walked from the
 *   right, each hop trusted only while it is in the list;
 * - `{ hops: n }`: trust exactly the last `n` entries whoever sent them (only when every path to the server
 *   passes through exactly `n` proxies; a direct client can otherwise claim any address);
 * - `[]` or `0`: trust nobody, the client address is the TCP peer.
 */
export type TrustedProxies = readonly string[] | { readonly hops: number } | 0;

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;
const MAPPED_PREFIX = 0xffffn << 32n;

function ipv4Value(address: string): bigint | undefined {
  if (!IPV4.test(address)) return undefined;
  return address.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
}

/** The 128-bit value of an IPv6 address (an IPv4 tail and a `%zone` allowed, as `net.isIP` allows them). */
function ipv6Value(input: string): bigint | undefined {
  const zone = input.indexOf('%');
  const address = zone >= 0 ? input.slice(0, zone) : input;
  if (zone >= 0 && !/^%[0-9a-z.:-]+$/i.test(input.slice(zone))) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const words: bigint[] = [];
  const all = [...head, ...tail];
  for (let i = 0; i < all.length; i++) {
    const group = all[i]!;
    if (i === all.length - 1 && group.includes('.')) {
      const v4 = ipv4Value(group);
      if (v4 === undefined) return undefined;
      words.push(v4 >> 16n, v4 & 0xffffn);
    } else if (HEX_GROUP.test(group)) words.push(BigInt(`0x${group}`));
    else return undefined;
  }
  if (halves.length === 1 ? words.length !== 8 : words.length > 7) return undefined;
  const headWords = words.slice(0, head.length);
  const tailWords = words.slice(head.length);
  const full = [...headWords, ...Array<bigint>(8 - words.length).fill(0n), ...tailWords];
  return full.reduce((n, w) => (n << 16n) | w, 0n);
}

/** `4`, `6` or `0`, as `net.isIP`. */
export function ipFamily(address: string): 0 | 4 | 6 {
  if (ipv4Value(address) !== undefined) return 4;
  return ipv6Value(address) === undefined ? 0 : 6;
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; brackets and a port removed; undefined if not an IP (as `normalizeAddress`). */
export function normalizeWebAddress(value: string): string | undefined {
  let address = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else {
    const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(address);
    if (v4WithPort) address = v4WithPort[1]!;
  }
  const zone = address.indexOf('%');
  if (zone > 0) address = address.slice(0, zone);
  const family = ipFamily(address);
  if (family === 0) return undefined;
  if (family === 6) {
    const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
    if (mapped && ipFamily(mapped[1]!) === 4) return mapped[1]!;
    return address.toLowerCase();
  }
  return address;
}

interface Range {
  v4: boolean;
  base: bigint;
  mask: bigint;
}

/** An address as `[isIPv4, value]`; an IPv4-mapped IPv6 address counts as its IPv4 address. */
function addressValue(address: string): [boolean, bigint] | undefined {
  const v4 = ipv4Value(address);
  if (v4 !== undefined) return [true, v4];
  const v6 = ipv6Value(address);
  if (v6 === undefined) return undefined;
  return v6 >> 32n === MAPPED_PREFIX >> 32n ? [true, v6 & 0xffffffffn] : [false, v6];
}

function rangeOf(entry: string): Range | undefined {
  const [rawAddress = '', prefix, ...extra] = entry.trim().split('/');
  const normalized = ipFamily(rawAddress) === 0 ? undefined : normalizeWebAddress(rawAddress);
  const parsed = normalized === undefined ? undefined : addressValue(normalized);
  if (parsed === undefined || extra.length > 0) return undefined;
  const [v4, value] = parsed;
  // An IPv4-mapped IPv6 range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
  const mappedOffset = v4 && ipFamily(rawAddress) === 6 ? 96 : 0;
  const bits = v4 ? 32 : 128;
  const length =
    prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) - mappedOffset : Number.NaN;
  if (!(length >= 0 && length <= bits)) return undefined;
  const all = (1n << BigInt(bits)) - 1n;
  const mask = all ^ ((1n << BigInt(bits - length)) - 1n);
  return { v4, base: value & mask, mask };
}

/**
 * Builds `(socketAddress, xForwardedFor) => client address` for the option. Throws a `ConfigError` for a bare
 * hop count and for entries that are not addresses or CIDRs.
 */
export function createWebClientAddressResolver(
  option: TrustedProxies | number | undefined,
): (socketAddress: string | undefined, forwardedFor: string | undefined) => string | undefined {
  const peerOnly = (socketAddress: string | undefined) =>
    socketAddress === undefined ? undefined : (normalizeWebAddress(socketAddress) ?? socketAddress);
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
      return (picked === undefined ? undefined : normalizeWebAddress(picked)) ?? peerOnly(socketAddress);
    };
  }
  const ranges: Range[] = [];
  for (const entry of option as readonly unknown[]) {
    if (typeof entry !== 'string') throw new ConfigError('trustedProxies entries must be strings.');
    const range = rangeOf(entry);
    if (range === undefined)
      throw new ConfigError(
        `trustedProxies entry "${entry.slice(0, 100)}" is not an IP address or CIDR range (e.g. "10.0.0.5", "10.1.0.0/16", "fd00::/8").`,
      );
    ranges.push(range);
  }
  const trusted = (address: string) => {
    const parsed = addressValue(address);
    if (parsed === undefined) return false;
    const [v4, value] = parsed;
    // As BlockList does: an IPv4 address is also the IPv4-mapped IPv6 address for IPv6 ranges.
    const wide = v4 ? MAPPED_PREFIX | value : value;
    return ranges.some((r) => (r.v4 ? v4 && (value & r.mask) === r.base : (wide & r.mask) === r.base));
  };
  return (socketAddress, forwardedFor) => {
    const peer = peerOnly(socketAddress);
    if (peer === undefined || ipFamily(peer) === 0 || !trusted(peer)) return peer;
    // Walk from the right: each entry was written by the hop to its right, which we trust so far.
    let client = peer;
    const entries = splitForwarded(forwardedFor);
    for (let i = entries.length - 1; i >= 0; i--) {
      const hop = normalizeWebAddress(entries[i]!);
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
