import { type Finding, MAX_FINDINGS, type RuleAction, type RuleCategory, type RuleCount } from './types.js';

interface MutableFinding {
  rule: string;
  category: RuleCategory;
  kind?: string;
  start: number;
  end: number;
  count: number;
  action: RuleAction;
  enforced: boolean;
}

interface MutableCount {
  rule: string;
  category: RuleCategory;
  count: number;
  action: RuleAction;
  enforced: boolean;
  kinds?: Record<string, number>;
}

/**
 * Collects findings: merges adjacent removals of one rule (a run of 10 000 tag characters is one finding), keeps
 * at most {@link MAX_FINDINGS} entries, and keeps exact counts per rule however many there are.
 */
export class FindingCollector {
  readonly findings: MutableFinding[] = [];
  readonly #counts = new Map<string, MutableCount>();
  truncated = false;
  /** True once an enforced rule with the `refuse` action matched. */
  refused = false;

  add(
    rule: string,
    category: RuleCategory,
    action: RuleAction,
    enforced: boolean,
    start: number,
    end: number,
    kind?: string,
    times = 1,
  ): void {
    const key = enforced ? rule : `${rule}\u0000audit`;
    let count = this.#counts.get(key);
    if (count === undefined) {
      count = { rule, category, count: 0, action, enforced };
      this.#counts.set(key, count);
    }
    count.count += times;
    if (kind !== undefined) {
      count.kinds ??= {};
      count.kinds[kind] = (count.kinds[kind] ?? 0) + times;
    }
    if (enforced && action === 'refuse') this.refused = true;

    const last =
      this.findings.length > this.#stageStart ? this.findings[this.findings.length - 1] : undefined;
    if (
      last !== undefined &&
      last.rule === rule &&
      last.kind === kind &&
      last.enforced === enforced &&
      last.end === start
    ) {
      last.end = end;
      last.count += times;
      return;
    }
    if (this.findings.length >= MAX_FINDINGS) {
      this.truncated = true;
      return;
    }
    const finding: MutableFinding = { rule, category, start, end, count: times, action, enforced };
    if (kind !== undefined) finding.kind = kind;
    this.findings.push(finding);
  }

  /** Starts a new stage: later findings are never merged into earlier ones (offsets refer to another text). */
  barrier(): void {
    this.#stageStart = this.findings.length;
  }

  #stageStart = 0;

  get size(): number {
    return this.#counts.size;
  }

  counts(): RuleCount[] {
    return [...this.#counts.values()].map((c) => ({ ...c, ...(c.kinds ? { kinds: { ...c.kinds } } : {}) }));
  }

  list(): readonly Finding[] {
    return this.findings;
  }
}
