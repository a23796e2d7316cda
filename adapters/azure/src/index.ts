/** @ckptkit/azure: the Azure Blob Storage adapter for @ckptkit/gfile, on @azure/storage-blob v12. */
import { CkptError, throwIfAborted, type AdapterFactory } from '@ckptkit/gfile';
import type { BlobServiceClient } from '@azure/storage-blob';
import { checkContainer, createAzureAdapter } from './azure-adapter.js';
import { createServiceClient } from './client.js';
import { mapAzureError } from './map-error.js';
import { resolveAzureOptions, type AzureAdapterOptions, type ResolvedAzureOptions } from './options.js';

export { blocksOf, checkContainer, createAzureAdapter } from './azure-adapter.js';
export type { AzureUriStyle } from './azure-adapter.js';
export { createServiceClient, pipelineOptions } from './client.js';
export { mapAzureError, sanitizeMessage } from './map-error.js';
export type { AzureErrorContext } from './map-error.js';
export { DEV_ACCOUNT, normalizeEndpoint, parseConnectionString, resolveAzureOptions } from './options.js';
export type { AzureAdapterOptions, AzureAuth, AzureTokenCredential, ResolvedAzureOptions } from './options.js';

/** Options of {@link azureFactory}: the adapter's, plus a client to use instead of making one. */
export interface AzureFactoryOptions extends AzureAdapterOptions {
  /** A client to use for every container (tests, custom pipelines); the credential options are then ignored. */
  service?: BlobServiceClient | undefined;
}

/**
 * A registry factory for `az://<container>/<path>`: `registry.register('az', () => azureFactory(o))`.
 * Options and environment are resolved on the first container asked for (a missing account is
 * INVALID_CONFIG then, not at registration); one client (one credential, one connection pool) is
 * shared by every container.
 */
export function azureFactory(options: AzureFactoryOptions = {}): AdapterFactory {
  let shared: Promise<{ service: BlobServiceClient; cfg: ResolvedAzureOptions }> | undefined;
  return async (container: string) => {
    checkContainer(container, `az://${container}`);
    shared ??= (async () => {
      const cfg = resolveAzureOptions(options);
      return { cfg, service: options.service ?? (await createServiceClient(cfg)) };
    })();
    const { service, cfg } = await shared.catch((error: unknown) => {
      shared = undefined;
      throw error;
    });
    return createAzureAdapter(container, service, cfg);
  };
}

/** `container@account.dfs.<suffix>` of an `abfs[s]://` URL. */
const ABFS_AUTHORITY = /^([^@/]+)@([a-z0-9]{3,24})\.dfs\.([a-z0-9.-]+)$/;

/**
 * A registry factory for Hadoop's ABFS URLs, `abfs[s]://<container>@<account>.dfs.core.windows.net/<path>`
 * (register it for `abfs` and `abfss`). They name the same blobs as `az://<container>/<path>` on
 * `https://<account>.blob.<suffix>` (the Blob API reaches accounts with a hierarchical namespace
 * too); results keep the URL's own spelling. An explicit endpoint (option or connection string)
 * still wins, so an emulator can stand in for the account. Credentials are resolved as for `az://`
 * with the URL's account.
 */
export function abfsFactory(scheme: 'abfs' | 'abfss', options: AzureAdapterOptions = {}): AdapterFactory {
  const clients = new Map<string, Promise<{ service: BlobServiceClient; cfg: ResolvedAzureOptions }>>();
  return async (authority: string) => {
    const m = ABFS_AUTHORITY.exec(authority);
    if (!m) {
      throw new CkptError('INVALID_PATH', {
        operation: 'resolve',
        uri: `${scheme}://${authority}`,
        message: `${scheme}:// URLs name <container>@<account>.dfs.core.windows.net (or another cloud's dfs host)`,
      });
    }
    const [, container, account, suffix] = m as unknown as [string, string, string, string];
    checkContainer(container, `${scheme}://${authority}`);
    let pending = clients.get(account + suffix);
    if (!pending) {
      pending = (async () => {
        const env = options.env ?? process.env;
        const base = resolveAzureOptions({ ...options, account, env: { ...env, AZURE_STORAGE_ACCOUNT: account } });
        const explicitEndpoint = Boolean(options.endpoint?.trim()) || /blobendpoint=/i.test(options.connectionString ?? env.AZURE_STORAGE_CONNECTION_STRING ?? '');
        const cfg = explicitEndpoint ? base : { ...base, endpoint: `${scheme === 'abfs' ? 'http' : 'https'}://${account}.blob.${suffix}` };
        return { cfg, service: await createServiceClient(cfg) };
      })();
      clients.set(account + suffix, pending);
      pending.catch(() => clients.delete(account + suffix));
    }
    const { service, cfg } = await pending;
    return createAzureAdapter(container, service, cfg, { scheme, authority });
  };
}

/** What {@link ensureAzureContainer} found. */
export type EnsureContainerResult = 'created' | 'exists';

/** Creates a container unless it exists (tests, setup scripts). */
export async function ensureAzureContainer(container: string, options: AzureFactoryOptions & { signal?: AbortSignal | undefined } = {}): Promise<EnsureContainerResult> {
  const uri = `az://${checkContainer(container, `az://${container}`)}`;
  throwIfAborted(options.signal, 'createBucket', uri);
  const service = options.service ?? (await createServiceClient(resolveAzureOptions(options)));
  try {
    await service.getContainerClient(container).create(options.signal ? { abortSignal: options.signal } : {});
    return 'created';
  } catch (error) {
    const mapped = mapAzureError(error, 'createBucket', uri);
    if (mapped.code === 'ALREADY_EXISTS') return 'exists';
    throw mapped;
  }
}

/** Deletes a container and everything in it (one request; Azure removes the blobs in the background). */
export async function deleteAzureContainer(container: string, options: AzureFactoryOptions & { signal?: AbortSignal | undefined } = {}): Promise<void> {
  const uri = `az://${checkContainer(container, `az://${container}`)}`;
  const service = options.service ?? (await createServiceClient(resolveAzureOptions(options)));
  try {
    await service.getContainerClient(container).delete(options.signal ? { abortSignal: options.signal } : {});
  } catch (error) {
    const mapped = mapAzureError(error, 'deleteBucket', uri);
    if (mapped.code !== 'NOT_FOUND') throw mapped;
  }
}
