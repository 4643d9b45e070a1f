import type { SecurityEvent, SecurityEventSink } from '@mcp-warden/core';
import { encodeCiphertextText } from './format.js';
import { resolvePointer } from './json-pointer.js';
import type { KeyRing } from './key-ring.js';

export interface SealingEventSinkOptions {
  /** Encrypts the fields (synchronously: sinks are synchronous, so this takes a `KeyRing`, not a KMS). */
  keyRing: KeyRing;
  /**
   * JSON pointers into each event to seal, e.g. `['/principalId', '/remoteAddress', '/details/ip']`. Values become
   * `mcpw1.…` text bound to `{ purpose: 'security-event', field: <pointer> }`; absent fields are skipped.
   */
  fields: readonly string[];
}

/**
 * Wraps a security-event sink so declared fields are encrypted before they are written (e.g. keep client addresses
 * and principal ids out of plain log files while the rest of the event stays searchable). Decrypt a field with
 * `keyRing.decryptString(value, { context: { purpose: 'security-event', field: '/remoteAddress' } })`.
 *
 * @example
 * const warden = await createWarden({ plugins, sinks: [sealingEventSink(pinoSink(), { keyRing, fields: ['/remoteAddress'] })] });
 */
export function sealingEventSink(
  inner: SecurityEventSink,
  options: SealingEventSinkOptions,
): SecurityEventSink {
  const { keyRing, fields } = options;
  return {
    write(event: SecurityEvent) {
      // Events are JSON data (core redacts and bounds `details`); a JSON copy keeps the caller's object untouched.
      const copy = JSON.parse(JSON.stringify(event)) as SecurityEvent;
      for (const field of fields) {
        const slot = resolvePointer(copy, field);
        if (!slot || slot.value === undefined) continue;
        const text = typeof slot.value === 'string' ? slot.value : JSON.stringify(slot.value);
        slot.set(
          encodeCiphertextText(keyRing.encrypt(text, { context: { purpose: 'security-event', field } })),
        );
      }
      inner.write(copy);
    },
  };
}
