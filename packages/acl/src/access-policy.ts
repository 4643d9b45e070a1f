import {
  type CompiledPattern,
  expandPattern,
  type ListItem,
  type McpTarget,
  PatternIndex,
  PatternSyntaxError,
  type Principal,
  targetName,
} from '@mcp-warden/core';
import {
  type AclAction,
  actionPatternMatches,
  compileActionPattern,
  isKnownAction,
  isValidActionPattern,
  KNOWN_ACTIONS,
  suggestAction,
  type TargetKind,
  targetKindOf,
} from './actions.js';
import {
  type CanonicalResult,
  canonicalizeName,
  canonicalizeUri,
  readingsResolvedBeforeDecoding,
  resolvePathSegments,
} from './canonical-uri.js';
import { ACL_DECISION_REASONS, type AclDecisionReason, PolicyError, type PolicyIssue } from './errors.js';
import { type AclPolicyDocument, aclPolicySchema } from './policy-schema.js';
import { ScopeSubjects } from './scope-subjects.js';

/** Where a rule was written. */
export interface RuleSource {
  readonly file?: string;
  /** 1-based line of the rule in its file. */
  readonly line?: number;
}

/** A rule as `explain()` reports it. */
export interface AclRuleRef {
  readonly id: string;
  /** Position in the policy's `rules` list (0-based). */
  readonly index: number;
  readonly effect: 'allow' | 'deny';
  readonly source: RuleSource;
}

/** The outcome of {@link AccessPolicy.explain}. */
export interface AclDecision {
  readonly allowed: boolean;
  readonly reason: AclDecisionReason;
  readonly action: string;
  /** The canonical target that was matched (the raw one when it was refused). */
  readonly target: string | undefined;
  /** The rule that decided: the first matching deny, else the first matching allow. Absent for default deny. */
  readonly rule?: AclRuleRef;
  /** When a deny rule decided: the first allow rule it overrode, if any. */
  readonly overridden?: AclRuleRef;
  /** Why the target was refused (`invalid-target` only). */
  readonly detail?: string;
}

/**
 * What a request is about: a tool/prompt name or resource URI as a string, or core's `McpTarget` (which also
 * says whether a `completion:complete` reference is a prompt or a resource).
 */
export type AclTarget = string | McpTarget;

/** Arguments of `tools/call` / `prompts/get`, for rule conditions. */
export type AclArguments = Readonly<Record<string, unknown>>;

interface CompiledCondition {
  readonly arg: string;
  /** Whether `value` satisfies the condition; `undefined` when it cannot tell (missing or wrongly typed value). */
  test(value: unknown): boolean | undefined;
}

interface CompiledRule extends AclRuleRef {
  readonly subjects: readonly string[];
  readonly conditions: readonly CompiledCondition[];
  readonly actionPatterns: readonly string[];
  /** `actionPatterns` compiled (for actions this package does not know, matched at request time). */
  readonly actionMatchers: readonly CompiledPattern[];
  readonly hasTargets: boolean;
}

interface ActionBucket {
  /** Rules that apply to any target of this action. */
  readonly anyTarget: CompiledRule[];
  readonly index: PatternIndex<CompiledRule>;
  /** `completion:complete` only: resource (template) URI globs, kept apart from prompt-name globs in `index`. */
  readonly refUris: PatternIndex<CompiledRule>;
  /** The same globs as a list, for the (rare, not hot) resource-template visibility test. */
  readonly globs: { readonly glob: string; readonly rule: CompiledRule }[];
}

export interface CompileOptions {
  /** File name used in issues and rule sources. */
  readonly file?: string;
  /** Maps a document path to its 1-based line/column (the loader passes one built from YAML node ranges). */
  readonly locate?: (path: readonly (string | number)[]) => { line: number; column: number } | undefined;
}

const ARGUMENT_ACTIONS: readonly string[] = ['tools:call', 'prompts:get'];
const NO_MATCH = Number.POSITIVE_INFINITY;

