import type { Socket } from 'node:net';
import { normalizeAddress } from './proxies.js';

/** Sockets that have carried at least one authenticated request (marked by the edge, read by `listen`). */
const authenticated = new WeakSet<object>();

/** Called by the edge once a request on this connection authenticated. */
export function markConnectionAuthenticated(socket: object): void {
  authenticated.add(socket);
}

export function isConnectionAuthenticated(socket: object): boolean {
  return authenticated.has(socket);
}

/**
 * Caps the connections per client address that have not (yet) carried an authenticated request. Over the cap
 * the *oldest* such connection of that address is closed, not the new one: an attacker holding slow sockets
 * cannot shut out a legitimate client from the same address (a NAT), it only recycles its own sockets.
 * Connections that authenticated are never counted or closed by this.
 */
export class UnauthenticatedConnectionLimiter {
  readonly #max: number;
  readonly #byAddress = new Map<string, Socket[]>();
  readonly #onEvict: (address: string) => void;

  constructor(max: number, onEvict: (address: string) => void) {
    this.#max = max;
    this.#onEvict = onEvict;
  }

  /** Registers a new connection; may close the oldest unauthenticated one of the same address. */
  admit(socket: Socket): void {
    const address = normalizeAddress(socket.remoteAddress ?? '') ?? String(socket.remoteAddress);
    const open = (this.#byAddress.get(address) ?? []).filter(
      (s) => !s.destroyed && !isConnectionAuthenticated(s),
    );
    while (open.length >= this.#max) {
      const oldest = open.shift()!;
      oldest.destroy();
      this.#onEvict(address);
    }
    open.push(socket);
    this.#byAddress.set(address, open);
    socket.once('close', () => {
      const list = this.#byAddress.get(address);
      if (!list) return;
      const left = list.filter((s) => s !== socket && !s.destroyed);
      if (left.length > 0) this.#byAddress.set(address, left);
      else this.#byAddress.delete(address);
    });
  }

  /** Open unauthenticated connections of an address (for tests and metrics). */
  count(address: string): number {
    return (this.#byAddress.get(address) ?? []).filter((s) => !s.destroyed && !isConnectionAuthenticated(s))
      .length;
  }
}
