import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@mcp-warden/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tempTree } from '../path/test-tree.js';
import { compileJsonSchema } from './json-schema.js';
import { compileUriTemplate } from './uri-template.js';
import { safePathSchema, safeUrlSchema, zodIssuesToValidationIssues } from './zod-schemas.js';

const tree = tempTree('warden-schema-');
const root = path.join(tree.base, 'root');
mkdirSync(root);
writeFileSync(path.join(root, 'a.txt'), 'a');
afterAll(() => tree.cleanup());

describe('safePathSchema / safeUrlSchema', () => {
  const Args = z.object({
    file: safePathSchema({ root }),
    link: safeUrlSchema({ resolver: async () => [{ address: '10.0.0.1', family: 4 }] }),
  });
  it('parse to the real path and the normalised URL', async () => {
    const ok = await Args.safeParseAsync({ file: 'a.txt', link: 'https://8.8.8.8/x' });
    expect(ok.success && ok.data).toEqual({ file: path.join(root, 'a.txt'), link: 'https://8.8.8.8/x' });
  });
  it('report refusals as zod issues at the right pointer, without the value', async () => {
    const bad = await Args.safeParseAsync({ file: '../secret-name', link: 'https://internal.example/' });
    expect(bad.success).toBe(false);
    const issues = zodIssuesToValidationIssues(bad.error?.issues ?? []);
    expect(issues).toEqual([
      { pointer: '/file', message: 'the path is outside the allowed directory' },
      { pointer: '/link', message: 'the URL host is not a public address' },
    ]);
    expect(JSON.stringify(bad.error)).not.toContain('secret-name');
  });
  it('a bad root is a ConfigError when the schema is built', () => {
    expect(() => safePathSchema({ root: path.join(tree.base, 'nope') })).toThrow(ConfigError);
  });
});

describe('compileJsonSchema', () => {
  it('defaults to 2020-12 (prefixItems) and honours draft-07', () => {
    const tuple = compileJsonSchema({
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
      items: false,
    });
    expect(tuple(['a', 1])).toEqual([]);
    expect(tuple(['a', 'b']).map((i) => i.pointer)).toEqual(['/1']);
    expect(tuple(['a', 1, 2])).not.toEqual([]);
    const draft7 = compileJsonSchema({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { n: { type: 'integer' } },
    });
    expect(draft7({ n: 1.5 }).map((i) => i.pointer)).toEqual(['/n']);
  });
  it('points at missing and extra properties (escaped) and never echoes values', () => {
    const check = compileJsonSchema({
      type: 'object',
      required: ['a/b'],
      properties: { s: { type: 'string', maxLength: 3 } },
      additionalProperties: false,
    });
    const issues = check({ s: 'SECRET-LONG-VALUE', 'x~y': 1 });
    expect(issues.map((i) => i.pointer).sort()).toEqual(['/a~1b', '/s', '/x~0y']);
    expect(JSON.stringify(issues)).not.toContain('SECRET');
  });
  it('never mutates the arguments (no defaults, no coercion)', () => {
    const check = compileJsonSchema({ type: 'object', properties: { n: { type: 'number', default: 5 } } });
    const args: Record<string, unknown> = { m: '1' };
    check(args);
    expect(args).toEqual({ m: '1' });
    expect(compileJsonSchema({ type: 'number' })('1')).toHaveLength(1);
  });
  it('same $id in two schemas does not collide', () => {
    expect(compileJsonSchema({ $id: 'https://example.com/schemas/x', type: 'string' })('s')).toEqual([]);
    expect(compileJsonSchema({ $id: 'https://example.com/schemas/x', type: 'number' })(1)).toEqual([]);
  });
});

describe('compileUriTemplate', () => {
  it('matches simple and reserved expressions', () => {
    expect(compileUriTemplate('notes://{name}')('notes://a%20b')).toEqual({ name: 'a b' });
    expect(compileUriTemplate('notes://{name}')('notes://a/b')).toBeUndefined();
    expect(compileUriTemplate('file:///{+path}')('file:///a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(compileUriTemplate('repo://{owner}/{repo}/issues')('repo://me/x/issues')).toEqual({
      owner: 'me',
      repo: 'x',
    });
    expect(compileUriTemplate('x://a.b/{id}')('x://aXb/1')).toBeUndefined();
  });
  it('refuses operators it does not understand', () => {
    expect(() => compileUriTemplate('x://{?q}')).toThrow(ConfigError);
    expect(() => compileUriTemplate('x://{a')).toThrow(ConfigError);
  });
  it('property: a single-segment variable round-trips through encodeURIComponent', () => {
    const match = compileUriTemplate('notes://{name}/raw');
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (name) => {
        expect(match(`notes://${encodeURIComponent(name)}/raw`)).toEqual({ name });
      }),
    );
  });
});
