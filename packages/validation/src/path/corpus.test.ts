import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathValidationError } from '../errors.js';
import { openWithin } from './open-safe.js';
import { createSafePath, type SafePathChecker } from './safe-path.js';
import { tempTree } from './test-tree.js';

const corpus = path.resolve(import.meta.dirname, '../../../../../shared/corpus');
const tree = tempTree('warden-corpus-');
const root = path.join(tree.base, 'root');
const CANARY = 'CANARY-BYTES-OUTSIDE-THE-ROOT';
let check: SafePathChecker;

beforeAll(() => {
  mkdirSync(root);
  writeFileSync(path.join(tree.base, 'canary.txt'), CANARY);
  // Decoys inside the root, named like common targets: reading one of these is fine, it is inside.
  mkdirSync(path.join(root, 'etc'));
  writeFileSync(path.join(root, 'etc', 'passwd'), 'inside');
  check = createSafePath({ root });
});
afterAll(() => tree.cleanup());

function lines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

const isInside = (p: string) => p === root || p.startsWith(`${root}/`);

describe('path-traversal corpus', () => {
  const files = readdirSync(path.join(corpus, 'path-traversal')).filter((f) => f.endsWith('.txt'));
  // Real targets: system files, and a canary just outside the root (by relative name and by absolute path).
  const targets = [
    'etc/passwd',
    'windows/win.ini',
    'canary.txt',
    path.join(tree.base, 'canary.txt').slice(1),
  ];

  it.each(files)('%s: every line is refused or stays inside the root, never a byte outside', async (file) => {
    let refused = 0;
    let inside = 0;
    const payloads = new Set<string>();
    for (const line of lines(path.join(corpus, 'path-traversal', file))) {
      if (line.includes('{FILE}')) for (const t of targets) payloads.add(line.replaceAll('{FILE}', t));
      else payloads.add(line);
    }
    expect(payloads.size).toBeGreaterThan(100);
    for (const payload of payloads) {
      let real: string;
      try {
        real = await check(payload);
      } catch (error) {
        expect(PathValidationError.is(error), `non-PathValidationError for ${JSON.stringify(payload)}`).toBe(
          true,
        );
        refused++;
        continue;
      }
      expect(isInside(real), `escaped: ${JSON.stringify(payload)} -> ${real}`).toBe(true);
      inside++;
      try {
        const { handle } = await openWithin(real, check);
        try {
          expect(await handle.readFile('utf8')).not.toContain(CANARY);
        } finally {
          await handle.close();
        }
      } catch (error) {
        expect(PathValidationError.is(error)).toBe(true);
      }
    }
    expect(refused + inside).toBe(payloads.size);
    expect(refused).toBeGreaterThan(0);
  });
});

describe('benign corpus', () => {
  const names = lines(path.join(corpus, 'benign', 'paths.txt'));
  beforeAll(() => {
    for (const name of names) {
      const full = path.join(root, 'benign', name.normalize('NFC'));
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, `content of ${name}`);
    }
  });

  it.each(names)('%s is accepted and resolves to the right file', async (name) => {
    const mustExist = createSafePath({ root: path.join(root, 'benign'), mustExist: true });
    const real = await mustExist(name);
    expect(real).toBe(path.join(root, 'benign', name.normalize('NFC')));
    const { handle } = await openWithin(real, mustExist);
    try {
      expect(await handle.readFile('utf8')).toBe(`content of ${name}`);
    } finally {
      await handle.close();
    }
  });
});
