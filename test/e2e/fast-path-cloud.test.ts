/**
 * The cloud start-up fast path: plain `ckpt latest|find|cp` naming an s3:// or gs:// URI runs from
 * the one-file bundle dist/fast-cloud.bundle.cjs (bin/ckpt.cjs), without yargs and without loading
 * the SDKs module by module. Whatever path runs it, the answer must be the same: every command line
 * here is run through the launcher and through the ES module entry dist/bin.js, which leaves cloud
 * URIs to yargs, and stdout, stderr and the exit code must match byte for byte.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { createBucket, s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import { bundleCurrent, ESM_ENTRY, LAUNCHER, runScript as run, sameBothWays, tracedLauncher, writeFastPathTree } from '../helpers/fast-path.js';
import { s3Server, serverSuite } from '../helpers/servers.js';
import { dropS3Bucket } from '../helpers/buckets.js';

let scratch: string;
let baseEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-fast-cloud-'));
  // As the benchmark runs processes: no profile, no instance metadata, nothing from the login shell.
  baseEnv = {
    PATH: process.env.PATH,
    HOME: scratch,
    NO_COLOR: '1',
    AWS_CONFIG_FILE: path.join(scratch, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
});
afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

/** Runs a command line both ways and expects the same answer; returns it. */
const same = (args: string[], env: NodeJS.ProcessEnv = baseEnv) => sameBothWays(args, env);

describe('cloud fast path without a server', () => {
  it('loads nothing but the launcher and Node built-ins when the bundle is current; no yargs either way', async () => {
    const r = await tracedLauncher(['find', '--json', 's3://bucket/zoo', '--s3-endpoint', 'ftp://not-http'], baseEnv, scratch);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'INVALID_CONFIG' } });
    const loaded = r.loaded;
    if (bundleCurrent('fast-cloud')) expect(loaded.filter((u) => !u.startsWith('node:'))).toEqual([LAUNCHER]);
    else expect(loaded.some((u) => /[\\/]yargs[\\/]/.test(u))).toBe(true);
  });

  const lines = [
    ['find', '--json', 's3://bucket/zoo', '--s3-endpoint', 'ftp://not-http'],
    ['find', 's3://bucket/zoo', '--s3-endpoint', 'ftp://not-http'],
    ['find', 's3://bucket/zoo', '--s3-endpoint', 'ftp://not-http', '--max-depth', '1', '--format', 'no-such-format', '--json'],
    ['latest', 's3://bucket/run', '--s3-endpoint=ftp://x', '--tf-compat'],
    ['cp', 's3://bucket/run/ckpt-5', path.join('out', 'dir'), '--s3-endpoint', 'ftp://x', '--json'],
    ['find', 'gs://bucket/zoo', '--gcs-endpoint', 'ftp://not-http', '--json'],
    // Refused by the fast path (yargs either way): a usage error, help.
    ['find', 's3://bucket/zoo', '--no-such-flag'],
    ['find', '--help'],
  ];
  for (const args of lines) {
    it(`answers ${JSON.stringify(args)} as the yargs path does`, async () => {
      await same(args);
    });
  }
});

serverSuite('cloud fast path on s3:// (Ceph RGW)', s3Server(), (server) => {
  const bucket = `ckptkit-fast-${randomBytes(5).toString('hex')}`;
  const root = `s3://${bucket}/zoo`;
  const options: S3AdapterOptions = { endpoint: server.endpoint, region: server.region, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } };
  let seed: GFile;
  let env: NodeJS.ProcessEnv;
  const flags = () => ['--s3-endpoint', server.endpoint, '--s3-path-style'];

  beforeAll(async () => {
    env = { ...baseEnv, AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region };
    await createBucket(bucket, options);
    seed = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)), concurrency: 16 });
    await writeFastPathTree(seed, root);
  }, 120_000);

  afterAll(async () => {
    await dropS3Bucket(bucket, options);
    await seed.close();
  }, 120_000);

  it('find: JSON, JSON lines, text, filters', async () => {
    const r = await same(['find', '--json', root, ...flags()], env);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(5);
    await same(['find', root, ...flags()], env);
    await same(['find', root, '--jsonl', '--no-content-checks', '--max-depth', '1', ...flags()], env);
    await same(['find', root, '--format', 'tf2-checkpoint', '--stats', '-q', ...flags()], env);
  });

  it('find: nothing there, and a bucket that does not exist', async () => {
    expect((await same(['find', `${root}/none`, '--json', ...flags()], env)).code).not.toBe(0);
    expect((await same(['find', `s3://${bucket}-missing/x`, ...flags()], env)).code).not.toBe(0);
  });

  it('latest: robust, tf-compat, no checkpoint', async () => {
    expect((await same(['latest', `${root}/a`, '--json', ...flags()], env)).code).toBe(0);
    await same(['latest', `${root}/b/c`, ...flags()], env);
    await same(['latest', `${root}/a`, '--tf-compat', '--json', ...flags()], env);
    expect((await same(['latest', `${root}/broken`, '--json', ...flags()], env)).code).toBe(1);
  });

  it('cp: to a local directory (JSON report), then again (everything already there)', async () => {
    const fast = path.join(scratch, 'cp-fast');
    const slow = path.join(scratch, 'cp-yargs');
    const viaFast = await run(LAUNCHER, ['cp', `${root}/a/ckpt-200`, fast, '--json', ...flags()], env);
    const viaYargs = await run(ESM_ENTRY, ['cp', `${root}/a/ckpt-200`, slow, '--json', ...flags()], env);
    expect(viaFast.code).toBe(0);
    expect(viaFast.code).toBe(viaYargs.code);
    expect(viaFast.stdout.split(fast).join('DST')).toBe(viaYargs.stdout.split(slow).join('DST'));
    expect(await fs.readdir(fast)).toEqual(await fs.readdir(slow));
    // Idempotent re-run: both skip every file.
    const again = await same(['cp', `${root}/a/ckpt-200`, fast, '--json', ...flags()], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ filesCopied: 0 });
  });
});
