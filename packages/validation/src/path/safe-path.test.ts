import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@mcp-warden/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathValidationError } from '../errors.js';
import { openSafe, openWithin } from './open-safe.js';
import { createSafePath, type SafePathChecker, safePath } from './safe-path.js';
import { tempTree } from './test-tree.js';

const tree = tempTree();
const base = tree.base;
const root = path.join(base, 'root');
const outside = path.join(base, 'outside');
const CANARY = 'CANARY-OUTSIDE-ROOT';
let check: SafePathChecker;

async function refusal(promise: Promise<unknown>): Promise<PathValidationError> {
  try {
    await promise;
  } catch (error) {
    expect(PathValidationError.is(error)).toBe(true);
    return error as PathValidationError;
  }
  throw new Error('expected a refusal');
}

beforeAll(() => {
  mkdirSync(path.join(root, 'docs'), { recursive: true });
  mkdirSync(outside);
  mkdirSync(path.join(base, 'root_evil'));
  writeFileSync(path.join(base, 'root_evil', 'secret.txt'), CANARY);
  writeFileSync(path.join(base, 'canary.txt'), CANARY);
  writeFileSync(path.join(outside, 'canary.txt'), CANARY);
  writeFileSync(path.join(root, 'docs', 'readme.md'), 'inside');
  writeFileSync(path.join(root, 'notes..txt'), 'inside');
  symlinkSync(outside, path.join(root, 'escape-dir'));
  symlinkSync(path.join(base, 'canary.txt'), path.join(root, 'escape-file.txt'));
  symlinkSync(base, path.join(root, 'parent-link'));
  symlinkSync('docs', path.join(root, 'alias'));
  symlinkSync('loop-b', path.join(root, 'loop-a'));
  symlinkSync('loop-a', path.join(root, 'loop-b'));
  symlinkSync(path.join(outside, 'not-yet'), path.join(root, 'dangling'));
  check = createSafePath({ root });
});
afterAll(() => tree.cleanup());

describe('safePath: containment', () => {
  it('accepts ordinary relative paths and returns the real path', async () => {
    expect(await check('docs/readme.md')).toBe(path.join(root, 'docs', 'readme.md'));
    expect(await check('./docs/../docs/readme.md')).toBe(path.join(root, 'docs', 'readme.md'));
    expect(await check('notes..txt')).toBe(path.join(root, 'notes..txt'));
    expect(await check('.')).toBe(root);
  });

  it('accepts an absolute path inside the root, refuses one outside', async () => {
    expect(await check(path.join(root, 'docs/readme.md'))).toBe(path.join(root, 'docs', 'readme.md'));
    expect((await refusal(check('/etc/passwd'))).code).toBe('PATH_OUTSIDE_ROOT');
    expect(
      (await refusal(createSafePath({ root, allowAbsolute: false })(path.join(root, 'docs')))).code,
    ).toBe('PATH_ABSOLUTE_NOT_ALLOWED');
  });

  it('is separator-aware: a sibling whose name starts with the root name is outside', async () => {
    expect((await refusal(check(path.join(base, 'root_evil', 'secret.txt')))).code).toBe('PATH_OUTSIDE_ROOT');
    expect((await refusal(check('../root_evil/secret.txt'))).code).toBe('PATH_OUTSIDE_ROOT');
  });

  it('refuses traversal out of the root', async () => {
    for (const p of ['..', '../canary.txt', 'docs/../../canary.txt', 'docs/../../../../../../etc/passwd']) {
      expect((await refusal(check(p))).code).toBe('PATH_OUTSIDE_ROOT');
    }
  });
});

