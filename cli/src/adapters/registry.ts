import { createRegistry, type AdapterRegistry } from '@ckptkit/gfile';
import type { GlobalArgs } from '../global-args.js';
import { gcsOptionsFromCli } from './gcs-options.js';
import { s3OptionsFromCli } from './s3-options.js';

/**
 * The composition root's registry: every scheme is loaded on first use only, so a command on a
 * local path never imports a cloud SDK.
 */
export function cliRegistry(argv: GlobalArgs): AdapterRegistry {
  const registry = createRegistry();
  // A command runs one job at a time: writing on the event loop costs it nothing and saves CPU and
  // memory on large copies (decision 0010).
  registry.register('file', async () => (await import('@ckptkit/local')).localFactory({ writeOnEventLoop: true }));
  registry.register('s3', async () => {
    // The SDK warns on every run under Node < 22 about its own future releases; that is not the
    // user's concern here (the SDK is pinned). --verbose shows it.
    if (!argv.verbose && !process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    return (await import('@ckptkit/s3')).s3Factory(s3OptionsFromCli(argv, process.env));
  });
  registry.register('gs', async () => (await import('@ckptkit/gcs')).gcsFactory(gcsOptionsFromCli(argv, process.env)));
  return registry;
}
