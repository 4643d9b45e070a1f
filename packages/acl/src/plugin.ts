import {
  AccessDeniedError,
  ConfigError,
  type ListItem,
  type Principal,
  parseOptions,
  type RequestContext,
  targetName,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from '@mcp-warden/core';
import { z } from 'zod';
import {
  AccessPolicy,
  type AclArguments,
  type AclDecision,
  type AclRuleRef,
  type AclTarget,
} from './access-policy.js';
import { isExemptMethod } from './actions.js';
import { PolicyError } from './errors.js';
import { PolicyWatcher } from './policy-watcher.js';

/** Options of {@link acl}. Exported so a host can embed it in its own configuration schema. */
export const aclOptionsSchema = z
  .object({
    /** Path of a YAML or JSON policy file. Exactly one of `policyFile` and `policy`. */
    policyFile: z.string().min(1).optional(),
    /** A policy document (or an already compiled `AccessPolicy`) given in code. */
    policy: z.unknown().optional(),
    /** Reload `policyFile` when it changes. @default true */
    watch: z.boolean().default(true),
    /** Quiet time after a file change before reloading, in ms. @default 100 */
    debounceMs: z.number().int().min(0).max(60_000).default(100),
    /** `audit` records what would be refused and lets it pass. @default 'enforce' */
    mode: z.enum(['enforce', 'audit']).default('enforce'),
    /** Plugin name (to run two ACLs side by side). @default 'acl' */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/)
      .default('acl'),
  })
  .strict()
  .refine((o) => (o.policyFile === undefined) !== (o.policy === undefined), {
    message: 'give exactly one of "policyFile" (a YAML/JSON file) and "policy" (a document in code)',
    params: { fix: "pass { policyFile: './policy.yaml' } or { policy: { version: 1, rules: [...] } }" },
  });

export type AclOptions = z.input<typeof aclOptionsSchema>;

/** The ACL plugin: a {@link WardenPlugin} plus its engine. */
export interface AclPlugin extends WardenPlugin {
  /** The policy in force (changes on hot reload). Throws before `setup` when the policy comes from a file. */
  readonly policy: AccessPolicy;
  /** Same as `policy.explain(...)`, with the policy in force. */
  explain(principal: Principal, action: string, target?: AclTarget, args?: AclArguments): AclDecision;
  /** Re-reads `policyFile` now; resolves `true` when a new policy was swapped in. */
  reload(): Promise<boolean>;
}

const MAX_TARGET_IN_MESSAGE = 200;

/**
 * Least-privilege access control for tools, prompts and resources. Runs in the `authorize` stage and needs an
 * authentication plugin (for anonymous access, an authenticator that returns an anonymous principal).
 * Refusals are `AccessDeniedError`s (JSON-RPC -32003) naming the action and target; the deciding rule goes to
 * the security event only. List results only show what the principal may use.
 *
 * @example
 * const warden = await createWarden({
 *   plugins: [apiKeyAuth({ store }), acl({ policyFile: './policy.yaml' })],
 * });
 */