describe('safePath: symbolic links', () => {
  it('refuses a directory symlink that leads outside', async () => {
    expect((await refusal(check('escape-dir/canary.txt'))).code).toBe('PATH_SYMLINK_ESCAPE');
    expect((await refusal(check('escape-dir/new-file.txt'))).code).toBe('PATH_SYMLINK_ESCAPE');
  });
  it('refuses a file symlink that leads outside', async () => {
    expect((await refusal(check('escape-file.txt'))).code).toBe('PATH_SYMLINK_ESCAPE');
  });
  it('refuses a symlink to a parent of the root', async () => {
    expect((await refusal(check('parent-link/canary.txt'))).code).toBe('PATH_SYMLINK_ESCAPE');
    // …but what it reaches inside the root again is inside.
    expect(await check('parent-link/root/docs/readme.md')).toBe(path.join(root, 'docs', 'readme.md'));
  });
  it('follows symlinks that stay inside, returning the real target', async () => {
    expect(await check('alias/readme.md')).toBe(path.join(root, 'docs', 'readme.md'));
  });
  it('refuses symlink loops', async () => {
    expect((await refusal(check('loop-a'))).code).toBe('PATH_SYMLINK_LOOP');
    expect((await refusal(check('loop-a/x.txt'))).code).toBe('PATH_SYMLINK_LOOP');
  });
  it('refuses creating through a dangling symlink', async () => {
    const create = createSafePath({ root, forCreate: true });
    expect((await refusal(create('dangling'))).code).toBe('PATH_DANGLING_SYMLINK');
    expect((await refusal(check('dangling/x'))).code).toBe('PATH_DANGLING_SYMLINK');
  });
});

describe('safePath: existence and creation', () => {
  it('mustExist refuses a missing file', async () => {
    const must = createSafePath({ root, mustExist: true });
    expect((await refusal(must('docs/missing.md'))).code).toBe('PATH_NOT_FOUND');
    expect(await must('docs/readme.md')).toBe(path.join(root, 'docs', 'readme.md'));
  });
  it('forCreate needs the parent directory and accepts a new name', async () => {
    const create = createSafePath({ root, forCreate: true });
    expect(await create('docs/new.md')).toBe(path.join(root, 'docs', 'new.md'));
    expect((await refusal(create('nope/new.md'))).code).toBe('PATH_NOT_FOUND');
  });
  it('without forCreate, missing ancestors are allowed (mkdir -p)', async () => {
    expect(await check('a/b/c.txt')).toBe(path.join(root, 'a', 'b', 'c.txt'));
  });
  it('refuses a file used as a directory', async () => {
    expect((await refusal(check('notes..txt/x'))).code).toBe('PATH_NOT_FOUND');
  });
});

describe('safePath: encodings and look-alikes', () => {
  const cases: [string, string][] = [
    ['docs/readme.md\0.txt', 'PATH_NUL_BYTE'],
    ['docs\nreadme.md', 'PATH_CONTROL_CHARACTER'],
    ['docs/\u202Edm.txt', 'PATH_CONTROL_CHARACTER'],
    ['docs/\u200Breadme.md', 'PATH_CONTROL_CHARACTER'],
    ['docs/\uD800x', 'PATH_CONTROL_CHARACTER'],
    ['C:/Windows/win.ini', 'PATH_WINDOWS_FORM'],
    ['c:boot.ini', 'PATH_WINDOWS_FORM'],
    ['\\\\server\\share\\x', 'PATH_WINDOWS_FORM'],
    ['\\\\?\\C:\\Windows', 'PATH_WINDOWS_FORM'],
    ['//server/share/x', 'PATH_WINDOWS_FORM'],
    ['..\\..\\canary.txt', 'PATH_WINDOWS_FORM'],
    ['docs/readme.md:secret', 'PATH_ALTERNATE_STREAM'],
    ['docs/readme.md::$DATA', 'PATH_ALTERNATE_STREAM'],
    ['\uFF0E\uFF0E/canary.txt', 'PATH_LOOKALIKE_CHARACTER'],
    ['..\uFF0Fcanary.txt', 'PATH_LOOKALIKE_CHARACTER'],
    ['..\u2215canary.txt', 'PATH_LOOKALIKE_CHARACTER'],
    ['..\u2216canary.txt', 'PATH_LOOKALIKE_CHARACTER'],
    ['\u2025/canary.txt', 'PATH_LOOKALIKE_CHARACTER'],
    ['%2e%2e/canary.txt', 'PATH_ENCODED_TRAVERSAL'],
    ['..%2fcanary.txt', 'PATH_ENCODED_TRAVERSAL'],
    ['%252e%252e/canary.txt', 'PATH_ENCODED_TRAVERSAL'],
    ['%%32%65%%32%65/canary.txt', 'PATH_ENCODED_TRAVERSAL'],
    ['%c0%ae%c0%ae/canary.txt', 'PATH_ENCODED_TRAVERSAL'],
    ['..%u2216canary.txt', 'PATH_ENCODED_TRAVERSAL'],
    ['readme.md%00.txt', 'PATH_ENCODED_TRAVERSAL'],
    ['', 'PATH_INVALID'],
  ];
  it.each(cases)('refuses %j with %s', async (input, code) => {
    expect((await refusal(check(input))).code).toBe(code);
  });
  it('refuses non-strings and over-long input', async () => {
    expect((await refusal(check(42))).code).toBe('PATH_INVALID');
    expect((await refusal(check('a/'.repeat(3000)))).code).toBe('PATH_INVALID');
  });
  it('keeps literal percent signs in names', async () => {
    expect(await check('100%.txt')).toBe(path.join(root, '100%.txt'));
    expect(await check('percent%25literal.txt')).toBe(path.join(root, 'percent%25literal.txt'));
  });
  it('compares after NFC: a decomposed name reaches the composed file', async () => {
    const composed = 'caf\u00e9.md';
    writeFileSync(path.join(root, composed), 'inside');
    expect(await check('cafe\u0301.md')).toBe(path.join(root, composed));
  });
  it('never echoes the input in the client-visible message', async () => {
    const secret = 'sk-live-0123456789abcdef';
    const error = await refusal(check(`../${secret}`));
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error.toJsonRpcError())).not.toContain(secret);
    expect(error.reason ?? '').not.toContain(secret);
    expect(error.jsonRpcCode).toBe(-32602);
  });
});

