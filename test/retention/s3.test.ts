/** The prune suite on Ceph RGW: DeleteObjects batches, conditional rewrites of the state file. A new bucket per run, deleted after. */
import { randomBytes } from 'node:crypto';
import { createBucket } from '@ckptkit/s3';
import { s3Server, serverSuite } from '../helpers/servers.js';
import { s3Options, storesGFile } from '../helpers/stores.js';
import { definePruneSuite } from './suite.js';
import { dropS3Bucket } from '../helpers/buckets.js';

serverSuite('prune: s3', s3Server(), (server) => {
  const options = s3Options(server);
  const bucket = `ckpt-prune-${randomBytes(4).toString('hex')}`;
  definePruneSuite({
    name: 's3 (Ceph RGW)',
    deleteBatch: 1000,
    conditionalState: true,
    async setup() {
      await createBucket(bucket, options);
      const gfile = storesGFile({ s3: server });
      const root = `s3://${bucket}/runs`;
      return {
        gfile,
        root,
        cleanup: async () => {
          if (await gfile.exists(root)) await gfile.removeTree(root);
          await dropS3Bucket(bucket, options);
          await gfile.close();
        },
      };
    },
  });
});
