import type { WardenPlugin } from '@mcp-warden/core';

/**
 * Applies a plugin's request hooks only to requests for one upstream (`ctx.upstream`); requests for the others
 * pass it by. This is how an upstream entry's own access policy (`policyFile`) runs beside the main one: both are
 * default-deny ACLs, so a request for that upstream needs both to allow it, and the entry can only narrow.
 * Only request-side plugins can be scoped: the edge (admission, authentication) does not know the upstream yet.
 */
export function forUpstream(upstream: string, plugin: WardenPlugin): WardenPlugin {
  if (plugin.admit || plugin.authenticate || plugin.challenge || (plugin.routes?.length ?? 0) > 0)
    throw new Error(
      `the "${plugin.name}" plugin has edge hooks or routes: it cannot be scoped to one upstream`,
    );
  const mine = (ctx: { readonly upstream: string | undefined }) => ctx.upstream === upstream;
  type Hook<K extends keyof WardenPlugin> = NonNullable<WardenPlugin[K]>;
  const scoped: WardenPlugin = {
    specVersion: plugin.specVersion,
    name: plugin.name,
    ...(plugin.version === undefined ? {} : { version: plugin.version }),
    ...(plugin.stage === undefined ? {} : { stage: plugin.stage }),
    ...(plugin.mode === undefined ? {} : { mode: plugin.mode }),
    ...(plugin.provides === undefined ? {} : { provides: plugin.provides }),
    ...(plugin.requires === undefined ? {} : { requires: plugin.requires }),
  };
  if (plugin.setup) scoped.setup = (ctx) => plugin.setup!(ctx);
  if (plugin.close) scoped.close = () => plugin.close!();
  if (plugin.beforeRequest) {
    const hook = plugin.beforeRequest.bind(plugin);
    scoped.beforeRequest = ((ctx) => (mine(ctx) ? hook(ctx) : undefined)) as Hook<'beforeRequest'>;
  }
  if (plugin.afterResponse) {
    const hook = plugin.afterResponse.bind(plugin);
    scoped.afterResponse = ((ctx) => (mine(ctx) ? hook(ctx) : undefined)) as Hook<'afterResponse'>;
  }
  if (plugin.filterListItem) {
    const hook = plugin.filterListItem.bind(plugin);
    scoped.filterListItem = ((item, ctx, ...rest: unknown[]) =>
      mine(ctx)
        ? (hook as (...args: unknown[]) => ReturnType<typeof hook>)(item, ctx, ...rest)
        : true) as Hook<'filterListItem'>;
  }
  if (plugin.onServerMessage) {
    const hook = plugin.onServerMessage.bind(plugin);
    scoped.onServerMessage = ((ctx) => (mine(ctx) ? hook(ctx) : undefined)) as Hook<'onServerMessage'>;
  }
  if (plugin.onSessionEnd) {
    const hook = plugin.onSessionEnd.bind(plugin);
    scoped.onSessionEnd = (ctx) => (mine(ctx) ? hook(ctx) : undefined);
  }
  if (plugin.onEvent) scoped.onEvent = plugin.onEvent.bind(plugin);
  return scoped;
}

/** Plugin names for per-upstream policies: kebab-case from the upstream name, unique among `taken`. */
export function upstreamPluginName(prefix: string, upstream: string, taken: ReadonlySet<string>): string {
  const base = `${prefix}-${upstream.replace(/_/g, '-')}`.slice(0, 56);
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}