export function acl(options: AclOptions): AclPlugin {
  const parsed = parseOptions(aclOptionsSchema, options, { plugin: 'acl' });
  const { policyFile, watch, debounceMs, mode, name } = parsed;

  let inCode: AccessPolicy | undefined;
  if (parsed.policy !== undefined) {
    try {
      inCode = parsed.policy instanceof AccessPolicy ? parsed.policy : AccessPolicy.compile(parsed.policy);
    } catch (error) {
      if (error instanceof PolicyError) throw new ConfigError(`acl: ${error.message}`, { cause: error });
      throw error;
    }
  }
  let watcher: PolicyWatcher | undefined;
  const current = (): AccessPolicy => {
    const policy = watcher?.current ?? inCode;
    if (!policy) throw new ConfigError('acl: the policy file has not been loaded yet (setup has not run)');
    return policy;
  };

  const plugin = {
    specVersion: WARDEN_SPEC_VERSION,
    name,
    stage: 'authorize',
    mode,
    requires: ['authentication'],

    async setup(ctx) {
      if (policyFile === undefined) {
        ctx.emit({
          type: 'policy.loaded',
          outcome: 'info',
          details: { source: 'code', rules: current().rules.length },
        });
        return;
      }
      try {
        watcher = await PolicyWatcher.start({
          file: policyFile,
          watch,
          debounceMs,
          onLoaded: (policy) =>
            ctx.emit({
              type: 'policy.loaded',
              outcome: 'info',
              details: { file: policyFile, rules: policy.rules.length },
            }),
          onRejected: (error) =>
            ctx.emit({
              type: 'policy.rejected',
              outcome: 'info',
              severity: 'error',
              reason: error.message,
              details: { file: policyFile, issues: error.issues.map((i) => ({ ...i })) },
            }),
        });
      } catch (error) {
        if (error instanceof PolicyError) throw new ConfigError(`acl: ${error.message}`, { cause: error });
        throw error;
      }
      ctx.emit({
        type: 'policy.loaded',
        outcome: 'info',
        details: { file: policyFile, rules: watcher.current.rules.length },
      });
    },

    close() {
      watcher?.close();
    },

    beforeRequest(ctx: RequestContext) {
      if (isExemptMethod(ctx.method)) return;
      const decision = current().explain(ctx.principal, ctx.action, ctx.target, ctx.arguments ?? {});
      if (decision.allowed) return;
      throw denial(decision, targetName(ctx.target));
    },

    filterListItem(item: ListItem, ctx: RequestContext) {
      return current().visible(ctx.principal, item);
    },
  } satisfies WardenPlugin;

  // `Object.assign` would read the getter once; define it so `policy` follows hot reloads.
  const result = Object.defineProperty(plugin, 'policy', {
    get: current,
    enumerable: true,
  }) as typeof plugin & { readonly policy: AccessPolicy };
  return Object.assign(result, {
    explain(principal: Principal, action: string, target?: AclTarget, args?: AclArguments): AclDecision {
      return current().explain(principal, action, target, args);
    },
    reload(): Promise<boolean> {
      return watcher ? watcher.reload() : Promise.resolve(false);
    },
  });
}

/** The refusal: the client learns the action and target, the security event also learns the rule. */
export function denial(decision: AclDecision, rawTarget: string | undefined): AccessDeniedError {
  const shown =
    rawTarget === undefined
      ? ''
      : ` on ${JSON.stringify(rawTarget.length > MAX_TARGET_IN_MESSAGE ? `${rawTarget.slice(0, MAX_TARGET_IN_MESSAGE)}…` : rawTarget)}`;
  return new AccessDeniedError({
    message: `Access denied: ${decision.action}${shown} is not permitted.`,
    reason: describeDecision(decision),
    details: {
      decision: decision.reason,
      ...(decision.target !== undefined && { canonicalTarget: decision.target }),
      ...(decision.rule && { rule: ruleDetails(decision.rule) }),
      ...(decision.overridden && { overridden: ruleDetails(decision.overridden) }),
      ...(decision.detail !== undefined && { detail: decision.detail }),
    },
  });
}

function ruleDetails(rule: AclRuleRef): Record<string, unknown> {
  return { id: rule.id, index: rule.index, effect: rule.effect, ...rule.source };
}

/** One line for logs and the CLI, e.g. `denied by rule "no-private" (policy.yaml:12)`. */
export function describeDecision(decision: AclDecision): string {
  const where = (rule: AclRuleRef): string =>
    rule.source.line !== undefined ? ` (${rule.source.file ?? 'policy'}:${rule.source.line})` : '';
  switch (decision.reason) {
    case 'allowed-by-rule':
      return `allowed by rule "${decision.rule?.id}"${decision.rule ? where(decision.rule) : ''}`;
    case 'denied-by-rule':
      return `denied by rule "${decision.rule?.id}"${decision.rule ? where(decision.rule) : ''}${decision.overridden ? `, overriding allow rule "${decision.overridden.id}"` : ''}`;
    case 'no-matching-rule':
      return `no rule allows ${decision.action}${decision.target === undefined ? '' : ` on ${JSON.stringify(decision.target)}`} (default deny)`;
    case 'invalid-target':
      return `target refused before matching: ${decision.detail ?? 'not canonical'}`;
  }
}
