import type { RequestContext } from '@mcp-warden/core';
import { fingerprintTool } from './canonical.js';
import { DefinitionNotPinnableError } from './errors.js';
import { findShadowedTools, ShadowIndex } from './shadowing.js';
import type { Observation, ObservedDefinition, PinStore } from './store.js';

/** The verdict on one entry of a `tools/list` result. */
export interface ListVerdict {
  readonly visible: boolean;
}

export interface ListCheckOptions {
  readonly store: PinStore;
  readonly upstream: string;
  /** Trust on first use applies to this list (decided by the caller). */
  readonly trust: boolean;
  readonly detectShadowing: boolean;
}

function isNamedTool(value: unknown): value is Record<string, unknown> & { name: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { name?: unknown }).name === 'string'
  );
}

/**
 * Checks every tool of one list against the pins: records what is new or changed, pins on first use, flags
 * shadowing, and records one event per definition that became held. Returns a verdict per definition object
 * (the same objects `filterListItem` is later given).
 */
export function checkToolList(
  tools: readonly unknown[],
  ctx: RequestContext,
  options: ListCheckOptions,
): Map<object, ListVerdict> {
  const { store, upstream } = options;
  const verdicts = new Map<object, ListVerdict>();
  const named = tools.filter(isNamedTool);
  const counts = new Map<string, number>();
  for (const tool of named) counts.set(tool.name, (counts.get(tool.name) ?? 0) + 1);

  const index = options.detectShadowing
    ? new ShadowIndex(store.otherTools(upstream), [...counts.keys(), ...store.toolNames(upstream)])
    : undefined;
  const observed: Array<{ definition: object } & ObservedDefinition> = [];
  for (const definition of named) {
    // Two entries with one name: the client cannot tell which it calls, so neither is shown.
    if (counts.get(definition.name)! > 1) {
      verdicts.set(definition, { visible: false });
      continue;
    }
    try {
      const fingerprint = fingerprintTool(definition);
      const shadows = index ? findShadowedTools(definition, index) : [];
      observed.push({ definition, tool: definition.name, fingerprint, shadows });
    } catch (error) {
      if (!(error instanceof DefinitionNotPinnableError)) throw error;
      verdicts.set(definition, { visible: false });
      ctx.emit(heldEvent(ctx, upstream, definition.name, 'not pinnable', { problem: error.message }));
    }
  }
  const duplicates = [...counts].filter(([, n]) => n > 1).map(([name]) => name);
  if (duplicates.length > 0) {
    ctx.emit(
      heldEvent(ctx, upstream, duplicates[0]!, 'listed more than once', { tools: duplicates.slice(0, 50) }),
    );
  }

  const results = store.observe(upstream, observed, options.trust);
  let pinnedNow = 0;
  results.forEach((result, i) => {
    const entry = observed[i]!;
    verdicts.set(entry.definition, { visible: result.status === 'approved' });
    if (result.pinnedOnFirstUse) pinnedNow++;
    if (result.newlyPending) recordHeld(ctx, upstream, result);
  });
  if (pinnedNow > 0) {
    ctx.emit({
      type: 'tool.pinned',
      outcome: 'info',
      reason: `trust on first use: ${pinnedNow} tool definitions of upstream "${upstream}" pinned as approved`,
      details: { upstream, tools: pinnedNow, trustOnFirstUse: true },
    });
  }
  return verdicts;
}

function recordHeld(ctx: RequestContext, upstream: string, result: Observation): void {
  const hashes = { approvedHash: result.approvedHash, newHash: result.hash };
  ctx.emit(heldEvent(ctx, upstream, result.tool, result.reason ?? 'changed', hashes));
  if (result.shadows.length > 0) {
    ctx.emit({
      type: 'tool.shadowing',
      outcome: ctx.mode === 'audit' ? 'audited' : 'denied',
      severity: 'warn',
      target: result.tool,
      reason: `the definition of "${result.tool}" names tools of other upstreams`,
      details: { upstream, tool: result.tool, shadows: result.shadows.slice(0, 20), ...hashes },
    });
  }
}

function heldEvent(
  ctx: RequestContext,
  upstream: string,
  tool: string,
  why: string,
  details: Record<string, unknown>,
) {
  return {
    type: 'tool.held',
    outcome: ctx.mode === 'audit' ? ('audited' as const) : ('denied' as const),
    severity: 'warn' as const,
    target: tool,
    reason: `tool "${tool}" of upstream "${upstream}" held (${why}) until an operator approves it`,
    details: { upstream, tool, ...details },
  };
}
