import type { EncryptedStore, StoredRow } from './encrypted-store.js';
import { CryptoError } from './errors.js';

export interface ReencryptOptions {
  /** Rows read and committed per transaction. @default 200 */
  batchSize?: number;
  /** Stops the job after the current batch is committed; it can be resumed later. */
  signal?: AbortSignal;
  /** Called after every committed batch. */
  onProgress?: (progress: ReencryptProgress) => void;
  /** Ignore a saved cursor and scan from the beginning. @default false */
  restart?: boolean;
}

export interface ReencryptProgress {
  /** The key id values are being moved to. */
  targetKeyId: string;
  scanned: number;
  rotated: number;
  /** Rows already under the target key. */
  current: number;
  /** Rows that could not be decrypted (left unchanged). */
  failed: number;
}

export interface ReencryptReport extends ReencryptProgress {
  /** True when every row was visited (the saved cursor is then cleared). */
  complete: boolean;
  /** True when this run continued from a saved cursor. */
  resumed: boolean;
  /** Rows that failed, with the error code (no values). */
  failures: { namespace: string; key: string; code: string }[];
}

const CURSOR = 'reencrypt.cursor';

interface SavedCursor {
  targetKeyId: string;
  namespace: string;
  key: string;
}

/**
 * Moves every value of `store` under the cipher's current key: a key ring re-encrypts, an envelope cipher re-wraps
 * the data keys. Each batch is one SQLite transaction and every row is replaced by compare-and-swap, so an
 * interrupted job (abort, crash, kill) leaves each value either old or new — both readable while the old key
 * stays in the ring — and a value written concurrently is never overwritten. Progress is saved in the store;
 * calling it again resumes after the last committed batch (and skips rows already current anyway).
 *
 * @example
 * keyRing.generateKey();                       // new primary
 * const report = await reencryptStore(store);  // { complete: true, rotated: 1200, … }
 */
export async function reencryptStore(
  store: EncryptedStore,
  options: ReencryptOptions = {},
): Promise<ReencryptReport> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 200));
  const targetKeyId = await store.cipher.currentKeyId();
  const saved = options.restart ? undefined : readCursor(store.meta(CURSOR));
  const resumed = saved !== undefined && saved.targetKeyId === targetKeyId;
  let cursor: { namespace: string; key: string } | undefined = resumed
    ? { namespace: saved.namespace, key: saved.key }
    : undefined;
  const report: ReencryptReport = {
    targetKeyId,
    scanned: 0,
    rotated: 0,
    current: 0,
    failed: 0,
    complete: false,
    resumed,
    failures: [],
  };

  for (;;) {
    if (options.signal?.aborted) return report;
    const rows = store.rowsAfter(cursor, batchSize);
    if (rows.length === 0) break;
    const updates: { row: StoredRow; value: Uint8Array }[] = [];
    for (const row of rows) {
      report.scanned++;
      try {
        if (!(await store.cipher.needsRotation(row.value))) {
          report.current++;
          continue;
        }
        const context = store.contextOf(row.namespace, row.key);
        updates.push({ row, value: await store.cipher.rotate(row.value, { context }) });
      } catch (error) {
        report.failed++;
        report.failures.push({
          namespace: row.namespace,
          key: row.key,
          code: CryptoError.isCryptoError(error) ? error.code : 'UNKNOWN',
        });
      }
    }
    const last = rows[rows.length - 1]!;
    store.transaction(() => {
      for (const u of updates) if (store.replaceIfUnchanged(u.row, u.value)) report.rotated++;
      store.setMeta(
        CURSOR,
        JSON.stringify({ targetKeyId, namespace: last.namespace, key: last.key } satisfies SavedCursor),
      );
    });
    cursor = { namespace: last.namespace, key: last.key };
    options.onProgress?.({
      targetKeyId,
      scanned: report.scanned,
      rotated: report.rotated,
      current: report.current,
      failed: report.failed,
    });
    if (rows.length < batchSize) break;
  }
  store.setMeta(CURSOR, undefined);
  report.complete = true;
  return report;
}

function readCursor(text: string | undefined): SavedCursor | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<SavedCursor>;
    if (typeof v.targetKeyId === 'string' && typeof v.namespace === 'string' && typeof v.key === 'string') {
      return { targetKeyId: v.targetKeyId, namespace: v.namespace, key: v.key };
    }
  } catch {
    // A damaged cursor only costs a rescan.
  }
  return undefined;
}
