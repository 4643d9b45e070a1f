import type { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * What a rule's budget is counted by. Several dimensions combine into one key (e.g. `['principal', 'target']`
 * gives every principal its own budget per tool).
 *
 * - `principal`: the authenticated principal's id (`anonymous` for every anonymous caller).
 * - `identity`: the principal's id when authenticated, the client address when anonymous.
 * - `address`: the client address (IPv6 grouped by subnet). A rule keyed by address does not apply under stdio.
 * - `target`: what the request is about, e.g. `tool:search`, `resource:file:///a`, `prompt:summary`.
 * - `method`: the JSON-RPC method, e.g. `tools/call`.
 * - `session`: the MCP session id (a rule keyed by session does not apply without one).
 */
export const KEY_DIMENSIONS = ['principal', 'identity', 'address', 'target', 'method', 'session'] as const;
export type KeyDimension = (typeof KEY_DIMENSIONS)[number];

const RULE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_POINTS = 1_000_000_000;
/** One year: longer windows are a configuration mistake (and would overflow timers). */
const MAX_SECONDS = 31_536_000;

const points = z.number().int().min(1).max(MAX_POINTS);
const seconds = z.number().int().min(1).max(MAX_SECONDS);
const pattern = z.string().min(1).max(512);

/** A budget: `points` per `duration` seconds, with optional burst allowance and block. */
export const limitSchema = z
  .object({
    /** Points a key may spend per window. */
    points,
    /** Window length in seconds (fixed window, starting at the key's first request). */
    duration: seconds,
    /** Once the budget is exceeded, refuse the key for this many seconds (instead of until the window ends). */
    blockDuration: z.number().int().min(0).max(MAX_SECONDS).default(0),
    /** Extra points usable once the budget is spent, refilled over their own (usually longer) window. */
    burst: z.object({ points, duration: seconds }).strict().optional(),
  })
  .strict();

export const ruleSchema = limitSchema
  .extend({
    /** Unique rule name (lower-case letters, digits, `.`, `_`, `-`); names the budget in events and headers. */
    name: z
      .string()
      .regex(
        RULE_NAME,
        'must be 1-64 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
      ),
    /** What the budget is counted by. */
    key: z.array(z.enum(KEY_DIMENSIONS)).min(1).max(KEY_DIMENSIONS.length).default(['identity']),
    /** Which requests the rule applies to; absent means every MCP request. Patterns: core's pattern language. */
    match: z
      .object({
        /** JSON-RPC methods, e.g. `tools/call`, `tools/*` or `resources/**`. */
        methods: z.array(pattern).min(1).optional(),
        /** Targets, e.g. `tool:generate_image`, `tool:db_*`, `resource:file:///**`. */
        targets: z.array(pattern).min(1).optional(),
      })
      .strict()
      .optional(),
    /** Points a request costs by target pattern (first match wins), e.g. `{ "tool:generate_image": 10 }`. 0 = free. */
    costs: z.record(pattern, z.number().int().min(0).max(MAX_POINTS)).optional(),
    /** Cost of a request no `costs` pattern matches. */
    defaultCost: z.number().int().min(0).max(MAX_POINTS).default(1),
    /**
     * A different budget per role; the first listed role the principal holds applies. `"unlimited"` exempts
     * the role from this rule.
     */
    roles: z.record(z.string().min(1).max(128), z.union([limitSchema, z.literal('unlimited')])).optional(),
  })
  .strict();

