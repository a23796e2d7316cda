import { randomBytes } from 'node:crypto';
import { clearMemoryStore, createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { defineHostileStateSuite } from './hostile-state.js';

defineHostileStateSuite({
  name: 'memory',
  kind: 'object',
  scheme: 'memory',
  async setup() {
    const store = `ckpt-hostile-${randomBytes(4).toString('hex')}`;
    return {
      gfile: createGFile({ registry: createRegistry().register('file', () => localFactory()) }),
      root: `memory://${store}/root`,
      cleanup: async () => clearMemoryStore(store),
    };
  },
});
