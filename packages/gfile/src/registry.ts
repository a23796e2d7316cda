import type { StorageAdapter } from './adapter.js';
import { CkptError } from './errors.js';
import { createMemoryAdapter, type MemoryAdapterOptions } from './memory-adapter.js';

/** Makes the adapter for one store (bucket, memory name, `''` for local) of a scheme. */
export type AdapterFactory = (store: string) => StorageAdapter | Promise<StorageAdapter>;

/** Loads a factory on first use, so that a scheme's SDK is imported only when a URI needs it. */
export type AdapterLoader = () => AdapterFactory | Promise<AdapterFactory>;

/**
 * Maps URI schemes to adapters. Loaders run at most once, on the first URI of their scheme; the
 * adapter of each store is made once and reused.
 */
export class AdapterRegistry {
  private readonly loaders = new Map<string, AdapterLoader>();
  private readonly factories = new Map<string, Promise<AdapterFactory>>();
  private readonly adapters = new Map<string, Promise<StorageAdapter>>();

  /** Registers (or replaces) the loader of a scheme, e.g. `register('s3', () => import(...))`. */
  register(scheme: string, loader: AdapterLoader): this {
    const s = scheme.toLowerCase();
    this.loaders.set(s, loader);
    this.factories.delete(s);
    for (const k of [...this.adapters.keys()]) if (k.startsWith(`${s}://`)) this.adapters.delete(k);
    return this;
  }

  /** The registered schemes, sorted. */
  schemes(): string[] {
    return [...this.loaders.keys()].sort();
  }

  has(scheme: string): boolean {
    return this.loaders.has(scheme.toLowerCase());
  }

  /**
   * The adapter for a store. An unknown scheme is INVALID_PATH with the known schemes listed; a
   * loader that fails (a missing optional package) is INVALID_CONFIG.
   */
  async adapterFor(scheme: string, store: string, uri: string): Promise<StorageAdapter> {
    const s = scheme.toLowerCase();
    const cacheKey = `${s}://${store}`;
    let adapter = this.adapters.get(cacheKey);
    if (!adapter) {
      const loader = this.loaders.get(s);
      if (!loader) {
        throw new CkptError('INVALID_PATH', {
          operation: 'resolve',
          uri,
          message: `unknown scheme "${s}://"; known schemes: ${this.schemes().map((k) => `${k}://`).join(', ')}`,
        });
      }
      let factory = this.factories.get(s);
      if (!factory) {
        factory = Promise.resolve()
          .then(loader)
          .catch((cause: unknown) => {
            this.factories.delete(s);
            throw new CkptError('INVALID_CONFIG', { operation: 'resolve', uri, message: `cannot load the ${s}:// adapter: ${(cause as Error)?.message ?? cause}`, cause });
          });
        this.factories.set(s, factory);
      }
      adapter = factory.then((f) => f(store));
      adapter.catch(() => this.adapters.delete(cacheKey));
      this.adapters.set(cacheKey, adapter);
    }
    return adapter;
  }
}

/** A registry that knows `memory://` (built in); add `file`, `s3`, `gs` with their packages. */
export function createRegistry(memory: MemoryAdapterOptions = {}): AdapterRegistry {
  return new AdapterRegistry().register('memory', () => (name: string) => createMemoryAdapter(name, memory));
}
