import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { definePruneSuite } from './suite.js';

definePruneSuite({
  name: 'local',
  deleteBatch: 1,
  conditionalState: false,
  async setup() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-prune-'));
    return {
      gfile: createGFile({ registry: createRegistry().register('file', () => localFactory({ fsync: false })) }),
      root: dir,
      cleanup: () => fs.rm(dir, { recursive: true, force: true }),
    };
  },
});
