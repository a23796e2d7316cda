/** @ckptkit/gcs: the Google Cloud Storage adapter for @ckptkit/gfile, on @google-cloud/storage v7. */
import type { AdapterFactory } from '@ckptkit/gfile';
import type { Storage } from '@google-cloud/storage';
import { createGcsAdapter } from './gcs-adapter.js';
import { createStorageClient, resolveGcsOptions, type GcsAdapterOptions } from './options.js';

export { createGcsAdapter } from './gcs-adapter.js';
export { mapGcsError, sanitizeMessage } from './map-error.js';
export type { GcsErrorContext } from './map-error.js';
export { GOOGLE_ENDPOINT, createStorageClient, normalizeEndpoint, resolveGcsOptions } from './options.js';
export type { GcsAdapterOptions, ResolvedGcsOptions } from './options.js';
export { ensureGcsBucket } from './bucket.js';
export type { EnsureBucketResult } from './bucket.js';

/**
 * A registry factory for `gs://`: `registry.register('gs', () => gcsFactory(options))`. One
 * `Storage` client (one credential cache, one connection pool) is shared by every bucket, and made
 * on the first bucket asked for.
 */
export function gcsFactory(options: GcsAdapterOptions = {}): AdapterFactory {
  let storage: Storage | undefined = options.storage;
  return (bucket: string) => {
    storage ??= createStorageClient(options, resolveGcsOptions(options));
    return createGcsAdapter(bucket, { ...options, storage });
  };
}
