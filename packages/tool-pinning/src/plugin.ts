import {
  ConfigError,
  JSON_RPC_ERROR_CODES,
  listItemsOf,
  type RequestContext,
  type ResponseContext,
  type ServerMessageContext,
  type SessionEndContext,
  WARDEN_SPEC_VERSION,
  WardenError,
  type WardenPlugin,
} from '@mcp-warden/core';
import { PinStoreError, TOOL_PINNING_ERROR_CODES } from './errors.js';
import { checkToolList, type ListVerdict } from './list-check.js';
import { parseToolPinningOptions, type ToolPinningOptions } from './options.js';
import { isCallable, type PinRecord, PinStore } from './store.js';

/** The tool-pinning plugin: a {@link WardenPlugin} plus its store, for operator commands in the same process. */
export interface ToolPinningPlugin extends WardenPlugin {
  /** The pin store. Throws before `setup` when the plugin opens the store from `storeFile`. */
  readonly store: PinStore;
  /** The upstream name pins are kept under right now (see the `upstream` option). */
  readonly upstream: string;
}

const VERDICTS = Symbol('tool-pinning.verdicts');
const MAX_NAME_IN_MESSAGE = 200;

/** The refusal of a call to a tool that is not approved. Says only that an operator must approve it. */
export function toolHeldError(tool: string, reason: string, details: Record<string, unknown>): WardenError {
  const shown = tool.length > MAX_NAME_IN_MESSAGE ? `${tool.slice(0, MAX_NAME_IN_MESSAGE)}…` : tool;
  return new WardenError({
    code: TOOL_PINNING_ERROR_CODES.TOOL_HELD,
    message: `Tool ${JSON.stringify(shown)} is held: an operator must approve its definition before it can be called.`,
    reason,
    httpStatus: 403,
    jsonRpcCode: JSON_RPC_ERROR_CODES.ACCESS_DENIED,
    eventType: 'tool.held',
    details,
  });
}

function whyHeld(record: PinRecord | undefined): string {
  if (!record) return 'its definition was never seen in a tools/list';
  if (record.currentHash !== null && record.currentHash === record.rejectedHash) {
    return 'its definition was rejected by an operator';
  }
  if (record.approvedHash === null) return 'it is new and not approved';
  return 'its definition changed since it was approved';
}

/** Where the 2026-07-28 `server/discover` result carries the server's identity (no body `serverInfo` there). */
const DISCOVER_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';

/**
 * The name a server gives itself: `serverInfo.name` of `initialize` (2025 era) or
 * `_meta["io.modelcontextprotocol/serverInfo"].name` of `server/discover` (2026-07-28). Undefined unless it is
 * printable text of at most 200 characters.
 */
export function reportedServerName(result: Readonly<Record<string, unknown>>): string | undefined {
  const meta = result._meta;
  const info =
    result.serverInfo ??
    (typeof meta === 'object' && meta !== null
      ? (meta as Record<string, unknown>)[DISCOVER_SERVER_INFO]
      : undefined);
  if (typeof info !== 'object' || info === null) return undefined;
  const name = (info as { name?: unknown }).name;
  return typeof name === 'string' && name.length > 0 && name.length <= 200 && !/[\p{Cc}\p{Cf}]/u.test(name)
    ? name
    : undefined;
}

/**
 * Pins tool definitions against rug pulls and tool poisoning. Each tool definition of a `tools/list` result is
 * hashed (SHA-256 over its canonical name, title, description, schemas and annotations) and checked against the
 * pins in SQLite: a new or changed definition is held (hidden from lists, refused on call with `TOOL_HELD`)
 * until an operator approves it with {@link PinStore.approve}. A definition that names another upstream's tool
 * is flagged as shadowing and held too.
 *
 * @example
 * const pinning = toolPinning({ storeFile: './data/tool-pins.db', upstream: 'files' });
 * const warden = await createWarden({ plugins: [apiKeyAuth({ store }), pinning] });
 * // later, as the operator:
 * for (const p of pinning.store.pending()) console.log(pinning.store.diff(p.upstream, p.tool));
 */
