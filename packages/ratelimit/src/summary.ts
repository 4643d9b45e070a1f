/** One summary: how often one rule refused one key within one window. */
export interface RefusalSummary {
  /** Rule name, or `brute-force` for pre-authentication refusals. */
  rule: string;
  /** The counter key, or `*` for refusals beyond `maxKeys` distinct keys. */
  key: string;
  count: number;
  /** ISO 8601 start and end of the window. */
  windowStart: string;
  windowEnd: string;
}

export interface RefusalAggregatorOptions {
  /** @default 60 */
  windowSeconds?: number;
  /** Distinct keys tracked per window; further keys are counted under `*`. @default 1000 */
  maxKeys?: number;
  onSummary(summary: RefusalSummary): void;
}

/**
 * Counts refusals per rule and key and reports one summary per rule and key per window, so a flood of refused
 * requests produces a bounded number of log lines. Memory is bounded by `maxKeys`; the timer runs only while
 * there is something to report and never keeps the process alive.
 */
export class RefusalAggregator {
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #onSummary: (summary: RefusalSummary) => void;
  #counts = new Map<string, { rule: string; key: string; count: number }>();
  #windowStart = Date.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RefusalAggregatorOptions) {
    this.#windowMs = (options.windowSeconds ?? 60) * 1000;
    this.#maxKeys = options.maxKeys ?? 1000;
    this.#onSummary = options.onSummary;
  }

  record(rule: string, key: string): void {
    if (this.#counts.size === 0) {
      this.#windowStart = Date.now();
      this.#timer ??= setInterval(() => this.flush(), this.#windowMs).unref();
    }
    let id = `${rule}\u0000${key}`;
    let entry = this.#counts.get(id);
    if (!entry && this.#counts.size >= this.#maxKeys) {
      id = `${rule}\u0000*`;
      entry = this.#counts.get(id);
      if (!entry) {
        entry = { rule, key: '*', count: 0 };
        this.#counts.set(id, entry); // one overflow slot per rule may exceed maxKeys slightly; bounded by rule count
      }
    }
    if (!entry) {
      entry = { rule, key, count: 0 };
      this.#counts.set(id, entry);
    }
    entry.count++;
  }

  /** Reports and forgets everything counted so far. */
  flush(): void {
    const counts = this.#counts;
    const windowStart = new Date(this.#windowStart).toISOString();
    const windowEnd = new Date().toISOString();
    this.#counts = new Map();
    this.#windowStart = Date.now();
    if (counts.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    for (const { rule, key, count } of counts.values()) {
      try {
        this.#onSummary({ rule, key, count, windowStart, windowEnd });
      } catch {
        // A failing event sink must not break rate limiting.
      }
    }
  }

  /** Reports what is left and stops the timer. */
  close(): void {
    this.flush();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
