// Test helper (not exported from the package): temporary directory trees.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TempTree {
  /** Real path of a fresh temporary directory. */
  base: string;
  cleanup(): void;
}

export function tempTree(prefix = 'warden-validation-'): TempTree {
  const base = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  return { base, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}