function toList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/**
 * A compiled, immutable ACL policy. Build one with {@link AccessPolicy.compile} (from a document in code) or
 * {@link loadPolicy} / {@link loadPolicyFile} (from YAML or JSON).
 *
 * Semantics, in order of precedence:
 * 1. `initialize`, `ping` and notifications are never checked (the plugin skips them).
 * 2. A target that cannot be canonicalised (ambiguous encoding, `..` above the root, control characters, …) is
 *    denied, whatever the rules say.
 * 3. If any matching rule denies, the request is denied (deny wins, wherever it appears in the file); the first
 *    matching deny in file order is reported.
 * 4. Otherwise, if any matching rule allows, it is allowed; the first matching allow is reported.
 * 5. Otherwise it is denied (default deny).
 * A rule matches when one of its subjects, one of its actions, one of its targets (or it has none) match, and all
 * its conditions hold. A deny rule's condition that cannot be evaluated (argument missing or of another type)
 * counts as holding; an allow rule's does not (fail closed both ways).
 *
 * @example
 * const policy = AccessPolicy.compile({
 *   version: 1,
 *   roles: { reader: {}, admin: { inherits: ['reader'] } },
 *   rules: [
 *     { id: 'read', effect: 'allow', subjects: 'role:reader', actions: 'tools:call', targets: ['echo', 'read_*'] },
 *     { id: 'no-secrets', effect: 'deny', subjects: '*', actions: 'resources:read', targets: 'file:///private/**' },
 *   ],
 * });
 * policy.check(principal, 'tools:call', 'read_file'); // true for a reader
 */
export class AccessPolicy {
  /** The rules, in file order. */
  readonly rules: readonly AclRuleRef[];
  /** The document this policy was compiled from (after defaults). */
  readonly document: AclPolicyDocument;
  readonly #roleClosure: ReadonlyMap<string, readonly string[]>;
  readonly #buckets = new Map<string, ActionBucket>();
  /** Rules with a wildcard action and no targets: the only ones that can apply to an action this package does not know. */
  readonly #wildcardAnyTarget: CompiledRule[] = [];
  readonly #subjectCache = new WeakMap<Principal, ReadonlySet<string>>();
  readonly #scopeSubjects: ScopeSubjects;
  readonly #scratch: CompiledRule[] = [];
  #deny = NO_MATCH;
  #allow = NO_MATCH;
  #canonical: string | undefined;

  private constructor(
    document: AclPolicyDocument,
    rules: CompiledRule[],
    roleClosure: Map<string, string[]>,
    buckets: Map<string, ActionBucket>,
    scopeSubjects: ScopeSubjects,
  ) {
    this.document = document;
    this.#scopeSubjects = scopeSubjects;
    this.rules = rules.map(({ id, index, effect, source }) => Object.freeze({ id, index, effect, source }));
    this.#roleClosure = roleClosure;
    this.#buckets = buckets;
    for (const rule of rules) {
      if (
        !rule.hasTargets &&
        rule.conditions.length === 0 &&
        rule.actionPatterns.some((p) => p.includes('*'))
      )
        this.#wildcardAnyTarget.push(rule);
    }
  }

