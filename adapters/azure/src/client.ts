import { AnonymousCredential, BlobServiceClient, StorageSharedKeyCredential, type StoragePipelineOptions } from '@azure/storage-blob';
import { mapAzureError } from './map-error.js';
import type { AzureTokenCredential, ResolvedAzureOptions } from './options.js';

/**
 * The pipeline every client made here uses. Retries: the SDK's own are OFF (`maxTries: 1`): the
 * facade's retry layer already retries idempotent operations, and two retrying layers would
 * multiply attempts and hide them from the request metrics. Timeouts are the adapter's (per call,
 * and per chunk for downloads), so the SDK's `tryTimeoutInMs` is left unset.
 */
export function pipelineOptions(): StoragePipelineOptions {
  return {
    retryOptions: { maxTries: 1 },
    keepAliveOptions: { enable: true },
    userAgentOptions: { userAgentPrefix: 'ckptkit' },
  };
}

/**
 * Makes the `BlobServiceClient` for resolved options: a shared key, a SAS token (appended to the
 * service URL, so every blob URL the SDK derives carries it), no credentials (`anonymous`), or an
 * Entra ID token source; `DefaultAzureCredential` is imported from `@azure/identity` only in that
 * last case, so a key, a SAS or an emulator never loads it.
 */
export async function createServiceClient(r: ResolvedAzureOptions): Promise<BlobServiceClient> {
  const pipeline = pipelineOptions();
  switch (r.auth.kind) {
    case 'sharedKey':
      return new BlobServiceClient(r.endpoint, new StorageSharedKeyCredential(r.auth.account, r.auth.accountKey), pipeline);
    case 'sas':
      return new BlobServiceClient(`${r.endpoint}?${r.auth.sasToken}`, new AnonymousCredential(), pipeline);
    case 'anonymous':
      return new BlobServiceClient(r.endpoint, new AnonymousCredential(), pipeline);
    case 'token': {
      let credential: AzureTokenCredential | undefined = r.auth.credential;
      if (credential === undefined) {
        try {
          const identity = await import('@azure/identity');
          credential = new identity.DefaultAzureCredential();
        } catch (error) {
          throw mapAzureError(error, 'configure', r.endpoint);
        }
      }
      return new BlobServiceClient(r.endpoint, // Structurally the SDK's TokenCredential (@azure/core-auth, not a dependency of ours).
        credential as unknown as AnonymousCredential, pipeline);
    }
  }
}
