/**
 * Hostile object names on the real servers (Ceph RGW, the GCS emulator): keys with `..`, `//`,
 * backslashes, control characters and 1,000 bytes, written straight through the adapters (the
 * servers store them verbatim). Listings, find, latest and stat give them back exactly; a copy
 * whose files would land outside the destination writes nothing at all; nothing prints a raw
 * control character.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyCheckpoint, findCheckpoints, resolveLatestCheckpoint } from '@ckptkit/core';
import { createGcsAdapter, gcsFactory } from '@ckptkit/gcs';
import { createGFile, createRegistry, isCkptError, type GFile, type StorageAdapter } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { createBucket, createS3Adapter, s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import { json } from '../checkpoints/bytes.js';
import { runCli } from '../helpers/cli.js';
import { gcsServer, s3Server, serverSuite, type GcsTestServer, type S3TestServer } from '../helpers/servers.js';
import { dropS3Bucket } from '../helpers/buckets.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

interface Target {
  scheme: 's3' | 'gs';
  bucket: string;
  adapter: StorageAdapter;
  gfile: GFile;
  cliArgs: string[];
  cliEnv: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

// With its prefix (`hostile-xxxxxxxx/run/`, 21 bytes) the key is exactly 1,000 bytes.
const LONG = `${'k'.repeat(973)}.index`;

/** Relative keys of the hostile tree (under a fresh root). */
function hostileKeys(root: string): Record<string, Uint8Array> {
  const b = (s: string | number) => (typeof s === 'number' ? new Uint8Array(s).fill(7) : new TextEncoder().encode(s));
  const hf = (dir: string, extra: Record<string, Uint8Array>) => ({
    [`${dir}/model.safetensors`]: b(100),
    [`${dir}/trainer_state.json`]: json({ global_step: Number(/\d+/.exec(dir)![0]) }),
    ...extra,
  });
  const keys: Record<string, Uint8Array> = {
    'run/ckpt-1.index': b(40),
    'run/ckpt-1.data-00000-of-00001': b(64),
    'run/../escape/ckpt-2.index': b(40),
    'run/../escape/ckpt-2.data-00000-of-00001': b(64),
    'run//double/ckpt-3.index': b(40),
    'run//double/ckpt-3.data-00000-of-00001': b(64),
    'run/back\\slash/ckpt-4.index': b(40),
    'run/back\\slash/ckpt-4.data-00000-of-00001': b(64),
    'run/ctl\u001b[2J\u009b31m/ckpt-5.index': b(40),
    'run/ctl\u001b[2J\u009b31m/ckpt-5.data-00000-of-00001': b(64),
    'run/new\nline.txt': b(1),
    [`run/${LONG}`]: b(3),
    'run/checkpoint': b('model_checkpoint_path: "../../../../etc/ckpt-1"\n'),
    // Directory checkpoints with a file that would land outside the destination of a copy.
    ...hf('hf/checkpoint-7', { 'hf/checkpoint-7/../../../../../../tmp/CKPT_PWNED_7': b('pwned') }),
    ...hf('hf/checkpoint-8', { 'hf/checkpoint-8//abs-looking': b('x') }),
    ...hf('hf/checkpoint-9', { 'hf/checkpoint-9/..\\..\\evil': b('x') }),
  };
  return Object.fromEntries(Object.entries(keys).map(([k, v]) => [`${root}/${k}`, v]));
}

