import { advertisableScopes } from './advertised-scopes.js';
import type { SecurityEventType } from './events.js';

/**
 * The one error hierarchy of MCP Warden. Every refusal a plugin or the edge makes is a `WardenError`: it carries
 * a stable `code`, how it maps onto HTTP and JSON-RPC, a client-safe `message`, and a `reason` that only ever
 * goes to the security event (never to the client).
 */

const WARDEN_ERROR_MARKER = Symbol.for('mcp-warden.error');

/** JSON-RPC error codes MCP Warden answers with. Codes in -32000..-32099 are implementation-defined by JSON-RPC 2.0. */
export const JSON_RPC_ERROR_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** Same code as the MCP SDK's `ErrorCode.RequestTimeout`. */
  REQUEST_TIMEOUT: -32001,
  /**
   * An unknown, expired or another principal's `Mcp-Session-Id` (HTTP 404): the number the MCP SDK's own
   * Streamable HTTP transports answer it with (it shares the value with `REQUEST_TIMEOUT`).
   */
  SESSION_NOT_FOUND: -32001,
  /** MCP's "Resource not found" for `resources/read` of an unknown URI (specification, server/resources). */
  RESOURCE_NOT_FOUND: -32002,
  ACCESS_DENIED: -32003,
  UNAUTHENTICATED: -32004,
  RATE_LIMITED: -32029,
  /** The server is shutting down and did not finish this request in its drain time: retry elsewhere or later. */
  SHUTTING_DOWN: -32050,
  /** A gateway's upstream MCP server is unreachable, or sent an answer the gateway refused (HTTP 502). */
  UPSTREAM_UNAVAILABLE: -32051,
  /** MCP 2026-07-28 `HeaderMismatch`: `Mcp-Method` / `Mcp-Name` / `MCP-Protocol-Version` missing, malformed or not the body's. */
  HEADER_MISMATCH: -32020,
  /** MCP 2026-07-28 `UnsupportedProtocolVersion`: the request names a revision this endpoint does not serve. */
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
} as const;

/** Stable error codes of core. Plugins export their own `*_ERROR_CODES` maps for their reasons. */
export const CORE_ERROR_CODES = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  INSUFFICIENT_SCOPE: 'INSUFFICIENT_SCOPE',
  ACCESS_DENIED: 'ACCESS_DENIED',
  INVALID_ARGUMENTS: 'INVALID_ARGUMENTS',
  RATE_LIMITED: 'RATE_LIMITED',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  BAD_REQUEST: 'BAD_REQUEST',
  METHOD_NOT_FOUND: 'METHOD_NOT_FOUND',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FORBIDDEN_ORIGIN: 'FORBIDDEN_ORIGIN',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  /** No room for another session (for this principal: 429; on the server: 503); `Retry-After` says when to retry. */
  SESSION_LIMIT: 'SESSION_LIMIT',
  /** A 2026-07-28 `requestState` failed verification (tampered, expired, another principal's or request's). */
  REQUEST_STATE_INVALID: 'REQUEST_STATE_INVALID',
  PLUGIN_FAILED: 'PLUGIN_FAILED',
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** A pattern option is not valid in the pattern language, or its meaning changed (see `PatternSyntaxError`). */
  PATTERN_INVALID: 'PATTERN_INVALID',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  HEADER_MISMATCH: 'HEADER_MISMATCH',
  UNSUPPORTED_PROTOCOL_VERSION: 'UNSUPPORTED_PROTOCOL_VERSION',
  /** The HTTP request headers are larger than `maxHeaderSize` (HTTP 431, recorded by the node listener). */
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  /** Node's HTTP parser refused the request (HTTP 400, recorded by the node listener). */
  MALFORMED_REQUEST: 'MALFORMED_REQUEST',
  /** An address held more unauthenticated connections than allowed; the oldest was closed. */
  CONNECTION_LIMIT: 'CONNECTION_LIMIT',
} as const;

