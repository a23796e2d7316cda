/**
 * Archive views through the built CLI (decision 0016), on a local disk and on Ceph RGW: `find`
 * lists the checkpoints inside .tar, .tar.gz and .zip archives with member URIs; every URI it
 * prints is taken back by latest, ls, stat, glob, inspect, verify --deep and cp; `--stats` shows
 * the ranged-read bounds (zip: directory in at most 3 reads, a member in 1; tar: headers only);
 * hostile members never land outside the destination.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, dataFilename, formatCheckpointState } from '@ckptkit/core';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { gcsFactory } from '@ckptkit/gcs';
import { localFactory } from '@ckptkit/local';
import { createBucket, deleteBucket, s3Factory } from '@ckptkit/s3';
import { makeTar, makeTgz, makeZip, type TarEntry } from '../helpers/archives.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { gcsServer, s3Server, serverSuite, type GcsTestServer, type S3TestServer } from '../helpers/servers.js';
import { cliEnv, cliStoreFlags, gcsOptions, s3Options } from '../helpers/stores.js';

const MODEL = 'ssd_mobilenet_v2_320x320_coco17_tpu-8';

/** A TF2 Detection Zoo model folder: a real bundle (with a 2 MiB data shard), state file, SavedModel, config. */
async function zooModel(): Promise<{ entries: TarEntry[]; files: Map<string, Buffer> }> {
  const kernel = randomBytes(2 * 1024 * 1024);
  const built = await buildBundle([
    { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: ['graph'] },
    { key: 'model/conv1/kernel/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_FLOAT', shape: [kernel.length / 4], data: kernel },
  ]);
  const files = new Map<string, Buffer>();
  files.set(`${MODEL}/checkpoint/checkpoint`, Buffer.from(formatCheckpointState({ modelCheckpointPath: 'ckpt-0', allModelCheckpointPaths: ['ckpt-0'], allModelCheckpointTimestamps: [1594425600], lastPreservedTimestamp: 1594425599 })));
  built.shards.forEach((s, i) => files.set(dataFilename(`${MODEL}/checkpoint/ckpt-0`, i, built.shards.length), Buffer.from(s)));
  files.set(`${MODEL}/checkpoint/ckpt-0.index`, Buffer.from(built.index));
  files.set(`${MODEL}/saved_model/saved_model.pb`, Buffer.from('placeholder graph'));
  files.set(`${MODEL}/pipeline.config`, Buffer.from('model { ssd { num_classes: 90 } }\n'));
  const entries: TarEntry[] = [{ path: `${MODEL}/`, type: 'Directory' }, ...[...files].map(([p, data]) => ({ path: p, data }))];
  return { entries, files };
}

function stats(r: CliResult): { requests: Record<string, number>; bytesRead: number } {
  const line = r.stderr.split('\n').find((l) => l.startsWith('{"stats"'));
  if (!line) throw new Error(`no --stats line in: ${r.stderr}`);
  return JSON.parse(line).stats;
}

interface Store {
  /** The directory URI the archives are under. */
  root: string;
  put(rel: string, bytes: Uint8Array): Promise<void>;
  env: NodeJS.ProcessEnv;
  flags: string[];
}

