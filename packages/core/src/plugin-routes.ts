import { ConfigError } from './errors.js';
import type { PluginRoute, WardenPlugin } from './plugin.js';

/**
 * The plugins' own HTTP routes by `METHOD path`, for either edge (node:http or fetch); two plugins on one route,
 * or one on the MCP endpoint, is refused.
 */
export function collectPluginRoutes(
  plugins: readonly WardenPlugin[],
  endpoint: string,
): Map<string, PluginRoute> {
  const routes = new Map<string, PluginRoute>();
  for (const plugin of plugins) {
    for (const route of plugin.routes ?? []) {
      const key = `${route.method} ${route.path}`;
      if (routes.has(key))
        throw new ConfigError(`Two plugins serve ${key}: only one route per method and path.`);
      if (route.path === endpoint)
        throw new ConfigError(`Plugin "${plugin.name}" route ${route.path} collides with the MCP endpoint.`);
      routes.set(key, route);
    }
  }
  return routes;
}