export interface WardenErrorOptions {
  /** Stable machine-readable code, e.g. `ACCESS_DENIED`. */
  code: string;
  /** Client-safe message. Never include a secret or the full offending value. */
  message: string;
  /** The real reason, recorded in the security event only. */
  reason?: string;
  httpStatus?: number;
  jsonRpcCode?: number;
  /** Client-safe structured data, sent as JSON-RPC `error.data`. */
  data?: Record<string, unknown>;
  /** Extra HTTP response headers (e.g. `Retry-After`). */
  headers?: Record<string, string>;
  /** Event type recorded when this error refuses a request. */
  eventType?: SecurityEventType;
  /** Extra details for the security event (never sent to the client). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class WardenError extends Error {
  readonly [WARDEN_ERROR_MARKER] = true;
  readonly code: string;
  readonly reason: string | undefined;
  readonly httpStatus: number;
  readonly jsonRpcCode: number;
  readonly data: Record<string, unknown> | undefined;
  readonly headers: Record<string, string>;
  readonly eventType: SecurityEventType;
  readonly details: Record<string, unknown> | undefined;

  constructor(options: WardenErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.reason = options.reason;
    this.httpStatus = options.httpStatus ?? 400;
    this.jsonRpcCode = options.jsonRpcCode ?? JSON_RPC_ERROR_CODES.INVALID_REQUEST;
    this.data = options.data;
    this.headers = options.headers ?? {};
    this.eventType = options.eventType ?? 'request.rejected';
    this.details = options.details;
  }

  /** True for any MCP Warden error, also one thrown by another copy of this package. */
  static isInstance(value: unknown): value is WardenError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[WARDEN_ERROR_MARKER] === true
    );
  }

  /** The JSON-RPC `error` object for this refusal. */
  toJsonRpcError(): { code: number; message: string; data?: Record<string, unknown> } {
    const data = { code: this.code, ...this.data };
    return { code: this.jsonRpcCode, message: this.message, data };
  }
}

/** One `WWW-Authenticate` challenge, e.g. `Bearer resource_metadata="…", scope="a b"`. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

export interface AuthenticationErrorOptions
  extends Omit<WardenErrorOptions, 'code' | 'message' | 'httpStatus'> {
  code?: string;
  message?: string;
  /** RFC 6750 error: absent when the credential was simply missing, `invalid_token` when it was bad. */
  oauthError?: 'invalid_token' | 'invalid_request';
}

/** HTTP 401: a credential is missing or not valid. The edge adds every authenticator's challenge. */
export class AuthenticationError extends WardenError {
  readonly oauthError: 'invalid_token' | 'invalid_request' | undefined;
  constructor(options: AuthenticationErrorOptions = {}) {
    super({
      ...options,
      code: options.code ?? CORE_ERROR_CODES.INVALID_CREDENTIALS,
      message: options.message ?? 'Authentication required: the credential is missing or not valid.',
      httpStatus: 401,
      jsonRpcCode: options.jsonRpcCode ?? JSON_RPC_ERROR_CODES.UNAUTHENTICATED,
      eventType: 'auth.failed',
    });
    this.oauthError = options.oauthError;
  }
}

/** HTTP 403 with `error="insufficient_scope"`: the credential is valid but lacks scopes (step-up). */
export class InsufficientScopeError extends WardenError {
  /** Every scope the operation needs (not only the missing ones), as MCP's step-up flow asks. */
  readonly requiredScopes: readonly string[];
  constructor(options: {
    requiredScopes: readonly string[];
    reason?: string;
    message?: string;
    details?: Record<string, unknown>;
  }) {
    // What the client is told (message, data, challenge) never names offline_access: it is no resource scope.
    const advertised = advertisableScopes(options.requiredScopes);
    super({
      code: CORE_ERROR_CODES.INSUFFICIENT_SCOPE,
      message: options.message ?? `Insufficient scope: this operation needs scope "${advertised.join(' ')}".`,
      reason: options.reason,
      httpStatus: 403,
      jsonRpcCode: JSON_RPC_ERROR_CODES.ACCESS_DENIED,
      data: { requiredScopes: advertised },
      eventType: 'access.denied',
      details: options.details,
    });
    this.requiredScopes = advertised;
  }
}