function archiveSuite(name: string, setup: () => Promise<Store>, teardown: () => Promise<void>): void {
  describe(`ckpt inside archives: ${name}`, () => {
    let store: Store;
    let model: Awaited<ReturnType<typeof zooModel>>;
    let out: string;
    const sizes = new Map<string, number>();
    const ckpt = (cli: string[], timeoutMs = 60_000) => runCli([...cli, ...store.flags], { env: store.env, timeoutMs });

    beforeAll(async () => {
      store = await setup();
      model = await zooModel();
      out = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-arch-out-'));
      const archives: [string, Buffer][] = [
        [`zoo/tf2/${MODEL}.tar.gz`, makeTgz(model.entries)],
        [`zoo/tf2/${MODEL}.tar`, makeTar(model.entries)],
        [`zoo/tf2/${MODEL}.zip`, await makeZip([...model.files].map(([p, data]) => ({ path: p, data })))],
        // Hostile members beside a good checkpoint: none of them may be listed or written.
        [
          'zoo/hostile.tar',
          makeTar([
            { path: '../escape', data: 'x' },
            { path: '/abs', data: 'x' },
            { path: 'C:\\win', data: 'x' },
            { path: 'run/link', type: 'SymbolicLink', linkpath: '/etc/passwd' },
            { path: 'run/hard', type: 'Link', linkpath: '../../escape' },
            { path: 'run/ckpt-5.index', data: Buffer.from(model.files.get(`${MODEL}/checkpoint/ckpt-0.index`)!) },
            { path: 'run/ckpt-5.data-00000-of-00001', data: model.files.get(`${MODEL}/checkpoint/ckpt-0.data-00000-of-00001`)! },
            { path: 'run/../../../etc/ckpt-6.index', data: 'x' },
          ]),
        ],
        ['zoo/broken.zip', Buffer.from('PK\u0003\u0004 not really a zip')],
      ];
      for (const [rel, bytes] of archives) {
        await store.put(rel, bytes);
        sizes.set(rel, bytes.length);
      }
    }, 120_000);

    afterAll(async () => {
      if (out) await fs.rm(out, { recursive: true, force: true });
      await teardown();
    });

    const member = (scheme: string, ext: string, rest: string) => `${scheme}:${store.root}/zoo/tf2/${MODEL}.${ext}!/${MODEL}/${rest}`;
    const FORMATS = [
      ['tar', 'tar.gz'],
      ['tar', 'tar'],
      ['zip', 'zip'],
    ] as const;

    it('find lists the checkpoint in every archive, with member URIs and the archive size; a broken archive is reported (exit 5); --no-archives turns it off', async () => {
      const r = await ckpt(['find', '--json', `${store.root}/zoo`]);
      expect(r.code, r.stderr).toBe(5);
      const docs = JSON.parse(r.stdout) as { prefix: string; format: string; complete: boolean; archive?: { uri: string; size: number; mtime: string | null } }[];
      const prefixes = docs.map((d) => d.prefix);
      for (const [scheme, ext] of FORMATS) {
        const doc = docs.find((d) => d.prefix === member(scheme, ext, 'checkpoint/ckpt-0'));
        expect(doc, `${ext} in ${prefixes.join(' ')}`).toBeDefined();
        expect(doc!.complete).toBe(true);
        expect(doc!.archive!.uri).toBe(`${store.root}/zoo/tf2/${MODEL}.${ext}`);
        expect(doc!.archive!.size).toBe(sizes.get(`zoo/tf2/${MODEL}.${ext}`));
        expect(doc!.archive!.mtime).not.toBeNull();
      }
      expect(prefixes).toContain(`tar:${store.root}/zoo/hostile.tar!/run/ckpt-5`);
      expect(prefixes.some((p) => p.includes('escape') || p.includes('etc'))).toBe(false);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('{"error"')).map((l) => JSON.parse(l).error);
      expect(errors).toEqual([expect.objectContaining({ code: 'CORRUPT', uri: `${store.root}/zoo/broken.zip` })]);
      const off = await ckpt(['find', '--json', '--no-archives', `${store.root}/zoo`]);
      expect(off.code).toBe(1);
      expect(JSON.parse(off.stdout)).toEqual([]);
    });

    it.each(FORMATS)('%s (.%s): latest, ls -R, stat, glob and the URIs they print round-trip', async (scheme, ext) => {
      const dir = member(scheme, ext, 'checkpoint');
      const latest = await ckpt(['latest', dir]);
      expect(latest.code, latest.stderr).toBe(0);
      expect(latest.stdout.trim()).toBe(member(scheme, ext, 'checkpoint/ckpt-0'));
      const ls = await ckpt(['ls', '-R', '--json', `${scheme}:${store.root}/zoo/tf2/${MODEL}.${ext}!/`]);
      expect(ls.code, ls.stderr).toBe(0);
      const listed = (JSON.parse(ls.stdout) as { uri: string; kind: string; size: number }[]).filter((e) => e.kind === 'file');
      expect(listed.map((e) => e.uri).sort()).toEqual([...model.files.keys()].map((k) => `${scheme}:${store.root}/zoo/tf2/${MODEL}.${ext}!/${k}`).sort());
      for (const e of listed) expect(e.size).toBe(model.files.get(e.uri.slice(e.uri.indexOf('!/') + 2))!.length);
      const stat = await ckpt(['stat', '--json', listed[0]!.uri]);
      expect(stat.code, stat.stderr).toBe(0);
      expect(JSON.parse(stat.stdout)).toMatchObject([{ uri: listed[0]!.uri, kind: 'file', size: listed[0]!.size }]);
      const glob = await ckpt(['glob', `${dir}/ckpt-*.index`]);
      expect(glob.code, glob.stderr).toBe(0);
      expect(glob.stdout.trim()).toBe(`${dir}/ckpt-0.index`);
    });

    it.each(FORMATS)('%s (.%s): inspect, verify --deep and cp of the member checkpoint, with --stats bounds', async (scheme, ext) => {
      const prefix = member(scheme, ext, 'checkpoint/ckpt-0');
      const archiveSize = sizes.get(`zoo/tf2/${MODEL}.${ext}`)!;
      const inspect = await ckpt(['inspect', '--stats', prefix]);
      expect(inspect.code, inspect.stderr).toBe(0);
      expect(inspect.stdout).toContain('model/conv1/kernel/.ATTRIBUTES/VARIABLE_VALUE');
      const si = stats(inspect);
      if (scheme === 'zip') {
        // The central directory in at most 3 ranged reads, the .index member in 1; the 2 MiB shard is never read.
        expect(si.requests.get).toBeLessThanOrEqual(4);
        expect(si.bytesRead).toBeLessThan(archiveSize / 4);
      } else if (ext === 'tar') {
        expect(si.bytesRead).toBeLessThan(archiveSize / 4);
      } else {
        // .tar.gz: one streamed pass (the small members are kept from it).
        expect(si.requests.get).toBe(1);
      }
      const verify = await ckpt(['verify', '--deep', '--stats', prefix]);
      expect(verify.code, verify.stderr + verify.stdout).toBe(0);
      const dst = path.join(out, ext);
      const cp = await ckpt(['cp', '--stats', prefix, dst]);
      expect(cp.code, cp.stderr).toBe(0);
      expect((await fs.readdir(dst)).sort()).toEqual(['ckpt-0.data-00000-of-00001', 'ckpt-0.index']);
      for (const f of ['ckpt-0.index', 'ckpt-0.data-00000-of-00001']) {
        expect((await fs.readFile(path.join(dst, f))).equals(model.files.get(`${MODEL}/checkpoint/${f}`)!)).toBe(true);
      }
      if (scheme === 'zip') expect(stats(cp).requests.get).toBeLessThanOrEqual(5);
      if (ext === 'tar.gz') {
        // One pass each: verify's shard was kept by the listing pass; cp's listing pass staged it.
        expect(stats(verify).requests.get).toBe(1);
        expect(stats(cp).requests.get).toBe(1);
        expect(stats(cp).bytesRead).toBe(archiveSize);
      }
      // The copy is verified like any other.
      const again = await ckpt(['verify', '--deep', path.join(dst, 'ckpt-0')]);
      expect(again.code, again.stderr).toBe(0);
    });

    it('cp out of a .tar.gz into the store the archive is on: one GET, the files whole, no staged temporaries left', async () => {
      const prefix = member('tar', 'tar.gz', 'checkpoint/ckpt-0');
      const dst = `${store.root}/extracted`;
      const cp = await ckpt(['cp', '--stats', prefix, dst]);
      expect(cp.code, cp.stderr).toBe(0);
      expect(stats(cp).requests.get).toBe(1);
      const ls = await ckpt(['ls', '-R', '--json', `${dst}/`]);
      expect(ls.code, ls.stderr).toBe(0);
      expect((JSON.parse(ls.stdout) as { uri: string; kind: string }[]).filter((e) => e.kind === 'file').map((e) => e.uri.slice(dst.length + 1))).toEqual(['ckpt-0.data-00000-of-00001', 'ckpt-0.index']);
      const verify = await ckpt(['verify', '--deep', `${dst}/ckpt-0`]);
      expect(verify.code, verify.stderr + verify.stdout).toBe(0);
    });

    it('find --stats on a plain tar and a zip reads headers only, not the data', async () => {
      for (const ext of ['tar', 'zip']) {
        const r = await ckpt(['find', '--stats', '--json', `${ext === 'zip' ? 'zip' : 'tar'}:${store.root}/zoo/tf2/${MODEL}.${ext}!/`]);
        expect(r.code, r.stderr).toBe(0);
        const s = stats(r);
        expect(s.bytesRead).toBeLessThan(sizes.get(`zoo/tf2/${MODEL}.${ext}`)! / 4);
        if (ext === 'zip') expect(s.requests.get).toBeLessThanOrEqual(3 + 1);
      }
    });

    it('a hostile archive: cp of its checkpoint writes exactly that checkpoint under the destination; links and unsafe names are not readable; writes are READ_ONLY', async () => {
      const dst = path.join(out, 'hostile', 'inner');
      const cp = await ckpt(['cp', `tar:${store.root}/zoo/hostile.tar!/run/ckpt-5`, dst]);
      expect(cp.code, cp.stderr).toBe(0);
      expect((await fs.readdir(path.join(out, 'hostile'))).sort()).toEqual(['inner']);
      expect((await fs.readdir(dst)).sort()).toEqual(['ckpt-5.data-00000-of-00001', 'ckpt-5.index']);
      const link = await ckpt(['stat', '--json', `tar:${store.root}/zoo/hostile.tar!/run/link`]);
      expect(link.code).toBe(4);
      expect(JSON.parse(link.stderr.trim().split('\n')[0]!).error.code).toBe('NOT_SUPPORTED');
      const ls = await ckpt(['ls', '-R', '--json', `tar:${store.root}/zoo/hostile.tar!/`]);
      expect((JSON.parse(ls.stdout) as { uri: string; kind: string }[]).filter((e) => e.kind === 'file').map((e) => e.uri.split('!/')[1])).toEqual(['run/ckpt-5.data-00000-of-00001', 'run/ckpt-5.index']);
      const into = await ckpt(['cp', path.join(dst, 'ckpt-5'), `tar:${store.root}/zoo/hostile.tar!/new`]);
      expect(into.code).toBe(4);
      expect(into.stderr).toContain('READ_ONLY');
    });
  });
}

