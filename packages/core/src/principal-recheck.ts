/**
 * The periodic "does this credential still authenticate?" question for principals that hold open sessions, for
 * both session tables (the Node edge's and the fetch face's): a credential revoked elsewhere (another process,
 * the CLI) must end its sessions without waiting for their next request or their idle timeout.
 */
import type { SecurityEventBus } from './events.js';
import type { Principal } from './principal.js';

export interface PrincipalRecheckOptions {
  events: SecurityEventBus;
  stillValid: (principal: Principal) => boolean | Promise<boolean>;
  everyMs: number;
  /** The principals holding sessions now (one each; repeats are asked once). */
  owners: () => Iterable<Principal>;
  /** Ends every session of a principal that no longer authenticates. */
  drop: (principal: Principal, reason: string) => void;
}

export class PrincipalRecheck {
  readonly #options: PrincipalRecheckOptions;
  readonly #timer: ReturnType<typeof setInterval>;
  #running = false;

  constructor(options: PrincipalRecheckOptions) {
    this.#options = options;
    this.#timer = setInterval(() => this.#start(), options.everyMs);
    // Not every runtime's interval handle has unref (Workers, browsers).
    (this.#timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One recheck at a time: a slow store must not pile them up. */
  #start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#recheck().finally(() => {
      this.#running = false;
    });
  }

  /** Asks once per principal; `false` drops its sessions, an error keeps them and is recorded. */
  async #recheck(): Promise<void> {
    const owners = new Map<string, Principal>();
    for (const owner of this.#options.owners())
      owners.set(JSON.stringify([owner.authenticatedBy ?? null, owner.id]), owner);
    for (const owner of owners.values()) {
      let valid: boolean;
      try {
        valid = await this.#options.stillValid(owner);
      } catch (error) {
        this.#options.events.emit({
          type: 'plugin.error',
          outcome: 'info',
          severity: 'warn',
          reason:
            `principalStillValid failed, sessions kept: ${error instanceof Error ? error.message : String(error)}`.slice(
              0,
              500,
            ),
          principalId: owner.id,
        });
        continue;
      }
      if (!valid) this.#options.drop(owner, 'the credential no longer authenticates');
    }
  }
}