describe('safePath: names and extensions', () => {
  it('applies an extension allow-list case-insensitively, on the real target too', async () => {
    const md = createSafePath({ root, allowedExtensions: ['md', '.TXT'] });
    expect(await md('docs/readme.md')).toBe(path.join(root, 'docs', 'readme.md'));
    expect(await md('DOCS.TXT')).toBe(path.join(root, 'DOCS.TXT'));
    expect((await refusal(md('docs/readme.sh'))).code).toBe('PATH_EXTENSION_NOT_ALLOWED');
    symlinkSync('docs', path.join(root, 'dir-as.md'));
    writeFileSync(path.join(root, 'script.sh'), 'x');
    symlinkSync('script.sh', path.join(root, 'innocent.md'));
    expect((await refusal(md('innocent.md'))).code).toBe('PATH_EXTENSION_NOT_ALLOWED');
  });
  it('refuses denied names, case-folded on a case-insensitive file system', async () => {
    const sensitive = createSafePath({ root, deniedNames: ['.git'], caseSensitive: true });
    const insensitive = createSafePath({ root, deniedNames: ['.git'], caseSensitive: false });
    expect((await refusal(sensitive('.git/config'))).code).toBe('PATH_NAME_DENIED');
    expect((await refusal(sensitive('docs/../.git/config'))).code).toBe('PATH_NAME_DENIED');
    expect(await sensitive('.GIT/config')).toBe(path.join(root, '.GIT', 'config'));
    expect((await refusal(insensitive('.GIT/config'))).code).toBe('PATH_NAME_DENIED');
  });
  it('case-insensitive containment compares case-folded', async () => {
    const insensitive = createSafePath({ root, caseSensitive: false });
    expect(await insensitive(path.join(root, 'docs/readme.md'))).toBe(path.join(root, 'docs', 'readme.md'));
    expect((await refusal(insensitive('../root_evil/secret.txt'))).code).toBe('PATH_OUTSIDE_ROOT');
  });
  it('detects this file system as case-sensitive', () => {
    expect(check.caseSensitive).toBe(process.platform !== 'darwin' && process.platform !== 'win32');
  });
});

describe('safePath: configuration', () => {
  it('throws ConfigError for a missing root or contradictory options', () => {
    expect(() => createSafePath({ root: path.join(base, 'missing') })).toThrow(ConfigError);
    expect(() => createSafePath({ root, mustExist: true, forCreate: true })).toThrow(
      /mustExist and forCreate/,
    );
  });
  it('safePath() caches the compiled checker per options object', async () => {
    const options = { root };
    expect(await safePath('docs/readme.md', options)).toBe(path.join(root, 'docs', 'readme.md'));
    expect(await safePath('docs', options)).toBe(path.join(root, 'docs'));
  });
});

