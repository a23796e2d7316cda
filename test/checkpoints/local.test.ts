import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { defineCheckpointSuite } from './suite.js';

defineCheckpointSuite({
  name: 'local',
  async setup() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-ckpt-'));
    const localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-ckpt-abs-'));
    return {
      // fsync off: the suite writes tens of thousands of tiny files; durability is not under test.
      gfile: createGFile({ registry: createRegistry().register('file', () => localFactory({ fsync: false })) }),
      root: dir,
      localDir,
      cleanup: async () => {
        await fs.rm(dir, { recursive: true, force: true });
        await fs.rm(localDir, { recursive: true, force: true });
      },
    };
  },
});
