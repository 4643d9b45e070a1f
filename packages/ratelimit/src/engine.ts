import { createHash } from 'node:crypto';
import { BurstyRateLimiter, type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { addressKey } from './address.js';
import {
  type KeyDimension,
  type LimitSpec,
  type RateLimitRule,
  type RateLimitRuleInput,
  ruleSchema,
} from './options.js';
import { PatternSet, PatternTable } from './pattern.js';
import type { LimiterStore } from './store.js';

/** What the engine needs to know about one request. */
export interface RateLimitSubject {
  /** Principal id (`anonymous` when nobody authenticated). */
  principalId?: string;
  /** Whether the principal was authenticated (decides the `identity` dimension). */
  authenticated?: boolean;
  roles?: readonly string[];
  remoteAddress?: string;
  /** JSON-RPC method, e.g. `tools/call`. */
  method: string;
  /** The request target as `type:name`, e.g. `tool:search`, `resource:file:///notes.txt`. */
  target?: string;
  sessionId?: string;
}

/** How one rule judged one request. */
export interface RuleOutcome {
  rule: string;
  /** The counter key (dimension values, hashed when long). */
  key: string;
  allowed: boolean;
  /** Points this request cost. */
  cost: number;
  /** The budget that applied (the role's, when a role override matched). */
  points: number;
  /** Window of that budget, in seconds. */
  duration: number;
  /** The role whose override applied. */
  role?: string;
  /** Points left in the window (burst points not included). */
  remaining: number;
  /** Milliseconds until the window resets, or until the block ends for a refused key. */
  msBeforeNext: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** One entry per rule that applied and charged points. */
  outcomes: RuleOutcome[];
  /** The refusal the client has to wait longest for, when refused. */
  refusal?: RuleOutcome;
}

interface Budget {
  limiter: RateLimiterAbstract | BurstyRateLimiter;
  main: RateLimiterAbstract;
  burst: RateLimiterAbstract | undefined;
  points: number;
  duration: number;
  /** A blocking budget keeps what a refused request spent: the block is the point. */
  refundable: boolean;
}

interface Charge {
  outcome: RuleOutcome;
  budget: Budget;
}

interface CompiledRule {
  rule: RateLimitRule;
  methods: PatternSet | undefined;
  targets: PatternSet | undefined;
  costs: PatternTable<number>;
  base: Budget;
  roles: readonly (readonly [string, Budget | 'unlimited'])[];
}

const MAX_KEY_LENGTH = 200;

function encodePart(value: string): string {
  return encodeURIComponent(value);
}

/**
 * Charges requests against a list of rules, each a rate-limiter-flexible limiter on the chosen store. Every rule
 * that applies is charged (in parallel, one store round trip per rule); the request is allowed only if every one
 * had points left. Usable without the MCP pipeline.
 *
 * @example
 * const engine = new RateLimitEngine([{ name: 'per-user', key: ['principal'], points: 60, duration: 60 }], createMemoryStore());
 * const decision = await engine.consume({ principalId: 'alice', authenticated: true, method: 'tools/call', target: 'tool:search' });
 * if (!decision.allowed) console.log(`retry in ${decision.refusal?.msBeforeNext} ms`);
 */
export class RateLimitEngine {
  readonly #rules: CompiledRule[];
  readonly #ipv6Subnet: number;

  /** @throws when a rule is invalid (the plugin validates rules at setup; plain callers get zod's error here). */
  constructor(
    rules: readonly RateLimitRuleInput[],
    store: LimiterStore,
    options: { ipv6Subnet?: number } = {},
  ) {
    this.#ipv6Subnet = options.ipv6Subnet ?? 64;
    this.#rules = rules
      .map((input) => ruleSchema.parse(input))
      .map((rule, index) => ({
        rule,
        ...compileRulePatterns(rule, index),
        base: createBudget(store, rule.name, rule),
        roles: Object.entries(rule.roles ?? {}).map(
          ([role, spec]) =>
            [
              role,
              spec === 'unlimited'
                ? 'unlimited'
                : createBudget(store, `${rule.name}@${encodePart(role)}`, spec),
            ] as const,
        ),
      }));
  }

  /**
   * Charges the request against every applicable rule. Never throws for a refusal; see `decision.allowed`.
   * A refused request costs nothing: what it was charged is given back (except on rules with `blockDuration`,
   * where exceeding the budget is meant to cost the block), so a refused expensive call does not eat the budget
   * of a cheaper one that still fits.
   */
  async consume(subject: RateLimitSubject): Promise<RateLimitDecision> {
    const pending: Promise<Charge>[] = [];
    for (const compiled of this.#rules) {
      const charge = this.#plan(compiled, subject);
      if (charge) pending.push(charge);
    }
    const charges = await Promise.all(pending);
    const outcomes = charges.map((c) => c.outcome);
    let refusal: RuleOutcome | undefined;
    for (const outcome of outcomes) {
      if (!outcome.allowed && (!refusal || outcome.msBeforeNext > refusal.msBeforeNext)) refusal = outcome;
    }
    if (!refusal) return { allowed: true, outcomes };
    await Promise.all(charges.map(refund));
    return { allowed: false, outcomes, refusal };
  }

  #plan(compiled: CompiledRule, subject: RateLimitSubject): Promise<Charge> | undefined {
    const { rule } = compiled;
    if (compiled.methods && !compiled.methods.matches(subject.method)) return undefined;
    if (compiled.targets && (subject.target === undefined || !compiled.targets.matches(subject.target)))
      return undefined;
    const key = this.#key(rule.key, subject);
    if (key === undefined) return undefined;
    const cost =
      subject.target === undefined
        ? rule.defaultCost
        : (compiled.costs.lookup(subject.target) ?? rule.defaultCost);
    if (cost === 0) return undefined;

    let budget = compiled.base;
    let role: string | undefined;
    if (compiled.roles.length > 0 && subject.roles && subject.roles.length > 0) {
      const held = new Set(subject.roles);
      const match = compiled.roles.find(([name]) => held.has(name));
      if (match) {
        if (match[1] === 'unlimited') return undefined;
        budget = match[1];
        role = match[0];
      }
    }
    return charge(budget, key, cost).then(({ allowed, res }) => ({
      budget,
      outcome: {
        rule: rule.name,
        key,
        allowed,
        cost,
        points: budget.points,
        duration: budget.duration,
        ...(role === undefined ? {} : { role }),
        remaining: res.remainingPoints,
        msBeforeNext: Math.max(0, res.msBeforeNext),
      },
    }));
  }

  /** The counter key of a request for a rule, or `undefined` when a dimension is unknown (the rule does not apply). */
  #key(dimensions: readonly KeyDimension[], subject: RateLimitSubject): string | undefined {
    const parts: string[] = [];
    for (const dimension of dimensions) {
      const value = this.#dimension(dimension, subject);
      if (value === undefined) return undefined;
      parts.push(`${dimension}=${encodePart(value)}`);
    }
    const key = parts.join('|');
    if (key.length <= MAX_KEY_LENGTH) return key;
    // Long targets (resource URIs) would make long store keys: hash them, the counter only needs identity.
    return `sha256=${createHash('sha256').update(key).digest('base64url')}`;
  }

  #dimension(dimension: KeyDimension, subject: RateLimitSubject): string | undefined {
    switch (dimension) {
      case 'principal':
        return subject.principalId ?? 'anonymous';
      case 'identity':
        if (subject.authenticated && subject.principalId !== undefined)
          return `principal:${subject.principalId}`;
        if (subject.remoteAddress !== undefined)
          return `address:${addressKey(subject.remoteAddress, this.#ipv6Subnet)}`;
        return `principal:${subject.principalId ?? 'anonymous'}`;
      case 'address':
        return subject.remoteAddress === undefined
          ? undefined
          : addressKey(subject.remoteAddress, this.#ipv6Subnet);
      case 'target':
        return subject.target ?? '-';
      case 'method':
        return subject.method;
      case 'session':
        return subject.sessionId;
    }
  }
}