function defineHostileStoreSuite(make: () => Promise<Target>): void {
  let t: Target;
  let root: string;
  let tmp: string;
  let written: string[];

  beforeAll(async () => {
    t = await make();
    root = `hostile-${randomBytes(4).toString('hex')}`;
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-hostile-store-'));
    const keys = hostileKeys(root);
    written = Object.keys(keys).sort();
    for (const [k, v] of Object.entries(keys)) await t.adapter.write(k, v);
  }, 120_000);

  afterAll(async () => {
    await t?.cleanup();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  const uri = (rel = '') => `${t.scheme}://${t.bucket}/${root}${rel === '' ? '' : `/${rel}`}`;

  it('a recursive listing gives every key back exactly, 1,000-byte key included', async () => {
    const listed: string[] = [];
    for await (const f of t.gfile.list(uri(), { recursive: true })) if (f.kind === 'file') listed.push(f.uri.slice(`${t.scheme}://${t.bucket}/`.length));
    expect(listed.sort()).toEqual(written);
    expect(Buffer.byteLength(`${root}/run/${LONG}`)).toBe(1000);
    expect((await t.gfile.stat(uri(`run/${LONG}`))).size).toBe(3);
  });

  it('find and latest terminate and name the hostile checkpoints verbatim', async () => {
    const found = await findCheckpoints(uri(), { gfile: t.gfile });
    const prefixes = found.map((f) => f.prefix);
    for (const p of ['run/ckpt-1', 'run/../escape/ckpt-2', 'run/back\\slash/ckpt-4', 'run/ctl\u001b[2J\u009b31m/ckpt-5']) expect(prefixes).toContain(uri(p));
    const latest = await resolveLatestCheckpoint(uri('run'), { gfile: t.gfile });
    // The state file names `../../../../etc/ckpt-1`: on an object store that is a key of its own
    // (verbatim), which does not exist here, so the file is stale and the directory is scanned.
    expect(latest.checkpoint).toMatchObject({ prefix: uri('run/ckpt-1'), source: 'scan' });
  });

  it('a copy of a checkpoint whose name holds `..`, `//` or a backslash lands inside the destination', async () => {
    for (const [src, name] of [['run/../escape/ckpt-2', 'ckpt-2'], ['run//double/ckpt-3', 'ckpt-3'], ['run/back\\slash/ckpt-4', 'ckpt-4']] as const) {
      const dst = await fs.mkdtemp(path.join(tmp, 'cp-'));
      const r = await copyCheckpoint(uri(src), dst, { gfile: t.gfile });
      expect(r.files.map((f) => f.dst).sort()).toEqual([`${dst}/${name}.data-00000-of-00001`, `${dst}/${name}.index`]);
      expect((await fs.readdir(dst)).sort()).toEqual([`${name}.data-00000-of-00001`, `${name}.index`]);
    }
  });

  it('a checkpoint directory holding a key that would land outside the destination is refused whole: nothing is written', async () => {
    for (const dir of ['hf/checkpoint-7', 'hf/checkpoint-8', 'hf/checkpoint-9']) {
      const dst = await fs.mkdtemp(path.join(tmp, 'cp-'));
      const error = await copyCheckpoint(uri(dir), dst, { gfile: t.gfile, allowIncomplete: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isCkptError(error, 'INVALID_PATH'), `${dir}: ${String(error)}`).toBe(true);
      expect(await fs.readdir(dst)).toEqual([]);
    }
    await expect(fs.stat('/tmp/CKPT_PWNED_7')).rejects.toMatchObject({ code: 'ENOENT' });
    // The CLI says the same with a JSON error: an unsafe key in stored data is a storage error (4),
    // never usage, which is the command line only (decision 0011).
    const dst = await fs.mkdtemp(path.join(tmp, 'cli-'));
    const r = await runCli(['cp', '--json', uri('hf/checkpoint-7'), dst, ...t.cliArgs], { env: t.cliEnv });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('INVALID_PATH');
    expect(await fs.readdir(dst)).toEqual([]);
  });

  it('ls, find and glob print no raw control character, and JSON keeps the names exactly', async () => {
    for (const args of [['ls', '-R', uri('run')], ['ls', '-l', uri('run')], ['find', uri()], ['glob', uri('run/*')], ['latest', uri('run')]]) {
      const r = await runCli([...args, ...t.cliArgs], { env: t.cliEnv });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBeLessThan(2);
      expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(RAW_CONTROL);
    }
    const r = await runCli(['ls', '-R', '--json', uri('run'), ...t.cliArgs], { env: t.cliEnv });
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    const uris = (JSON.parse(r.stdout) as Array<{ uri: string }>).map((e) => e.uri);
    expect(uris).toContain(uri('run/new\nline.txt'));
    expect(uris).toContain(uri('run/ctl\u001b[2J\u009b31m/ckpt-5.index'));
  });
}

serverSuite('hostile names: s3 (Ceph RGW)', s3Server(), (server: S3TestServer) => {
  defineHostileStoreSuite(async () => {
    const bucket = `ckpt-hostile-${randomBytes(4).toString('hex')}`;
    const options: S3AdapterOptions = { endpoint: server.endpoint, region: server.region, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } };
    await createBucket(bucket, options);
    const gfile = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)).register('file', () => localFactory()) });
    const adapter = createS3Adapter(bucket, options);
    return {
      scheme: 's3',
      bucket,
      adapter,
      gfile,
      cliArgs: ['--s3-endpoint', server.endpoint],
      cliEnv: { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region, AWS_PROFILE: '', AWS_SESSION_TOKEN: '', AWS_EC2_METADATA_DISABLED: 'true' },
      async cleanup() {
        for await (const f of gfile.list(`s3://${bucket}/`, { recursive: true })) if (f.kind === 'file') await adapter.delete(f.uri.slice(`s3://${bucket}/`.length)).catch(() => undefined);
        await dropS3Bucket(bucket, options);
        await gfile.close();
        await adapter.close?.();
      },
    };
  });
});

serverSuite('hostile names: gcs (storage emulator)', gcsServer(), (server: GcsTestServer) => {
  defineHostileStoreSuite(async () => {
    const bucket = `ckpt-hostile-${randomBytes(4).toString('hex')}`;
    const options = { apiEndpoint: server.endpoint, projectId: server.projectId, env: {} };
    const gfile = createGFile({ registry: createRegistry().register('gs', () => gcsFactory(options)).register('file', () => localFactory()) });
    const adapter = createGcsAdapter(bucket, options);
    return {
      scheme: 'gs',
      bucket,
      adapter,
      gfile,
      cliArgs: ['--gcs-endpoint', server.endpoint],
      cliEnv: { STORAGE_EMULATOR_HOST: '' },
      async cleanup() {
        for await (const f of gfile.list(`gs://${bucket}/`, { recursive: true })) if (f.kind === 'file') await adapter.delete(f.uri.slice(`gs://${bucket}/`.length)).catch(() => undefined);
        await gfile.close();
        await adapter.close?.();
      },
    };
  });
});
