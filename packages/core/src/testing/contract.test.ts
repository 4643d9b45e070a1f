import { AccessDeniedError, ConfigError } from '../errors.js';
import type { PluginMode, WardenPlugin } from '../plugin.js';
import { runPluginContractTests } from './contract.js';

/** A minimal plugin, to prove the contract suite itself. */
function denyAdmin(options: { mode?: PluginMode; tool?: unknown } = {}): WardenPlugin {
  if (options.tool !== undefined && typeof options.tool !== 'string')
    throw new ConfigError('deny-admin: "tool" must be a string.');
  const tool = (options.tool as string | undefined) ?? 'contract_admin';
  return {
    specVersion: 1,
    name: 'deny-admin',
    mode: options.mode ?? 'enforce',
    beforeRequest(ctx) {
      if (ctx.target?.type === 'tool' && ctx.target.name === tool) {
        throw new AccessDeniedError({
          message: `Access denied: tools:call ${tool}.`,
          reason: 'secret-rule-42',
        });
      }
    },
  };
}

runPluginContractTests({
  name: 'deny-admin',
  create: (mode) => denyAdmin({ mode }),
  invalidOptions: [() => denyAdmin({ tool: 42 })],
  refusal: { kind: 'request', method: 'tools/call', params: { name: 'contract_admin', arguments: {} } },
  secrets: ['secret-rule-43'],
});

/** A plugin with every response-direction hook, so the suite's checks of those hooks run too. */
function hideAdmin(options: { mode?: PluginMode } = {}): WardenPlugin {
  return {
    specVersion: 1,
    name: 'hide-admin',
    mode: options.mode ?? 'enforce',
    beforeRequest(ctx) {
      if (ctx.target?.type === 'tool' && ctx.target.name === 'contract_admin')
        throw new AccessDeniedError({ message: 'Access denied.', reason: 'rule 44' });
    },
    afterResponse: (ctx) => (ctx.method === 'tools/list' ? { result: { ...ctx.result } } : undefined),
    // Hides the admin tool from the tool list only (the list context says which list an entry is on).
    filterListItem: (item, _ctx, list) =>
      !(list.method === 'tools/list' && item.type === 'tool' && item.name === 'contract_admin'),
    onServerMessage: () => undefined,
  };
}

runPluginContractTests({
  name: 'hide-admin',
  create: (mode) => hideAdmin({ mode }),
  refusal: { kind: 'request', method: 'tools/call', params: { name: 'contract_admin', arguments: {} } },
});
