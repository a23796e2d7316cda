import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { defineHostileStateSuite } from './hostile-state.js';

defineHostileStateSuite({
  name: 'local',
  kind: 'local',
  scheme: 'file',
  async setup() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-hostile-'));
    return {
      gfile: createGFile({ registry: createRegistry().register('file', () => localFactory({ fsync: false })) }),
      root: dir,
      cleanup: async () => fs.rm(dir, { recursive: true, force: true }),
    };
  },
});
