import { randomBytes } from 'node:crypto';
import { clearMemoryStore, createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { defineConformanceSuite } from './suite.js';

defineConformanceSuite({
  name: 'memory',
  async setup() {
    const store = `conformance-${randomBytes(4).toString('hex')}`;
    const registry = () => createRegistry().register('file', () => localFactory());
    return {
      gfile: createGFile({ registry: registry() }),
      smallPages: createGFile({ registry: registry(), pageSize: 3 }),
      root: `memory://${store}/root`,
      cleanup: async () => clearMemoryStore(store),
    };
  },
});
