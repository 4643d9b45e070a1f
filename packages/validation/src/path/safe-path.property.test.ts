import { mkdirSync, writeFileSync } from 'node:fs';
import { lstat, mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathValidationError } from '../errors.js';
import { createSafePath } from './safe-path.js';
import { tempTree } from './test-tree.js';

const tree = tempTree('warden-prop-');
const outside = path.join(tree.base, 'outside');
beforeAll(() => {
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.txt'), 'outside');
});
afterAll(() => tree.cleanup());

const inside = (root: string, p: string) => p === root || p.startsWith(`${root}/`);

/** What the kernel would reach for `p`: its real path, or the real path of the nearest existing ancestor. */
async function kernelView(p: string): Promise<string> {
  let current = p;
  for (;;) {
    try {
      await lstat(current);
      return await realpath(current);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

async function expectSafe(root: string, run: () => Promise<string>): Promise<void> {
  try {
    const result = await run();
    expect(inside(root, result)).toBe(true);
    expect(inside(root, await kernelView(result))).toBe(true);
  } catch (error) {
    if (!PathValidationError.is(error)) throw error;
  }
}

const fragments = [
  '..',
  '.',
  '',
  'a',
  'b',
  'notes..txt',
  '...',
  '%2e%2e',
  '%2f',
  '\\',
  ':',
  'C:',
  '\0',
  '\uFF0E',
  '\u2215',
  '~',
  'outside',
  'root',
  'secret.txt',
  'é',
  'e\u0301',
];

describe('safePath properties', () => {
  it('random path strings: inside the root or a PathValidationError, nothing else', async () => {
    const root = path.join(tree.base, 'strings-root');
    mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
    const check = createSafePath({ root });
    const segment = fc.oneof(
      fc.constantFrom(...fragments),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 4 }),
    );
    const pathString = fc.oneof(
      fc.array(segment, { minLength: 1, maxLength: 8 }).map((s) => s.join('/')),
      fc.array(segment, { minLength: 1, maxLength: 8 }).map((s) => `/${s.join('/')}`),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(pathString, (p) => expectSafe(root, () => check(p))),
      { numRuns: 150 },
    );
  });

  it('no false positives: ordinary names (letters of any script, digits, punctuation, dots) are accepted as given', async () => {
    const root = path.join(tree.base, 'benign-root');
    mkdirSync(root);
    const check = createSafePath({ root });
    const alphabet = [..."abcXYZ019 -_.()[]{}!@#$^&+=,;'~", 'é', 'ß', 'Ж', 'ع', '日', '本', '🙂', 'ñ'].filter(
      (c) => c !== '\\',
    );
    const segment = fc
      .string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 12 })
      .filter((s) => s !== '.' && s !== '..');
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 5 }), async (segments) => {
        const input = segments.join('/');
        expect(await check(input)).toBe(path.join(root, input.normalize('NFC')));
      }),
      { numRuns: 150 },
    );
  });

  it('random trees with symlinks: inside the root or a PathValidationError', async () => {
    const names = ['a', 'b', 'c', 'd.txt'];
    const linkTarget = fc.constantFrom(
      '..',
      '../..',
      '.',
      'a',
      'b/c',
      '/',
      outside,
      path.join(outside, 'secret.txt'),
      path.join(outside, 'missing'),
      'd.txt',
      'loop',
    );
    const entry = fc.record({
      kind: fc.constantFrom('dir', 'file', 'link'),
      dir: fc.array(fc.constantFrom(...names), { maxLength: 2 }),
      name: fc.constantFrom(...names, 'loop'),
      target: linkTarget,
    });
    const query = fc
      .array(fc.constantFrom(...names, '..', '.', 'loop', 'secret.txt', 'new.txt'), {
        minLength: 1,
        maxLength: 6,
      })
      .map((s) => s.join('/'));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 12 }),
        fc.array(query, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (entries, queries, forCreate) => {
          const root = path.join(tree.base, `tree-${n++}`);
          await mkdir(root);
          for (const e of entries) {
            const dir = path.join(root, ...e.dir);
            const at = path.join(dir, e.name);
            try {
              await mkdir(dir, { recursive: true });
              if (e.kind === 'dir') await mkdir(at);
              else if (e.kind === 'file') await writeFile(at, 'inside');
              else await symlink(e.target, at);
            } catch {
              // Collisions with earlier entries (or a symlinked parent) are part of the randomness.
            }
          }
          const check = createSafePath({ root, forCreate });
          for (const q of queries) await expectSafe(root, () => check(q));
        },
      ),
      { numRuns: 40 },
    );
  });
});
