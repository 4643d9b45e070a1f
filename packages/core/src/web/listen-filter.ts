/**
 * Filtering of a MCP 2026-07-28 `subscriptions/listen` stream for one principal.
 *
 * A listen stream carries `notifications/subscriptions/acknowledged` (which echoes the honored
 * `resourceSubscriptions`), the three `list_changed` notifications, `notifications/resources/updated` (for a
 * subscribed URI or a sub-resource of it) and, when the server closes it, the `subscriptions/listen` result.
 * The spec says a principal may only hear about resources it may read: an update for another URI is dropped,
 * and the ack only confirms URIs the principal may read. Anything else that names a resource (by MCP's own
 * keys: `uri`, `*Uri`, `resource*`, …) and that Warden cannot judge fails closed: the notification is
 * dropped, or the naming fields are removed where the message must still arrive (the close result, an error,
 * a list_changed invalidation).
 *
 * The returned function fits {@link import('./sse.js').transformSseStream}'s `onMessage`.
 */

export interface ListenFilterOptions {
  /**
   * Whether the principal may read the resource at `uri`. The fetch handler asks `Pipeline.itemVisible` (the
   * `filterListItem` decision of `resources/list`, not the `beforeRequest` hooks). A throw fails closed.
   */
  mayRead: (uri: string) => Promise<boolean>;
}

/** The message to forward, or `undefined` to drop it. */
export type ListenMessageFilter = (message: unknown) => Promise<unknown | undefined>;

const LIST_CHANGED = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
]);
const MAX_DEPTH = 32;

export function createListenFilter(options: ListenFilterOptions): ListenMessageFilter {
  if (typeof options?.mayRead !== 'function') throw new TypeError('createListenFilter: mayRead is required');
  return (message) => filterListenMessage(message, options);
}

/** Filters one message of a listen stream (see the module comment). */
export async function filterListenMessage(
  message: unknown,
  options: ListenFilterOptions,
): Promise<unknown | undefined> {
  if (!isRecord(message)) return undefined; // batches and non-objects are not 2026-07-28 messages
  const params = isRecord(message.params) ? message.params : undefined;
  if (message.params !== undefined && params === undefined) return undefined;
  const method = message.method;
  if (method === undefined) return filterResponse(message);
  if (method === 'notifications/resources/updated') {
    if (typeof params?.uri !== 'string' || !(await options.mayRead(params.uri))) return undefined;
    return { ...message, params: { ...withoutNaming(params, 'uri'), uri: params.uri } };
  }
  if (method === 'notifications/subscriptions/acknowledged') {
    return { ...message, params: await filterAck(params ?? {}, options) };
  }
  if (typeof method === 'string' && LIST_CHANGED.has(method)) {
    // The invalidation must arrive; whatever it says about particular resources must not.
    return namesResource(message) ? withoutNaming(message) : message;
  }
  return namesResource(message) ? undefined : message;
}

/** The ack with only the URIs the principal may read in `resourceSubscriptions`. */
async function filterAck(params: Record<string, unknown>, options: ListenFilterOptions) {
  const out = withoutNaming(params, 'notifications');
  const filter = params.notifications;
  if (!isRecord(filter)) return out;
  const honored = withoutNaming(filter, 'resourceSubscriptions');
  const uris = filter.resourceSubscriptions;
  if (Array.isArray(uris)) {
    const readable: string[] = [];
    for (const uri of uris) if (typeof uri === 'string' && (await options.mayRead(uri))) readable.push(uri);
    if (readable.length > 0) honored.resourceSubscriptions = readable;
  }
  out.notifications = honored;
  return out;
}

/** The close result (or an error) with nothing that names a resource: it still has to reach the client. */
function filterResponse(message: Record<string, unknown>): Record<string, unknown> {
  return withoutNaming(message);
}

/** A copy of `record` without `skip` and without any property, at any depth, whose key names a resource. */
function withoutNaming(record: Record<string, unknown>, skip?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === skip || namesByKey(key, value)) continue;
    const stripped = strip(value, 1);
    if (stripped !== DROP) out[key] = stripped;
  }
  return out;
}

const DROP: unique symbol = Symbol('drop');

function strip(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return DROP;
  if (Array.isArray(value)) return value.map((v) => strip(v, depth + 1)).filter((v) => v !== DROP);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (namesByKey(key, v)) continue;
    const stripped = strip(v, depth + 1);
    if (stripped !== DROP) out[key] = stripped;
  }
  return out;
}

/** Whether a value has a property, at any depth, whose key names a resource. Past the depth bound: yes. */
function namesResource(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > MAX_DEPTH) return true;
  if (Array.isArray(value)) return value.some((v) => namesResource(v, depth + 1));
  return Object.entries(value).some(([key, v]) => namesByKey(key, v) || namesResource(v, depth + 1));
}

/**
 * A property names a resource when its key is a resource key and its value could hold a URI (a string, an
 * object or an array). A flag or a number (`resourcesListChanged: true`) names none.
 */
function namesByKey(key: string, value: unknown): boolean {
  return isResourceKey(key) && value !== null && (typeof value === 'string' || typeof value === 'object');
}

/** `uri`, `uris`, `targetUri`, `resource`, `resourceSubscriptions`, `resourceTemplates`, … (any case). */
function isResourceKey(key: string): boolean {
  const k = key.toLowerCase();
  return k.endsWith('uri') || k.endsWith('uris') || k.startsWith('resource') || k === 'uritemplate';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
