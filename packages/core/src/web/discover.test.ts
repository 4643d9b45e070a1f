import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListItem } from '../plugin.js';
import { filterDiscoverResult } from './discover.js';

/** Items whose id starts with `hidden-` are the ones the principal may not use. */
const filterItem = async (item: ListItem) => !idOf(item).startsWith('hidden-');

function idOf(item: ListItem): string {
  if (item.type === 'resource') return item.uri;
  if (item.type === 'resourceTemplate') return item.uriTemplate;
  return item.name;
}

/** The value at a property path (tests only). */
function at(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) v = (v as Record<string, unknown> | undefined)?.[key];
  return v;
}

/** Every string and key in a JSON value. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

const specResult = {
  resultType: 'complete',
  supportedVersions: ['2026-07-28'],
  capabilities: {
    tools: { listChanged: true },
    resources: { subscribe: true, listChanged: false },
    prompts: {},
    logging: {},
    completions: {},
    extensions: { 'io.modelcontextprotocol/tasks': {} },
  },
  _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'ExampleServer', version: '1.0.0' } },
  instructions: 'Weather and resource utilities.',
  ttlMs: 3_600_000,
  cacheScope: 'public',
};

const id = (hidden: boolean, n: number, kind: string) => `${hidden ? 'hidden' : 'ok'}-${kind}-${n}`;

/** One way a server or extension might name items, with `hidden` ones among them. */
const placementArb = fc
  .tuple(fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }), fc.nat({ max: 7 }))
  .map(([flags, shape]) => {
    const ids = flags.map((hidden, n) => ({ hidden, n }));
    switch (shape) {
      case 0:
        return { tools: ids.map((i) => ({ name: id(i.hidden, i.n, 't'), inputSchema: { type: 'object' } })) };
      case 1:
        return { prompts: ids.map((i) => id(i.hidden, i.n, 'p')) };
      case 2:
        return { tools: Object.fromEntries(ids.map((i) => [id(i.hidden, i.n, 't'), { description: 'x' }])) };
      case 3:
        return { items: ids.map((i) => ({ name: id(i.hidden, i.n, 't'), inputSchema: {} })) };
      case 4:
        return {
          entries: ids.map((i) => ({ uri: `${id(i.hidden, i.n, 'r')}://x`, mimeType: 'text/plain' })),
        };
      case 5:
        return {
          resourceTemplates: ids.map((i) => ({ uriTemplate: `${id(i.hidden, i.n, 'rt')}://{x}`, name: 'n' })),
        };
      case 6:
        return { deep: { deeper: ids.map((i) => ({ prompt: id(i.hidden, i.n, 'p') })) } };
      default:
        return { list: ids.map((i) => ({ name: id(i.hidden, i.n, 'p'), arguments: [] })) };
    }
  });

const slotArb = fc.constantFrom('experimental', 'extension', 'meta', 'top', 'toolsCapability');

function place(slot: string, placement: object, n: number): Record<string, unknown> {
  const result = structuredClone(specResult) as typeof specResult & Record<string, unknown>;
  const capabilities = result.capabilities as typeof specResult.capabilities & Record<string, unknown>;
  if (slot === 'experimental') capabilities.experimental = { [`vendor${n}`]: placement };
  if (slot === 'extension')
    (capabilities.extensions as Record<string, unknown>)[`com.example/ext${n}`] = placement;
  if (slot === 'meta') (result._meta as Record<string, unknown>)[`com.example/catalog${n}`] = placement;
  if (slot === 'top') result[`x-catalog${n}`] = placement;
  if (slot === 'toolsCapability') (capabilities.tools as Record<string, unknown>)[`catalog${n}`] = placement;
  return result;
}

describe('filterDiscoverResult', () => {
  it('keeps the spec fields of a plain discover result unchanged', async () => {
    expect(await filterDiscoverResult(specResult, { filterItem })).toEqual(specResult);
    expect(await filterDiscoverResult(specResult, { filterItem, instructions: 'remove' })).not.toHaveProperty(
      'instructions',
    );
  });

  it('removes every hidden item wherever it is listed, and keeps every allowed one', async () => {
    await fc.assert(
      fc.asyncProperty(placementArb, slotArb, fc.nat({ max: 3 }), async (placement, slot, n) => {
        const input = place(slot, placement, n);
        const output = await filterDiscoverResult(input, { filterItem });
        const seen = strings(output);
        expect(seen.some((s) => s.includes('hidden-'))).toBe(false);
        const allowedBefore = strings(input).filter((s) => s.startsWith('ok-'));
        expect(seen.filter((s) => s.startsWith('ok-'))).toEqual(allowedBefore);
        // The spec fields are untouched.
        const o = output as typeof specResult;
        expect(o.supportedVersions).toEqual(specResult.supportedVersions);
        expect(o.capabilities.resources).toEqual(specResult.capabilities.resources);
        expect(o._meta['io.modelcontextprotocol/serverInfo']).toEqual(
          specResult._meta['io.modelcontextprotocol/serverInfo'],
        );
        expect(o.capabilities.tools.listChanged).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('removes what names items but cannot be judged', async () => {
    const input = {
      ...specResult,
      capabilities: {
        ...specResult.capabilities,
        tools: { listChanged: true, count: 12, names: ['ok-1', 7, { description: 'no name' }, null] },
        experimental: {
          catalog: { tools: [3, ['nested'], { title: 'no name' }, 'ok-2'], toolCount: 4, tools2: 1 },
        },
      },
      'x-counts': { prompts: 5, resources: 'hidden-r://x', tool: true },
      'x-flags': { tools: { listChanged: true, total: 9, 'hidden-t': { description: 'x' } } },
    };
    const output = await filterDiscoverResult(input, { filterItem });
    expect(at(output, 'capabilities', 'tools')).toEqual({ listChanged: true, names: ['ok-1'] });
    expect(at(output, 'capabilities', 'experimental', 'catalog', 'tools')).toEqual(['ok-2']);
    // Counts outside an item key say nothing about which items exist.
    expect(at(output, 'capabilities', 'experimental', 'catalog', 'toolCount')).toBe(4);
    expect(at(output, 'x-counts')).toEqual({ tool: true });
    expect(at(output, 'x-flags')).toEqual({ tools: { listChanged: true } });
  });

  it('hands the filter the item and its definition as the lists do', async () => {
    const seen: ListItem[] = [];
    const definition = { name: 'ok-t', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } };
    await filterDiscoverResult(
      { ...specResult, capabilities: { experimental: { x: { tools: [definition] } } } },
      {
        filterItem: async (item) => {
          seen.push(item);
          return true;
        },
      },
    );
    expect(seen).toEqual([{ type: 'tool', name: 'ok-t', definition }]);
  });

  it('fails when the filter fails, and removes nesting past the depth bound', async () => {
    const throwing = async () => {
      throw new Error('policy store down');
    };
    const withTools = { ...specResult, 'x-list': { tools: ['a'] } };
    await expect(filterDiscoverResult(withTools, { filterItem: throwing })).rejects.toThrow(
      'policy store down',
    );
    let deep: Record<string, unknown> = { tools: ['hidden-deep'] };
    for (let i = 0; i < 40; i += 1) deep = { next: deep };
    const output = await filterDiscoverResult(
      { ...specResult, 'x-deep': deep },
      { filterItem: async () => true },
    );
    expect(strings(output).includes('hidden-deep')).toBe(false);
  });

  it('returns a non-object result as it is', async () => {
    for (const value of [null, 1, 'x', [1]])
      expect(await filterDiscoverResult(value, { filterItem })).toEqual(value);
  });
});
