/** @ckptkit/s3: the Amazon S3 (and S3-compatible: Ceph RGW, MinIO, R2) adapter for @ckptkit/gfile. */
import type { AdapterFactory } from '@ckptkit/gfile';
import { createS3Adapter } from './s3-adapter.js';
import type { S3AdapterOptions } from './options.js';

export { createS3Adapter } from './s3-adapter.js';
export { createBucket, deleteBucket } from './buckets.js';
export { createS3Client } from './options.js';
export type { S3AdapterOptions, S3StaticCredentials } from './options.js';
export { isCopySourceTooLarge, isPreconditionFailed, isRangeNotSatisfiable, isOwnBucketAlreadyThere, mapDeleteObjectsFailures, mapS3Error, s3CodeOf, s3StatusOf } from './map-error.js';
export type { DeleteObjectsFailure } from './map-error.js';

/**
 * A registry factory for `s3://` URIs: one adapter (and one connection pool) per bucket, e.g.
 * `registry.register('s3', async () => (await import('@ckptkit/s3')).s3Factory(options))`.
 */
export function s3Factory(options: S3AdapterOptions = {}): AdapterFactory {
  return (bucket: string) => createS3Adapter(bucket, options);
}