export const bruteForceSchema = z
  .object({
    /** Failed authentications of one credential from one address (within `windowSeconds`) that block that pair. */
    maxFailures: z.number().int().min(1).max(1_000_000).default(10),
    /** How long failures are remembered, in seconds. */
    windowSeconds: seconds.default(900),
    /** How long a blocked address is refused, in seconds. */
    blockSeconds: seconds.default(900),
    /** From this many failures on (and below `maxFailures`), each failure imposes a cool-down before the next attempt. */
    slowAfter: z.number().int().min(1).max(1_000_000).default(5),
    /** The first cool-down in seconds; it doubles with each further failure. */
    slowdownSeconds: seconds.default(1),
    /** Upper bound of a cool-down, in seconds. */
    maxSlowdownSeconds: seconds.default(30),
    /**
     * Forget an address's failures when a request from it authenticates. Off by default: with it, an attacker
     * holding any valid credential could keep resetting the counter while guessing others.
     */
    resetOnSuccess: z.boolean().default(false),
    /** `auth.failed` events with one of these `details.code` values are not counted (a missing credential is no guess). */
    ignoreCodes: z.array(z.string().min(1)).default(['UNAUTHENTICATED']),
    /**
     * Failures from one address, whatever the credentials, after which the whole address is blocked for
     * `blockSeconds` (caps spraying many credentials). `slowAfter` / `maxFailures` apply per address and
     * credential, so other people's failures behind a shared address do not lock out a valid credential.
     * @default max(100, 10 × maxFailures)
     */
    addressMaxFailures: z.number().int().min(1).max(10_000_000).optional(),
    /**
     * Request headers whose values are the presented credential, fingerprinted (HMAC) to count failures per
     * credential. Failures of requests carrying none of them are counted per address alone.
     */
    credentialHeaders: z
      .array(z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a lower-case header name such as x-api-key'))
      .min(1)
      .max(16)
      .default(['authorization', 'x-api-key']),
    /**
     * HMAC key of the credential fingerprints (at least 32 characters; read it from an environment variable).
     * Give every instance sharing a Redis store the same one so they count a credential together.
     * @default 32 random bytes per process
     */
    fingerprintSecret: z.string().min(32).max(1024).optional(),
    /** `realm` of the `WWW-Authenticate: Bearer` challenge sent with a lockout's 429 (use your authenticator's). */
    realm: z
      .string()
      .regex(/^[\x20-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters')
      .default('mcp-warden'),
  })
  .strict()
  .refine((v) => v.addressMaxFailures === undefined || v.addressMaxFailures >= v.maxFailures, {
    message: 'addressMaxFailures must not be smaller than maxFailures',
    path: ['addressMaxFailures'],
  })
  .refine((v) => v.slowAfter <= v.maxFailures, {
    message: 'slowAfter must not be greater than maxFailures',
    path: ['slowAfter'],
  })
  .refine((v) => v.slowdownSeconds <= v.maxSlowdownSeconds, {
    message: 'slowdownSeconds must not be greater than maxSlowdownSeconds',
    path: ['slowdownSeconds'],
  });

function isRedisClient(value: unknown): value is Redis {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { multi?: unknown }).multi === 'function' &&
    typeof (value as { on?: unknown }).on === 'function' &&
    typeof (value as { status?: unknown }).status === 'string'
  );
}

export const memoryStoreSchema = z.object({ type: z.literal('memory') }).strict();

export const redisStoreSchema = z
  .object({
    type: z.literal('redis'),
    /** `redis://` or `rediss://` URL (may carry a password: keep it in an environment variable, e.g. `REDIS_URL`). */
    url: z
      .string()
      .refine((u) => /^rediss?:\/\//.test(u), {
        message: 'must start with redis:// or rediss://',
        params: { fix: 'use a redis:// or rediss:// URL, e.g. from REDIS_URL' },
      })
      .optional(),
    /** An existing ioredis client instead of `url` (its options are yours; see the README for the ones to set). */
    client: z.custom<Redis>(isRedisClient, 'must be an ioredis client').optional(),
    /** Prefix of every Redis key this plugin writes. */
    keyPrefix: z.string().min(1).max(128).default('mcp-warden:rl'),
    /** A Redis command slower than this counts as failed and the in-memory fallback answers. */
    commandTimeoutMs: z.number().int().min(10).max(60_000).default(500),
    /** How long setup waits for the first connection before starting degraded (in memory). */
    connectTimeoutMs: z.number().int().min(10).max(60_000).default(2_000),
    /**
     * How many instances share the Redis budget. While Redis is unreachable each instance allows
     * `points / fallbackInstances` in memory, so the fleet as a whole stays near the shared budget.
     */
    fallbackInstances: z.number().int().min(1).max(10_000).default(1),
    /**
     * How often a health `PING` checks that Redis answers. A connection can stay open while Redis does not answer
     * (a stopped or overloaded server); a ping slower than `healthCheckTimeoutMs`, or a command timeout that a
     * ping then confirms, switches to the in-memory fallback until a ping is answered in time again.
     */
    healthCheckIntervalMs: z.number().int().min(50).max(60_000).default(1_000),
    /** A health `PING` slower than this marks Redis as stalled. */
    healthCheckTimeoutMs: z.number().int().min(10).max(60_000).default(250),
  })
  .strict()
  .refine((s) => (s.url === undefined) !== (s.client === undefined), {
    message: 'exactly one of url and client must be set',
    params: { fix: 'give url (e.g. from REDIS_URL) or an ioredis client, not both' },
    path: ['url'],
  });

