import type { ListItem } from '../plugin.js';

/**
 * Filtering of a MCP 2026-07-28 `server/discover` result for one principal.
 *
 * The spec's `DiscoverResult` is `supportedVersions`, `capabilities` (logging, completions, prompts, resources,
 * tools, experimental, extensions), `instructions`, the cache hints `ttlMs`/`cacheScope` and `_meta` (with
 * `io.modelcontextprotocol/serverInfo`): no item lists. But `experimental`, `extensions`, other `_meta` keys
 * and unknown fields are free-form, and a server or extension may list tools, prompts or resources there.
 * A principal must never learn of one it may not use, so every such place is searched by MCP's own shapes:
 * arrays or maps under `tools`/`prompts`/`resources`/`resourceTemplates`, and objects shaped like a Tool,
 * Prompt, Resource or ResourceTemplate. Each is judged with the same `filterItem` as the lists; what names
 * items but cannot be judged (a number in a `tools` list, nesting past the depth bound) is removed.
 */

export interface FilterDiscoverOptions {
  /** Whether the principal may see this item: the pipeline's `filterListItem`. A throw fails the response. */
  filterItem: (item: ListItem) => Promise<boolean>;
  /**
   * `instructions` is free text the server writes for every client; Warden cannot tell which items it names.
   * `'remove'` drops it for everyone (choose it when the text describes items some principals may not use).
   * @default 'keep'
   */
  instructions?: 'keep' | 'remove';
}

type ItemType = ListItem['type'];
const REMOVED: unique symbol = Symbol('removed');
type Walked = unknown | typeof REMOVED;

/** Keys under which MCP lists items, and the item type each holds. */
const ITEM_KEYS: Readonly<Record<string, ItemType>> = {
  tools: 'tool',
  prompts: 'prompt',
  resources: 'resource',
  resourceTemplates: 'resourceTemplate',
  tool: 'tool',
  prompt: 'prompt',
  resource: 'resource',
  resourceTemplate: 'resourceTemplate',
};
/** The spec's capabilities whose value is a set of boolean flags about one item type. */
const ITEM_CAPABILITIES = new Set(['prompts', 'resources', 'tools']);
const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
const MAX_DEPTH = 32;

/** The discover result with every item the principal may not use removed. A non-object is returned as is. */
export async function filterDiscoverResult<T>(result: T, options: FilterDiscoverOptions): Promise<T> {
  if (!isRecord(result)) return result;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(result)) {
    if (key === 'supportedVersions' || key === 'resultType' || key === 'ttlMs' || key === 'cacheScope') {
      out[key] = value;
    } else if (key === 'instructions') {
      if (options.instructions !== 'remove') out[key] = value;
    } else if (key === 'capabilities' && isRecord(value)) {
      out[key] = await filterCapabilities(value, options);
    } else if (key === '_meta' && isRecord(value)) {
      out[key] = await filterMeta(value, options);
    } else {
      const walked = await walk(value, key, 0, options);
      if (walked !== REMOVED) out[key] = walked;
    }
  }
  return out as T;
}

async function filterCapabilities(
  capabilities: Record<string, unknown>,
  options: FilterDiscoverOptions,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(capabilities)) {
    const walked =
      ITEM_CAPABILITIES.has(key) && isRecord(value)
        ? await filterItemCapability(value, ITEM_KEYS[key] as ItemType, options)
        : await walk(value, key, 1, options);
    if (walked !== REMOVED) out[key] = walked;
  }
  return out;
}

/**
 * `tools: { listChanged: true }` says the server has tools, not which: boolean flags stay. A string or array in
 * it is read as naming items of that type (judged, or removed when it cannot be); an object is searched.
 */
async function filterItemCapability(
  capability: Record<string, unknown>,
  type: ItemType,
  options: FilterDiscoverOptions,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(capability)) {
    let walked: Walked = value;
    if (typeof value === 'string') walked = await judge(type, value, undefined, options);
    else if (Array.isArray(value)) walked = await filterListed(value, type, options);
    else if (typeof value === 'object' && value !== null) walked = await walk(value, key, 2, options);
    else if (typeof value !== 'boolean') walked = REMOVED;
    if (walked !== REMOVED) out[key] = walked;
  }
  return out;
}

async function filterMeta(meta: Record<string, unknown>, options: FilterDiscoverOptions) {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    const walked = key === SERVER_INFO ? value : await walk(value, key, 1, options);
    if (walked !== REMOVED) out[key] = walked;
  }
  return out;
}