  /**
   * Validates and compiles a policy document. Throws {@link PolicyError} listing every problem (with lines when
   * `options.locate` is given).
   */
  static compile(input: unknown, options: CompileOptions = {}): AccessPolicy {
    const issues: PolicyIssue[] = [];
    const issue = (path: (string | number)[], message: string, hint: string): void => {
      const at = options.locate?.(path);
      issues.push({
        path,
        message,
        hint,
        ...(options.file !== undefined && { file: options.file }),
        ...(at && { line: at.line, column: at.column }),
      });
    };

    const parsed = aclPolicySchema.safeParse(input);
    if (!parsed.success) {
      for (const zi of parsed.error.issues)
        issue(
          zi.path.filter((p): p is string | number => typeof p !== 'symbol'),
          zi.message,
          zodHint(zi, input),
        );
      throw new PolicyError(issues);
    }
    const document = parsed.data;

    // Roles: transitive closure of `inherits`, refusing unknown parents and cycles.
    const roles = new Map<string, string[]>();
    for (const [name, role] of Object.entries(document.roles)) roles.set(name, role?.inherits ?? []);
    for (const [name, parents] of roles) {
      parents.forEach((parent, i) => {
        if (!roles.has(parent))
          issue(
            ['roles', name, 'inherits', i],
            `role "${name}" inherits unknown role "${parent}"`,
            `declare "${parent}" under roles, or fix the spelling`,
          );
      });
    }
    const closure = new Map<string, string[]>();
    for (const name of roles.keys()) {
      const seen = new Set<string>([name]);
      const stack = [...(roles.get(name) ?? [])];
      while (stack.length > 0) {
        const next = stack.pop() as string;
        if (next === name) {
          issue(
            ['roles', name, 'inherits'],
            `role "${name}" inherits itself (a cycle)`,
            'remove one of the "inherits" entries that closes the cycle',
          );
          break;
        }
        if (seen.has(next) || !roles.has(next)) continue;
        seen.add(next);
        stack.push(...(roles.get(next) ?? []));
      }
      closure.set(name, [...seen]);
    }

    const compiled: CompiledRule[] = [];
    const buckets = new Map<string, ActionBucket>();
    const bucket = (action: string): ActionBucket => {
      let b = buckets.get(action);
      if (!b) {
        b = { anyTarget: [], index: new PatternIndex(), refUris: new PatternIndex(), globs: [] };
        buckets.set(action, b);
      }
      return b;
    };
    const ids = new Map<string, number>();

    document.rules.forEach((raw, index) => {
      const at = (...rest: (string | number)[]): (string | number)[] => ['rules', index, ...rest];
      const id = raw.id ?? `rule-${index}`;
      if (ids.has(id))
        issue(
          at('id'),
          `rule id "${id}" is used twice (also rule ${ids.get(id)})`,
          'give every rule a unique id',
        );
      ids.set(id, index);

      const subjects = toList(raw.subjects);
      subjects.forEach((subject, i) => {
        const problem = checkSubject(subject, roles);
        if (problem) issue(at('subjects', i), problem.message, problem.hint);
      });

      const actionPatterns = toList(raw.actions);
      const targets = raw.targets === undefined ? undefined : toList(raw.targets);
      const conditional = raw.when !== undefined;
      const actions = new Map<AclAction, boolean>(); // action → named explicitly
      actionPatterns.forEach((pattern, i) => {
        if (!isValidActionPattern(pattern)) {
          const suggestion = suggestAction(pattern);
          issue(
            at('actions', i),
            `unknown action "${pattern}"`,
            suggestion
              ? `did you mean "${suggestion}"?`
              : `use one of ${KNOWN_ACTIONS.join(', ')}, "*" or e.g. "tools:*"`,
          );
          return;
        }
        const explicit = !pattern.includes('*');
        for (const action of KNOWN_ACTIONS) {
          if (!actionPatternMatches(pattern, action)) continue;
          if (!explicit && targets !== undefined && targetKindOf(action) === 'none') continue; // `*` + targets: targeted actions only
          if (!explicit && conditional && !ARGUMENT_ACTIONS.includes(action)) continue;
          if (explicit && targets !== undefined && targetKindOf(action) === 'none') {
            issue(
              at('actions', i),
              `"${action}" takes no target, but the rule has targets`,
              `move "${action}" to a rule without targets; what a list shows follows tools:call, prompts:get and resources:read`,
            );
          }
          if (explicit && conditional && !ARGUMENT_ACTIONS.includes(action)) {
            issue(
              at('when'),
              `conditions apply to tools:call and prompts:get only, not to "${action}"`,
              `move "${action}" to a rule without "when"`,
            );
          }
          actions.set(action, explicit || actions.get(action) === true);
        }
      });

      const conditions = (raw.when ?? []).map((c, i) =>
        compileCondition(c, () =>
          issue(
            at('when', i, 'under'),
            `"under" must be a path without ".." above its root, NUL or "\\"`,
            'write a plain prefix such as "/notes" or "notes"',
          ),
        ),
      );
      const rule: CompiledRule = {
        id,
        index,
        effect: raw.effect,
        source: {
          ...(options.file !== undefined && { file: options.file }),
          ...(options.locate?.(['rules', index]) && { line: options.locate(['rules', index])?.line }),
        },
        subjects,
        conditions,
        actionPatterns,
        actionMatchers: actionPatterns.flatMap((p) =>
          isValidActionPattern(p) ? [compileActionPattern(p)] : [],
        ),
        hasTargets: targets !== undefined,
      };
      compiled.push(rule);

      if (targets === undefined) {
        for (const action of actions.keys()) bucket(action).anyTarget.push(rule);
        return;
      }
      targets.forEach((target, ti) => {
        let expansions: string[];
        try {
          expansions = expandPattern(target);
        } catch (error) {
          if (!(error instanceof PatternSyntaxError)) throw error;
          issue(at('targets', ti), error.problem, error.hint);
          return;
        }
        let used = false;
        for (const [action, explicit] of actions) {
          const kind = targetKindOf(action);
          for (const expansion of expansions) {
            const canonical = canonicalPattern(kind, expansion);
            if (!canonical.ok) {
              if (explicit || kind !== 'uri') {
                issue(
                  at('targets', ti),
                  `target ${JSON.stringify(expansion)} is not valid for "${action}": ${canonical.reason}`,
                  kind === 'uri'
                    ? 'write an absolute URI such as "file:///public/**" (no encoded "/", "\\" or ".." above the root)'
                    : 'remove control and invisible characters',
                );
              }
              continue;
            }
            used = true;
            if (canonical.value === '**') bucket(action).anyTarget.push(rule);
            else if (kind === 'ref' && looksLikeUri(expansion))
              bucket(action).refUris.addAlternative(canonical.value, rule);
            else {
              bucket(action).index.addAlternative(canonical.value, rule);
              bucket(action).globs.push({ glob: canonical.value, rule });
            }
          }
        }
        if (
          !used &&
          actions.size > 0 &&
          !issues.some((i) => i.path.join('.') === at('targets', ti).join('.'))
        ) {
          issue(
            at('targets', ti),
            `target ${JSON.stringify(target)} fits none of the rule's actions`,
            'resource actions need absolute URIs such as "file:///public/**"',
          );
        }
      });
    });

    const scopeSubjects = ScopeSubjects.compile(
      document.scopes,
      compiled.flatMap((rule) => rule.subjects),
      (message, hint) => issue(['scopes', 'implies'], message, hint),
    );
    if (issues.length > 0) throw new PolicyError(issues);
    return new AccessPolicy(document as AclPolicyDocument, compiled, closure, buckets, scopeSubjects);
  }

