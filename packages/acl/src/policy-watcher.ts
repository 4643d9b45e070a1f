import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { AccessPolicy } from './access-policy.js';
import { PolicyError } from './errors.js';
import { parsePolicy, readPolicyText } from './load-policy.js';

export interface PolicyWatcherOptions {
  /** The policy file (`.yaml`, `.yml` or `.json`). */
  readonly file: string;
  /** Quiet time after the last change before reloading (editors write in several steps). @default 100 */
  readonly debounceMs?: number;
  /** Watch the file; `false` only loads it (call {@link PolicyWatcher.reload} yourself, e.g. on SIGHUP). @default true */
  readonly watch?: boolean;
  /** A new policy is in force. */
  readonly onLoaded?: (policy: AccessPolicy) => void;
  /** A changed file was refused; the previous policy stays in force. */
  readonly onRejected?: (error: PolicyError) => void;
}

/**
 * Keeps the policy of one file current. The watcher observes the file's directory (so editors and deploy tools
 * that replace the file by rename are seen), waits for changes to settle, then parses and compiles the new text
 * off to the side and swaps it in with one assignment: a request sees either the old policy or the new one, never
 * a mix. A file that does not parse or validate leaves the old policy in force and calls `onRejected`.
 *
 * @example
 * const watcher = await PolicyWatcher.start({ file: 'policy.yaml', onRejected: (e) => console.error(e.message) });
 * watcher.current.check(principal, 'tools:call', 'echo');
 */
export class PolicyWatcher {
  #current: AccessPolicy;
  #text: string;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reloading: Promise<boolean> | undefined;
  #again = false;
  #closed = false;
  readonly #file: string;
  readonly #options: PolicyWatcherOptions;

  private constructor(file: string, policy: AccessPolicy, text: string, options: PolicyWatcherOptions) {
    this.#file = file;
    this.#current = policy;
    this.#text = text;
    this.#options = options;
  }

  /** Loads the file (throws {@link PolicyError} if it is not valid) and starts watching it. */
  static async start(options: PolicyWatcherOptions): Promise<PolicyWatcher> {
    const file = resolve(options.file);
    const text = await readPolicyText(file);
    const policy = parsePolicy(text, { file: options.file });
    const watcher = new PolicyWatcher(file, policy, text, options);
    if (options.watch !== false) watcher.#watch();
    return watcher;
  }

  /** The policy in force. */
  get current(): AccessPolicy {
    return this.#current;
  }

  /**
   * Re-reads the file now. Resolves `true` when a new policy was swapped in, `false` when the text is unchanged or
   * was refused (then `onRejected` was called and the old policy stays).
   */
  reload(): Promise<boolean> {
    if (this.#reloading) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = this.#reloadOnce().finally(() => {
      this.#reloading = undefined;
      if (this.#again && !this.#closed) {
        this.#again = false;
        void this.reload();
      }
    });
    return this.#reloading;
  }

  async #reloadOnce(): Promise<boolean> {
    let next: AccessPolicy | undefined;
    let text = '';
    let failure: unknown;
    // A file written in place can be read half-written; a refusal is only reported once the text is stable.
    for (let attempt = 0; attempt < 5; attempt++) {
      failure = undefined;
      try {
        text = await readPolicyText(this.#file);
        if (text === this.#text) return false;
        next = parsePolicy(text, { file: this.#options.file });
        break;
      } catch (error) {
        failure = error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(20, this.#options.debounceMs ?? 100)));
      const again = await readPolicyText(this.#file).catch(() => undefined);
      if (again === text) break;
    }
    if (this.#closed) return false;
    if (next === undefined) {
      const policyError =
        failure instanceof PolicyError
          ? failure
          : new PolicyError([
              { path: [], file: this.#options.file, message: String(failure), hint: 'check the file' },
            ]);
      this.#options.onRejected?.(policyError);
      return false;
    }
    this.#text = text;
    this.#current = next; // the atomic swap
    this.#options.onLoaded?.(next);
    return true;
  }

  #watch(): void {
    const name = basename(this.#file);
    this.#watcher = watch(dirname(this.#file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.reload();
      }, this.#options.debounceMs ?? 100);
      this.#timer.unref?.();
    });
    this.#watcher.on('error', () => {
      // The directory went away; keep the policy in force. A later `reload()` reports what is wrong.
    });
  }

  /** Stops watching. The current policy stays usable. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