/** Refused by policy. Answered as a JSON-RPC error (HTTP 200 over Streamable HTTP) so clients can read it. */
export class AccessDeniedError extends WardenError {
  constructor(options: {
    message: string;
    reason?: string;
    code?: string;
    details?: Record<string, unknown>;
    data?: Record<string, unknown>;
  }) {
    super({
      ...options,
      code: options.code ?? CORE_ERROR_CODES.ACCESS_DENIED,
      httpStatus: 403,
      jsonRpcCode: JSON_RPC_ERROR_CODES.ACCESS_DENIED,
      eventType: 'access.denied',
    });
  }
}

export interface ValidationIssue {
  /** JSON pointer into the request arguments, e.g. `/path` or `/items/3/url`. */
  pointer: string;
  /** What is wrong, without echoing the value. */
  message: string;
}

/** JSON-RPC invalid params (-32602), listing each problem with its JSON pointer. */
export class ArgumentValidationError extends WardenError {
  readonly issues: readonly ValidationIssue[];
  constructor(options: {
    issues: readonly ValidationIssue[];
    message?: string;
    reason?: string;
    code?: string;
    details?: Record<string, unknown>;
  }) {
    const summary = options.issues.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; ');
    super({
      code: options.code ?? CORE_ERROR_CODES.INVALID_ARGUMENTS,
      message: options.message ?? `Invalid arguments: ${summary}`,
      reason: options.reason ?? summary,
      httpStatus: 400,
      jsonRpcCode: JSON_RPC_ERROR_CODES.INVALID_PARAMS,
      data: { issues: options.issues.map((i) => ({ ...i })) },
      eventType: 'validation.rejected',
      details: options.details,
    });
    this.issues = options.issues;
  }
}

/** HTTP 429 with `Retry-After`; under stdio a JSON-RPC error carrying `retryAfterSeconds`. */
export class RateLimitError extends WardenError {
  readonly retryAfterSeconds: number;
  constructor(options: {
    retryAfterSeconds: number;
    message?: string;
    reason?: string;
    code?: string;
    headers?: Record<string, string>;
    details?: Record<string, unknown>;
  }) {
    const retry = Math.max(1, Math.ceil(options.retryAfterSeconds));
    super({
      code: options.code ?? CORE_ERROR_CODES.RATE_LIMITED,
      message: options.message ?? `Rate limit exceeded: retry after ${retry} s.`,
      reason: options.reason,
      httpStatus: 429,
      jsonRpcCode: JSON_RPC_ERROR_CODES.RATE_LIMITED,
      data: { retryAfterSeconds: retry },
      headers: { 'Retry-After': String(retry), ...options.headers },
      eventType: 'rate.limited',
      details: options.details,
    });
    this.retryAfterSeconds = retry;
  }
}

/** Thrown at setup (never at request time) for invalid options or missing plugin dependencies. */
export class ConfigError extends WardenError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super({
      code: options.code ?? CORE_ERROR_CODES.CONFIG_INVALID,
      message,
      httpStatus: 500,
      jsonRpcCode: JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
      cause: options.cause,
    });
  }
}

/** A plugin threw something that is not a WardenError: the request is refused (fail closed). */
export class PluginFailureError extends WardenError {
  constructor(plugin: string, cause: unknown) {
    super({
      code: CORE_ERROR_CODES.PLUGIN_FAILED,
      message: 'The request could not be checked and was refused.',
      reason: `plugin "${plugin}" threw: ${describeError(cause)}`,
      httpStatus: 500,
      jsonRpcCode: JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
      eventType: 'plugin.error',
      cause,
    });
  }
}

/** A short description of an unknown thrown value, for security events (not for clients). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return String(error).slice(0, 500);
}
