/**
 * Every pattern-taking option of sanitize (the `tools`, `prompts` and `resources` keys) parses through core's one
 * pattern language when `sanitize()` is called; a key whose meaning changed with the move from `prefix*` is
 * refused with the spelling that keeps it; and the most specific matching key applies.
 */
import {
  CORE_ERROR_CODES,
  createPrincipal,
  PatternSyntaxError,
  type RequestContext,
  type ResponseContext,
} from '@mcp-warden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sanitize } from './plugin.js';

type Option = 'tools' | 'prompts' | 'resources';

function factoryError(option: Option, key: string): unknown {
  try {
    sanitize({ [option]: { [key]: { html: true } } });
    return undefined;
  } catch (error) {
    return error;
  }
}

const INVALID = ['{a,b', 'a}', 'x{a,{b}', `${'{a,b}'.repeat(9)}`];

describe('sanitize patterns', () => {
  for (const option of ['tools', 'prompts', 'resources'] as const) {
    it.each(INVALID)(`${option}: refuses %s in the factory with core's PatternSyntaxError`, (key) => {
      const error = factoryError(option, key);
      expect(error).toBeInstanceOf(PatternSyntaxError);
      expect((error as PatternSyntaxError).code).toBe(CORE_ERROR_CODES.PATTERN_INVALID);
      expect((error as PatternSyntaxError).path).toBe(`${option}[${JSON.stringify(key)}]`);
      expect((error as Error).message.startsWith(`sanitize: ${option}[`)).toBe(true);
    });
  }

  it.each([
    ['resources', 'file:///logs/*', 'file:///logs/**'],
    ['resources', 'file:///logs/app-*', 'file:///logs/app-*/**'],
    ['tools', 'a*b', '{a*b}'],
    ['resources', 'file:///*/x', '{file:///*/x}'],
  ] as const)('%s: refuses the old spelling %s and names %s', (option, key, fix) => {
    const error = factoryError(option, key);
    expect(error).toBeInstanceOf(PatternSyntaxError);
    expect((error as PatternSyntaxError).hint).toContain(`"${fix}"`);
  });

  it.each([
    ['tools', 'render_*'],
    ['prompts', 'draft_*'],
    ['resources', 'file:///logs/**'],
    ['resources', 'file:///logs/{*}'],
    ['tools', '{a*b}'],
  ] as const)('%s: accepts %s', (option, key) => {
    expect(factoryError(option, key)).toBeUndefined();
  });
});

describe('which per-target key applies', () => {
  const ctx = (name: string): ResponseContext =>
    ({
      requestId: 1,
      method: 'tools/call',
      action: 'tools:call',
      target: { type: 'tool', name },
      params: {},
      arguments: undefined,
      principal: createPrincipal({ id: 'u', kind: 'test' }),
      transport: 'memory',
      sessionId: undefined,
      remoteAddress: undefined,
      signal: new AbortController().signal,
      state: new Map(),
      services: { provide() {}, get: () => undefined, require: () => undefined as never },
      mode: 'enforce',
      emit: () => {},
      result: { content: [{ type: 'text', text: '<b>' }] },
    }) as unknown as RequestContext as ResponseContext;
  const escaped = (plugin: ReturnType<typeof sanitize>, name: string) =>
    (plugin.afterResponse(ctx(name)) as { result?: { content: { text: string }[] } } | undefined)?.result
      ?.content[0]?.text === '&lt;b&gt;';

  it('exact name first, then the longest text before the first wildcard, then the order written', () => {
    // The html flag tells which key applied: only `render_*` and `{x,y}_pag*` set it.
    const plugin = sanitize({
      tools: {
        'r*': { html: false },
        'render_*': { html: true },
        render_plain: { html: false },
        '{x,y}_pag*': { html: true },
        '{*_page}': { html: false },
      },
    });
    expect(escaped(plugin, 'render_page')).toBe(true); // render_* (7) beats r* (1)
    expect(escaped(plugin, 'render_plain')).toBe(false); // exact wins
    expect(escaped(plugin, 'rx')).toBe(false); // only r*
    expect(escaped(plugin, 'x_page')).toBe(true); // {x,y}_pag* and {*_page} both rank 0: the first written
  });

  it('an old tool prefix key applies to exactly the names it did', () => {
    const name = fc.array(fc.constantFrom('a', 'b', '_', '-', '.'), { maxLength: 6 }).map((p) => p.join(''));
    fc.assert(
      fc.property(name, name, (prefix, tool) => {
        const plugin = sanitize({ tools: { [`${prefix}*`]: { html: true } } });
        expect(escaped(plugin, tool)).toBe(tool.startsWith(prefix));
      }),
      { numRuns: 300 },
    );
  });
});
