import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { domainToASCII } from 'node:url';
import { ConfigError } from '@mcp-warden/core';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { UrlValidationError, VALIDATION_ERROR_CODES, type ValidationErrorCode } from '../errors.js';
import { ADDRESS_CATEGORIES, type AddressCategory, classifyAddress } from './ip-classify.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has. Inject one in tests, or to use your own DNS. */
export type HostResolver = (
  hostname: string,
  options: { signal?: AbortSignal },
) => Promise<readonly ResolvedAddress[]>;

/** The default resolver: `dns.promises.lookup(host, { all: true })`, i.e. what `http.request` would connect to. */
export const systemResolver: HostResolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** Options of {@link safeUrl} and {@link createSafeUrl}. */
export interface SafeUrlOptions {
  /** Allowed schemes, with or without the colon. @default ['https'] */
  allowedSchemes?: readonly string[];
  /** Allowed host names: exact (`api.example.com`) or a subdomain wildcard (`*.example.com`). Omit to allow any host. */
  allowedHosts?: readonly string[];
  /** Host names always refused (same syntax as `allowedHosts`). @default [] */
  deniedHosts?: readonly string[];
  /** Allowed ports (the scheme's default port counts as that number). Omit to allow any port. */
  allowedPorts?: readonly number[];
  /**
   * Non-public addresses to allow: `true` allows every category except `metadata`; or list the categories
   * (`['loopback']` for local development, add `'metadata'` only if you really mean it). @default false
   */
  allowPrivate?: boolean | readonly AddressCategory[];
  /** CIDR ranges allowed whatever their category (e.g. `['10.20.0.0/16']` for one internal service). @default [] */
  allowedCidrs?: readonly string[];
  /** Allow `user:password@` in the URL. @default false */
  allowCredentials?: boolean;
  /** How host names are resolved. @default systemResolver (dns.promises.lookup, all addresses) */
  resolver?: HostResolver;
  /** Longest URL accepted. @default 8192 */
  maxLength?: number;
  /** JSON pointer reported in errors. @default '' */
  pointer?: string;
}

export const safeUrlOptionsSchema = z.object({
  allowedSchemes: z
    .array(z.string().regex(/^[a-z][a-z0-9+.-]*:?$/i, 'a scheme such as "https"'))
    .min(1)
    .optional(),
  allowedHosts: z.array(z.string().min(1)).optional(),
  deniedHosts: z.array(z.string().min(1)).optional(),
  allowedPorts: z.array(z.number().int().min(1).max(65_535)).optional(),
  allowPrivate: z
    .union([z.boolean(), z.array(z.enum(ADDRESS_CATEGORIES as [AddressCategory, ...AddressCategory[]]))])
    .optional(),
  allowedCidrs: z.array(z.string()).optional(),
  allowCredentials: z.boolean().optional(),
  resolver: z.custom<HostResolver>((v) => typeof v === 'function', 'a function').optional(),
  maxLength: z.number().int().positive().optional(),
  pointer: z.string().optional(),
});

export interface SafeUrlResult {
  /** The parsed, normalised URL. */
  url: URL;
  /** The host name without brackets or trailing dot, lower-case ASCII. */
  hostname: string;
  /** Every address the host resolved to; all of them passed the check. */
  addresses: ResolvedAddress[];
  /** The first address: connect to this one (pin it) so a second DNS answer cannot differ. */
  address: string;
  family: 4 | 6;
  /** A `lookup` for `http.request` / `net.connect` / undici `connect` that answers with the checked addresses only. */
  lookup: LookupFunction;
}

export interface SafeUrlChecker {
  (input: unknown, overrides?: { pointer?: string; signal?: AbortSignal }): Promise<SafeUrlResult>;
  readonly options: Readonly<SafeUrlOptions>;
}

/** Host names that are special whatever DNS says (RFC 6761 `localhost`, GCP metadata). */
function categoryOfName(hostname: string): AddressCategory | undefined {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return 'loopback';
  if (hostname === 'metadata.google.internal' || hostname === 'metadata.goog' || hostname === 'metadata')
    return 'metadata';
  return undefined;
}

interface HostPattern {
  exact?: string;
  suffix?: string;
}

function compileHostPattern(pattern: string, option: string): HostPattern {
  const wildcard = pattern.startsWith('*.');
  const ascii = domainToASCII(wildcard ? pattern.slice(2) : pattern).replace(/\.$/, '');
  if (ascii === '' || ascii.includes('*'))
    throw new ConfigError(`safeUrl: ${option} entry "${pattern}" is not a host name or "*.domain" pattern.`);
  return wildcard ? { suffix: `.${ascii}` } : { exact: ascii };
}

