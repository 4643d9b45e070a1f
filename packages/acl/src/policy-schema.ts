import { z } from 'zod';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/**
 * A condition on one top-level argument of `tools/call` or `prompts/get`. Exactly one operator:
 * - `under`: the argument is a path equal to or below this prefix, after `.`/`..` and duplicate `/` are resolved;
 * - `equals`: the argument equals this value;
 * - `in`: the argument equals one of these values.
 */
export const aclConditionSchema = z
  .object({
    arg: z.string().min(1).describe('Name of a top-level argument, e.g. "path"'),
    under: z.string().min(1).optional(),
    equals: scalar.optional(),
    in: z.array(scalar).min(1).optional(),
  })
  .strict()
  .refine((c) => [c.under, c.equals, c.in].filter((v) => v !== undefined).length === 1, {
    message: 'a condition needs exactly one of "under", "equals" or "in"',
  });

export const aclRuleSchema = z
  .object({
    /** Stable id reported by `explain` and in security events. @default `rule-<index>` */
    id: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'ids use letters, digits, "_", ".", ":" and "-" (at most 100)')
      .optional(),
    effect: z.enum(['allow', 'deny']),
    /** `principal:<id>`, `role:<name>`, `scope:<scope>`, `authenticated`, `anonymous`, or `*` (everyone). */
    subjects: z.union([z.string(), z.array(z.string()).min(1)]),
    /** Known actions, `*`, or `<prefix>:*`. */
    actions: z.union([z.string(), z.array(z.string()).min(1)]),
    /** Globs over tool/prompt names or resource URIs. Omitted: any target. */
    targets: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    /** Conditions on arguments; all must hold. */
    when: z.array(aclConditionSchema).min(1).optional(),
    description: z.string().optional(),
  })
  .strict();

export const aclRoleSchema = z
  .object({
    /** Roles whose permissions this role also has. */
    inherits: z.array(z.string().min(1)).default([]),
    description: z.string().optional(),
  })
  .strict();

/** A policy document, as written in YAML or JSON. */
export const aclPolicySchema = z
  .object({
    version: z.literal(1),
    roles: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'role names use letters, digits, "_", ".", ":" and "-"'),
        aclRoleSchema.nullable(),
      )
      .default({}),
    /** Scope hierarchy for `scope:` subjects: `{ implies: { 'notes:write': ['notes:read'] }, prefixSeparator: ':' }`. */
    scopes: z
      .object({
        implies: z.record(z.string().min(1).max(256), z.array(z.string().min(1).max(256))).optional(),
        prefixSeparator: z.string().min(1).max(4).optional(),
      })
      .strict()
      .optional(),
    rules: z.array(aclRuleSchema),
  })
  .strict();

export type AclCondition = z.input<typeof aclConditionSchema>;
export type AclRule = z.input<typeof aclRuleSchema>;
export type AclRole = z.input<typeof aclRoleSchema>;
/** A policy document as you write it (YAML, JSON or code). */
export type AclPolicyDocument = z.input<typeof aclPolicySchema>;
