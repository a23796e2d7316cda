/** The hostile state-file suite on Ceph RGW: one new bucket per run. */
import { randomBytes } from 'node:crypto';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { createBucket, s3Factory } from '@ckptkit/s3';
import { s3Server, serverSuite } from '../helpers/servers.js';
import { s3Options } from '../helpers/stores.js';
import { defineHostileStateSuite } from './hostile-state.js';
import { dropS3Bucket } from '../helpers/buckets.js';

serverSuite('hostile state files: s3', s3Server(), (server) => {
  const bucket = `ckpt-hostile-${randomBytes(4).toString('hex')}`;
  defineHostileStateSuite({
    name: 's3 (Ceph RGW)',
    kind: 'object',
    scheme: 's3',
    async setup() {
      await createBucket(bucket, s3Options(server));
      const gfile = createGFile({ registry: createRegistry().register('s3', () => s3Factory(s3Options(server))).register('file', () => localFactory()) });
      const root = `s3://${bucket}/run`;
      return {
        gfile,
        root,
        cleanup: async () => {
          await gfile.removeTree(root).catch(() => undefined);
          await dropS3Bucket(bucket, s3Options(server));
          await gfile.close();
        },
      };
    },
  });
});
