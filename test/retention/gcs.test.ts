/** The prune suite on the GCS emulator: one delete per object at bounded concurrency, generation-matched state rewrites. */
import { randomBytes } from 'node:crypto';
import { ensureGcsBucket } from '@ckptkit/gcs';
import { gcsServer, serverSuite } from '../helpers/servers.js';
import { gcsOptions, storesGFile } from '../helpers/stores.js';
import { definePruneSuite } from './suite.js';

serverSuite('prune: gcs (storage emulator)', gcsServer(), (server) => {
  const bucket = `ckptkit-prune-${randomBytes(5).toString('hex')}`;
  definePruneSuite({
    name: `gcs emulator ${server.endpoint}`,
    deleteBatch: 1,
    // The emulator ignores ifGenerationMatch (test/atomicity/state.test.ts): the conditional race
    // is covered on memory and RGW, the GCS precondition on the wire by the adapter's nock tests.
    conditionalState: false,
    async setup() {
      await ensureGcsBucket(bucket, gcsOptions(server));
      const gfile = storesGFile({ gcs: server });
      const root = `gs://${bucket}/runs`;
      return {
        gfile,
        root,
        cleanup: async () => {
          if (await gfile.exists(root)) await gfile.removeTree(root);
          await gfile.close();
        },
      };
    },
  });
});