let localRoot = '';
archiveSuite(
  'local disk',
  async () => {
    localRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-arch-'));
    const gfile = createGFile({ registry: createRegistry().register('file', () => localFactory()) });
    return {
      root: localRoot,
      put: async (rel, bytes) => gfile.writeFile(`${localRoot}/${rel}`, bytes),
      env: {},
      flags: [],
    };
  },
  async () => {
    await fs.rm(localRoot, { recursive: true, force: true });
  },
);

serverSuite('archives on s3:// (Ceph RGW)', s3Server(), (server: S3TestServer) => {
  const bucket = `ckptkit-arch-${randomBytes(5).toString('hex')}`;
  let home = '';
  let seed: GFile;
  archiveSuite(
    'Ceph RGW',
    async () => {
      home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-arch-home-'));
      await createBucket(bucket, s3Options(server));
      seed = createGFile({ registry: createRegistry().register('s3', () => s3Factory(s3Options(server))) });
      return {
        root: `s3://${bucket}/mirror`,
        put: async (rel, bytes) => seed.writeFile(`s3://${bucket}/mirror/${rel}`, bytes),
        env: cliEnv(home, server),
        flags: cliStoreFlags({ s3: server }),
      };
    },
    async () => {
      await seed?.removeTree(`s3://${bucket}/mirror`).catch(() => undefined);
      await deleteBucket(bucket, s3Options(server));
      await seed?.close();
      await fs.rm(home, { recursive: true, force: true });
    },
  );
});

serverSuite('archives on gs:// (storage emulator)', gcsServer(), (server: GcsTestServer) => {
  const root = `gs://ckptkit-arch-${randomBytes(5).toString('hex')}/mirror`;
  let home = '';
  let seed: GFile;
  archiveSuite(
    'GCS emulator',
    async () => {
      home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-arch-home-'));
      seed = createGFile({ registry: createRegistry().register('gs', () => gcsFactory(gcsOptions(server))) });
      return {
        root,
        put: async (rel, bytes) => seed.writeFile(`${root}/${rel}`, bytes),
        env: cliEnv(home),
        flags: cliStoreFlags({ gcs: server }),
      };
    },
    async () => {
      if (await seed?.exists(root).catch(() => false)) await seed.removeTree(root);
      await seed?.close();
      await fs.rm(home, { recursive: true, force: true });
    },
  );
});
