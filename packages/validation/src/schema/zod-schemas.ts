import type { ValidationIssue } from '@mcp-warden/core';
import { z } from 'zod';
import { toPointer } from '../errors.js';
import { createSafePath, type SafePathChecker, type SafePathOptions } from '../path/safe-path.js';
import { createSafeUrl, type SafeUrlChecker, type SafeUrlOptions } from '../url/safe-url.js';

function firstMessage(error: unknown, fallback: string): { message: string; code: string | undefined } {
  const e = error as { issues?: readonly { message?: string }[]; code?: string } | undefined;
  return { message: e?.issues?.[0]?.message ?? fallback, code: e?.code };
}

const isValidationError = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as { code?: unknown }).code === 'string' &&
  /^(PATH|URL)_/.test((error as { code: string }).code);

/**
 * A zod schema for a path argument: parses to the real absolute path inside the root (see `safePath`). Async: use
 * `parseAsync` / `safeParseAsync` (the validation plugin does). The root is resolved when the schema is created, so
 * a bad root is a `ConfigError` at startup.
 *
 * @example
 * const ReadFileArgs = z.object({ path: safePathSchema({ root: '/srv/notes', mustExist: true }) });
 * const { path } = await ReadFileArgs.parseAsync(args); // the real path
 */
export function safePathSchema(options: SafePathOptions | SafePathChecker) {
  const checker = typeof options === 'function' ? options : createSafePath(options);
  return z.string().transform(async (value, ctx) => {
    try {
      return await checker(value);
    } catch (error) {
      if (!isValidationError(error)) throw error;
      const { message, code } = firstMessage(error, 'the path is not allowed');
      ctx.addIssue({ code: 'custom', message, params: { wardenCode: code } });
      return z.NEVER;
    }
  });
}

/**
 * A zod schema for a URL argument: parses to the normalised URL string after the `safeUrl` checks (scheme, host,
 * SSRF). Note it returns the URL, not the pinned address: to pin the connection, call `safeUrl` in the tool.
 */
export function safeUrlSchema(options: SafeUrlOptions | SafeUrlChecker = {}) {
  const checker = typeof options === 'function' ? options : createSafeUrl(options);
  return z.string().transform(async (value, ctx) => {
    try {
      return (await checker(value)).url.href;
    } catch (error) {
      if (!isValidationError(error)) throw error;
      const { message, code } = firstMessage(error, 'the URL is not allowed');
      ctx.addIssue({ code: 'custom', message, params: { wardenCode: code } });
      return z.NEVER;
    }
  });
}

/** Converts zod issues to `{ pointer, message }` (JSON pointers, messages capped; zod does not echo inputs). */
export function zodIssuesToValidationIssues(
  issues: readonly z.core.$ZodIssue[],
  pointerPrefix = '',
): ValidationIssue[] {
  return issues.map((issue) => ({
    pointer: pointerPrefix + toPointer(issue.path),
    message: issue.message.slice(0, 200),
  }));
}
