/**
 * What may end a request on the fetch face before its upstream answered it: its deadline (`requestTimeoutMs`) or
 * the warden's draining shutdown. Either way the client gets a JSON-RPC error in place of the answer (as the
 * stream's last event when the answer streams), and the upstream call is aborted, which cancels it there.
 */

import type { WardenError } from '../errors.js';
import type { DrainableTransport } from '../pipeline.js';

export class Interruption {
  /** Resolves with the error the client gets, once the request is interrupted. */
  readonly fired: Promise<WardenError>;
  #fire!: (error: WardenError) => void;
  #error: WardenError | undefined;
  #settled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onSettled: () => void;

  constructor(onSettled: () => void) {
    this.#onSettled = onSettled;
    this.fired = new Promise((resolve) => {
      this.#fire = resolve;
    });
  }

  /** The error it was interrupted with, if it was. */
  get error(): WardenError | undefined {
    return this.#error;
  }

  /** Interrupts it after `ms` with `error()` (the deadline); never when `ms <= 0`. */
  deadline(ms: number, error: () => WardenError): void {
    if (ms <= 0 || this.#settled) return;
    this.#timer = setTimeout(() => this.interrupt(error()), ms);
    // A deadline must not keep a process alive on its own (not every runtime's handle has unref).
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Interrupts the request, unless it was answered or interrupted already. Returns whether it did. */
  interrupt(error: WardenError): boolean {
    if (this.#settled) return false;
    this.#error = error;
    this.settle();
    this.#fire(error);
    return true;
  }

  /** The request is over (answered, failed, cancelled or interrupted): nothing interrupts it any more. */
  settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#onSettled();
  }
}

/**
 * The requests of one fetch handler that the upstream has not answered yet, as `warden.drain()` sees them: it
 * waits while any is open, then interrupts each one left with its shutdown error.
 */
export class OpenRequests implements DrainableTransport {
  readonly #open = new Set<Interruption>();

  get inFlight(): number {
    return this.#open.size;
  }

  /** A new request's interruption, counted as open until it settles. */
  open(): Interruption {
    const interruption: Interruption = new Interruption(() => this.#open.delete(interruption));
    this.#open.add(interruption);
    return interruption;
  }

  async shutdown(error: unknown): Promise<void> {
    for (const interruption of [...this.#open]) interruption.interrupt(error as WardenError);
  }
}
