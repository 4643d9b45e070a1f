import { type CompiledPattern, compilePattern } from '@mcp-warden/core';

/**
 * ACL actions. Core derives a request's action from its JSON-RPC method by replacing `/` with `:`
 * (`tools/call` → `tools:call`, `resources/templates/list` → `resources:templates:list`).
 */

/**
 * What the target of an action is: a tool/prompt `name`, a resource `uri`, a completion `ref` (a prompt name, or
 * a resource (template) URI when it starts with a scheme), or `none` (list actions).
 */
export type TargetKind = 'name' | 'uri' | 'ref' | 'none';

/** Every action a policy may name, with the kind of target it takes. */
export const ACL_ACTIONS = {
  'tools:call': 'name',
  'tools:list': 'none',
  'prompts:get': 'name',
  'prompts:list': 'none',
  'resources:read': 'uri',
  'resources:subscribe': 'uri',
  'resources:unsubscribe': 'uri',
  'resources:list': 'none',
  'resources:templates:list': 'none',
  'completion:complete': 'ref',
  'logging:setLevel': 'none',
  // MCP 2026-07-28: the change-notification stream. Which resource updates it carries follows `resources:read`
  // (core filters the stream and narrows the request); this action decides who may open one at all.
  'subscriptions:listen': 'none',
} as const satisfies Record<string, TargetKind>;

export type AclAction = keyof typeof ACL_ACTIONS;

export const KNOWN_ACTIONS = Object.keys(ACL_ACTIONS) as AclAction[];

/**
 * JSON-RPC methods the ACL never checks: the handshakes (`initialize`, and MCP 2026-07-28's `server/discover`, which
 * answers versions, capabilities and server info; core filters any item a server lists in it with
 * `filterListItem`), liveness, and notifications (which have no response). Refusing `server/discover` would turn
 * every 2026-07-28 client back to the 2025 era.
 */
export function isExemptMethod(method: string): boolean {
  return (
    method === 'initialize' ||
    method === 'server/discover' ||
    method === 'ping' ||
    method.startsWith('notifications/')
  );
}

export function targetKindOf(action: string): TargetKind {
  return (ACL_ACTIONS as Record<string, TargetKind>)[action] ?? 'none';
}

export function isKnownAction(action: string): action is AclAction {
  return Object.hasOwn(ACL_ACTIONS, action);
}

/**
 * An action pattern in a rule: a known action, `*` (every action) or `prefix:*` (`tools:*`, `resources:*`), read
 * in core's pattern language (actions have no `/`, so `*` is any run of characters).
 */
export function actionPatternMatches(pattern: string, action: string): boolean {
  return compileActionPattern(pattern).test(action);
}

/** Compiles an action pattern once (a policy keeps the result per rule). */
export function compileActionPattern(pattern: string): CompiledPattern {
  return compilePattern(pattern);
}

/** Whether the pattern is well-formed: `*`, `word:*`, or a known action. */
export function isValidActionPattern(pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith(':*'))
    return (
      /^[a-z][A-Za-z]*(:[a-z][A-Za-z]*)*:\*$/.test(pattern) &&
      KNOWN_ACTIONS.some((a) => actionPatternMatches(pattern, a))
    );
  return isKnownAction(pattern);
}

/** The closest known action to a misspelt one, for fix hints. */
export function suggestAction(input: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const action of KNOWN_ACTIONS) {
    const d = editDistance(input.toLowerCase().replaceAll('/', ':'), action.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = action;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