  /** Fast path: whether `principal` may perform `action` on `target` (with `args` for conditions). */
  check(principal: Principal, action: string, target?: AclTarget, args?: AclArguments): boolean {
    if (this.#decide(principal, action, target, args ?? EMPTY_ARGS, false) !== undefined) return false;
    return this.#deny === NO_MATCH && this.#allow !== NO_MATCH;
  }

  /**
   * The decision and the rule that made it.
   * @example
   * policy.explain(principal, 'resources:read', 'file:///public/../private/x')
   * // { allowed: false, reason: 'denied-by-rule', target: 'file:///private/x', rule: { id: 'no-private', … } }
   */
  explain(principal: Principal, action: string, target?: AclTarget, args?: AclArguments): AclDecision {
    const refused = this.#decide(principal, action, target, args ?? EMPTY_ARGS, false);
    const raw = targetText(target);
    if (refused !== undefined)
      return {
        allowed: false,
        reason: ACL_DECISION_REASONS.INVALID_TARGET,
        action,
        target: raw,
        detail: refused,
      };
    const shownTarget = targetKindOf(action) === 'none' ? raw : this.#canonical;
    const deny = this.#deny;
    const allow = this.#allow;
    const ref = (i: number): AclRuleRef => this.rules[i] as AclRuleRef;
    if (deny !== NO_MATCH) {
      return {
        allowed: false,
        reason: ACL_DECISION_REASONS.DENIED_BY_RULE,
        action,
        target: shownTarget,
        rule: ref(deny),
        ...(allow !== NO_MATCH && { overridden: ref(allow) }),
      };
    }
    if (allow !== NO_MATCH)
      return {
        allowed: true,
        reason: ACL_DECISION_REASONS.ALLOWED_BY_RULE,
        action,
        target: shownTarget,
        rule: ref(allow),
      };
    return { allowed: false, reason: ACL_DECISION_REASONS.NO_MATCHING_RULE, action, target: shownTarget };
  }

  /**
   * Whether a list entry is shown to `principal`: a tool needs `tools:call`, a prompt `prompts:get`, a resource
   * `resources:read`. Conditions are unknown when listing, so an allow rule with conditions counts and a deny
   * rule with conditions does not (the call itself is still checked with its arguments). A resource template is
   * shown when some allow rule may cover URIs starting with its literal prefix and no unconditional deny covers
   * them all (a best-effort test: reads are still checked one by one).
   */
  visible(principal: Principal, item: ListItem): boolean {
    switch (item.type) {
      case 'tool':
        return this.#visibleTarget(principal, 'tools:call', item.name);
      case 'prompt':
        return this.#visibleTarget(principal, 'prompts:get', item.name);
      case 'resource':
        return this.#visibleTarget(principal, 'resources:read', item.uri);
      case 'resourceTemplate':
        return this.#visibleTemplate(principal, item.uriTemplate);
    }
  }

  /** The roles a principal holds through the policy's inheritance (its own roles included). */
  effectiveRoles(principal: Principal): string[] {
    const out = new Set<string>();
    for (const role of principal.roles) {
      out.add(role);
      for (const inherited of this.#roleClosure.get(role) ?? []) out.add(inherited);
    }
    return [...out];
  }

  #visibleTarget(principal: Principal, action: string, target: string): boolean {
    if (this.#decide(principal, action, target, undefined, true) !== undefined) return false;
    return this.#deny === NO_MATCH && this.#allow !== NO_MATCH;
  }

  #visibleTemplate(principal: Principal, template: string): boolean {
    const bucket = this.#buckets.get('resources:read');
    if (!bucket) return false;
    const keys = this.#subjectKeys(principal);
    const brace = template.indexOf('{');
    const rawPrefix = brace === -1 ? template : template.slice(0, brace);
    const prefix = canonicalizeUri(rawPrefix.length > 0 ? rawPrefix : template);
    if (!prefix.ok) return false;
    const p = prefix.value;
    const applies = (rule: CompiledRule): boolean => rule.subjects.some((s) => keys.has(s));
    let allowed = false;
    for (const rule of bucket.anyTarget) {
      if (!applies(rule)) continue;
      if (rule.effect === 'deny' && rule.conditions.length === 0) return false;
      if (rule.effect === 'allow') allowed = true;
    }
    for (const { glob, rule } of bucket.globs) {
      if (!applies(rule)) continue;
      const star = glob.indexOf('*');
      const literal = star === -1 ? glob : glob.slice(0, star);
      if (rule.effect === 'deny') {
        if (
          rule.conditions.length === 0 &&
          glob.endsWith('**') &&
          star === glob.length - 2 &&
          p.startsWith(literal)
        )
          return false;
      } else if (literal.startsWith(p) || p.startsWith(literal)) {
        allowed = true;
      }
    }
    return allowed;
  }

  /**
   * Decides into `#deny` / `#allow` (the lowest index of a matching deny / allow rule, or `NO_MATCH`) and
   * `#canonical`; returns why the target was refused, if it was. `args === undefined` with `optimistic` is the
   * listing mode described at {@link visible}. Not re-entrant (it is synchronous, so it need not be).
   */
  #decide(
    principal: Principal,
    action: string,
    target: AclTarget | undefined,
    args: AclArguments | undefined,
    optimistic: boolean,
  ): string | undefined {
    this.#deny = NO_MATCH;
    this.#allow = NO_MATCH;
    const keys = this.#subjectKeys(principal);
    let kind = targetKindOf(action);
    const text = targetText(target);
    let refUri = false;
    if (kind === 'ref') {
      refUri =
        typeof target === 'object' ? target.type === 'resource' : text !== undefined && looksLikeUri(text);
      kind = refUri ? 'uri' : 'name';
    }
    const bucket = this.#buckets.get(action);
    if (kind === 'none') {
      if (bucket) this.#scan(bucket.anyTarget, keys, args, optimistic, undefined);
      // An action this package does not know: only `*`-style action rules without targets can apply.
      else if (!isKnownAction(action)) this.#scan(this.#wildcardAnyTarget, keys, args, optimistic, action);
      return undefined;
    }
    const canonical = canonicalTarget(kind, text);
    if (!canonical.ok) return canonical.reason;
    this.#canonical = canonical.value;
    if (!bucket) return undefined;
    const index = refUri ? bucket.refUris : bucket.index;
    this.#scanTarget(bucket, index, canonical.value, keys, args, optimistic);
    const aliases = canonical.aliases ?? (canonical.alias === undefined ? undefined : [canonical.alias]);
    if (aliases !== undefined) {
      // Other readings of the same URI (see `CanonicalResult.alias`): denied if any reading is denied, allowed
      // only if every reading is allowed.
      for (const alias of aliases) {
        const deny = this.#deny;
        const allow = this.#allow;
        this.#deny = NO_MATCH;
        this.#allow = NO_MATCH;
        this.#scanTarget(bucket, index, alias, keys, args, optimistic);
        this.#deny = Math.min(deny, this.#deny);
        this.#allow = allow !== NO_MATCH && this.#allow !== NO_MATCH ? allow : NO_MATCH;
      }
    }
    const denyOnly = text?.includes('%')
      ? [...(canonical.denyOnly ?? []), ...readingsResolvedBeforeDecoding(text, canonical.value)]
      : canonical.denyOnly;
    if (denyOnly !== undefined && denyOnly.length > 0) {
      // Readings without the query or fragment, or run on into them: a deny of one still wins
      // (`file:///private/keys?x` is `file:///private/keys` to a handler that ignores the query); never an allow.
      const deny = this.#deny;
      const allow = this.#allow;
      let denied = deny;
      for (const reading of denyOnly) {
        this.#deny = NO_MATCH;
        this.#scanTarget(bucket, index, reading, keys, args, optimistic);
        denied = Math.min(denied, this.#deny);
      }
      this.#deny = denied;
      this.#allow = allow;
    }
    return undefined;
  }

  #scanTarget(
    bucket: ActionBucket,
    index: PatternIndex<CompiledRule>,
    target: string,
    keys: ReadonlySet<string>,
    args: AclArguments | undefined,
    optimistic: boolean,
  ): void {
    this.#scan(bucket.anyTarget, keys, args, optimistic, undefined);
    const found = this.#scratch;
    found.length = 0;
    index.collect(target, found);
    this.#scan(found, keys, args, optimistic, undefined);
  }

