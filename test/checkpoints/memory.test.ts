import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clearMemoryStore, createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { defineCheckpointSuite } from './suite.js';

defineCheckpointSuite({
  name: 'memory',
  async setup() {
    const store = `ckpt-suite-${randomBytes(4).toString('hex')}`;
    const localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-ckpt-abs-'));
    return {
      gfile: createGFile({ registry: createRegistry().register('file', () => localFactory()) }),
      root: `memory://${store}/root`,
      localDir,
      cleanup: async () => {
        clearMemoryStore(store);
        await fs.rm(localDir, { recursive: true, force: true });
      },
    };
  },
});
