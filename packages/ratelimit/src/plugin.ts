import {
  type EdgeRequest,
  formatChallenge,
  isAnonymous,
  type McpTarget,
  type PluginSetupContext,
  parseOptions,
  RateLimitError,
  type SecurityEvent,
  type SecurityEventInput,
  type SecurityEventSource,
  serviceKey,
  targetName,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from '@mcp-warden/core';
import { BruteForceGuard } from './brute-force.js';
import { compileRulePatterns, RateLimitEngine } from './engine.js';
import { RATELIMIT_ERROR_CODES } from './errors.js';
import { CredentialFingerprinter } from './fingerprint.js';
import { rateLimitHeaders } from './headers.js';
import { type RateLimitOptions, type ResolvedRateLimitOptions, rateLimitOptionsSchema } from './options.js';
import { createMemoryStore, type LimiterStore, RedisLimiterStore, type StoreHealthChange } from './store.js';
import { RefusalAggregator } from './summary.js';

/** The plugin's name, as registered with the warden. */
export const RATE_LIMIT_PLUGIN_NAME = 'ratelimit';

/** What the plugin shares with other plugins through the warden's services. */
export interface RateLimitService {
  readonly engine: RateLimitEngine;
  /** Absent when `bruteForce: false`. */
  readonly bruteForce: BruteForceGuard | undefined;
  readonly store: LimiterStore;
}

/** Service key under which the running plugin provides its engine and brute-force guard. */
export const RATE_LIMIT_SERVICE = serviceKey<RateLimitService>('mcp-warden.ratelimit');

/** Capability other plugins may `require` to make sure failed authentications are throttled. */
export const BRUTE_FORCE_CAPABILITY = 'brute-force-protection';

/** `tool:name`, `prompt:name`, `resource:uri`: the form rule patterns match against. */
export function formatTarget(target: McpTarget | undefined): string | undefined {
  return target && `${target.type}:${targetName(target)}`;
}

/** What `admit` saw of one HTTP request, for the `auth.failed` / `auth.succeeded` events that follow it. */
interface Attempt {
  readonly remoteAddress: string;
  /** Fingerprint of the presented credential; `undefined` when none of the credential headers was present. */
  readonly credential: string | undefined;
}

interface Running {
  options: ResolvedRateLimitOptions;
  fingerprints: CredentialFingerprinter;
  store: LimiterStore;
  engine: RateLimitEngine;
  guard: BruteForceGuard | undefined;
  aggregator: RefusalAggregator;
}

/**
 * Rate limits and pre-authentication brute-force protection for MCP Warden (stage `admission`).
 *
 * - `beforeRequest`: charges each MCP request against the configured rules (by principal, address, target, …);
 *   over budget → `RateLimitError` (HTTP 429 + `Retry-After` + `RateLimit-*`, or a JSON-RPC error under stdio).
 * - `onEvent`: counts `auth.failed` events per client address and presented credential (an HMAC fingerprint,
 *   never the credential); `admit` then refuses that credential from that address during a cool-down and, past
 *   `bruteForce.maxFailures`, blocks it. Past `bruteForce.addressMaxFailures` failures of any credentials the
 *   whole address is blocked, except for credentials that authenticated recently.
 * - With `store: { type: 'redis' }` instances share budgets; if Redis is unreachable each instance limits in
 *   memory and records `store.degraded`, then `store.recovered` when Redis is back.
 *
 * Options are validated when it is called (one `ConfigError` lists every problem and its fix).
 *
 * @example
 * const warden = await createWarden({
 *   plugins: [rateLimit({ store: { type: 'redis', url: process.env.REDIS_URL } }), apiKeyAuth({ ... })],
 * });
 */
export function rateLimit(options: RateLimitOptions = {}) {
  // Eagerly, in the factory: bad options fail where they are written. The store connects at setup.
  const resolved = parseOptions(rateLimitOptionsSchema, options, { plugin: RATE_LIMIT_PLUGIN_NAME });
  // Patterns too: an invalid one, or one whose meaning changed, is refused here (core's PatternSyntaxError).
  resolved.rules.forEach((rule, index) => {
    compileRulePatterns(rule, index);
  });
  let running: Running | undefined;
  // Carries the credential fingerprint from `admit` to the authentication events of the same request: core hands
  // listeners the request an event is about (`source.edge`), the same object `admit` saw. Not AsyncLocalStorage:
  // on Node 20, once one is entered, every promise in the process pays for its hooks (about 3x per await).
  const attempts = new WeakMap<EdgeRequest, Attempt>();
  let emit: (event: Omit<SecurityEventInput, 'plugin'>) => void = () => {};
  const mode = resolved.mode;

  const onStoreChange = (change: StoreHealthChange): void => {
    emit({
      type: change.type,
      outcome: 'info',
      severity: change.type === 'store.degraded' ? 'error' : 'warn',
      reason:
        change.type === 'store.degraded'
          ? `Redis unreachable (${change.reason}): rate limits are counted in memory on this instance until it returns`
          : 'Redis reachable again: rate limits are shared again',
      details: { store: 'redis', fallback: 'memory' },
    });
  };

  function refuseIfBlocked(
    attempt: Attempt,
    guard: BruteForceGuard,
    aggregator: RefusalAggregator,
  ): Promise<void> {
    return guard.check(attempt.remoteAddress, attempt.credential).then((verdict) => {
      if (verdict.action === 'allow') return;
      aggregator.record('brute-force', verdict.address);
      const blocked = verdict.action === 'block';
      const o = guard.options;
      const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
      // One message, policy and challenge for every lockout: which counter refused (this credential or the whole
      // address, cool-down or block beyond `data.code`) goes to the event only.
      const message = `Too many failed authentication attempts: try again in ${seconds} s.`;
      throw new RateLimitError({
        retryAfterSeconds: seconds,
        code: blocked ? RATELIMIT_ERROR_CODES.AUTH_BLOCKED : RATELIMIT_ERROR_CODES.AUTH_COOLDOWN,
        message,
        reason:
          verdict.scope === 'address'
            ? 'address blocked after repeated failed authentications with any credential'
            : blocked
              ? 'credential blocked from this address after repeated failed authentications'
              : 'credential in cool-down from this address after failed authentications',
        headers: {
          ...rateLimitHeaders({
            policy: 'auth-failures',
            points: o.maxFailures,
            windowSeconds: o.windowSeconds,
            remaining: 0,
            msBeforeReset: seconds * 1000,
          }),
          // The lockout is on authentication: say so in the challenge, as a 401 would (RFC 9110 §11.6.1).
          'WWW-Authenticate': formatChallenge({
            scheme: 'Bearer',
            params: { realm: o.realm, error_description: message },
          }),
        },
        details: {
          rule: 'brute-force',
          address: verdict.address,
          action: verdict.action,
          scope: verdict.scope,
        },
      });
    });
  }

  const plugin = {
    specVersion: WARDEN_SPEC_VERSION,
    name: RATE_LIMIT_PLUGIN_NAME,
    version: '0.1.0',
    stage: 'admission',
    mode,
    provides: ['rate-limit', BRUTE_FORCE_CAPABILITY],

    async setup(ctx: PluginSetupContext): Promise<void> {
      emit = ctx.emit;
      const store =
        resolved.store.type === 'redis'
          ? await RedisLimiterStore.connect(resolved.store, onStoreChange)
          : createMemoryStore();
      const engine = new RateLimitEngine(resolved.rules, store, { ipv6Subnet: resolved.ipv6Subnet });
      const guard =
        resolved.bruteForce === false
          ? undefined
          : new BruteForceGuard(store, resolved.bruteForce, { ipv6Subnet: resolved.ipv6Subnet });
      const aggregator = new RefusalAggregator({
        windowSeconds: resolved.summary.windowSeconds,
        maxKeys: resolved.summary.maxKeys,
        onSummary: (summary) =>
          emit({
            type: 'rate.limited',
            outcome: 'info',
            severity: 'warn',
            reason: `${summary.count} request(s) refused by rule "${summary.rule}" between ${summary.windowStart} and ${summary.windowEnd}`,
            details: { summary: true, mode, ...summary },
          }),
      });
      const fingerprints = new CredentialFingerprinter(
        resolved.bruteForce === false
          ? {}
          : {
              headers: resolved.bruteForce.credentialHeaders,
              ...(resolved.bruteForce.fingerprintSecret === undefined
                ? {}
                : { secret: resolved.bruteForce.fingerprintSecret }),
            },
      );
      running = { options: resolved, fingerprints, store, engine, guard, aggregator };
      ctx.services.provide(RATE_LIMIT_SERVICE, { engine, bruteForce: guard, store });
    },

    async close(): Promise<void> {
      const current = running;
      running = undefined;
      if (!current) return;
      current.aggregator.close();
      await current.store.close();
    },

    async admit(request): Promise<void> {
      const current = running;
      if (!current?.guard || request.remoteAddress === undefined) return;
      const attempt: Attempt = {
        remoteAddress: request.remoteAddress,
        credential: current.fingerprints.of(request.headers),
      };
      attempts.set(request, attempt);
      await refuseIfBlocked(attempt, current.guard, current.aggregator);
    },

    async beforeRequest(ctx): Promise<void> {
      const current = running;
      if (!current) return;
      const decision = await current.engine.consume({
        principalId: ctx.principal.id,
        authenticated: !isAnonymous(ctx.principal),
        roles: ctx.principal.roles,
        remoteAddress: ctx.remoteAddress,
        method: ctx.method,
        target: formatTarget(ctx.target),
        sessionId: ctx.sessionId,
      });
      const refusal = decision.refusal;
      if (!refusal) return;
      current.aggregator.record(refusal.rule, refusal.key);
      throw new RateLimitError({
        retryAfterSeconds: refusal.msBeforeNext / 1000,
        reason: `rule "${refusal.rule}" budget of ${refusal.points} point(s) per ${refusal.duration} s exhausted${refusal.role ? ` (role ${refusal.role})` : ''}`,
        headers: rateLimitHeaders({
          policy: refusal.rule,
          points: refusal.points,
          windowSeconds: refusal.duration,
          remaining: refusal.remaining,
          msBeforeReset: refusal.msBeforeNext,
        }),
        details: {
          rule: refusal.rule,
          key: refusal.key,
          cost: refusal.cost,
          points: refusal.points,
          duration: refusal.duration,
          role: refusal.role,
        },
      });
    },

    onEvent(event: SecurityEvent, source: SecurityEventSource): void {
      const current = running;
      const guard = current?.guard;
      const remoteAddress = event.remoteAddress;
      if (!guard || remoteAddress === undefined) return;
      if (event.type !== 'auth.failed' && event.type !== 'auth.succeeded') return;
      // The fingerprint of this request's credential, if `admit` saw this request; otherwise the failure is
      // counted for the address's "no visible credential" share (the safe side: per address).
      const attempt = source.edge === undefined ? undefined : attempts.get(source.edge);
      const credential = attempt?.remoteAddress === remoteAddress ? attempt.credential : undefined;
      if (event.type === 'auth.failed') {
        // Only credentials an authenticator looked at and refused are guesses. Core's own "no credential
        // presented" event carries no plugin; `ignoreCodes` covers authenticators reporting a missing one.
        if (event.plugin === undefined) return;
        const code = event.details?.code;
        if (typeof code === 'string' && guard.options.ignoreCodes.includes(code)) return;
        guard
          .recordFailure(remoteAddress, credential)
          .then((record) => {
            if (record.consequence !== 'blocked') return;
            emit({
              type: 'auth.blocked',
              outcome: 'info',
              severity: 'warn',
              remoteAddress,
              reason:
                record.scope === 'address'
                  ? `address blocked for ${record.seconds} s after ${record.failures} failed authentications with any credential`
                  : `one credential from this address blocked for ${record.seconds} s after ${record.failures} failed authentications`,
              details: {
                address: record.address,
                scope: record.scope,
                failures: record.failures,
                blockSeconds: record.seconds,
              },
            });
          })
          .catch(() => {
            // onEvent must not throw; the store's insurance limiter already covers outages.
          });
        return;
      }
      if (credential !== undefined) guard.markTrusted(credential).catch(() => {});
      if (guard.options.resetOnSuccess) guard.recordSuccess(remoteAddress, credential).catch(() => {});
    },
  } satisfies WardenPlugin;
  return plugin;
}
