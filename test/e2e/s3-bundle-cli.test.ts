/**
 * `ckpt inspect` and `ckpt verify --deep` on s3:// (the Ceph RGW that test/run.mjs starts): the
 * request counts the contract promises (index in one GET, deep verify in ranged GETs), and a
 * corrupted byte found remotely.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { dataFilename, writeBundle, type TensorToWrite } from '@ckptkit/core';
import { createBucket, s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import { runCli } from '../helpers/cli.js';
import { s3Server, serverSuite } from '../helpers/servers.js';
import { dropS3Bucket } from '../helpers/buckets.js';

serverSuite('ckpt inspect / verify on s3:// (Ceph RGW)', s3Server(), (server) => {
  const bucket = `ckptkit-bundle-${randomBytes(5).toString('hex')}`;
  const prefix = `s3://${bucket}/run/ckpt-5`;
  const options: S3AdapterOptions = { endpoint: server.endpoint, region: server.region, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } };
  let seed: GFile;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const MiB = 1024 * 1024;
  const tensors: TensorToWrite[] = [
    { key: 'big/kernel', dtype: 'DT_FLOAT', shape: [3 * 1024 * 1024], data: randomBytes(12 * MiB) },
    { key: 'small/bias', dtype: 'DT_FLOAT', shape: [4], data: randomBytes(16), shard: 1 },
    { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: ['graph'], shard: 1 },
  ];

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-s3-bundle-home-'));
    env = {
      HOME: home,
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: path.join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    await createBucket(bucket, options);
    seed = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)) });
    await writeBundle(seed, prefix, tensors, { numShards: 2 });
  });

  afterAll(async () => {
    await dropS3Bucket(bucket, options);
    await seed.close();
    await fs.rm(home, { recursive: true, force: true });
  });

  const cli = (args: string[]) => runCli([...args, '--s3-endpoint', server.endpoint, '--stats'], { env });

  it('inspect reads the index with one GET', async () => {
    const r = await cli(['inspect', '--json', prefix]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { entries: Array<{ key: string }> }).entries.map((e) => e.key)).toEqual(['_CHECKPOINTABLE_OBJECT_GRAPH', 'big/kernel', 'small/bias']);
    expect(r.stats?.requests).toMatchObject({ get: 1, head: 0, list: 0 });
  });

  it('verify --deep: one listing, one GET for the index, one streamed ranged GET per window', async () => {
    const r = await cli(['verify', '--deep', '--json', prefix]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, problems: [], tensorsChecked: 3, bytesChecked: expect.any(Number) });
    // Shard 0 (12 MiB) and shard 1 (two small tensors) are one window each.
    expect(r.stats?.requests).toMatchObject({ list: 1, get: 3, head: 0 });
  });

  it('verify --deep finds a flipped byte in a remote shard (exit 3)', async () => {
    const uri = dataFilename(prefix, 0, 2);
    const data = await seed.readFile(uri);
    data[5 * MiB] = (data[5 * MiB] as number) ^ 1;
    await seed.writeFile(uri, data);
    const r = await cli(['verify', '--deep', '--json', prefix]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).problems).toMatchObject([{ code: 'CRC_MISMATCH', key: 'big/kernel', uri }]);
  });
});
