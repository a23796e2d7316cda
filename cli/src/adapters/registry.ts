import { createRegistry, type AdapterRegistry } from '@ckptkit/gfile';
import type { GlobalArgs } from '../global-args.js';
import { gcsOptionsFromCli } from './gcs-options.js';

/**
 * The composition root's registry: every scheme is loaded on first use only, so a command on a
 * local path never imports a cloud SDK.
 */
export function cliRegistry(argv: GlobalArgs): AdapterRegistry {
  const registry = createRegistry();
  registry.register('file', async () => (await import('@ckptkit/local')).localFactory());
  registry.register('gs', async () => (await import('@ckptkit/gcs')).gcsFactory(gcsOptionsFromCli(argv, process.env)));
  return registry;
}
