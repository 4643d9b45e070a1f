import {
  ArgumentValidationError,
  parseOptions,
  type ValidationIssue,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from '@mcp-warden/core';
import { z } from 'zod';

const optionsSchema = z
  .object({
    /** The longest string (argument value or property name) a tool may receive, in UTF-16 code units. */
    maxLength: z.number().int().positive(),
    /** Tools the cap applies to. @default every tool */
    tools: z.array(z.string().min(1)).optional(),
    mode: z.enum(['enforce', 'audit']).default('enforce'),
  })
  .strict();

export type MaxArgumentLengthOptions = z.input<typeof optionsSchema>;

/** At most this many problems are listed in one refusal. */
const MAX_ISSUES = 10;

const escapeToken = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The strings in `value` longer than `max`, as JSON pointers, without their text. Iterative, so deeply nested
 * input cannot overflow the stack; a property name that is too long is reported at its parent.
 */
export function longStrings(value: unknown, max: number): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const stack: Array<[pointer: string, value: unknown]> = [['', value]];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const [pointer, current] = stack.pop()!;
    if (typeof current === 'string' && current.length > max) {
      issues.push({ pointer, message: `longer than ${max} characters` });
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, child] of Object.entries(current)) {
        if (key.length <= max) stack.push([`${pointer}/${escapeToken(key)}`, child]);
        else issues.push({ pointer, message: `a property name is longer than ${max} characters` });
      }
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

/**
 * Refuses a `tools/call` whose arguments hold a string longer than `maxLength`.
 * @example
 * await createWarden({ plugins: [maxArgumentLength({ maxLength: 10_000 })] });
 */
export function maxArgumentLength(options: MaxArgumentLengthOptions): WardenPlugin {
  // Eagerly, in the factory: a bad option stops the server at startup, not at the first request.
  const { maxLength, tools, mode } = parseOptions(optionsSchema, options, { plugin: 'max-argument-length' });
  const capped = tools === undefined ? () => true : (name: string) => tools.includes(name);
  return {
    specVersion: WARDEN_SPEC_VERSION,
    name: 'max-argument-length',
    stage: 'validate',
    mode,
    beforeRequest(ctx) {
      if (ctx.target?.type !== 'tool' || !capped(ctx.target.name)) return;
      const issues = longStrings(ctx.arguments ?? {}, maxLength);
      if (issues.length > 0) throw new ArgumentValidationError({ issues });
    },
  } satisfies WardenPlugin;
}
