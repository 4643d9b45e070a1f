import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CORE_ERROR_CODES, ConfigError } from './errors.js';
import { formatOptionPath, knownKeysAt, parseOptions } from './options.js';
import { suggestKey } from './suggest.js';

const schema = z
  .object({
    maxLength: z.number().int().positive(),
    mode: z.enum(['enforce', 'audit']).default('enforce'),
    name: z.string().min(1).optional(),
    tools: z.array(z.object({ name: z.string(), limit: z.number().max(10) }).strict()).optional(),
    paths: z
      .record(
        z.string(),
        z.union([z.string(), z.object({ root: z.string(), mustExist: z.boolean() }).strict()]),
      )
      .optional(),
    endpoint: z.url().optional(),
    env: z
      .string()
      .regex(/^[A-Z_]+$/, 'must be an environment variable name')
      .optional(),
  })
  .strict();

function messageOf(input: unknown): string {
  try {
    parseOptions(schema, input, { plugin: 'demo' });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(CORE_ERROR_CODES.CONFIG_INVALID);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseOptions', () => {
  it('returns the parsed options, defaults applied', () => {
    expect(parseOptions(schema, { maxLength: 3 }, { plugin: 'demo' })).toEqual({
      maxLength: 3,
      mode: 'enforce',
    });
  });

  it('lists every problem in one error, each with its path and a fix', () => {
    expect(
      messageOf({
        maxLenght: 3,
        mode: 'enforc',
        name: '',
        tools: [{ name: 'a', limit: 11, extra: true }],
        paths: { 'my docs': { root: 1, mustExsit: true } },
        endpoint: 'not a url',
        env: 'lower',
      }),
    ).toBe(
      [
        'demo: invalid options (11 problems):',
        '  ✖ maxLength: Invalid input: expected number, received undefined (fix: this option is required: give a number)',
        '  ✖ mode: Invalid option: expected one of "enforce"|"audit" (fix: did you mean "enforce"? use one of "enforce", "audit")',
        '  ✖ name: Too small: expected string to have >=1 characters (fix: give a string of >= 1 character)',
        '  ✖ tools[0].limit: Too big: expected number to be <=10 (fix: use a value <= 10)',
        '  ✖ tools[0]: unknown option "extra" (fix: remove it; known options here: name, limit)',
        '  ✖ paths["my docs"].root: Invalid input: expected string, received number (fix: give a string)',
        '  ✖ paths["my docs"].mustExist: Invalid input: expected boolean, received undefined (fix: this option is required: give a boolean)',
        '  ✖ paths["my docs"]: unknown option "mustExsit" (fix: did you mean "mustExist"?)',
        '  ✖ endpoint: Invalid URL (fix: give a valid url)',
        '  ✖ env: must be an environment variable name (fix: match /^[A-Z_]+$/)',
        '  ✖ (options): unknown option "maxLenght" (fix: did you mean "maxLength"?)',
      ].join('\n'),
    );
  });

  it("takes a refinement's own fix from its params", () => {
    const either = z
      .object({ file: z.string().optional(), text: z.string().optional() })
      .strict()
      .refine((o) => (o.file === undefined) !== (o.text === undefined), {
        message: 'give exactly one of "file" and "text"',
        params: { fix: "pass { file: './x.yaml' } or { text: '...' }" },
      });
    expect(() => parseOptions(either, {}, { plugin: 'demo' })).toThrow(
      `demo: invalid options (1 problem):\n  ✖ (options): give exactly one of "file" and "text" (fix: pass { file: './x.yaml' } or { text: '...' })`,
    );
  });

  it('says why a record key was refused, at the key (a key is an option name, like an unknown option)', () => {
    const scoped = z.object({
      scopes: z.record(z.string().regex(/^[a-z:]+$/, 'a scope must be lower-case'), z.number()),
    });
    for (const key of ['Bad Scope', 'UPPER', 'x y']) {
      const message = (() => {
        try {
          parseOptions(scoped, { scopes: { [key]: 1 } }, { plugin: 'demo' });
        } catch (error) {
          return (error as Error).message;
        }
        return '';
      })();
      expect(message).toBe(
        `demo: invalid options (1 problem):\n  ✖ ${formatOptionPath(['scopes', key])}: invalid key: a scope must be lower-case (fix: rename the key so that it is accepted)`,
      );
    }
  });

  it('never echoes a value the caller gave, whatever the option and its wrong type', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 12 }).map((s) => `SECRET-${s}`),
        fc.constantFrom('maxLength', 'mode', 'tools', 'paths', 'endpoint', 'name'),
        fc.constantFrom<(s: string) => unknown>(
          (s) => s,
          (s) => [s],
          (s) => ({ [s.slice(0, 3)]: s }),
          (s) => ({ name: s, limit: s }),
        ),
        (secret, key, shape) => {
          const input = { maxLength: 1, [key]: shape(secret) };
          const result = schema.safeParse(input);
          if (result.success) return;
          expect(messageOf(input)).not.toContain(secret);
        },
      ),
    );
  });
});

describe('suggestKey', () => {
  it.each([
    ['maxLenght', 'maxLength'],
    ['max_length', 'maxLength'],
    ['MAXLENGTH', 'maxLength'],
    ['sanitise', 'sanitize'],
    ['mod', 'mode'],
  ])('%s → %s', (typo, meant) => {
    expect(suggestKey(typo, ['maxLength', 'mode', 'sanitize', 'tools'])).toBe(meant);
  });

  it('suggests nothing for a word that is not close', () => {
    expect(suggestKey('unrelated', ['maxLength', 'mode'])).toBeUndefined();
    expect(suggestKey('x'.repeat(10_000), ['maxLength'])).toBeUndefined();
  });

  it('finds the meant key for any one swap, deletion or substitution of a long enough key', () => {
    const keys = ['policyFile', 'debounceMs', 'allowAnonymous', 'maxRequestsPerMinute'];
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        fc.nat(),
        fc.constantFrom('swap', 'delete', 'substitute'),
        (key, n, edit) => {
          const i = n % (key.length - 1);
          const typo =
            edit === 'swap'
              ? key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2)
              : edit === 'delete'
                ? key.slice(0, i) + key.slice(i + 1)
                : `${key.slice(0, i)}#${key.slice(i + 1)}`;
          expect(suggestKey(typo, keys)).toBe(key);
        },
      ),
    );
  });
});

describe('option paths and known keys', () => {
  it('formats paths as a reader writes them', () => {
    expect(formatOptionPath([])).toBe('(options)');
    expect(formatOptionPath(['tools', 0, 'name'])).toBe('tools[0].name');
    expect(formatOptionPath(['paths', 'a.b', 'root'])).toBe('paths["a.b"].root');
  });

  it('follows objects, records, arrays, unions and wrappers to the keys accepted there', () => {
    expect(knownKeysAt(schema, [])).toEqual([
      'maxLength',
      'mode',
      'name',
      'tools',
      'paths',
      'endpoint',
      'env',
    ]);
    expect(knownKeysAt(schema, ['tools', 3])).toEqual(['name', 'limit']);
    expect(knownKeysAt(schema, ['paths', 'anything'])).toEqual(['root', 'mustExist']);
    expect(knownKeysAt(schema, ['maxLength'])).toEqual([]);
  });
});
