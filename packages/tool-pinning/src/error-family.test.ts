import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WardenError } from '@mcp-warden/core';
import { runErrorFamilyTests, thrownBy } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import * as pinning from './index.js';

const { PinStore, TOOL_PINNING_ERROR_CODES: CODES } = pinning;

const observed = (tool: string, description: string) => ({
  tool,
  fingerprint: pinning.fingerprintTool({ name: tool, description, inputSchema: { type: 'object' } }),
  shadows: [],
});

/** One PinStoreError of each code, each made by the store itself. */
function storeErrors(): unknown[] {
  const dir = mkdtempSync(join(tmpdir(), 'pin-family-'));
  const empty = join(dir, 'empty.db');
  writeFileSync(empty, '');
  const store = new PinStore({ path: ':memory:' });
  store.observe('up', [observed('trusted', 'a')], true);
  store.observe('up', [observed('fresh', 'b')], false);
  const errors = [
    thrownBy(() => store.diff('up', 'nope')),
    thrownBy(() => store.diff('up', 'trusted')),
    thrownBy(() => store.approve('up', 'fresh', '0'.repeat(64))),
    thrownBy(() => new PinStore({ path: empty })),
    thrownBy(() => new PinStore({ path: join(dir, 'none.db'), mustExist: true })),
  ];
  store.close();
  return errors;
}

let deep: unknown = 'leaf';
for (let i = 0; i < 100; i++) deep = { d: deep };

runErrorFamilyTests({
  name: '@mcp-warden/tool-pinning',
  exports: pinning,
  codes: CODES,
  samples: {
    PinStoreError: storeErrors,
    DefinitionNotPinnableError: () => [
      thrownBy(() => pinning.fingerprintTool({ name: 't', inputSchema: deep as Record<string, unknown> })),
      thrownBy(() => pinning.fingerprintTool({ name: 't', annotations: { n: Number.NaN } })),
    ],
  },
});

describe('tool-pinning errors', () => {
  it('each store failure has its own code and status: the operator’s mistake or an unusable store', () => {
    const errors = storeErrors() as WardenError[];
    expect(errors.map((e) => [e.name, e.code, e.httpStatus])).toEqual([
      ['PinStoreError', CODES.UNKNOWN_TOOL, 404],
      ['PinStoreError', CODES.NOT_PENDING, 409],
      ['PinStoreError', CODES.HASH_MISMATCH, 409],
      ['PinStoreError', CODES.STORE_INVALID, 500],
      ['PinStoreError', CODES.STORE_MISSING, 500],
    ]);
  });

  it('DefinitionNotPinnableError is a WardenError that holds the tool', () => {
    const error = thrownBy(() =>
      pinning.fingerprintTool({ name: 't', annotations: { n: Number.POSITIVE_INFINITY } }),
    );
    expect(error).toBeInstanceOf(pinning.DefinitionNotPinnableError);
    expect(WardenError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'DefinitionNotPinnableError',
      code: CODES.NOT_PINNABLE,
      eventType: 'tool.held',
    });
  });
});