/**
 * A rule's patterns, compiled in core's pattern language. Throws `PatternSyntaxError` (naming
 * `rules[index]…`) for an invalid pattern or one whose meaning changed; the plugin calls it in its factory.
 */
export function compileRulePatterns(
  rule: Pick<RateLimitRule, 'match' | 'costs'>,
  index: number,
): Pick<CompiledRule, 'methods' | 'targets' | 'costs'> {
  const at = (path: string) => ({ plugin: 'ratelimit', path: `rules[${index}].${path}` });
  return {
    methods: rule.match?.methods
      ? new PatternSet(rule.match.methods, 'method', at('match.methods'))
      : undefined,
    targets: rule.match?.targets
      ? new PatternSet(rule.match.targets, 'target', at('match.targets'))
      : undefined,
    costs: new PatternTable(Object.entries(rule.costs ?? {}), 'target', at('costs')),
  };
}

function createBudget(store: LimiterStore, prefix: string, spec: LimitSpec): Budget {
  const main = store.create({
    keyPrefix: prefix,
    points: spec.points,
    duration: spec.duration,
    blockDuration: spec.blockDuration,
  });
  const burst = spec.burst
    ? store.create({ keyPrefix: `${prefix}:burst`, points: spec.burst.points, duration: spec.burst.duration })
    : undefined;
  return {
    limiter: burst ? new BurstyRateLimiter(main, burst) : main,
    main,
    burst,
    points: spec.points,
    duration: spec.duration,
    refundable: spec.blockDuration === 0,
  };
}

/**
 * Gives back what a refused request was charged. A refused bursty charge took from both counters; an allowed
 * one (refused by another rule) is given back to the steady counter only, since whether it spent steady or burst
 * points is not reported (at worst one burst point stays spent).
 */
async function refund({ budget, outcome }: Charge): Promise<void> {
  if (!budget.refundable) return;
  const pending = [budget.main.reward(outcome.key, outcome.cost)];
  if (!outcome.allowed && budget.burst) pending.push(budget.burst.reward(outcome.key, outcome.cost));
  await Promise.all(pending);
}

/** rate-limiter-flexible resolves within budget and rejects with a `RateLimiterRes` over it; errors rethrow. */
async function charge(
  budget: Budget,
  key: string,
  cost: number,
): Promise<{ allowed: boolean; res: RateLimiterRes }> {
  try {
    return { allowed: true, res: await budget.limiter.consume(key, cost) };
  } catch (error) {
    if (error instanceof RateLimiterRes) return { allowed: false, res: error };
    throw error;
  }
}