function matchesHost(patterns: readonly HostPattern[], hostname: string): boolean {
  return patterns.some((p) =>
    p.exact !== undefined ? hostname === p.exact : hostname.endsWith(p.suffix ?? '\0'),
  );
}

const DEFAULT_PORTS: Record<string, number> = {
  'http:': 80,
  'https:': 443,
  'ws:': 80,
  'wss:': 443,
  'ftp:': 21,
};

/**
 * Compiles a URL checker: validates the options once (throws `ConfigError`).
 *
 * @example
 * const checkUrl = createSafeUrl({ allowedSchemes: ['https'] });
 * const { url, lookup } = await checkUrl(args.url);
 * const response = await new Promise((done) => https.get(url, { lookup }, done));
 */
export function createSafeUrl(options: SafeUrlOptions = {}): SafeUrlChecker {
  const parsed = safeUrlOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigError(
      `safeUrl: invalid option ${first?.path.join('.') || '(options)'}: ${first?.message ?? 'invalid'}.`,
    );
  }
  const schemes = new Set(
    (options.allowedSchemes ?? ['https']).map((s) => (s.endsWith(':') ? s : `${s}:`).toLowerCase()),
  );
  const allowedHosts = options.allowedHosts?.map((p) => compileHostPattern(p, 'allowedHosts'));
  const deniedHosts = (options.deniedHosts ?? []).map((p) => compileHostPattern(p, 'deniedHosts'));
  const ports = options.allowedPorts ? new Set(options.allowedPorts) : undefined;
  const allowPrivate = options.allowPrivate ?? false;
  const allowedCategories = new Set<AddressCategory>(
    allowPrivate === true
      ? ADDRESS_CATEGORIES.filter((c) => c !== 'metadata')
      : ['public', ...(allowPrivate === false ? [] : allowPrivate)],
  );
  const cidrs = (options.allowedCidrs ?? []).map((cidr) => {
    try {
      return ipaddr.parseCIDR(cidr);
    } catch {
      throw new ConfigError(
        `safeUrl: allowedCidrs entry "${cidr}" is not a CIDR range such as "10.0.0.0/8".`,
      );
    }
  });
  const resolver = options.resolver ?? systemResolver;
  const maxLength = options.maxLength ?? 8192;

  const inAllowedCidr = (address: string): boolean => {
    if (cidrs.length === 0) return false;
    const addr = ipaddr.process(address);
    return cidrs.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits));
  };

  const check = async (
    input: unknown,
    overrides?: { pointer?: string; signal?: AbortSignal },
  ): Promise<SafeUrlResult> => {
    const pointer = overrides?.pointer ?? options.pointer ?? '';
    const fail = (code: ValidationErrorCode, message: string, reason?: string): never => {
      throw new UrlValidationError({
        code,
        message,
        pointer,
        reason: reason === undefined ? undefined : `${code}: ${reason}`,
      });
    };
    if (typeof input !== 'string' || input.length === 0)
      return fail(VALIDATION_ERROR_CODES.URL_INVALID, 'the URL must be a non-empty string');
    if (input.length > maxLength)
      return fail(VALIDATION_ERROR_CODES.URL_INVALID, `the URL is longer than ${maxLength} characters`);
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return fail(VALIDATION_ERROR_CODES.URL_INVALID, 'the URL cannot be parsed');
    }
    if (!schemes.has(url.protocol))
      return fail(
        VALIDATION_ERROR_CODES.URL_SCHEME_NOT_ALLOWED,
        `the URL scheme is not allowed (allowed: ${[...schemes].join(', ')})`,
      );
    if ((url.username !== '' || url.password !== '') && !options.allowCredentials) {
      return fail(VALIDATION_ERROR_CODES.URL_CREDENTIALS_NOT_ALLOWED, 'credentials in URLs are not allowed');
    }
    // WHATWG parsing already turned decimal, octal and hex IPv4 forms (2130706433, 0177.0.0.1, 0x7f.1) into dotted quads.
    let hostname = url.hostname.toLowerCase();
    if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1);
    if (hostname.endsWith('.')) hostname = hostname.slice(0, -1);
    if (hostname === '') return fail(VALIDATION_ERROR_CODES.URL_INVALID, 'the URL has no host');
    if (matchesHost(deniedHosts, hostname))
      return fail(
        VALIDATION_ERROR_CODES.URL_HOST_NOT_ALLOWED,
        'this host is not allowed',
        `host ${hostname} is denied`,
      );
    if (allowedHosts && !matchesHost(allowedHosts, hostname))
      return fail(
        VALIDATION_ERROR_CODES.URL_HOST_NOT_ALLOWED,
        'this host is not allowed',
        `host ${hostname} is not in allowedHosts`,
      );
    const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
    if (ports && (port === undefined || !ports.has(port)))
      return fail(VALIDATION_ERROR_CODES.URL_PORT_NOT_ALLOWED, 'this port is not allowed');

    const nameCategory = categoryOfName(hostname);
    if (nameCategory && !allowedCategories.has(nameCategory)) {
      return fail(
        VALIDATION_ERROR_CODES.URL_ADDRESS_NOT_ALLOWED,
        'the URL host is not a public address',
        `host name ${hostname} is ${nameCategory}`,
      );
    }

    let addresses: ResolvedAddress[];
    const literal = classifyAddress(hostname);
    if (literal !== undefined) {
      addresses = [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }];
    } else {
      try {
        const signal = overrides?.signal;
        const pending = resolver(hostname, signal ? { signal } : {});
        const found = signal ? await abortable(pending, signal) : await pending;
        addresses = found.map((a) => ({
          address: String(a.address),
          family: String(a.address).includes(':') ? 6 : 4,
        }));
      } catch {
        return fail(
          VALIDATION_ERROR_CODES.URL_RESOLUTION_FAILED,
          'the URL host could not be resolved',
          `resolving ${hostname} failed`,
        );
      }
      if (addresses.length === 0)
        return fail(
          VALIDATION_ERROR_CODES.URL_RESOLUTION_FAILED,
          'the URL host could not be resolved',
          `${hostname} has no addresses`,
        );
    }
    // Every address must pass: one private answer among public ones is how DNS round-robin attacks get in.
    for (const { address } of addresses) {
      const category = classifyAddress(address);
      if (category === undefined)
        return fail(
          VALIDATION_ERROR_CODES.URL_RESOLUTION_FAILED,
          'the URL host could not be resolved',
          `resolver returned a non-IP for ${hostname}`,
        );
      if (!allowedCategories.has(category) && !inAllowedCidr(address)) {
        return fail(
          VALIDATION_ERROR_CODES.URL_ADDRESS_NOT_ALLOWED,
          'the URL host is not a public address',
          `${hostname} resolves to ${address} (${category})`,
        );
      }
    }
    const first = addresses[0] as ResolvedAddress;
    return {
      url,
      hostname,
      addresses,
      address: first.address,
      family: first.family,
      lookup: pinnedLookup(addresses),
    };
  };
  return Object.assign(check, { options: Object.freeze({ ...options }) });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * A `lookup` function that answers only with already-checked addresses, so the connection goes where the check
 * looked (no second DNS query an attacker could answer differently — DNS rebinding).
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return ((
    _hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: (...args: unknown[]) => void,
  ) => {
    const wanted =
      options?.family === 4 || options?.family === 'IPv4'
        ? 4
        : options?.family === 6 || options?.family === 'IPv6'
          ? 6
          : undefined;
    const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
    if (usable.length === 0) {
      const error = Object.assign(new Error('no checked address of the requested family'), {
        code: 'ENOTFOUND',
      });
      callback(error);
      return;
    }
    if (options?.all)
      callback(
        null,
        usable.map((a) => ({ address: a.address, family: a.family })),
      );
    else callback(null, usable[0]?.address, usable[0]?.family);
  }) as LookupFunction;
}

const checkers = new WeakMap<SafeUrlOptions, SafeUrlChecker>();

/**
 * Parses a user-supplied URL (WHATWG), checks scheme, credentials, host and port, resolves the host and refuses it
 * when any address is loopback, private, link-local, CGNAT, unique-local, multicast, unspecified, reserved or a
 * cloud metadata endpoint (unless allowed). Throws {@link UrlValidationError}; returns the checked addresses so the
 * caller can pin the connection to them.
 *
 * @example
 * const { url, lookup } = await safeUrl(args.url, { allowedSchemes: ['https', 'http'] });
 * https.get(url, { lookup }, onResponse);
 */
export async function safeUrl(
  input: unknown,
  options: SafeUrlOptions = {},
  overrides?: { signal?: AbortSignal },
): Promise<SafeUrlResult> {
  let checker = checkers.get(options);
  if (!checker) {
    checker = createSafeUrl(options);
    checkers.set(options, checker);
  }
  return checker(input, overrides);
}
