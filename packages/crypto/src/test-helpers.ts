import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { CryptoError } from './errors.js';

/** Argon2id at its minimum cost, so key-file tests stay fast (real files use the defaults). */
export const FAST_KDF = { opsLimit: 1, memLimitBytes: 8192 } as const;

/** A fresh temp directory, removed when the calling test finishes. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-crypto-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The `CryptoError` code a promise rejects with. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (CryptoError.isCryptoError(error)) return error.code;
    if (error instanceof Error && 'code' in error) return String((error as { code: unknown }).code);
    throw error;
  }
  return 'resolved';
}
