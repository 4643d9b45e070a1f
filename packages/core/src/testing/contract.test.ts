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
