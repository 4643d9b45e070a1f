import { ArgumentValidationError, type ValidationIssue } from '@mcp-warden/core';
import { z } from 'zod';
import { escapePointerToken, VALIDATION_ERROR_CODES } from './errors.js';

/** Size limits applied to request arguments. */
export interface ArgumentLimits {
  /** Approximate serialised size: UTF-8 bytes of every string and key plus JSON punctuation. @default 1_048_576 */
  maxBytes: number;
  /** Longest string value, in UTF-16 code units. @default 100_000 */
  maxStringLength: number;
  /** Most elements in one array. @default 10_000 */
  maxArrayLength: number;
  /** Deepest nesting of objects and arrays (the arguments object itself is depth 1). @default 32 */
  maxDepth: number;
  /** Most keys in one object. @default 1_000 */
  maxKeys: number;
}

export const DEFAULT_LIMITS: Readonly<ArgumentLimits> = Object.freeze({
  maxBytes: 1_048_576,
  maxStringLength: 100_000,
  maxArrayLength: 10_000,
  maxDepth: 32,
  maxKeys: 1_000,
});

const positive = z.number().int().positive();
export const argumentLimitsSchema = z
  .object({
    maxBytes: positive,
    maxStringLength: positive,
    maxArrayLength: positive,
    maxDepth: positive,
    maxKeys: positive,
  })
  .partial()
  .strict();

interface PathNode {
  key: string | number;
  parent: PathNode | undefined;
}

function pointerOf(node: PathNode | undefined, prefix: string): string {
  const keys: (string | number)[] = [];
  for (let n = node; n; n = n.parent) keys.push(n.key);
  let out = prefix;
  for (let i = keys.length - 1; i >= 0; i--) out += `/${escapePointerToken(keys[i] ?? '')}`;
  return out;
}

export interface LimitCheckOptions {
  /** Prepended to every pointer. @default '' */
  pointerPrefix?: string;
  /** Stop after this many issues. @default 10 */
  maxIssues?: number;
}

/**
 * Walks a JSON value once (iteratively: hostile nesting cannot overflow the stack) and lists every limit it breaks,
 * each with the JSON pointer of the offending value. Stops early once the size limit is passed.
 *
 * @example
 * const issues = checkLimits(args, { ...DEFAULT_LIMITS, maxStringLength: 1000 });
 */
export function checkLimits(
  value: unknown,
  limits: Readonly<ArgumentLimits> = DEFAULT_LIMITS,
  options: LimitCheckOptions = {},
): ValidationIssue[] {
  const prefix = options.pointerPrefix ?? '';
  const maxIssues = options.maxIssues ?? 10;
  const issues: ValidationIssue[] = [];
  const values: unknown[] = [value];
  const depths: number[] = [0];
  const paths: (PathNode | undefined)[] = [undefined];
  let bytes = 0;
  while (values.length > 0) {
    const current = values.pop();
    const depth = depths.pop() ?? 0;
    const node = paths.pop();
    if (typeof current === 'string') {
      bytes += Buffer.byteLength(current, 'utf8') + 3;
      if (current.length > limits.maxStringLength) {
        issues.push({
          pointer: pointerOf(node, prefix),
          message: `string longer than ${limits.maxStringLength} characters`,
        });
      }
    } else if (typeof current === 'number' || typeof current === 'boolean' || typeof current === 'bigint') {
      bytes += String(current).length + 1;
    } else if (current === null) {
      bytes += 5;
    } else if (typeof current === 'object') {
      if (depth + 1 > limits.maxDepth) {
        issues.push({
          pointer: pointerOf(node, prefix),
          message: `nested deeper than ${limits.maxDepth} levels`,
        });
        if (issues.length >= maxIssues) break;
        continue;
      }
      bytes += 2;
      if (Array.isArray(current)) {
        if (current.length > limits.maxArrayLength) {
          issues.push({
            pointer: pointerOf(node, prefix),
            message: `array longer than ${limits.maxArrayLength} elements`,
          });
        } else {
          for (let i = current.length - 1; i >= 0; i--) {
            values.push(current[i]);
            depths.push(depth + 1);
            paths.push({ key: i, parent: node });
          }
        }
      } else {
        const keys = Object.keys(current);
        if (keys.length > limits.maxKeys) {
          issues.push({
            pointer: pointerOf(node, prefix),
            message: `object with more than ${limits.maxKeys} keys`,
          });
        } else {
          for (let i = keys.length - 1; i >= 0; i--) {
            const key = keys[i] as string;
            bytes += Buffer.byteLength(key, 'utf8') + 3;
            values.push((current as Record<string, unknown>)[key]);
            depths.push(depth + 1);
            paths.push({ key, parent: node });
          }
        }
      }
    }
    if (bytes > limits.maxBytes) {
      issues.unshift({ pointer: prefix, message: `arguments larger than ${limits.maxBytes} bytes` });
      break;
    }
    if (issues.length >= maxIssues) break;
  }
  return issues;
}

/** Like {@link checkLimits}, but throws an `ArgumentValidationError` (`LIMIT_EXCEEDED`, JSON-RPC -32602). */
export function assertWithinLimits(
  value: unknown,
  limits: Readonly<ArgumentLimits> = DEFAULT_LIMITS,
  options: LimitCheckOptions = {},
): void {
  const issues = checkLimits(value, limits, options);
  if (issues.length > 0) {
    throw new ArgumentValidationError({
      code: VALIDATION_ERROR_CODES.LIMIT_EXCEEDED,
      issues,
      details: { limits: { ...limits } },
    });
  }
}
