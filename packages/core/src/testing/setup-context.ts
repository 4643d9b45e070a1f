import type { PluginSetupContext } from '../plugin.js';

/**
 * A `setup` context for calling a plugin's hooks directly in a unit test: no services, no other plugins, events
 * dropped. Tests that need the real wiring use `createWarden` or `connectTestClient` instead.
 */
export function pluginSetupContext(resourceUrl?: URL): PluginSetupContext {
  return {
    services: {
      provide() {},
      get: () => undefined,
      require: () => {
        throw new Error('no services in pluginSetupContext()');
      },
    },
    plugins: [],
    resourceUrl,
    emit() {},
  };
}
