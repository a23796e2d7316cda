/**
 * Removing a test's S3 bucket with everything in it. `gfile.removeTree` refuses the root of a store
 * (on purpose), and S3 refuses to delete a bucket that still holds objects or unfinished multipart
 * uploads, so a bucket emptied that way stayed behind on the shared RGW after every run.
 */
import { listEntries } from '@ckptkit/gfile';
import { createS3Adapter, deleteBucket, type S3AdapterOptions } from '@ckptkit/s3';

/**
 * Deletes every object (raw keys, 1,000 a request) and every unfinished multipart upload in
 * `bucket`, then the bucket. Missing buckets are fine; any other failure is thrown, so that a test
 * that cannot clean up says so.
 */
export async function dropS3Bucket(bucket: string, options: S3AdapterOptions): Promise<void> {
  const adapter = createS3Adapter(bucket, options);
  try {
    const keys: string[] = [];
    try {
      for await (const e of listEntries(adapter, '')) keys.push(e.key);
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_FOUND') return;
      throw error;
    }
    if (keys.length > 0) await adapter.deleteMany!(keys);
    for (const w of (await adapter.unfinishedWrites?.('')) ?? []) await adapter.abandonWrite!(w.key, w.id);
    await deleteBucket(bucket, options);
  } finally {
    await adapter.close?.();
  }
}