describe('openSafe', () => {
  it('reads a file inside the root', async () => {
    const { handle, path: p } = await openSafe('alias/readme.md', check);
    try {
      expect(p).toBe(path.join(root, 'docs', 'readme.md'));
      expect(await handle.readFile('utf8')).toBe('inside');
    } finally {
      await handle.close();
    }
  });
  it('creates and truncates only after verification', async () => {
    const create = createSafePath({ root, forCreate: true });
    const first = await openSafe('docs/created.txt', create, { flags: 'w' });
    await first.handle.writeFile('hello world');
    await first.handle.close();
    const second = await openSafe('docs/created.txt', create, { flags: 'w' });
    await second.handle.writeFile('bye');
    await second.handle.close();
    expect(readFileSync(path.join(root, 'docs', 'created.txt'), 'utf8')).toBe('bye');
    expect((await refusal(openSafe('docs/created.txt', create, { flags: 'wx' }))).code).toBe('PATH_INVALID');
  });
  it('refuses directories', async () => {
    expect((await refusal(openSafe('docs', check))).code).toBe('PATH_NOT_A_FILE');
  });
  it('refuses a FIFO without blocking on it', async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(root, 'pipe.txt')]);
    expect((await refusal(openSafe('pipe.txt', check))).code).toBe('PATH_NOT_A_FILE');
    expect((await refusal(openSafe('pipe.txt', check, { flags: 'a' }))).code).toBe('PATH_NOT_A_FILE');
  });
  it('accepts plain options too', async () => {
    const { handle } = await openSafe('docs/readme.md', { root, mustExist: true });
    await handle.close();
  });

  it('race: a directory swapped for a symlink between check and open is detected', async () => {
    mkdirSync(path.join(root, 'swap'));
    writeFileSync(path.join(root, 'swap', 'canary.txt'), 'inside');
    const real = await check('swap/canary.txt');
    expect(real).toBe(path.join(root, 'swap', 'canary.txt'));
    // The attacker wins the race: the checked directory is now a symlink to the outside.
    rmSync(path.join(root, 'swap'), { recursive: true });
    symlinkSync(outside, path.join(root, 'swap'));
    const error = await refusal(openWithin(real, check));
    expect(error.code).toBe('PATH_CHANGED');
  });

  it('race: the checked file swapped for a symlink is refused by O_NOFOLLOW', async () => {
    writeFileSync(path.join(root, 'victim.txt'), 'inside');
    const real = await check('victim.txt');
    rmSync(real);
    symlinkSync(path.join(base, 'canary.txt'), real);
    expect((await refusal(openWithin(real, check))).code).toBe('PATH_CHANGED');
    expect((await refusal(openWithin(real, check, { flags: 'w' }))).code).toBe('PATH_CHANGED');
    expect(readFileSync(path.join(base, 'canary.txt'), 'utf8')).toBe(CANARY);
  });

  it('race: a concurrent swapper never gets a byte from outside the root', async () => {
    const dir = path.join(root, 'flip');
    const parked = path.join(root, 'flip-parked');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'canary.txt'), 'inside');
    let stop = false;
    const { rename, symlink, unlink } = await import('node:fs/promises');
    const swapper = (async () => {
      while (!stop) {
        await rename(dir, parked);
        await symlink(outside, dir);
        await new Promise((r) => setImmediate(r));
        await unlink(dir);
        await rename(parked, dir);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      try {
        const { handle } = await openSafe('flip/canary.txt', check);
        try {
          seen.add(await handle.readFile('utf8'));
        } finally {
          await handle.close();
        }
      } catch (error) {
        expect(PathValidationError.is(error)).toBe(true);
      }
    }
    stop = true;
    await swapper;
    expect(seen.has(CANARY)).toBe(false);
  });
});

describe('Windows segment rules (applied when running on win32)', () => {
  it('refuses reserved device names, trailing dots/spaces and Win32-invalid characters', async () => {
    const { findWindowsSegmentProblem } = await import('./path-chars.js');
    for (const bad of ['CON', 'nul.txt', 'com1', 'LPT9.log', 'trailing.', 'space ', 'a|b', 'q?'])
      expect(findWindowsSegmentProblem(bad), bad).toBeDefined();
    for (const good of ['console.txt', 'notes..txt', '..', '.', 'con-artist.md'])
      expect(findWindowsSegmentProblem(good), good).toBeUndefined();
  });
});