export const storeSchema = z.union([memoryStoreSchema, redisStoreSchema]);

/** The rules used when none are given: a per-caller budget with burst, and a per-address ceiling. */
export const DEFAULT_RULES: readonly z.input<typeof ruleSchema>[] = Object.freeze([
  {
    name: 'per-identity',
    key: ['identity'],
    points: 120,
    duration: 60,
    burst: { points: 60, duration: 600 },
  },
  { name: 'per-address', key: ['address'], points: 600, duration: 60 },
]);

/**
 * Options of {@link rateLimit}. Validated when it is called; every field has a default, so `rateLimit()` works as is.
 *
 * @example
 * rateLimit({
 *   store: { type: 'redis', url: process.env.REDIS_URL },
 *   rules: [
 *     { name: 'per-user', key: ['principal'], points: 100, duration: 60, roles: { admin: 'unlimited' } },
 *     { name: 'images', key: ['principal'], points: 20, duration: 3600, match: { targets: ['tool:generate_image'] } },
 *   ],
 * });
 */
export const rateLimitOptionsSchema = z
  .object({
    /** `enforce` refuses; `audit` records what would have been refused and lets it pass. */
    mode: z.enum(['enforce', 'audit']).default('enforce'),
    /** Where counters live. */
    store: storeSchema.default({ type: 'memory' }),
    /** Request budgets; every matching rule is charged, and the request is refused if any is exceeded. */
    rules: z
      .array(ruleSchema)
      .max(100)
      .prefault(() => DEFAULT_RULES.map((r) => structuredClone(r))),
    /** Pre-authentication brute-force protection per client address and credential; `false` turns it off. */
    bruteForce: z.union([z.literal(false), bruteForceSchema]).prefault({}),
    /** Prefix length by which IPv6 client addresses are grouped (one host usually owns a whole /64). */
    ipv6Subnet: z.number().int().min(1).max(128).default(64),
    /** Summary events: one `rate.limited` summary per rule and key per window, with the refusal count. */
    summary: z
      .object({
        windowSeconds: seconds.default(60),
        /** Keys tracked per window; refusals beyond are counted under one overflow entry. */
        maxKeys: z.number().int().min(1).max(1_000_000).default(1_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    value.rules.forEach((rule, index) => {
      if (seen.has(rule.name))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate rule name "${rule.name}"`,
          path: ['rules', index, 'name'],
        });
      seen.add(rule.name);
    });
  });

/** Options as written by a user (every field optional). */
export type RateLimitOptions = z.input<typeof rateLimitOptionsSchema>;
/** Options after validation and defaults. */
export type ResolvedRateLimitOptions = z.output<typeof rateLimitOptionsSchema>;
export type RateLimitRule = z.output<typeof ruleSchema>;
export type RateLimitRuleInput = z.input<typeof ruleSchema>;
export type LimitSpec = z.output<typeof limitSchema>;
export type BruteForceOptions = z.output<typeof bruteForceSchema>;
export type StoreOptions = z.output<typeof storeSchema>;
export type RedisStoreOptions = z.output<typeof redisStoreSchema>;

/**
 * The options `rateLimit()` runs with when given none: memory store, the {@link DEFAULT_RULES}, brute-force
 * protection on. For a host (such as the reference server) that shows or merges the effective configuration.
 */
export function defaultRateLimitOptions(): ResolvedRateLimitOptions {
  return rateLimitOptionsSchema.parse({});
}
