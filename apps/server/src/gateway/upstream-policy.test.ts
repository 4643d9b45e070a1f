import type { RequestContext, WardenPlugin } from '@mcp-warden/core';
import { describe, expect, it } from 'vitest';
import { forUpstream, upstreamPluginName } from './upstream-policy.js';

const ctxFor = (upstream: string | undefined) => ({ upstream }) as unknown as RequestContext;

describe('forUpstream', () => {
  it("runs the plugin's request hooks for its upstream only, passing every argument through", async () => {
    const seen: unknown[][] = [];
    const plugin: WardenPlugin = {
      specVersion: 1,
      name: 'deny-all',
      stage: 'authorize',
      requires: ['authentication'],
      beforeRequest: () => {
        throw new Error('refused');
      },
      filterListItem: (...args: unknown[]) => {
        seen.push(args);
        return false;
      },
    };
    const scoped = forUpstream('beta', plugin);
    expect(scoped).toMatchObject({ name: 'deny-all', stage: 'authorize', requires: ['authentication'] });
    expect(() => scoped.beforeRequest!(ctxFor('beta'))).toThrow('refused');
    expect(scoped.beforeRequest!(ctxFor('alpha'))).toBeUndefined();
    expect(scoped.beforeRequest!(ctxFor(undefined))).toBeUndefined();
    const item = { type: 'tool', name: 'echo', definition: {} } as const;
    const list = { method: 'tools/list' };
    const filter = scoped.filterListItem as (...args: unknown[]) => unknown;
    expect(await filter(item, ctxFor('alpha'), list)).toBe(true);
    expect(await filter(item, ctxFor('beta'), list)).toBe(false);
    expect(seen).toEqual([[item, ctxFor('beta'), list]]);
  });

  it('refuses a plugin with edge hooks or routes: the edge does not know the upstream yet', () => {
    const authenticator: WardenPlugin = { specVersion: 1, name: 'keys', authenticate: () => undefined };
    expect(() => forUpstream('beta', authenticator)).toThrow(/cannot be scoped/);
  });

  it('names plugins kebab-case and unique', () => {
    const taken = new Set(['acl', 'acl-a-b']);
    expect(upstreamPluginName('acl', 'a_b', taken)).toBe('acl-a-b-2');
    expect(upstreamPluginName('acl', '9lives', taken)).toBe('acl-9lives');
    expect(upstreamPluginName('acl', 'x'.repeat(63), taken)).toMatch(/^[a-z][a-z0-9-]{0,63}$/);
  });
});
