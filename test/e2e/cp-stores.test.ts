/**
 * The acceptance for `ckpt cp` on the real servers, through the built binary: a checkpoint
 * with a 20 MiB shard (a multipart upload on S3) goes local -> S3 -> GCS -> local; every byte comes
 * back and `ckpt verify --deep` passes; running each copy again sends nothing; a copy killed half
 * way and run again sends only the files it had not finished. Then the matrix of all four stores
 * (local, S3, GCS, Azure on Azurite): every ordered pair, byte-exact, and a rerun sends nothing.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyCheckpoint, writeBundle } from '@ckptkit/core';
import { deleteAzureContainer, ensureAzureContainer } from '@ckptkit/azure';
import { isCkptError, type GFile } from '@ckptkit/gfile';
import { ensureGcsBucket } from '@ckptkit/gcs';
import { createBucket } from '@ckptkit/s3';
import { CKPT_BIN, REPO, runCli } from '../helpers/cli.js';
import { azureServer, gcsServer, s3Server, serverSuite } from '../helpers/servers.js';
import { azureOptions, cliEnv, cliStoreFlags, gcsOptions, s3Options, storesGFile } from '../helpers/stores.js';
import { dropS3Bucket } from '../helpers/buckets.js';

const MiB = 1024 * 1024;
const s3 = s3Server();
const gcs = gcsServer();
const azure = azureServer();

interface CpJson {
  prefix: string;
  filesCopied: number;
  filesSkipped: number;
  bytesCopied: number;
  bytesSkipped: number;
  files: Array<{ rel: string; action: string; identicalBy?: string; how?: string }>;
  state?: { uri: string; latest: boolean };
}

serverSuite('ckpt cp local -> S3 -> GCS -> local (RGW, GCS emulator)', s3 && gcs ? { s3, gcs } : undefined, (servers) => {
  const tag = randomBytes(4).toString('hex');
  const bucket = `ckpt-cp-${tag}`;
  let tmp: string;
  let g: GFile;
  let env: NodeJS.ProcessEnv;
  const flags = cliStoreFlags(servers);
  const original = new Map<string, Buffer>();
  let totalBytes = 0;
  const cp = async (...args: string[]) => {
    const r = await runCli(['cp', '--json', '--stats', ...flags, ...args], { env, timeoutMs: 120_000 });
    expect(r.stderr.replace(/^\{"stats".*$/m, '').trim()).toBe('');
    expect(r.code).toBe(0);
    return { ...r, json: JSON.parse(r.stdout) as CpJson };
  };

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-cp-e2e-'));
    env = cliEnv(tmp, servers.s3);
    g = storesGFile(servers);
    await createBucket(bucket, s3Options(servers.s3));
    await ensureGcsBucket(bucket, gcsOptions(servers.gcs));
    // Shard 0 holds one 20 MiB tensor (S3 uploads it in parts); shards 1 and 2 small ones.
    const big = randomBytes(20 * MiB + 4321);
    await writeBundle(
      g,
      `${tmp}/src/ckpt-42`,
      [
        { key: 'encoder/embedding', dtype: 'DT_UINT8', shape: [big.length], data: big, shard: 0 },
        { key: 'encoder/bias', dtype: 'DT_FLOAT', shape: [256], data: randomBytes(1024), shard: 1 },
        { key: 'head/kernel', dtype: 'DT_FLOAT', shape: [64, 64], data: randomBytes(64 * 64 * 4), shard: 2 },
        { key: 'global_step', dtype: 'DT_INT64', shape: [], data: new Uint8Array(new BigInt64Array([42n]).buffer), shard: 2 },
      ],
      { numShards: 3 },
    );
    await fs.writeFile(`${tmp}/src/ckpt-42.meta`, randomBytes(100_000));
    for (const name of await fs.readdir(`${tmp}/src`)) {
      const b = await fs.readFile(`${tmp}/src/${name}`);
      original.set(name, b);
      totalBytes += b.length;
    }
  }, 120_000);

  afterAll(async () => {
    // The GCS emulator discards its data when test/run.mjs stops it; RGW buckets are removed.
    for (const dir of ['mirror', 'killed']) await g?.removeTree(`s3://${bucket}/${dir}`).catch(() => undefined);
    await dropS3Bucket(bucket, s3Options(servers.s3));
    await g?.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('copies local -> S3 -> GCS -> local: every byte reproduced, verify --deep passes at every stop', async () => {
    const hops = [
      [`${tmp}/src/ckpt-42`, `s3://${bucket}/mirror`],
      [`s3://${bucket}/mirror/ckpt-42`, `gs://${bucket}/mirror`],
      [`gs://${bucket}/mirror/ckpt-42`, `${tmp}/back`],
    ] as const;
    for (const [src, dst] of hops) {
      const { json, stats } = await cp(src, dst, '--update-state');
      expect(json.prefix).toBe(`${dst}/ckpt-42`);
      expect(json).toMatchObject({ filesCopied: 5, filesSkipped: 0, bytesCopied: totalBytes });
      expect(json.files.every((f) => f.how === 'streamed')).toBe(true);
      expect(json.state).toMatchObject({ uri: `${dst}/checkpoint`, latest: true });
      expect(stats!.bytesWritten).toBeGreaterThanOrEqual(totalBytes);
      const verify = await runCli(['verify', '--deep', '--json', ...flags, json.prefix], { env, timeoutMs: 120_000 });
      expect(verify.code).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, tensorsChecked: 4 });
      const latest = await runCli(['latest', '--tf-compat', '--json', ...flags, dst], { env });
      expect(JSON.parse(latest.stdout)).toEqual({ prefix: `${dst}/ckpt-42` });
    }
    const back = await fs.readdir(`${tmp}/back`);
    expect(back.sort()).toEqual([...original.keys(), 'checkpoint'].sort());
    for (const [name, bytes] of original) expect((await fs.readFile(`${tmp}/back/${name}`)).equals(bytes), name).toBe(true);
  }, 240_000);

  it('run again, each copy finds every file identical and sends nothing', async () => {
    const cases = [
      // local vs S3: MD5 (and the 20 MiB multipart ETag) computed over the local file.
      [`${tmp}/src/ckpt-42`, `s3://${bucket}/mirror`, ['md5 (computed)', 's3-etag (computed)']],
      // S3 vs GCS: MD5 where S3 has it; the multipart one: GCS's CRC-32C of the S3 source (a download).
      [`s3://${bucket}/mirror/ckpt-42`, `gs://${bucket}/mirror`, ['md5', 'crc32c (computed from the source)']],
      // GCS vs local: CRC-32C computed over the local file.
      [`gs://${bucket}/mirror/ckpt-42`, `${tmp}/back`, ['crc32c (computed)']],
    ] as const;
    for (const [src, dst, by] of cases) {
      const { json, stats } = await cp(src, dst);
      expect(json).toMatchObject({ filesCopied: 0, filesSkipped: 5, bytesSkipped: totalBytes });
      expect(new Set(json.files.map((f) => f.identicalBy))).toEqual(new Set(by));
      expect(stats!.requests.put).toBe(0);
      expect(stats!.bytesWritten).toBe(0);
    }
  }, 240_000);

  it('killed half way through, run again: finished files are not sent again, and the result is whole', async () => {
    const dst = `s3://${bucket}/killed`;
    const child = spawn(process.execPath, [CKPT_BIN, 'cp', '--verbose', '--parallel', '1', ...flags, `${tmp}/src/ckpt-42`, dst], { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const killed = new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // The first finished file (the 20 MiB shard goes first): stop the copy the hard way.
        if (/^copied /m.test(stderr)) child.kill('SIGKILL');
      });
      child.on('close', () => resolve());
    });
    await killed;
    expect(child.signalCode).toBe('SIGKILL');
    const present = (await g.listDir(dst)).map((f) => f.name);
    expect(present.length).toBeGreaterThanOrEqual(1);
    expect(present.length).toBeLessThan(5);
    // No partial file under a final name: whatever is there is whole.
    for (const name of present) expect(Buffer.from(await g.readFile(`${dst}/${name}`)).equals(original.get(name)!), name).toBe(true);
    const { json, stats } = await cp(`${tmp}/src/ckpt-42`, dst);
    expect(json.filesSkipped).toBe(present.length);
    expect(json.filesCopied).toBe(5 - present.length);
    expect(json.files.filter((f) => f.action === 'skipped').map((f) => f.rel).sort()).toEqual([...present].sort());
    const sent = json.files.filter((f) => f.action === 'copied').reduce((n, f) => n + original.get(f.rel)!.length, 0);
    expect(stats!.bytesWritten).toBe(sent);
    expect(json.bytesSkipped).toBe(totalBytes - sent);
    const verify = await runCli(['verify', '--deep', '--json', ...flags, `${dst}/ckpt-42`], { env, timeoutMs: 120_000 });
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
  }, 240_000);

  it('library: aborted after two files S3 -> GCS, the rerun sends the other three only', async () => {
    const dst = `gs://${bucket}/aborted`;
    const controller = new AbortController();
    let done = 0;
    const error = await copyCheckpoint(`s3://${bucket}/mirror/ckpt-42`, dst, {
      gfile: g,
      concurrency: 1,
      signal: controller.signal,
      onFile: () => {
        if (++done === 2) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(isCkptError(error, 'ABORTED')).toBe(true);
    const present = (await g.listDir(dst)).map((f) => f.name);
    expect(present).toHaveLength(2);
    g.metrics.reset();
    const again = await copyCheckpoint(`s3://${bucket}/mirror/ckpt-42`, dst, { gfile: g, concurrency: 1 });
    expect(again.files.filter((f) => f.action === 'skipped').map((f) => f.rel).sort()).toEqual(present.sort());
    expect(again.filesCopied).toBe(3);
    expect(g.metrics.bytesWritten).toBe(again.bytesCopied);
    expect(again.files.find((f) => f.rel.endsWith('.index'))!.action).toBe('copied');
  }, 240_000);
});

serverSuite('ckpt cp between all four stores, every direction (local, RGW, GCS emulator, Azurite)', s3 && gcs && azure ? { s3, gcs, azure } : undefined, (servers) => {
  const tag = randomBytes(4).toString('hex');
  const bucket = `ckpt-cp4-${tag}`;
  let tmp: string;
  let g: GFile;
  let env: NodeJS.ProcessEnv;
  const flags = cliStoreFlags(servers);
  const original = new Map<string, Buffer>();
  /** Where each store's copy of the checkpoint lives (seeded from local first). */
  const roots = () => ({ local: `${tmp}/stores`, s3: `s3://${bucket}/m`, gs: `gs://${bucket}/m`, az: `az://${bucket}/m` });
  type Store = 'local' | 's3' | 'gs' | 'az';
  const stores: Store[] = ['local', 's3', 'gs', 'az'];
  const cp = async (...args: string[]) => {
    const r = await runCli(['cp', '--json', '--stats', ...flags, ...args], { env, timeoutMs: 120_000 });
    expect(r.stderr.replace(/^\{"stats".*$/m, '').trim(), args.join(' ')).toBe('');
    expect(r.code, args.join(' ')).toBe(0);
    return { ...r, json: JSON.parse(r.stdout) as CpJson };
  };
  const bytesOf = async (prefixDir: string): Promise<Map<string, Buffer>> => {
    const out = new Map<string, Buffer>();
    for (const f of await g.listDir(prefixDir)) if (f.kind === 'file') out.set(f.name, Buffer.from(await g.readFile(f.uri)));
    return out;
  };

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-cp4-e2e-'));
    env = cliEnv(tmp, servers.s3, servers.azure);
    g = storesGFile(servers);
    await createBucket(bucket, s3Options(servers.s3));
    await ensureGcsBucket(bucket, gcsOptions(servers.gcs));
    await ensureAzureContainer(bucket, azureOptions(servers.azure));
    // A 9 MiB shard: over Azure's single-upload threshold (staged blocks and one commit).
    await writeBundle(
      g,
      `${tmp}/src/ckpt-7`,
      [
        { key: 'w', dtype: 'DT_UINT8', shape: [9 * MiB + 5], data: randomBytes(9 * MiB + 5), shard: 0 },
        { key: 'b', dtype: 'DT_FLOAT', shape: [300], data: randomBytes(1200), shard: 1 },
      ],
      { numShards: 2 },
    );
    for (const name of await fs.readdir(`${tmp}/src`)) original.set(name, await fs.readFile(`${tmp}/src/${name}`));
    const r = roots();
    for (const store of ['s3', 'gs', 'az'] as const) await cp(`${tmp}/src/ckpt-7`, r[store]);
    await cp(`${tmp}/src/ckpt-7`, r.local);
  }, 240_000);

  afterAll(async () => {
    await dropS3Bucket(bucket, s3Options(servers.s3));
    await deleteAzureContainer(bucket, azureOptions(servers.azure)).catch(() => undefined);
    await g?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  for (const from of stores) {
    for (const to of stores) {
      if (from === to) continue;
      it(`${from} -> ${to}: byte-exact, and run again it sends nothing`, async () => {
        const r = roots();
        const dst = to === 'local' ? `${tmp}/to-local-from-${from}` : `${r[to].replace(/\/m$/, '')}/from-${from}`;
        const first = await cp(`${r[from]}/ckpt-7`, dst);
        expect(first.json).toMatchObject({ prefix: `${dst}/ckpt-7`, filesCopied: original.size, filesSkipped: 0 });
        const got = await bytesOf(dst);
        expect([...got.keys()].sort()).toEqual([...original.keys()].sort());
        for (const [name, bytes] of original) expect(got.get(name)!.equals(bytes), `${from} -> ${to}: ${name}`).toBe(true);
        const again = await cp(`${r[from]}/ckpt-7`, dst);
        expect(again.json).toMatchObject({ filesCopied: 0, filesSkipped: original.size });
        expect(again.stats!.requests.put).toBe(0);
      }, 120_000);
    }
  }
});