  #scan(
    rules: readonly CompiledRule[],
    keys: ReadonlySet<string>,
    args: AclArguments | undefined,
    optimistic: boolean,
    action: string | undefined,
  ): void {
    for (const rule of rules) {
      if (rule.effect === 'deny' ? rule.index >= this.#deny : rule.index >= this.#allow) continue;
      if (action !== undefined && !actionMatches(rule, action)) continue;
      if (!subjectMatches(rule, keys)) continue;
      if (rule.conditions.length > 0 && !conditionsHold(rule, args, optimistic)) continue;
      if (rule.effect === 'deny') this.#deny = rule.index;
      else this.#allow = rule.index;
    }
  }

  #subjectKeys(principal: Principal): ReadonlySet<string> {
    let keys = this.#subjectCache.get(principal);
    if (!keys) {
      const set = new Set<string>([
        '*',
        principal.kind === 'anonymous' ? 'anonymous' : 'authenticated',
        `principal:${principal.id}`,
      ]);
      for (const role of this.effectiveRoles(principal)) set.add(`role:${role}`);
      for (const key of this.#scopeSubjects.keysFor(principal.scopes)) set.add(key);
      keys = set;
      if (Object.isFrozen(principal)) this.#subjectCache.set(principal, keys);
    }
    return keys;
  }
}

