import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreatePepperFile } from './pepper-file.js';

const dir = mkdtempSync(join(tmpdir(), 'apikey-pepper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadOrCreatePepperFile', () => {
  it('creates a private random pepper once and reads the same one afterwards', () => {
    const path = join(dir, 'nested', 'pepper');
    const first = loadOrCreatePepperFile(path);
    expect(first.id).toBe('file');
    expect(Buffer.from(String(first.secret), 'base64')).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadOrCreatePepperFile(path, { id: 'p1' })).toEqual({ id: 'p1', secret: first.secret });
    expect(readFileSync(path, 'utf8').trim()).toBe(first.secret);
  });

  it('refuses a file with a weak pepper', () => {
    const path = join(dir, 'weak');
    writeFileSync(path, 'short\n');
    expect(() => loadOrCreatePepperFile(path)).toThrow(/fewer than 32 bytes/);
  });
});
