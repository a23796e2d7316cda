/**
 * The hostile state-file suite on the GCS emulator, with 1 MiB state files (the emulator stores
 * uploads slowly; the shapes' time does not depend on the store).
 */
import { randomBytes } from 'node:crypto';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { ensureGcsBucket, gcsFactory } from '@ckptkit/gcs';
import { localFactory } from '@ckptkit/local';
import { gcsServer, serverSuite } from '../helpers/servers.js';
import { gcsOptions } from '../helpers/stores.js';
import { defineHostileStateSuite } from './hostile-state.js';

serverSuite('hostile state files: gcs', gcsServer(), (server) => {
  const bucket = `ckptkit-hostile-${randomBytes(5).toString('hex')}`;
  defineHostileStateSuite({
    name: `gcs emulator ${server.endpoint}`,
    kind: 'object',
    scheme: 'gs',
    size: 1024 * 1024,
    async setup() {
      await ensureGcsBucket(bucket, gcsOptions(server));
      const gfile = createGFile({ registry: createRegistry().register('gs', () => gcsFactory(gcsOptions(server))).register('file', () => localFactory()) });
      return { gfile, root: `gs://${bucket}/run`, cleanup: async () => gfile.close() };
    },
  });
});
