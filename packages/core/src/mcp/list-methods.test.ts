import { describe, expect, it } from 'vitest';
import { isListMethod, LIST_METHODS, listItemsOf } from './list-methods.js';

describe('list methods', () => {
  it('knows the four MCP list methods and nothing else', () => {
    expect(Object.keys(LIST_METHODS).sort()).toEqual([
      'prompts/list',
      'resources/list',
      'resources/templates/list',
      'tools/list',
    ]);
    for (const method of ['tools/call', 'tools/list/', 'toString', '__proto__', 'constructor', 'Tools/list'])
      expect(isListMethod(method)).toBe(false);
  });

  it.each(Object.entries(LIST_METHODS))('%s: its items are under result.%s', (method, { key }) => {
    const items = [{ name: 'a' }];
    expect(listItemsOf(method, { [key]: items })).toBe(items);
    expect(listItemsOf(method, { [key]: 'not a list' })).toBeUndefined();
    expect(listItemsOf(method, {})).toBeUndefined();
  });

  it('gives nothing for a method that is not a list', () => {
    expect(listItemsOf('tools/call', { tools: [] })).toBeUndefined();
  });
});