const EMPTY_ARGS: AclArguments = Object.freeze({});

function actionMatches(rule: CompiledRule, action: string): boolean {
  for (const matcher of rule.actionMatchers) if (matcher.test(action)) return true;
  return false;
}

function subjectMatches(rule: CompiledRule, keys: ReadonlySet<string>): boolean {
  for (const subject of rule.subjects) if (keys.has(subject)) return true;
  return false;
}

function conditionsHold(rule: CompiledRule, args: AclArguments | undefined, optimistic: boolean): boolean {
  if (args === undefined) return optimistic ? rule.effect === 'allow' : rule.effect === 'deny';
  for (const condition of rule.conditions) {
    const result = condition.test(Object.hasOwn(args, condition.arg) ? args[condition.arg] : undefined);
    // Unknown (missing or wrongly typed argument): holds for a deny rule, fails for an allow rule.
    if (result === undefined ? rule.effect === 'allow' : !result) return false;
  }
  return true;
}

function targetText(target: AclTarget | undefined): string | undefined {
  return typeof target === 'string' ? target : targetName(target);
}

/** Canonical target for matching, per kind of action. */
export function canonicalTarget(kind: TargetKind, target: string | undefined): CanonicalResult {
  if (target === undefined) return { ok: false, reason: 'missing target' };
  return kind === 'uri' || (kind === 'ref' && looksLikeUri(target))
    ? canonicalizeUri(target)
    : canonicalizeName(target);
}