/** Walks a free-form value; `key` is the property it sits under (it says whether it lists items). */
async function walk(value: unknown, key: string | undefined, depth: number, options: FilterDiscoverOptions) {
  if (value === null || typeof value !== 'object') {
    const type = key === undefined ? undefined : ITEM_KEYS[key];
    if (type === undefined || typeof value === 'boolean' || value === null) return value;
    // A bare string under `tool`/`prompt`/…: an item's name or URI. A number there (a count) cannot be judged.
    return typeof value === 'string' ? judge(type, value, undefined, options) : REMOVED;
  }
  if (depth > MAX_DEPTH) return REMOVED;
  const listed = key === undefined ? undefined : ITEM_KEYS[key];
  if (listed !== undefined) return filterListed(value, listed, options);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const element of value) {
      const walked = await walk(element, undefined, depth + 1, options);
      if (walked !== REMOVED) out.push(walked);
    }
    return out;
  }
  const record = value as Record<string, unknown>;
  const shape = itemShape(record);
  if (shape !== undefined) return judge(shape.type, shape.id, record, options);
  return walkProperties(record, depth, options);
}

async function walkProperties(
  record: Record<string, unknown>,
  depth: number,
  options: FilterDiscoverOptions,
) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    const walked = await walk(v, k, depth + 1, options);
    if (walked !== REMOVED) out[k] = walked;
  }
  return out;
}

/** A list (array) or map (name → definition) of items of one type: each judged, the unjudgeable removed. */
async function filterListed(value: object, type: ItemType, options: FilterDiscoverOptions): Promise<Walked> {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const element of value) {
      const walked = await judgeElement(element, type, options);
      if (walked !== REMOVED) out.push(walked);
    }
    return out;
  }
  const record = value as Record<string, unknown>;
  const single = itemShape(record, type);
  if (single !== undefined) return judge(single.type, single.id, record, options);
  // A map: name → definition. A boolean is a flag (`listChanged: true`), not an item; a number (a count)
  // cannot be judged.
  const out: Record<string, unknown> = {};
  for (const [id, definition] of Object.entries(record)) {
    if (typeof definition === 'boolean') out[id] = definition;
    else if (typeof definition === 'number') continue;
    else if (await options.filterItem(toItem(type, id, isRecord(definition) ? definition : undefined))) {
      out[id] = definition;
    }
  }
  return out;
}

async function judgeElement(
  element: unknown,
  type: ItemType,
  options: FilterDiscoverOptions,
): Promise<Walked> {
  if (typeof element === 'string') return judge(type, element, undefined, options);
  if (!isRecord(element)) return REMOVED;
  const shape = itemShape(element, type);
  return shape === undefined ? REMOVED : judge(shape.type, shape.id, element, options);
}

async function judge(
  type: ItemType,
  id: string,
  definition: Record<string, unknown> | undefined,
  options: FilterDiscoverOptions,
): Promise<Walked> {
  const allowed = await options.filterItem(toItem(type, id, definition));
  if (!allowed) return REMOVED;
  return definition ?? id;
}

/**
 * The item an object describes, by MCP's shapes: `uriTemplate` (a template), `uri` (a resource), `name` with
 * `inputSchema` (a tool) or with `arguments` (a prompt). Under a key that names the type, `name`/`uri` is enough.
 */
function itemShape(
  record: Record<string, unknown>,
  expected?: ItemType,
): { type: ItemType; id: string } | undefined {
  const { name, uri, uriTemplate } = record;
  if (typeof uriTemplate === 'string') return { type: 'resourceTemplate', id: uriTemplate };
  if (typeof uri === 'string') return { type: 'resource', id: uri };
  if (typeof name === 'string') {
    if (expected === 'tool' || expected === 'prompt') return { type: expected, id: name };
    if ('inputSchema' in record) return { type: 'tool', id: name };
    if (Array.isArray(record.arguments)) return { type: 'prompt', id: name };
  }
  return undefined;
}

function toItem(type: ItemType, id: string, definition: Record<string, unknown> | undefined): ListItem {
  switch (type) {
    case 'tool':
    case 'prompt':
      return { type, name: id, definition: definition ?? { name: id } };
    case 'resource':
      return { type, uri: id, definition: definition ?? { uri: id } };
    case 'resourceTemplate':
      return { type, uriTemplate: id, definition: definition ?? { uriTemplate: id } };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
