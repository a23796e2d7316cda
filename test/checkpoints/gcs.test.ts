/**
 * The checkpoint suite on Google's Cloud Storage emulator (firebase-tools), which test/run.mjs
 * starts. A fresh random bucket per run (the emulator creates buckets on first upload).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { ensureGcsBucket, gcsFactory, type GcsAdapterOptions } from '@ckptkit/gcs';
import { localFactory } from '@ckptkit/local';
import { gcsServer, serverSuite } from '../helpers/servers.js';
import { defineCheckpointSuite } from './suite.js';

serverSuite('checkpoints: gcs (storage emulator)', gcsServer(), (server) => {
  const options: GcsAdapterOptions = { apiEndpoint: server.endpoint, projectId: server.projectId, env: {} };
  const bucket = `ckptkit-ckpt-${randomBytes(5).toString('hex')}`;
  defineCheckpointSuite({
    name: `gcs emulator ${server.endpoint}`,
    // The emulator stores uploads slowly (about 40 a second here, with RGW running beside it): the
    // budget directory is smaller than on S3. Requests with a state file do not depend on its size.
    budgetCheckpoints: 2_000,
    budgetTimeout: 600_000,
    async setup() {
      await ensureGcsBucket(bucket, options);
      const gfile = createGFile({ registry: createRegistry().register('gs', () => gcsFactory(options)).register('file', () => localFactory()), concurrency: 64 });
      const localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-ckpt-abs-'));
      const root = `gs://${bucket}/checkpoints-${randomBytes(4).toString('hex')}`;
      return {
        gfile,
        root,
        localDir,
        cleanup: async () => {
          // No removeTree: the emulator has no batch delete (one request per object) and test/run.mjs
          // discards its data when it stops it; the bucket name is random.
          await gfile.close();
          await fs.rm(localDir, { recursive: true, force: true });
        },
      };
    },
  });
});