export function toolPinning(options: ToolPinningOptions): ToolPinningPlugin {
  const config = parseToolPinningOptions(options);
  const ownsStore = config.store === undefined;
  let store = config.store;
  let learned: string | undefined;
  // Upstreams whose trust-on-first-use list is being paged through (a cursor continues it).
  const firstUsePaging = new Set<string>();
  // Connections whose server said its tools changed (notifications/tools/list_changed) since their last full
  // tools/list: their calls wait for that list to be checked. By upstream and session (a stdio upstream runs one
  // process per session; a stateless one is one server for all), and dropped when the session ends.
  const changed = new Set<string>();
  const changedKey = (upstream: string, sessionId: string | undefined) =>
    `${upstream}\u0000${sessionId ?? ''}`;

  const requireStore = (): PinStore => {
    if (!store) throw new ConfigError('tool-pinning: the pin store is opened at setup; setup has not run');
    return store;
  };
  const currentUpstream = (): string => config.upstream ?? learned ?? 'default';
  /** A gateway names the upstream of each request (`ctx.upstream`, its configured name): that name wins. */
  const upstreamOf = (ctx: RequestContext): string => ctx.upstream ?? currentUpstream();

  const learnUpstream = (ctx: ResponseContext): void => {
    const name = reportedServerName(ctx.result);
    if (config.upstream !== undefined || name === undefined) return;
    if (learned === undefined) {
      learned = name;
      return;
    }
    if (name !== learned) {
      // Pins stay under the first name: a server renaming itself must not start over on trust.
      ctx.emit({
        type: 'tool.upstream_changed',
        outcome: 'info',
        severity: 'warn',
        reason: `the server now calls itself "${name}"; pins stay under "${learned}"`,
        details: { upstream: learned, reported: name },
      });
    }
  };

  /** Trust on first use: an upstream with no pins; for a learned name, only while the whole store is empty. */
  const trustsList = (ctx: ResponseContext, upstream: string): boolean => {
    if (!config.trustOnFirstUse) return false;
    const s = requireStore();
    const paging = ctx.params.cursor !== undefined && firstUsePaging.has(upstream);
    const named = config.upstream !== undefined || ctx.upstream !== undefined;
    const trust = paging || (!s.hasPins(upstream) && (named || !s.hasPins()));
    if (trust && typeof ctx.result.nextCursor === 'string') firstUsePaging.add(upstream);
    else firstUsePaging.delete(upstream);
    return trust;
  };

  const plugin: WardenPlugin = {
    specVersion: WARDEN_SPEC_VERSION,
    name: config.name,
    // Authorize: a call to a held tool is refused as held before validation or sanitizing look at it. Lists
    // are checked after sanitize (which runs first on the way back), so a pin covers what the client receives.
    stage: 'authorize',
    mode: config.mode,

    setup() {
      if (store) return;
      try {
        store = new PinStore({ path: config.storeFile! });
      } catch (error) {
        if (error instanceof PinStoreError) {
          throw new ConfigError(`tool-pinning: ${error.message}`, { cause: error });
        }
        throw error;
      }
    },

    close() {
      if (ownsStore) store?.close();
    },

    beforeRequest(ctx: RequestContext) {
      if (ctx.method !== 'tools/call' || ctx.target?.type !== 'tool') return;
      const upstream = upstreamOf(ctx);
      if (changed.has(changedKey(upstream, ctx.sessionId)) || changed.has(changedKey(upstream, undefined)))
        throw toolHeldError(
          ctx.target.name,
          `upstream "${upstream}" changed its tools (tools/list_changed) and has not been listed since: the new definitions are not checked yet`,
          { upstream, tool: ctx.target.name, listChanged: true },
        );
      const record = requireStore().get(upstream, ctx.target.name);
      if (isCallable(record)) return;
      throw toolHeldError(
        ctx.target.name,
        `tool "${ctx.target.name}" of upstream "${upstream}" is held: ${whyHeld(record)}`,
        {
          upstream,
          tool: ctx.target.name,
          approvedHash: record?.approvedHash ?? null,
          currentHash: record?.currentHash ?? null,
        },
      );
    },

    afterResponse(ctx: ResponseContext) {
      if (ctx.method === 'initialize' || ctx.method === 'server/discover') {
        if (ctx.upstream === undefined) learnUpstream(ctx);
        return;
      }
      const tools = ctx.method === 'tools/list' ? listItemsOf(ctx.method, ctx.result) : undefined;
      if (!tools) return;
      const upstream = upstreamOf(ctx);
      const verdicts = checkToolList(tools, ctx, {
        store: requireStore(),
        upstream,
        trust: trustsList(ctx, upstream),
        detectShadowing: config.detectShadowing,
      });
      ctx.state.set(VERDICTS, verdicts);
      // The whole list was checked (its last page): calls on this connection no longer wait, nor do those that
      // waited for a change announced without a session (it is the same server's current list).
      if (typeof ctx.result.nextCursor !== 'string') {
        changed.delete(changedKey(upstream, ctx.sessionId));
        changed.delete(changedKey(upstream, undefined));
      }
    },

    onServerMessage(ctx: ServerMessageContext) {
      if (ctx.method !== 'notifications/tools/list_changed') return;
      changed.add(changedKey(ctx.upstream ?? currentUpstream(), ctx.sessionId));
    },

    onSessionEnd(ctx: SessionEndContext) {
      changed.delete(changedKey(ctx.upstream ?? currentUpstream(), ctx.sessionId));
    },

    filterListItem(item, ctx) {
      if (item.type !== 'tool') return true;
      const verdicts = ctx.state.get(VERDICTS) as Map<object, ListVerdict> | undefined;
      // An entry this plugin did not check (the result was replaced after it) is not shown: fail closed.
      return verdicts?.get(item.definition)?.visible ?? false;
    },
  };
  // Accessors, not enumerable: a copy of the plugin (`{ ...plugin }`) must not open or read the store.
  return Object.defineProperties(plugin, {
    store: { get: requireStore, enumerable: false },
    upstream: { get: currentUpstream, enumerable: false },
  }) as ToolPinningPlugin;
}
