/**
 * Warden's connection ids (`RequestContext.connectionId`): random, made here and nowhere else, never derived from
 * anything a client sent (a client's `Mcp-Session-Id` is a bearer-like value and must not spread into plugin
 * state or logs). Web Crypto only, so the fetch face keeps running on every runtime.
 */
export function newConnectionId(): string {
  return `conn-${globalThis.crypto.randomUUID()}`;
}
