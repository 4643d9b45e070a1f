import { ArgumentValidationError, type ValidationIssue } from '@mcp-warden/core';

/**
 * Stable error codes of `@mcp-warden/validation`. Each refusal carries one of them as its `code`; the JSON-RPC
 * error is always invalid params (-32602).
 */
export const VALIDATION_ERROR_CODES = {
  /** Not a string, empty, too long, or not usable as a path at all. */
  PATH_INVALID: 'PATH_INVALID',
  PATH_NUL_BYTE: 'PATH_NUL_BYTE',
  /** C0/C1 control characters, bidi controls, invisible formatting characters, unpaired surrogates. */
  PATH_CONTROL_CHARACTER: 'PATH_CONTROL_CHARACTER',
  /** Drive letters, UNC, `\\?\` device paths, backslashes, reserved device names. */
  PATH_WINDOWS_FORM: 'PATH_WINDOWS_FORM',
  /** NTFS alternate data streams (`name:stream`). */
  PATH_ALTERNATE_STREAM: 'PATH_ALTERNATE_STREAM',
  /** Fullwidth dots, division slash and other characters that look like (or fold to) `.`, `/` or `\`. */
  PATH_LOOKALIKE_CHARACTER: 'PATH_LOOKALIKE_CHARACTER',
  /** A segment whose percent-decoding is a traversal, a separator, a NUL or invalid (overlong) UTF-8. */
  PATH_ENCODED_TRAVERSAL: 'PATH_ENCODED_TRAVERSAL',
  PATH_ABSOLUTE_NOT_ALLOWED: 'PATH_ABSOLUTE_NOT_ALLOWED',
  PATH_OUTSIDE_ROOT: 'PATH_OUTSIDE_ROOT',
  /** The path is inside the root by name, but a symbolic link takes it outside. */
  PATH_SYMLINK_ESCAPE: 'PATH_SYMLINK_ESCAPE',
  /** A symbolic link whose target does not exist (creating through it would write outside the check). */
  PATH_DANGLING_SYMLINK: 'PATH_DANGLING_SYMLINK',
  PATH_SYMLINK_LOOP: 'PATH_SYMLINK_LOOP',
  PATH_NOT_FOUND: 'PATH_NOT_FOUND',
  PATH_NOT_A_FILE: 'PATH_NOT_A_FILE',
  PATH_ACCESS_DENIED: 'PATH_ACCESS_DENIED',
  PATH_EXTENSION_NOT_ALLOWED: 'PATH_EXTENSION_NOT_ALLOWED',
  PATH_NAME_DENIED: 'PATH_NAME_DENIED',
  /** The file opened is not the file checked (the tree changed between check and open). */
  PATH_CHANGED: 'PATH_CHANGED',

  URL_INVALID: 'URL_INVALID',
  URL_SCHEME_NOT_ALLOWED: 'URL_SCHEME_NOT_ALLOWED',
  URL_CREDENTIALS_NOT_ALLOWED: 'URL_CREDENTIALS_NOT_ALLOWED',
  URL_HOST_NOT_ALLOWED: 'URL_HOST_NOT_ALLOWED',
  URL_PORT_NOT_ALLOWED: 'URL_PORT_NOT_ALLOWED',
  URL_RESOLUTION_FAILED: 'URL_RESOLUTION_FAILED',
  /** The host is, or resolves to, a loopback, private, link-local, CGNAT, metadata or otherwise non-public address. */
  URL_ADDRESS_NOT_ALLOWED: 'URL_ADDRESS_NOT_ALLOWED',

  /** Total size, string length, array length, depth or key count over the configured limit. */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** The arguments do not match the tool's / prompt's / template's schema. */
  SCHEMA_MISMATCH: 'SCHEMA_MISMATCH',
  /** No schema is known for the target and `unknownTargets` is `deny`. */
  SCHEMA_UNKNOWN: 'SCHEMA_UNKNOWN',
  /** The declared JSON Schema could not be compiled, so the arguments cannot be checked (fail closed). */
  SCHEMA_INVALID: 'SCHEMA_INVALID',
} as const;

export type ValidationErrorCode = (typeof VALIDATION_ERROR_CODES)[keyof typeof VALIDATION_ERROR_CODES];

/** Options shared by the typed errors below. */
export interface TypedValidationErrorOptions {
  code: ValidationErrorCode;
  /** Client-safe description of the problem. Never contains the offending value. */
  message: string;
  /** JSON pointer of the offending value within the arguments. @default '' */
  pointer?: string;
  /** For the security event only. */
  reason?: string;
  details?: Record<string, unknown>;
}

/** The one constructor of the typed refusals below: one issue, a reason for the event (never the value). */
abstract class TypedArgumentError extends ArgumentValidationError {
  constructor(options: TypedValidationErrorOptions) {
    super({
      code: options.code,
      issues: [{ pointer: options.pointer ?? '', message: options.message }],
      reason: options.reason ?? `${options.code}: ${options.message}`,
      details: options.details,
    });
  }
}

/**
 * A path was refused by {@link safePath} / {@link openSafe}. It is an `ArgumentValidationError`, so thrown from a
 * plugin or tool it becomes JSON-RPC invalid params (-32602). It is the only error type `safePath` throws for
 * any input.
 */
export class PathValidationError extends TypedArgumentError {
  /** True for a `PathValidationError`, also one from another copy of this package. */
  static is(value: unknown): value is PathValidationError {
    return ArgumentValidationError.isInstance(value) && value.code.startsWith('PATH_');
  }
}

/** A URL was refused by {@link safeUrl}. The only error type `safeUrl` throws for any input. */
export class UrlValidationError extends TypedArgumentError {
  /** True for a `UrlValidationError`, also one from another copy of this package. */
  static is(value: unknown): value is UrlValidationError {
    return ArgumentValidationError.isInstance(value) && value.code.startsWith('URL_');
  }
}

/** Escapes one JSON-pointer reference token (RFC 6901 §3). */
export function escapePointerToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Builds a JSON pointer from path segments. */
export function toPointer(segments: readonly (string | number | symbol)[]): string {
  let out = '';
  for (const s of segments)
    out += `/${escapePointerToken(typeof s === 'symbol' ? String(s.description) : s)}`;
  return out;
}

/** Re-bases a single-issue error's pointer (e.g. `''` → `/path`) when it is reported from inside an object. */
export function issuesAt(error: ArgumentValidationError, pointer: string): ValidationIssue[] {
  return error.issues.map((i) => ({ pointer: pointer + i.pointer, message: i.message }));
}
