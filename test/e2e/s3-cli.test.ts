/**
 * `ckpt` against the Ceph RGW that test/run.mjs starts, run as a new user would: the built binary
 * (`node cli/dist/bin.js`, built by `tsc -b`), the endpoint from `--s3-endpoint` or
 * `AWS_ENDPOINT_URL_S3`, credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, and nothing
 * from the machine's own AWS configuration. Data is seeded through the adapter.
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

interface Entry {
  uri: string;
  kind: string;
  size: number;
  mtime: string | null;
  etag?: string;
}

serverSuite('ckpt on s3:// (Ceph RGW)', s3Server(), (server) => {
  const bucket = `ckptkit-cli-${randomBytes(5).toString('hex')}`;
  const base = `s3://${bucket}/runs`;
  const options: S3AdapterOptions = { endpoint: server.endpoint, region: server.region, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } };
  let seed: GFile;
  let home: string;
  // A new user's environment: keys in the environment, no ~/.aws, no region, no instance metadata.
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-s3-home-'));
    env = {
      HOME: home,
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_SESSION_TOKEN: '',
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
      AWS_PROFILE: '',
      AWS_ENDPOINT_URL: '',
      AWS_ENDPOINT_URL_S3: '',
      AWS_CONFIG_FILE: path.join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '',
    };
    await createBucket(bucket, options);
    seed = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)) });
    await seed.writeText(`${base}/ckpt-1.index`, 'index');
    await seed.writeText(`${base}/ckpt-1.data-00000-of-00001`, 'data-bytes');
    await seed.writeText(`${base}/ckpt-10.index`, 'index10');
    await seed.writeText(`${base}/eval/ckpt-2.index`, 'e');
    await seed.writeText(`${base}/epoch=3-step=1000.ckpt`, 'lightning');
    await seed.makeDirs(`${base}/empty`);
  });

  afterAll(async () => {
    await dropS3Bucket(bucket, options);
    await seed.close();
    await fs.rm(home, { recursive: true, force: true });
  });

  const expected = [
    ['ckpt-1.data-00000-of-00001', 'file', 10],
    ['ckpt-1.index', 'file', 5],
    ['ckpt-10.index', 'file', 7],
    ['empty', 'directory', 0],
    ['epoch=3-step=1000.ckpt', 'file', 9],
    ['eval', 'directory', 0],
  ];

  it('ckpt ls --json s3://bucket/prefix --s3-endpoint URL lists children with kinds, sizes, mtimes and ETags', async () => {
    const r = await runCli(['ls', '--json', base, '--s3-endpoint', server.endpoint], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout) as Entry[];
    expect(entries.map((e) => [e.uri.slice(base.length + 1), e.kind, e.size])).toEqual(expected);
    expect(entries[0]!.uri).toBe(`${base}/ckpt-1.data-00000-of-00001`);
    const index = entries[1]!;
    expect(index.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(Math.abs(Date.parse(index.mtime!) - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('the endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, a trailing slash, -l, and flags before the command', async () => {
    for (const extra of [{ AWS_ENDPOINT_URL_S3: server.endpoint }, { AWS_ENDPOINT_URL: server.endpoint }]) {
      const r = await runCli(['ls', '--json', `${base}/`], { env: { ...env, ...extra } });
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as Entry[]).map((e) => e.uri.slice(base.length + 1))).toEqual(expected.map((e) => e[0]));
    }
    const long = await runCli(['--s3-endpoint', server.endpoint, '--s3-path-style', '--s3-region', 'us-east-1', 'ls', '-l', base], { env });
    expect(long.code, long.stderr).toBe(0);
    expect(long.stdout).toMatch(/^- +5 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +ckpt-1\.index$/m);
    expect(long.stdout).toMatch(/^d .* eval\/$/m);
  });

  it('--stats counts one list request for ls and one head for stat of a file', async () => {
    const ls = await runCli(['ls', '--json', '--stats', base, '--s3-endpoint', server.endpoint], { env });
    expect(ls.code).toBe(0);
    expect(ls.stats?.requests).toMatchObject({ list: 1, head: 0, get: 0 });
    const st = await runCli(['stat', '--json', '--stats', `${base}/ckpt-1.index`, '--s3-endpoint', server.endpoint], { env });
    expect(st.code, st.stderr).toBe(0);
    expect((JSON.parse(st.stdout) as Entry[])[0]).toMatchObject({ uri: `${base}/ckpt-1.index`, kind: 'file', size: 5 });
    expect(st.stats?.requests).toMatchObject({ head: 1, list: 0 });
  });

  it('glob is planned from the literal prefix and ckpt-1 is not ckpt-10', async () => {
    const r = await runCli(['glob', '--json', `${base}/ckpt-1.*`, '--s3-endpoint', server.endpoint], { env });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Entry[]).map((e) => e.uri)).toEqual([`${base}/ckpt-1.data-00000-of-00001`, `${base}/ckpt-1.index`]);
    const deep = await runCli(['glob', '--json', `s3://${bucket}/**/*.index`, '--s3-endpoint', server.endpoint], { env });
    expect((JSON.parse(deep.stdout) as Entry[]).map((e) => e.uri.slice(`s3://${bucket}/`.length))).toEqual(['runs/ckpt-1.index', 'runs/ckpt-10.index', 'runs/eval/ckpt-2.index']);
  });

  it('a missing prefix is exit 4 with a JSON NOT_FOUND on stderr', async () => {
    const r = await runCli(['ls', '--json', `${base}/nope`, '--s3-endpoint', server.endpoint], { env });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr.trim())).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), uri: `${base}/nope`, operation: 'stat' } });
  });

  it('wrong or missing credentials are UNAUTHENTICATED (exit 4), and the secret never appears', async () => {
    const secret = 'wrong-secret-for-ckpt-e2e-0123456789';
    const wrong = await runCli(['ls', '--json', base, '--s3-endpoint', server.endpoint], { env: { ...env, AWS_SECRET_ACCESS_KEY: secret } });
    expect(wrong.code).toBe(4);
    expect(JSON.parse(wrong.stderr.trim()).error.code).toBe('UNAUTHENTICATED');
    expect(wrong.stderr).not.toContain(secret);
    const none = await runCli(['ls', '--json', base, '--s3-endpoint', server.endpoint], { env: { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } });
    expect(none.code).toBe(4);
    const error = JSON.parse(none.stderr.trim()).error as { code: string; message: string };
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toMatch(/AWS_ACCESS_KEY_ID|--anonymous|anonymous/);
  });

  it('--anonymous sends unsigned requests: a private bucket is PERMISSION_DENIED (exit 4)', async () => {
    const r = await runCli(['ls', '--json', '--anonymous', base, '--s3-endpoint', server.endpoint], { env });
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stderr.trim()).error.code).toBe('PERMISSION_DENIED');
  });

  it('a malformed endpoint is a configuration error (exit 2); an endpoint nobody listens on is a storage error (exit 4)', async () => {
    const bad = await runCli(['ls', '--json', base, '--s3-endpoint', 'localhost:7480'], { env });
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stderr.trim()).error.code).toBe('INVALID_CONFIG');
    const down = await runCli(['ls', '--json', base, '--s3-endpoint', 'http://127.0.0.1:9'], { env });
    expect(down.code).toBe(4);
    expect(JSON.parse(down.stderr.trim()).error.code).toBe('UNAVAILABLE');
  });
});
