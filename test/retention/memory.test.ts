import { randomBytes } from 'node:crypto';
import { clearMemoryStore, createGFile } from '@ckptkit/gfile';
import { definePruneSuite } from './suite.js';

definePruneSuite({
  name: 'memory',
  deleteBatch: 1000,
  conditionalState: true,
  async setup() {
    const store = `prune-${randomBytes(4).toString('hex')}`;
    return { gfile: createGFile(), root: `memory://${store}/runs`, cleanup: async () => clearMemoryStore(store) };
  },
});
