/**
 * The storage conformance suite against a real S3 implementation: the Ceph RGW that test/run.mjs
 * starts (test/servers/rgw.sh). One new bucket per run, the suite in a fresh random prefix of it.
 * No nock here: nock patches node:http for the whole worker (see test/nock/ and adapters/s3/src).
 */
import { randomBytes } from 'node:crypto';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { createBucket, s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import { s3Server } from '../helpers/servers.js';
import { serverSuite } from '../helpers/servers.js';
import { defineConformanceSuite } from './suite.js';
import { dropS3Bucket } from '../helpers/buckets.js';

serverSuite('storage conformance: s3', s3Server(), (server) => {
  const options: S3AdapterOptions = {
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  };
  const bucket = `ckpt-conformance-${randomBytes(4).toString('hex')}`;
  defineConformanceSuite({
    name: 's3 (Ceph RGW)',
    async setup() {
      await createBucket(bucket, options);
      const registry = () => createRegistry().register('s3', () => s3Factory(options));
      const gfile = createGFile({ registry: registry() });
      const smallPages = createGFile({ registry: registry(), pageSize: 3 });
      const root = `s3://${bucket}/run-${randomBytes(6).toString('hex')}`;
      return {
        gfile,
        smallPages,
        root,
        cleanup: async () => {
          if (await gfile.exists(root)) await gfile.removeTree(root);
          await dropS3Bucket(bucket, options);
          await gfile.close();
          await smallPages.close();
        },
      };
    },
  });
});
