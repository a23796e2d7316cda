/**
 * The acceptance for watch, on the real stores: while a writer uploads checkpoints shard by
 * shard (slowly, and once in the hostile order: index first), a watch sees each checkpoint once, in
 * step order, and never one that is half-written (each is deep-verified the moment it is yielded).
 * Library on local disk, RGW and the GCS emulator; the built `ckpt watch --exec` on local and RGW.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, dataFilename, verifyBundle, watchCheckpoints } from '@ckptkit/core';
import type { GFile } from '@ckptkit/gfile';
import { ensureGcsBucket } from '@ckptkit/gcs';
import { createBucket } from '@ckptkit/s3';
import { runCli } from '../helpers/cli.js';
import { gcsServer, s3Server, serverSuite, type GcsTestServer, type S3TestServer } from '../helpers/servers.js';
import { cliEnv, cliStoreFlags, gcsOptions, s3Options, storesGFile } from '../helpers/stores.js';
import { dropS3Bucket } from '../helpers/buckets.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SHARDS = 3;
const PAUSE_MS = 150;

/** Saves ckpt-STEP one file at a time with a pause after each; resolves when the last file is stored. */
async function slowSave(g: GFile, dir: string, step: number, indexFirst: boolean): Promise<number> {
  const tensors = Array.from({ length: SHARDS }, (_, i) => ({ key: `layer_${i}`, dtype: 'DT_UINT8', shape: [64 * 1024], data: randomBytes(64 * 1024), shard: i }));
  const built = await buildBundle(tensors, { numShards: SHARDS });
  const files: Array<[string, Uint8Array]> = built.shards.map((data, i) => [dataFilename(`ckpt-${step}`, i, SHARDS), data]);
  files.push([`ckpt-${step}.index`, built.index]);
  if (indexFirst) files.unshift(files.pop()!);
  let completeAt = 0;
  for (const [name, data] of files) {
    await g.writeFile(`${dir}/${name}`, data);
    completeAt = Date.now();
    await sleep(PAUSE_MS);
  }
  return completeAt;
}

/** Writes ckpt-2 (index first), a stray temporary, then ckpt-3 (data first); returns when each was complete. */
async function writer(g: GFile, dir: string): Promise<Map<number, number>> {
  const done = new Map<number, number>();
  await sleep(200);
  done.set(2, await slowSave(g, dir, 2, true));
  await g.writeText(`${dir}/ckpt-4.data-00000-of-00003.tempstate1234`, 'in progress');
  done.set(3, await slowSave(g, dir, 3, false));
  return done;
}

function watchSuite(name: string, servers: { s3?: S3TestServer; gcs?: GcsTestServer }, dirOf: () => string, setup: () => Promise<void>, cleanup: () => Promise<void>, cli: boolean): void {
  let g: GFile;
  let home: string;
  beforeAll(async () => {
    g = storesGFile(servers);
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-watch-home-'));
    await setup();
  }, 120_000);
  afterAll(async () => {
    await cleanup();
    await g.close();
    await fs.rm(home, { recursive: true, force: true });
  }, 120_000);

  it(`${name}: each new checkpoint once, in step order, none half-written`, async () => {
    const dir = `${dirOf()}/lib`;
    await slowSave(g, dir, 1, false);
    const writing = writer(g, dir);
    const seen: Array<{ step: number | null; ok: boolean; at: number; poll: number }> = [];
    for await (const c of watchCheckpoints(dir, { gfile: g, interval: 0.1, timeout: 1.5 })) {
      const at = Date.now();
      const report = await verifyBundle(g, c.prefix, { deep: true });
      seen.push({ step: c.step, ok: report.ok && report.tensorsChecked === SHARDS, at, poll: c.poll });
    }
    const completedAt = await writing;
    expect(seen.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(seen.every((s) => s.ok)).toBe(true);
    // Seen soon after its last file landed, never before.
    for (const s of seen.slice(1)) {
      const lag = s.at - completedAt.get(s.step!)!;
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(2_000);
    }
  }, 60_000);

  if (!cli) return;
  it(`${name}: ckpt watch --exec prints one JSON line per checkpoint and runs the command with its prefix`, async () => {
    const dir = `${dirOf()}/cli`;
    await slowSave(g, dir, 1, false);
    const log = path.join(home, `exec-${randomBytes(3).toString('hex')}.log`);
    // `--existing all`: the CLI may start after ckpt-2 is complete (the SDK takes a while to load);
    // TensorFlow's default would then start at ckpt-2, which the library test above covers.
    const watching = runCli(
      ['watch', ...cliStoreFlags(servers), dir, '--existing', 'all', '--interval', '0.1', '--timeout', '2', '--exec', `echo "$CKPT_STEP $CKPT_PREFIX $CKPT_FORMAT" >> '${log}'; echo not-json`],
      { env: cliEnv(home, servers.s3), timeoutMs: 60_000 },
    );
    await writer(g, dir);
    const r = await watching;
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { prefix: string; step: number; complete: boolean; files: string[] });
    expect(lines.map((l) => [l.step, l.prefix, l.complete])).toEqual([1, 2, 3].map((s) => [s, `${dir}/ckpt-${s}`, true]));
    expect(lines[1]!.files).toHaveLength(SHARDS + 1);
    // The command's stdout went to stderr, so stdout stayed JSON.
    expect(r.stderr).toContain('not-json');
    expect((await fs.readFile(log, 'utf8')).trim().split('\n')).toEqual([1, 2, 3].map((s) => `${s} ${dir}/ckpt-${s} tf2-checkpoint`));
  }, 60_000);
}

describe('watch on local disk', () => {
  let root: string;
  watchSuite(
    'local',
    {},
    () => root,
    async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-watch-local-'));
    },
    async () => fs.rm(root, { recursive: true, force: true }),
    true,
  );
});

const s3 = s3Server();
serverSuite('watch on s3:// (RGW)', s3, (server) => {
  const bucket = `ckpt-watch-${randomBytes(4).toString('hex')}`;
  let g: GFile;
  watchSuite(
    's3',
    { s3: server },
    () => `s3://${bucket}/run`,
    async () => {
      g = storesGFile({ s3: server });
      await createBucket(bucket, s3Options(server));
    },
    async () => {
      await g.removeTree(`s3://${bucket}/run`).catch(() => undefined);
      await dropS3Bucket(bucket, s3Options(server));
      await g.close();
    },
    true,
  );
});

const gcs = gcsServer();
serverSuite('watch on gs:// (storage emulator)', gcs, (server) => {
  const bucket = `ckpt-watch-${randomBytes(4).toString('hex')}`;
  watchSuite(
    'gcs',
    { gcs: server },
    () => `gs://${bucket}/run`,
    () => ensureGcsBucket(bucket, gcsOptions(server)).then(() => undefined),
    async () => undefined,
    false,
  );
});
