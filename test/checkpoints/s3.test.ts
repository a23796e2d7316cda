/**
 * The checkpoint suite on a real S3 implementation: the Ceph RGW that test/run.mjs starts. One new
 * bucket per run. Absolute paths in state files point at a local temporary directory, as they
 * would for TensorFlow on the machine reading the bucket.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { createBucket, s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import { s3Server, serverSuite } from '../helpers/servers.js';
import { defineCheckpointSuite } from './suite.js';
import { dropS3Bucket } from '../helpers/buckets.js';

serverSuite('checkpoints: s3', s3Server(), (server) => {
  const options: S3AdapterOptions = {
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  };
  const bucket = `ckpt-checkpoints-${randomBytes(4).toString('hex')}`;
  defineCheckpointSuite({
    name: 's3 (Ceph RGW)',
    budgetTimeout: 600_000,
    async setup() {
      await createBucket(bucket, options);
      const gfile = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)).register('file', () => localFactory()), concurrency: 64 });
      const localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-ckpt-abs-'));
      const root = `s3://${bucket}/run-${randomBytes(6).toString('hex')}`;
      return {
        gfile,
        root,
        localDir,
        cleanup: async () => {
          if (await gfile.exists(root)) await gfile.removeTree(root);
          await dropS3Bucket(bucket, options);
          await gfile.close();
          await fs.rm(localDir, { recursive: true, force: true });
        },
      };
    },
  });
});
