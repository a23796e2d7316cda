import { createRegistry, type AdapterRegistry, type UnfinishedWriteListener } from '@ckptkit/gfile';
import type { GlobalArgs } from '../global-args.js';
import { processGuard } from '../process-guard.js';
import { azureOptionsFromCli } from './azure-options.js';
import { gcsOptionsFromCli } from './gcs-options.js';
import { s3OptionsFromCli } from './s3-options.js';

/**
 * The composition root's registry: every scheme is loaded on first use only, so a command on a
 * local path never imports a cloud SDK. Unfinished writes are taken care of on the way out: local
 * temporary files are deleted on any exit (process-guard.ts), and cloud uploads are recorded
 * while open (unfinished-journal.ts) so that a later run can abandon those of a killed one.
 */
export function cliRegistry(argv: GlobalArgs): AdapterRegistry {
  const registry = createRegistry();
  // A command runs one job at a time: writing on the event loop costs it nothing and saves CPU and
  // memory on large copies (decision 0010).
  registry.register('file', async () => {
    const local = await import('@ckptkit/local');
    processGuard().onExit(local.removeUnfinishedWritesSync);
    return local.localFactory({ writeOnEventLoop: true });
  });
  registry.register('s3', async () => {
    // The SDK warns on every run under Node < 22 about its own future releases; that is not the
    // user's concern here (the SDK is pinned). --verbose shows it.
    if (!argv.verbose && !process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const onUnfinishedWrite = await journalListener();
    return (await import('@ckptkit/s3')).s3Factory({ ...s3OptionsFromCli(argv, process.env), onUnfinishedWrite });
  });
  registry.register('gs', async () => {
    const onUnfinishedWrite = await journalListener();
    return (await import('@ckptkit/gcs')).gcsFactory({ ...gcsOptionsFromCli(argv, process.env), onUnfinishedWrite });
  });
  // Azure: staged blocks are invisible until their commit and expire on their own, so there is no
  // upload to record in the journal (decision 0018).
  registry.register('az', async () => (await import('@ckptkit/azure')).azureFactory(azureOptionsFromCli(argv, process.env)));
  for (const scheme of ['abfs', 'abfss'] as const) {
    registry.register(scheme, async () => (await import('@ckptkit/azure')).abfsFactory(scheme, azureOptionsFromCli(argv, process.env)));
  }
  return registry;
}

let journal: Promise<UnfinishedWriteListener> | undefined;

/** This process's record of open uploads (one per process, made on the first cloud adapter). */
function journalListener(): Promise<UnfinishedWriteListener> {
  return (journal ??= (async () => {
    const [{ createJournal }, { hostTag }] = await Promise.all([import('../unfinished-journal.js'), import('@ckptkit/local')]);
    const j = createJournal(hostTag());
    processGuard().onExit(j.close);
    return j.listener;
  })());
}
