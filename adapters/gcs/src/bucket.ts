import { CkptError, throwIfAborted } from '@ckptkit/gfile';
import { mapGcsError } from './map-error.js';
import { createStorageClient, resolveGcsOptions, type GcsAdapterOptions } from './options.js';

/** What {@link ensureGcsBucket} found: a new bucket, one the caller already owns, or a server that makes buckets on first write. */
export type EnsureBucketResult = 'created' | 'exists' | 'implicit';

/**
 * Creates a bucket unless the caller already owns it (tests, `ckpt` setup scripts). Needs a project.
 * - 409 "you already own this bucket" is `exists`; a 409 for a name someone else owns is ALREADY_EXISTS.
 * - 501 is `implicit`: the firebase storage emulator does not implement bucket creation; buckets
 *   appear there on the first upload.
 */
export async function ensureGcsBucket(bucket: string, options: GcsAdapterOptions & { signal?: AbortSignal | undefined } = {}): Promise<EnsureBucketResult> {
  const uri = `gs://${bucket}`;
  throwIfAborted(options.signal, 'createBucket', uri);
  const resolved = resolveGcsOptions(options);
  if (!options.storage && !resolved.projectId) {
    throw new CkptError('INVALID_CONFIG', { operation: 'createBucket', uri, message: 'creating a bucket needs a project: set projectId or GOOGLE_CLOUD_PROJECT' });
  }
  const storage = options.storage ?? createStorageClient(options, resolved);
  try {
    await storage.createBucket(bucket);
    return 'created';
  } catch (error) {
    const mapped = mapGcsError(error, 'createBucket', uri);
    if (mapped.code === 'ALREADY_EXISTS' && /already own/i.test(String((error as Error)?.message))) return 'exists';
    if (mapped.code === 'NOT_SUPPORTED') return 'implicit';
    throw mapped;
  }
}
