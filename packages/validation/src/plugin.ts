import {
  ArgumentValidationError,
  ConfigError,
  listItemsOf,
  type PluginMode,
  parseOptions,
  type RequestContext,
  type ResponseContext,
  type ValidationIssue,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from '@mcp-warden/core';
import { z } from 'zod';
import { escapePointerToken, VALIDATION_ERROR_CODES } from './errors.js';
import { type ArgumentLimits, argumentLimitsSchema, checkLimits, DEFAULT_LIMITS } from './limits.js';
import {
  createSafePath,
  type SafePathChecker,
  type SafePathOptions,
  safePathOptionsSchema,
} from './path/safe-path.js';
import { compileJsonSchema, type JsonSchema, type JsonSchemaCheck } from './schema/json-schema.js';
import { compileUriTemplate, type UriTemplateMatcher } from './schema/uri-template.js';
import { zodIssuesToValidationIssues } from './schema/zod-schemas.js';
import {
  createSafeUrl,
  type SafeUrlChecker,
  type SafeUrlOptions,
  safeUrlOptionsSchema,
} from './url/safe-url.js';

/** Anything with zod's `safeParseAsync` (zod 4, also zod 3). */
export interface ZodLike {
  safeParseAsync(
    value: unknown,
  ): Promise<
    { success: true; data: unknown } | { success: false; error: { issues: readonly z.core.$ZodIssue[] } }
  >;
}

/** A zod schema, a zod raw shape (`{ path: z.string() }`, as `McpServer.registerTool` takes), or a JSON Schema. */
export type ArgumentSchema = ZodLike | Record<string, ZodLike> | JsonSchema;

/** Rules for one tool, prompt or resource template. */
export interface TargetRule {
  /** The arguments' schema. For tools without one, the `inputSchema` learned from `tools/list` is used. */
  schema?: ArgumentSchema;
  /** Limits for this target, over the plugin-wide ones. */
  limits?: Partial<ArgumentLimits>;
  /** Top-level arguments that are paths, each checked with `safePath` (options, or a checker from `createSafePath`). */
  paths?: Record<string, SafePathOptions | SafePathChecker>;
  /** Top-level arguments that are URLs, each checked with `safeUrl`. */
  urls?: Record<string, SafeUrlOptions | SafeUrlChecker>;
  /**
   * Forward the checked values to the server instead of the raw ones: the zod schema's output, real paths instead
   * of the given ones, normalised URLs. Only for tools and prompts. @default the plugin's `transform`
   */
  transform?: boolean;
}

/** Options of the {@link validation} plugin. */
export interface ValidationOptions {
  /** Limits for every request (all methods), over {@link DEFAULT_LIMITS}. */
  limits?: Partial<ArgumentLimits>;
  /** Rules per tool name. */
  tools?: Record<string, TargetRule>;
  /** Rules per prompt name. */
  prompts?: Record<string, TargetRule>;
  /** Rules per resource template (`file:///notes/{name}`): `schema` validates the template's variables. */
  resourceTemplates?: Record<string, TargetRule>;
  /**
   * Learn each tool's `inputSchema` (JSON Schema) and each prompt's declared arguments from the server's
   * `tools/list` / `prompts/list` results, and validate calls against them when no `schema` is configured.
   * @default true
   */
  learnSchemas?: boolean;
  /** Tool and prompt input schemas known up front (name → JSON Schema), e.g. when clients call without listing. */
  inputSchemas?: Record<string, JsonSchema>;
  /** A `tools/call` or `prompts/get` whose target has no known schema: `allow` (limits still apply) or `deny`. @default 'allow' */
  unknownTargets?: 'allow' | 'deny';
  /** Default of every rule's `transform`. @default false */
  transform?: boolean;
  /** Most issues listed in one error. @default 10 */
  maxIssues?: number;
  /** @default 'enforce' */
  mode?: PluginMode;
}

const zodLike = z.custom<ZodLike>(
  (v) => typeof v === 'object' && v !== null && typeof (v as ZodLike).safeParseAsync === 'function',
);
const jsonSchema = z.union([z.boolean(), z.record(z.string(), z.unknown())]);
const pathRule = z.union([safePathOptionsSchema, z.custom<SafePathChecker>((v) => typeof v === 'function')]);
const urlRule = z.union([safeUrlOptionsSchema, z.custom<SafeUrlChecker>((v) => typeof v === 'function')]);

export const targetRuleSchema = z
  .object({
    schema: z.union([zodLike, z.record(z.string(), zodLike), jsonSchema]).optional(),
    limits: argumentLimitsSchema.optional(),
    paths: z.record(z.string(), pathRule).optional(),
    urls: z.record(z.string(), urlRule).optional(),
    transform: z.boolean().optional(),
  })
  .strict();

/** The options schema (the reference server embeds it in its config schema). */
export const validationOptionsSchema = z
  .object({
    limits: argumentLimitsSchema.optional(),
    tools: z.record(z.string(), targetRuleSchema).optional(),
    prompts: z.record(z.string(), targetRuleSchema).optional(),
    resourceTemplates: z.record(z.string(), targetRuleSchema).optional(),
    learnSchemas: z.boolean().optional(),
    inputSchemas: z.record(z.string(), jsonSchema).optional(),
    unknownTargets: z.enum(['allow', 'deny']).optional(),
    transform: z.boolean().optional(),
    maxIssues: z.number().int().positive().max(100).optional(),
    mode: z.enum(['enforce', 'audit']).optional(),
  })
  .strict();

type CompiledSchema = { kind: 'zod'; schema: ZodLike } | { kind: 'json'; check: JsonSchemaCheck };

interface CompiledRule {
  schema: CompiledSchema | undefined;
  limits: ArgumentLimits;
  paths: [string, SafePathChecker][];
  urls: [string, SafeUrlChecker][];
  transform: boolean;
}

interface LearnedPrompt {
  names: Set<string>;
  required: string[];
}

function isZodLike(value: unknown): value is ZodLike {
  return (
    typeof value === 'object' && value !== null && typeof (value as ZodLike).safeParseAsync === 'function'
  );
}

function compileSchema(schema: ArgumentSchema | undefined, where: string): CompiledSchema | undefined {
  if (schema === undefined) return undefined;
  if (isZodLike(schema)) return { kind: 'zod', schema };
  if (
    typeof schema === 'object' &&
    Object.keys(schema).length > 0 &&
    Object.values(schema).every(isZodLike)
  ) {
    return {
      kind: 'zod',
      schema: z.object(schema as unknown as Record<string, z.ZodType>) as unknown as ZodLike,
    };
  }
  try {
    return { kind: 'json', check: compileJsonSchema(schema as JsonSchema) };
  } catch (error) {
    throw new ConfigError(
      `validation: the JSON Schema of ${where} does not compile (${(error as Error).message}); fix the schema.`,
      { cause: error },
    );
  }
}

/**
 * The validation plugin (stage `validate`): size limits on every request; per-tool, per-prompt and per-resource-
 * template schemas (zod, or JSON Schema learned from `tools/list`); safe paths and SSRF-checked URLs. Refusals are
 * JSON-RPC invalid params (-32602) listing `{ pointer, message }` per problem, never the offending value.
 *
 * @example
 * const warden = await createWarden({
 *   plugins: [validation({
 *     limits: { maxStringLength: 10_000 },
 *     tools: { read_file: { paths: { path: { root: './data', mustExist: true } }, transform: true } },
 *   })],
 * });
 */
export function validation(options: ValidationOptions = {}) {
  // Eagerly, in the factory: bad options fail where they are written.
  parseOptions(validationOptionsSchema, options, { plugin: 'validation' });
  const baseLimits: ArgumentLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const maxIssues = options.maxIssues ?? 10;
  const learn = options.learnSchemas ?? true;
  const unknownTargets = options.unknownTargets ?? 'allow';

  const compileRule = (rule: TargetRule, where: string): CompiledRule => ({
    schema: compileSchema(rule.schema, where),
    limits: { ...baseLimits, ...rule.limits },
    paths: Object.entries(rule.paths ?? {}).map(([key, o]) => [
      key,
      typeof o === 'function' ? o : createSafePath(o),
    ]),
    urls: Object.entries(rule.urls ?? {}).map(([key, o]) => [
      key,
      typeof o === 'function' ? o : createSafeUrl(o),
    ]),
    transform: rule.transform ?? options.transform ?? false,
  });
  const compileAll = (rules: Record<string, TargetRule> | undefined, kind: string) =>
    new Map(
      Object.entries(rules ?? {}).map(([name, rule]) => [name, compileRule(rule, `${kind} "${name}"`)]),
    );

  // Compiled eagerly: a bad root, CIDR or schema is a ConfigError when the plugin is created.
  const tools = compileAll(options.tools, 'tool');
  const prompts = compileAll(options.prompts, 'prompt');
  const templates: [UriTemplateMatcher, CompiledRule][] = Object.entries(options.resourceTemplates ?? {}).map(
    ([template, rule]) => [
      compileUriTemplate(template),
      compileRule(rule, `resource template "${template}"`),
    ],
  );
  /** Tool name → its compiled input schema, or `undefined` when the declared schema does not compile. */
  const learnedTools = new Map<string, JsonSchemaCheck | undefined>();
  for (const [name, schema] of Object.entries(options.inputSchemas ?? {})) {
    const compiled = compileSchema(schema, `input schema "${name}"`);
    learnedTools.set(name, compiled?.kind === 'json' ? compiled.check : undefined);
  }
  const learnedPrompts = new Map<string, LearnedPrompt>();

  const refuse = (issues: ValidationIssue[], code: string, details: Record<string, unknown>): never => {
    throw new ArgumentValidationError({
      code,
      issues: issues.slice(0, maxIssues),
      details: { ...details, issueCount: issues.length },
    });
  };

  async function validateArguments(
    ctx: RequestContext,
    rule: CompiledRule | undefined,
    args: Record<string, unknown>,
    kind: 'tool' | 'prompt' | 'resource',
    name: string,
  ) {
    const issues: ValidationIssue[] = [];
    let output: Record<string, unknown> = args;
    let code: string = VALIDATION_ERROR_CODES.SCHEMA_MISMATCH;
    const schema = rule?.schema;
    if (schema?.kind === 'zod') {
      const result = await schema.schema.safeParseAsync(args);
      if (result.success) {
        if (typeof result.data === 'object' && result.data !== null && !Array.isArray(result.data))
          output = result.data as Record<string, unknown>;
      } else {
        issues.push(...zodIssuesToValidationIssues(result.error.issues));
      }
    } else if (schema?.kind === 'json') {
      issues.push(...schema.check(args));
    } else if (kind === 'tool' && learnedTools.has(name)) {
      const check = learnedTools.get(name);
      if (!check) {
        return refuse(
          [
            {
              pointer: '',
              message: "the tool's declared input schema is invalid, so its arguments cannot be checked",
            },
          ],
          VALIDATION_ERROR_CODES.SCHEMA_INVALID,
          { kind, name },
        );
      }
      issues.push(...check(args));
    } else if (kind === 'prompt' && learnedPrompts.has(name)) {
      const prompt = learnedPrompts.get(name) as LearnedPrompt;
      for (const required of prompt.required)
        if (!(required in args))
          issues.push({
            pointer: `/${escapePointerToken(required)}`,
            message: 'required argument is missing',
          });
      for (const [key, value] of Object.entries(args)) {
        if (!prompt.names.has(key))
          issues.push({ pointer: `/${escapePointerToken(key)}`, message: 'unknown argument' });
        else if (typeof value !== 'string')
          issues.push({
            pointer: `/${escapePointerToken(key)}`,
            message: 'prompt arguments must be strings',
          });
      }
    } else if (
      !rule?.paths.length &&
      !rule?.urls.length &&
      kind !== 'resource' &&
      unknownTargets === 'deny'
    ) {
      return refuse(
        [{ pointer: '', message: `no argument schema is known for this ${kind}` }],
        VALIDATION_ERROR_CODES.SCHEMA_UNKNOWN,
        { kind, name },
      );
    }
    if (issues.length === 0 && rule && (rule.paths.length > 0 || rule.urls.length > 0)) {
      const replaced: Record<string, unknown> = { ...output };
      const checks: Promise<void>[] = [];
      for (const [key, checker] of rule.paths) {
        if (replaced[key] === undefined) continue;
        checks.push(
          checker(replaced[key], { pointer: `/${escapePointerToken(key)}` }).then((real) => {
            replaced[key] = real;
          }),
        );
      }
      for (const [key, checker] of rule.urls) {
        if (replaced[key] === undefined) continue;
        checks.push(
          checker(replaced[key], { pointer: `/${escapePointerToken(key)}`, signal: ctx.signal }).then((r) => {
            replaced[key] = r.url.href;
          }),
        );
      }
      for (const settled of await Promise.allSettled(checks)) {
        if (settled.status === 'rejected') {
          const error = settled.reason;
          const reported = (error as { issues?: unknown }).issues;
          if (!ArgumentValidationError.isInstance(error) || !Array.isArray(reported)) throw error;
          issues.push(...(reported as ValidationIssue[]));
          if (code === VALIDATION_ERROR_CODES.SCHEMA_MISMATCH) code = error.code;
        }
      }
      output = replaced;
    }
    if (issues.length > 0) return refuse(issues, code, { kind, name });
    return rule?.transform && output !== args ? output : undefined;
  }

  return {
    specVersion: WARDEN_SPEC_VERSION,
    name: 'validation',
    stage: 'validate',
    mode: options.mode ?? 'enforce',

    async beforeRequest(ctx: RequestContext) {
      const target = ctx.target;
      let rule: CompiledRule | undefined;
      if (target?.type === 'tool' && ctx.method === 'tools/call') rule = tools.get(target.name);
      else if (target?.type === 'prompt' && ctx.method === 'prompts/get') rule = prompts.get(target.name);

      // Limits: one walk over all params; pointers inside the arguments are reported relative to the arguments.
      const limitIssues = checkLimits(ctx.params, rule?.limits ?? baseLimits, { maxIssues });
      if (limitIssues.length > 0) {
        const relative = ctx.arguments !== undefined;
        const issues = limitIssues.map((i) =>
          relative && i.pointer.startsWith('/arguments')
            ? { ...i, pointer: i.pointer.slice('/arguments'.length) }
            : i,
        );
        refuse(issues, VALIDATION_ERROR_CODES.LIMIT_EXCEEDED, { method: ctx.method });
      }

      if (target?.type === 'tool' && ctx.method === 'tools/call') {
        const replaced = await validateArguments(
          ctx,
          rule,
          { ...(ctx.arguments ?? {}) },
          'tool',
          target.name,
        );
        if (replaced) {
          return { arguments: replaced };
        }
      } else if (target?.type === 'prompt' && ctx.method === 'prompts/get') {
        const replaced = await validateArguments(
          ctx,
          rule,
          { ...(ctx.arguments ?? {}) },
          'prompt',
          target.name,
        );
        if (replaced) return { arguments: replaced };
      } else if (target?.type === 'resource' && ctx.method === 'resources/read' && templates.length > 0) {
        for (const [match, templateRule] of templates) {
          const vars = match(target.uri);
          if (vars) {
            await validateArguments(ctx, templateRule, vars, 'resource', target.uri);
            break;
          }
        }
      }
      return undefined;
    },

    afterResponse(ctx: ResponseContext) {
      if (!learn) return undefined;
      const tools = ctx.method === 'tools/list' ? listItemsOf(ctx.method, ctx.result) : undefined;
      if (tools) {
        for (const tool of tools) {
          const t = tool as { name?: unknown; inputSchema?: unknown };
          if (typeof t.name !== 'string' || typeof t.inputSchema !== 'object' || t.inputSchema === null)
            continue;
          if (options.inputSchemas?.[t.name]) continue; // configured schemas win over declared ones
          try {
            learnedTools.set(t.name, compileJsonSchema(t.inputSchema as JsonSchema));
          } catch (error) {
            learnedTools.set(t.name, undefined);
            ctx.emit({
              type: 'validation.schema_invalid',
              outcome: 'info',
              severity: 'warn',
              reason: `tool "${t.name}" declares an input schema that does not compile: ${(error as Error).message.slice(0, 200)}`,
            });
          }
        }
      } else if (ctx.method === 'prompts/list' && Array.isArray(ctx.result.prompts)) {
        for (const prompt of ctx.result.prompts as unknown[]) {
          const p = prompt as { name?: unknown; arguments?: unknown };
          if (typeof p.name !== 'string') continue;
          const declared = Array.isArray(p.arguments)
            ? (p.arguments as { name?: unknown; required?: unknown }[])
            : [];
          const names = declared.filter((a) => typeof a.name === 'string').map((a) => a.name as string);
          learnedPrompts.set(p.name, {
            names: new Set(names),
            required: declared
              .filter((a) => a.required === true && typeof a.name === 'string')
              .map((a) => a.name as string),
          });
        }
      }
      return undefined;
    },
  } satisfies WardenPlugin;
}
