/**
 * The read side of the conformance suite on archive views (decision 0016): the same tree as a
 * .tar, a .tar.gz and a .zip, each on memory://, a local disk, S3 (Ceph RGW) and GCS (emulator).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clearMemoryStore, createGFile, createRegistry, type AdapterRegistry, type GFile } from '@ckptkit/gfile';
import { gcsFactory } from '@ckptkit/gcs';
import { localFactory } from '@ckptkit/local';
import { createBucket, deleteBucket, s3Factory } from '@ckptkit/s3';
import { makeTar, makeTgz, makeZip, type TarEntry } from '../helpers/archives.js';
import { gcsServer, s3Server, serverSuite } from '../helpers/servers.js';
import { gcsOptions, s3Options } from '../helpers/stores.js';
import { defineReadOnlyConformanceSuite } from './read-only-suite.js';

const FORMATS = [
  { scheme: 'tar', ext: 'tar', make: async (tree: Map<string, Uint8Array>) => makeTar(tarEntries(tree)) },
  { scheme: 'tar', ext: 'tar.gz', make: async (tree: Map<string, Uint8Array>) => makeTgz(tarEntries(tree)) },
  { scheme: 'zip', ext: 'zip', make: (tree: Map<string, Uint8Array>) => makeZip([...tree].map(([k, data]) => (k.endsWith('/') ? { path: k, directory: true } : { path: k, data }))) },
] as const;

function tarEntries(tree: Map<string, Uint8Array>): TarEntry[] {
  return [...tree].map(([k, data]) => (k.endsWith('/') ? { path: k, type: 'Directory' as const } : { path: k, data }));
}

interface StoreTarget {
  name: string;
  registry: () => AdapterRegistry;
  /** A fresh directory URI on the store, and how to remove it. */
  dir: () => Promise<{ uri: string; cleanup: () => Promise<void> }>;
}

function archiveTargets(store: StoreTarget): void {
  for (const format of FORMATS) {
    defineReadOnlyConformanceSuite({
      name: `${format.scheme}: view of a .${format.ext} on ${store.name}`,
      readRequests: 1,
      async setup(tree) {
        const { uri, cleanup } = await store.dir();
        const seed = createGFile({ registry: store.registry() });
        const archive = `${uri}/tree.${format.ext}`;
        await seed.writeFile(archive, await format.make(tree));
        await seed.close();
        const gfile: GFile = createGFile({ registry: store.registry() });
        const smallPages: GFile = createGFile({ registry: store.registry(), pageSize: 3 });
        return {
          gfile,
          smallPages,
          root: `${format.scheme}:${archive}!`,
          cleanup: async () => {
            await gfile.close();
            await smallPages.close();
            await cleanup();
          },
        };
      },
    });
  }
}

archiveTargets({
  name: 'memory',
  registry: () => createRegistry(),
  dir: async () => {
    const name = `archive-conf-${randomBytes(4).toString('hex')}`;
    return { uri: `memory://${name}/d`, cleanup: async () => clearMemoryStore(name) };
  },
});

archiveTargets({
  name: 'a local disk',
  registry: () => createRegistry().register('file', () => localFactory()),
  dir: async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-archive-conf-'));
    return { uri: dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
  },
});

serverSuite('archive views on s3 (Ceph RGW)', s3Server(), (server) => {
  archiveTargets({
    name: 's3 (Ceph RGW)',
    registry: () => createRegistry().register('s3', () => s3Factory(s3Options(server))),
    dir: async () => {
      const bucket = `ckpt-arch-conf-${randomBytes(4).toString('hex')}`;
      await createBucket(bucket, s3Options(server));
      const g = createGFile({ registry: createRegistry().register('s3', () => s3Factory(s3Options(server))) });
      return {
        uri: `s3://${bucket}/d`,
        cleanup: async () => {
          if (await g.exists(`s3://${bucket}/d`)) await g.removeTree(`s3://${bucket}/d`);
          await g.close();
          await deleteBucket(bucket, s3Options(server));
        },
      };
    },
  });
});

serverSuite('archive views on gcs (emulator)', gcsServer(), (server) => {
  const bucket = `ckpt-arch-conf-${randomBytes(4).toString('hex')}`;
  archiveTargets({
    name: 'gcs (emulator)',
    registry: () => createRegistry().register('gs', () => gcsFactory(gcsOptions(server))),
    dir: async () => {
      const prefix = `gs://${bucket}/run-${randomBytes(4).toString('hex')}`;
      const g = createGFile({ registry: createRegistry().register('gs', () => gcsFactory(gcsOptions(server))) });
      return {
        uri: prefix,
        cleanup: async () => {
          if (await g.exists(prefix)) await g.removeTree(prefix);
          await g.close();
        },
      };
    },
  });
});
