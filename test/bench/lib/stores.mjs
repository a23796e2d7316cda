/**
 * The stores a benchmark runs against, each behind two proxies of the project's own
 * (test/proxy): the pure latency TCP proxy for timed runs, and the recording HTTP proxy (no faults
 * scheduled) behind the same delay for the one counting run of each row. Every client (ckptkit's
 * facade and adapters, the built `ckpt`, rclone, aws-cli) is pointed at one or the other.
 */
import path from 'node:path';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { gcsFactory } from '@ckptkit/gcs';
import { createBucket, createS3Adapter, s3Factory } from '@ckptkit/s3';
import { createGcsAdapter } from '@ckptkit/gcs';
import { localFactory } from '@ckptkit/local';
import { startProxy } from '../../dist/proxy/proxy.js';
import { classify } from './measure.mjs';

/**
 * One store: `kind` 's3' or 'gcs', a bucket, and for each of `timed`/`counting` an endpoint. The
 * `direct` facade talks to the server itself (seeding trees).
 */
export async function openStores(env, { latencyMs, bucket }) {
  const stores = [];
  if (env.CKPT_TEST_S3_ENDPOINT) {
    const server = env.CKPT_TEST_S3_ENDPOINT;
    const credentials = { accessKeyId: env.CKPT_TEST_S3_ACCESS_KEY, secretAccessKey: env.CKPT_TEST_S3_SECRET_KEY };
    const region = env.CKPT_TEST_S3_REGION ?? 'us-east-1';
    const options = (endpoint) => ({ endpoint, region, credentials });
    await createBucket(bucket, options(server));
    stores.push(await makeStore({ kind: 's3', name: 's3 (Ceph RGW)', scheme: 's3', bucket, server, latencyMs, credentials, region, factory: (endpoint) => s3Factory(options(endpoint)), adapter: (endpoint) => createS3Adapter(bucket, options(endpoint)) }));
  }
  if (env.CKPT_TEST_GCS_ENDPOINT) {
    const server = env.CKPT_TEST_GCS_ENDPOINT;
    const options = (endpoint) => ({ apiEndpoint: endpoint, projectId: env.CKPT_TEST_GCS_PROJECT ?? 'ckptkit-test', env: {} });
    stores.push(await makeStore({ kind: 'gcs', name: 'gcs (storage emulator)', scheme: 'gs', bucket, server, latencyMs, factory: (endpoint) => gcsFactory(options(endpoint)), adapter: (endpoint) => createGcsAdapter(bucket, options(endpoint)) }));
  }
  return stores;
}

async function makeStore(s) {
  const timedProxy = await startProxy({ target: s.server, latencyMs: s.latencyMs, faults: false });
  const countingProxy = await startProxy({ target: s.server, latencyMs: s.latencyMs, faults: true });
  const gfileAt = (endpoint, options = {}) => createGFile({ registry: createRegistry().register(s.scheme, () => s.factory(endpoint)).register('file', () => localFactory()), ...options });
  return {
    ...s,
    timed: timedProxy.url,
    counting: countingProxy.url,
    /** A URI in the benchmark bucket, and the bucket's own. */
    uri: (key) => `${s.scheme}://${s.bucket}/${key}`,
    root: `${s.scheme}://${s.bucket}`,
    /** A facade straight to the server (seeding), with `file://` for uploads. */
    direct: gfileAt(s.server, { concurrency: 64 }),
    /** A facade through the timed or counting proxy, as `ckpt` builds it (concurrency 16). */
    gfile: gfileAt,
    /** The counting proxy's log length now, and the requests logged since. */
    mark: () => countingProxy.stats.requests.length,
    since: (mark) => classify(countingProxy.stats.requests, mark),
    /** Flags that point the built `ckpt` at an endpoint. */
    cliArgs: (endpoint) => (s.kind === 's3' ? ['--s3-endpoint', endpoint, '--s3-path-style'] : ['--gcs-endpoint', endpoint]),
    cliEnv: (home) => ({
      PATH: process.env.PATH,
      HOME: home,
      ...(s.kind === 's3' ? { AWS_ACCESS_KEY_ID: s.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s.credentials.secretAccessKey, AWS_REGION: s.region } : {}),
      AWS_CONFIG_FILE: path.join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    }),
    async close() {
      await this.direct.close();
      await timedProxy.close();
      await countingProxy.close();
    },
  };
}
