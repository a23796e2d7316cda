/**
 * `ckpt verify --deep` of a checkpoint inside a `.tar.gz` through the built CLI, on a local disk
 * and on Ceph RGW (decision 0016, "Scans"): `--stats` counts the passes. The `.index` stored
 * before the shards: one GET whatever the shard sizes (the listing pass checks the shards as they
 * stream by). The shards before the index: one GET when the listing pass keeps them (at most
 * 4 MiB each), two otherwise (their checksums need the index's byte ranges). Damaged checkpoints
 * print what the same files print as a directory (ranged reads), byte for byte, with the same exit code.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, dataFilename } from '@ckptkit/core';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { createBucket, deleteBucket, s3Factory } from '@ckptkit/s3';
import { makeTgz } from '../helpers/archives.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { s3Server, serverSuite, type S3TestServer } from '../helpers/servers.js';
import { cliEnv, cliStoreFlags, s3Options } from '../helpers/stores.js';

const PREFIX = 'model/checkpoint/ckpt-0';
const MiB = 2 ** 20;

/** Two shards of `shardBytes` random bytes each (gzip cannot shrink them), a big and a small tensor per shard. */
async function bundle(shardBytes: number): Promise<Map<string, Buffer>> {
  const tensors = [0, 1].flatMap((i) => [
    { key: `layer_${i}/kernel`, dtype: 'DT_FLOAT', shape: [(shardBytes - 64) / 4], data: randomBytes(shardBytes - 64), shard: i },
    { key: `layer_${i}/bias`, dtype: 'DT_FLOAT', shape: [16], data: randomBytes(64), shard: i },
  ]);
  const built = await buildBundle(tensors, { numShards: 2 });
  const files = new Map<string, Buffer>([[`${PREFIX}.index`, Buffer.from(built.index)]]);
  built.shards.forEach((s, i) => files.set(dataFilename(PREFIX, i, 2), Buffer.from(s)));
  return files;
}

const DAMAGES = ['flipped', 'truncated', 'missing', 'index-corrupt'] as const;
type Damage = (typeof DAMAGES)[number];

function damaged(files: Map<string, Buffer>, damage: Damage): Map<string, Buffer> {
  const out = new Map(files);
  const shard1 = dataFilename(PREFIX, 1, 2);
  if (damage === 'flipped') {
    const b = Buffer.from(out.get(shard1)!);
    b[4321] = b[4321]! ^ 0x10;
    out.set(shard1, b);
  } else if (damage === 'truncated') out.set(shard1, out.get(shard1)!.subarray(0, out.get(shard1)!.length - 100));
  else if (damage === 'missing') out.delete(dataFilename(PREFIX, 0, 2));
  else {
    const b = Buffer.from(out.get(`${PREFIX}.index`)!);
    b[7] = b[7]! ^ 0xff;
    out.set(`${PREFIX}.index`, b);
  }
  return out;
}

/** A `.tar.gz` of the files, the index first or last (the shards last first, as GNU tar may store them). */
function tgz(files: Map<string, Buffer>, indexFirst: boolean): Buffer {
  const index = `${PREFIX}.index`;
  const shards = [...files.keys()].filter((k) => k !== index).sort().reverse();
  const names = indexFirst ? [index, ...shards] : [...shards, index];
  return makeTgz(names.filter((n) => files.has(n)).map((p) => ({ path: p, data: files.get(p)! })));
}

interface Store {
  root: string;
  put(rel: string, bytes: Uint8Array): Promise<void>;
  env: NodeJS.ProcessEnv;
  flags: string[];
}

