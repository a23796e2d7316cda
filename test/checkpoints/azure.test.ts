/**
 * The checkpoint suite on Azurite (Azure Blob Storage's official emulator), which test/run.mjs
 * starts. One new container per run, deleted afterwards. Absolute paths in state files point at a
 * local temporary directory, as they would for TensorFlow on the machine reading the container.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { azureFactory, deleteAzureContainer, ensureAzureContainer, type AzureAdapterOptions } from '@ckptkit/azure';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { azureServer, serverSuite } from '../helpers/servers.js';
import { defineCheckpointSuite } from './suite.js';

serverSuite('checkpoints: azure (Azurite)', azureServer(), (server) => {
  const options: AzureAdapterOptions = { connectionString: server.connectionString, env: {} };
  const container = `ckpt-checkpoints-${randomBytes(4).toString('hex')}`;
  defineCheckpointSuite({
    name: 'azure (Azurite)',
    // Azurite slows down badly once it has held tens of thousands of blobs (decision 0018): 2,600
    // checkpoints (5,201 blobs) still take two pages of 5,000.
    budgetCheckpoints: 2_600,
    budgetTimeout: 600_000,
    listPageSize: 5000,
    async setup() {
      await ensureAzureContainer(container, options);
      const gfile = createGFile({ registry: createRegistry().register('az', () => azureFactory(options)).register('file', () => localFactory()), concurrency: 64 });
      const localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-ckpt-abs-'));
      const root = `az://${container}/run-${randomBytes(6).toString('hex')}`;
      return {
        gfile,
        root,
        localDir,
        cleanup: async () => {
          // One request: Azure removes the container's blobs itself.
          await deleteAzureContainer(container, options);
          await gfile.close();
          await fs.rm(localDir, { recursive: true, force: true });
        },
      };
    },
  });
});
