import { ConfigError } from './errors.js';
import type { ServiceKey, ServiceRegistry } from './plugin.js';

/** The warden's service registry: plugins provide and find shared services (crypto sealer, limiter, …) by key. */
export class WardenServices implements ServiceRegistry {
  readonly #services = new Map<string, unknown>();

  provide<T>(key: ServiceKey<T>, value: T): void {
    if (this.#services.has(key.id)) {
      throw new ConfigError(
        `Service "${key.id}" is provided twice: register only one plugin that provides it.`,
      );
    }
    this.#services.set(key.id, value);
  }

  get<T>(key: ServiceKey<T>): T | undefined {
    return this.#services.get(key.id) as T | undefined;
  }

  require<T>(key: ServiceKey<T>): T {
    if (!this.#services.has(key.id)) {
      throw new ConfigError(
        `Service "${key.id}" is not available: register the plugin that provides it before the ones that use it.`,
      );
    }
    return this.#services.get(key.id) as T;
  }
}
