import { CreateBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import { isOwnBucketAlreadyThere, mapS3Error } from './map-error.js';
import { createS3Client, type S3AdapterOptions } from './options.js';

/**
 * Creates a bucket (test setups, examples). An existing bucket of yours is not an error.
 * Outside us-east-1 the bucket is created in the client's region.
 */
export async function createBucket(bucket: string, options: S3AdapterOptions = {}, signal?: AbortSignal): Promise<void> {
  const client = createS3Client(options);
  try {
    const region = await client.config.region();
    await client.send(
      new CreateBucketCommand({ Bucket: bucket, ...(region && region !== 'us-east-1' && !options.endpoint ? { CreateBucketConfiguration: { LocationConstraint: region as never } } : {}) }),
      signal ? { abortSignal: signal } : {},
    );
  } catch (error) {
    if (!isOwnBucketAlreadyThere(error)) throw mapS3Error(error, 'createBucket', `s3://${bucket}`, signal);
  } finally {
    if (!options.client) client.destroy();
  }
}

/** Deletes an empty bucket (test teardown). */
export async function deleteBucket(bucket: string, options: S3AdapterOptions = {}, signal?: AbortSignal): Promise<void> {
  const client = createS3Client(options);
  try {
    await client.send(new DeleteBucketCommand({ Bucket: bucket }), signal ? { abortSignal: signal } : {});
  } catch (error) {
    throw mapS3Error(error, 'deleteBucket', `s3://${bucket}`, signal);
  } finally {
    if (!options.client) client.destroy();
  }
}
