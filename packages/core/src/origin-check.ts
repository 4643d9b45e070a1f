/** The browser Origin check, shared by the node edge (`http/origin.ts`) and the fetch face: Web APIs only. */
import { ConfigError } from './errors.js';

/** `http:` → 80, `https:` → 443: the port a URL without one means. */
function effectivePort(protocol: string, port: string): string {
  if (port !== '') return port;
  return protocol === 'https:' ? '443' : '80';
}

/** A browser `Origin` value parsed; `undefined` unless it is an exact serialized http(s) origin. */
function parseOrigin(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // Browsers send the serialized origin and nothing else: no path, userinfo, odd port spelling or upper case.
  if (url.origin !== value) return undefined;
  return url;
}

/**
 * The Origin check against browser-borne attacks (DNS rebinding, a hostile page on another local port).
 *
 * - With `allowedOrigins`: the Origin must equal one entry. An entry `scheme://host:*` allows that scheme and
 *   host on any port, which has to be spelled out.
 * - Without: the Origin's host must be an allowed host *and* its port must be the port the request was sent to
 *   (the `Host` header's, default port by the Origin's scheme), so `http://localhost:9999` cannot call a server
 *   on `localhost:3000`. Both `http` and `https` are accepted, for a TLS-terminating proxy in front.
 *
 * Returns `(origin, host) => allowed`. Invalid entries are a `ConfigError` now, not a refusal later.
 */
export function createOriginCheck(
  allowedOrigins: readonly string[] | undefined,
  allowedHosts: ReadonlySet<string> | undefined,
): (origin: string, host: string | undefined) => boolean {
  if (allowedOrigins) {
    const exact = new Set<string>();
    const anyPort = new Set<string>();
    for (const entry of allowedOrigins) {
      const normalized = entry.toLowerCase().replace(/\/$/, '');
      const wildcard = normalized.endsWith(':*');
      const url = parseOrigin(wildcard ? normalized.slice(0, -2) : normalized);
      if (!url || url.hostname.includes('*') || (wildcard && url.port !== '')) {
        throw new ConfigError(
          `allowedOrigins entry "${entry.slice(0, 100)}" is not an origin: use scheme://host[:port] (no path), or scheme://host:* for any port.`,
        );
      }
      if (wildcard) anyPort.add(`${url.protocol}//${url.hostname}`);
      else exact.add(url.origin);
    }
    return (origin) => {
      const url = parseOrigin(origin.toLowerCase());
      if (!url) return false;
      return exact.has(url.origin) || anyPort.has(`${url.protocol}//${url.hostname}`);
    };
  }
  return (origin, host) => {
    if (!allowedHosts || host === undefined) return false;
    const url = parseOrigin(origin.toLowerCase());
    if (!url || !allowedHosts.has(url.hostname)) return false;
    let target: URL;
    try {
      target = new URL(`${url.protocol}//${host}`);
    } catch {
      return false;
    }
    return effectivePort(url.protocol, url.port) === effectivePort(url.protocol, target.port);
  };
}
