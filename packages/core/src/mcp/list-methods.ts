import type { ListItem } from '../plugin.js';

/**
 * The MCP list methods: for each, the result key holding its items and the `ListItem` type they become. The one
 * table the pipeline filters lists by and plugins ask "is this a list?" with.
 */
export const LIST_METHODS = {
  'tools/list': { key: 'tools', type: 'tool' },
  'prompts/list': { key: 'prompts', type: 'prompt' },
  'resources/list': { key: 'resources', type: 'resource' },
  'resources/templates/list': { key: 'resourceTemplates', type: 'resourceTemplate' },
} as const satisfies Record<string, { key: string; type: ListItem['type'] }>;

export type ListMethod = keyof typeof LIST_METHODS;

/** True for `tools/list`, `prompts/list`, `resources/list` and `resources/templates/list`. */
export function isListMethod(method: string): method is ListMethod {
  return Object.hasOwn(LIST_METHODS, method);
}

/** The items of a list result (`result.tools` for `tools/list`, …); `undefined` for another method or shape. */
export function listItemsOf(
  method: string,
  result: Readonly<Record<string, unknown>>,
): unknown[] | undefined {
  if (!isListMethod(method)) return undefined;
  const items = result[LIST_METHODS[method].key];
  return Array.isArray(items) ? items : undefined;
}