function verifySuite(name: string, setup: () => Promise<Store>, teardown: () => Promise<void>): void {
  describe(`verify --deep inside a .tar.gz: ${name}`, () => {
    let store: Store;
    const sizes = new Map<string, number>();
    const ckpt = (cli: string[]) => runCli([...cli, ...store.flags], { env: store.env, timeoutMs: 120_000 });
    const member = (archive: string) => `tar:${store.root}/${archive}!/${PREFIX}`;
    const put = async (rel: string, bytes: Buffer) => {
      await store.put(rel, bytes);
      sizes.set(rel, bytes.length);
    };

    beforeAll(async () => {
      store = await setup();
      const large = await bundle(Math.round(4.25 * MiB));
      await put('index-first.tar.gz', tgz(large, true));
      await put('data-first.tar.gz', tgz(large, false));
      await put('small-data-first.tar.gz', tgz(await bundle(MiB), false));
      for (const d of DAMAGES) {
        const files = damaged(large, d);
        await put(`${d}.tar.gz`, tgz(files, true));
        for (const [rel, data] of files) await put(`${d}/${rel}`, data);
      }
    }, 300_000);

    afterAll(async () => {
      await teardown();
    });

    const deep = async (uri: string): Promise<CliResult & { gets: number; bytesRead: number }> => {
      const r = await ckpt(['verify', '--deep', '--stats', uri]);
      return { ...r, gets: r.stats?.requests.get ?? -1, bytesRead: r.stats?.bytesRead ?? -1 };
    };

    it('the index before the shards, shards larger than the listing pass keeps: one GET of the whole archive', async () => {
      const r = await deep(member('index-first.tar.gz'));
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toMatch(/^OK: 4 tensors/m);
      expect(r.gets).toBe(1);
      expect(r.bytesRead).toBe(sizes.get('index-first.tar.gz'));
    });

    it('the shards before the index, larger than the listing pass keeps: two GETs (the listing pass, then one over the data)', async () => {
      const r = await deep(member('data-first.tar.gz'));
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.gets).toBe(2);
    });

    it('the shards before the index, small enough for the listing pass to keep: one GET', async () => {
      const r = await deep(member('small-data-first.tar.gz'));
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.gets).toBe(1);
    });

    it.each(DAMAGES)('%s: the report and exit code of ranged reads of the same files, in one GET', async (d) => {
      const inArchive = await ckpt(['verify', '--deep', '--json', '--stats', member(`${d}.tar.gz`)]);
      const inDir = await ckpt(['verify', '--deep', '--json', `${store.root}/${d}/${PREFIX}`]);
      expect(inArchive.code, inArchive.stderr).toBe(3);
      expect(inDir.code, inDir.stderr).toBe(3);
      const normalised = (r: CliResult, base: string) => ({ stdout: r.stdout.replaceAll(base, 'BASE'), errors: r.stderr.split('\n').filter((l) => l.startsWith('{"error"')).map((l) => l.replaceAll(base, 'BASE')) });
      expect(normalised(inArchive, `tar:${store.root}/${d}.tar.gz!`)).toEqual(normalised(inDir, `${store.root}/${d}`));
      expect(inArchive.stats?.requests.get).toBe(1);
    });
  });
}

let localRoot = '';
verifySuite(
  'local disk',
  async () => {
    localRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-arch-verify-'));
    const gfile = createGFile({ registry: createRegistry().register('file', () => localFactory()) });
    return { root: localRoot, put: async (rel, bytes) => gfile.writeFile(`${localRoot}/${rel}`, bytes), env: {}, flags: [] };
  },
  async () => {
    await fs.rm(localRoot, { recursive: true, force: true });
  },
);

serverSuite('verify --deep inside a .tar.gz on s3:// (Ceph RGW)', s3Server(), (server: S3TestServer) => {
  const bucket = `ckptkit-arch-verify-${randomBytes(5).toString('hex')}`;
  let home = '';
  let seed: GFile;
  verifySuite(
    'Ceph RGW',
    async () => {
      home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-arch-verify-home-'));
      await createBucket(bucket, s3Options(server));
      seed = createGFile({ registry: createRegistry().register('s3', () => s3Factory(s3Options(server))) });
      return { root: `s3://${bucket}/m`, put: async (rel, bytes) => seed.writeFile(`s3://${bucket}/m/${rel}`, bytes), env: cliEnv(home, server), flags: cliStoreFlags({ s3: server }) };
    },
    async () => {
      await seed?.removeTree(`s3://${bucket}/m`).catch(() => undefined);
      await deleteBucket(bucket, s3Options(server));
      await seed?.close();
      await fs.rm(home, { recursive: true, force: true });
    },
  );
});