const SCHEME_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:/;
function looksLikeUri(value: string): boolean {
  return SCHEME_PREFIX.test(value);
}

/** Canonical form of one brace-free target pattern. `**` (any URI) is kept as is. */
function canonicalPattern(kind: TargetKind, pattern: string): CanonicalResult {
  if (kind === 'uri' && (pattern === '**' || pattern === '*')) return { ok: true, value: '**' };
  if (kind !== 'uri' && pattern === '**') return { ok: true, value: '**' };
  return kind === 'uri' || (kind === 'ref' && looksLikeUri(pattern))
    ? canonicalizeUri(pattern)
    : canonicalizeName(pattern);
}

function compileCondition(
  condition: {
    arg: string;
    under?: string | undefined;
    equals?: string | number | boolean | undefined;
    in?: (string | number | boolean)[] | undefined;
  },
  onBadPrefix: () => void,
): CompiledCondition {
  const { arg } = condition;
  if (condition.under !== undefined) {
    const prefix = normalizeArgumentPath(condition.under);
    if (prefix === undefined) onBadPrefix();
    const base = (prefix ?? '\u0000').replace(/\/$/, '');
    return {
      arg,
      test(value) {
        if (typeof value !== 'string') return undefined;
        const path = normalizeArgumentPath(value);
        if (path === undefined) return false;
        if (base === '') return path.startsWith('/');
        return path === base || path.startsWith(`${base}/`);
      },
    };
  }
  if (condition.equals !== undefined) {
    const expected = condition.equals;
    return { arg, test: (value) => (isScalar(value) ? value === expected : undefined) };
  }
  const allowed = new Set(condition.in ?? []);
  return { arg, test: (value) => (isScalar(value) ? allowed.has(value) : undefined) };
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** A path argument with `.`/`..` and duplicate `/` resolved; `undefined` for NUL, `\`, control characters or `..` above the root. */
function normalizeArgumentPath(value: string): string | undefined {
  const checked = canonicalizeName(value);
  if (!checked.ok) return undefined;
  return resolvePathSegments(value);
}

function checkSubject(
  subject: string,
  roles: ReadonlyMap<string, unknown>,
): { message: string; hint: string } | undefined {
  if (subject === '*' || subject === 'authenticated' || subject === 'anonymous') return undefined;
  const colon = subject.indexOf(':');
  const kind = colon === -1 ? '' : subject.slice(0, colon);
  const value = colon === -1 ? '' : subject.slice(colon + 1);
  if (value.length === 0 || !['principal', 'role', 'scope'].includes(kind)) {
    return {
      message: `unknown subject "${subject}"`,
      hint: 'use "principal:<id>", "role:<name>", "scope:<scope>", "authenticated", "anonymous" or "*"',
    };
  }
  if (kind === 'role' && !roles.has(value))
    return {
      message: `subject "${subject}" names an undeclared role`,
      hint: `declare "${value}" under roles (e.g. "roles: { ${value}: {} }"), or fix the spelling`,
    };
  return undefined;
}

const MISSING_KEY_HINTS: Record<string, string> = {
  version: 'add "version: 1" at the top',
  rules: 'add a "rules:" list',
  effect: 'add "effect: allow" or "effect: deny"',
  subjects: 'add e.g. "subjects: [authenticated]"',
  actions: 'add e.g. "actions: [tools:call]"',
  arg: 'add the argument name, e.g. "arg: path"',
};

function isMissing(input: unknown, path: readonly PropertyKey[]): boolean {
  let node = input;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return true;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node === undefined;
}

function zodHint(
  issue: {
    code: string;
    path: readonly PropertyKey[];
    message: string;
    keys?: readonly string[];
    values?: readonly unknown[];
  },
  input: unknown,
): string {
  const last = issue.path[issue.path.length - 1];
  if (issue.path.length > 0 && isMissing(input, issue.path))
    return (typeof last === 'string' && MISSING_KEY_HINTS[last]) || `add "${String(last)}"`;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `remove ${issue.keys?.map((k) => `"${k}"`).join(', ') ?? 'the key'} or check its spelling`;
    case 'invalid_value':
      return issue.values
        ? `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
        : 'use an allowed value';
    case 'invalid_type':
      return 'check the value type against the policy format in the README';
    case 'too_small':
      return 'give at least one entry';
    case 'invalid_format':
      return issue.message;
    default:
      return 'see the policy format in the README';
  }
}
