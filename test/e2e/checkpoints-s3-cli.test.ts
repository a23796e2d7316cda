/**
 * The acceptance on S3, through the built binary and `--stats`: `ckpt latest` with a valid
 * state file in a directory of 10,000 checkpoints on the Ceph RGW sends at most 2 requests, in both
 * modes; `ckpt find` lists it in ceil(N/1000) pages.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { createBucket, s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import { runCli } from '../helpers/cli.js';
import { s3Server, serverSuite } from '../helpers/servers.js';
import { dropS3Bucket } from '../helpers/buckets.js';

const N = 10_000;

serverSuite('ckpt latest/find on s3:// with 10,000 checkpoints (Ceph RGW)', s3Server(), (server) => {
  const bucket = `ckptkit-latest-${randomBytes(5).toString('hex')}`;
  const dir = `s3://${bucket}/run42`;
  const options: S3AdapterOptions = { endpoint: server.endpoint, region: server.region, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } };
  let seed: GFile;
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-latest-s3-home-'));
    env = {
      HOME: home,
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_REGION: server.region,
      AWS_ENDPOINT_URL_S3: server.endpoint,
      AWS_CONFIG_FILE: path.join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    await createBucket(bucket, options);
    seed = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)), concurrency: 64 });
    const keys: string[] = [];
    for (let i = 1; i <= N; i++) keys.push(`ckpt-${i}.index`, `ckpt-${i}.data-00000-of-00001`);
    for (let i = 0; i < keys.length; i += 256) await Promise.all(keys.slice(i, i + 256).map((k) => seed.writeText(`${dir}/${k}`, 'x')));
    await seed.writeText(`${dir}/checkpoint`, `model_checkpoint_path: "ckpt-${N}"\nall_model_checkpoint_paths: "ckpt-${N}"\n`);
  }, 600_000);

  afterAll(async () => {
    await seed.removeTree(dir).catch(() => undefined);
    await dropS3Bucket(bucket, options);
    await seed.close();
    await fs.rm(home, { recursive: true, force: true });
  }, 300_000);

  const total = (r: { stats?: { requests: Record<string, number> } }) => Object.values(r.stats!.requests).reduce((a, b) => a + b, 0);

  it('robust: the state file and one listing of the prefix, 2 requests', async () => {
    const r = await runCli(['latest', '--json', '--stats', '--s3-path-style', dir], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ prefix: `${dir}/ckpt-${N}`, step: N, source: 'state', complete: true });
    expect(r.stats!.requests).toMatchObject({ get: 1, list: 1 });
    expect(total(r)).toBe(2);
  });

  it('--tf-compat: the state file and one existence check, 2 requests', async () => {
    const r = await runCli(['latest', '--tf-compat', '--json', '--stats', '--s3-path-style', dir], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ prefix: `${dir}/ckpt-${N}` });
    expect(total(r)).toBeLessThanOrEqual(2);
  });

  it('find: one recursive listing (21 pages) and the one state file it lists', async () => {
    const r = await runCli(['find', '--json', '--stats', '--s3-path-style', dir], { env, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(N);
    expect(r.stats!.requests).toMatchObject({ list: Math.ceil((2 * N + 1) / 1000), get: 1, head: 0 });
  }, 120_000);
});
