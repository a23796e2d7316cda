/**
 * The storage conformance suite against Google's Cloud Storage emulator (firebase-tools, started by
 * test/servers/gcs-emulator.sh from test/run.mjs). Each run uses a fresh random bucket.
 *
 * What the emulator cannot do is listed in GAPS with the reason. Every gap is covered instead by a
 * nock test against the real API's wire shapes in adapters/gcs/src/gcs-adapter.nock.test.ts, and
 * the "emulator behaviour" tests below pin each gap down, so they fail (and the gap can go) the day
 * the emulator changes. This file must not import nock: it would intercept the emulator's traffic.
 *
 * Not a gap, but worth knowing: the emulator serves copies (rewriteTo) only under /b/..., not under
 * /storage/v1/b/... like every other call; test/servers/gcs-emulator.mjs adds that one route alias.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { createGcsAdapter, ensureGcsBucket, gcsFactory, type GcsAdapterOptions } from '@ckptkit/gcs';
import { gcsServer, serverSuite } from '../helpers/servers.js';
import { defineConformanceSuite } from './suite.js';

/** Emulator gaps: conformance case name -> why it cannot pass there, and where it is tested instead. */
export const GAPS: Record<string, string> = {
  'conditional create refuses to replace':
    'the emulator ignores ifGenerationMatch=0 and replaces the object; covered by nock "preconditions (412)"',
  'listings span many pages without loss or duplicates':
    "with a delimiter the emulator's maxResults counts objects only and repeats every prefix on every page (9 requests where GCS needs 10); " +
    'covered by nock "pagination with repeated prefixes"; loss and duplicates are checked on the emulator below',
};

const enc = new TextEncoder();

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

serverSuite('gcs (storage emulator)', gcsServer(), (server) => {
  const bucket = `ckptkit-conf-${randomBytes(5).toString('hex')}`;
  const options: GcsAdapterOptions = { apiEndpoint: server.endpoint, projectId: server.projectId, env: {} };
  const facade = (extra: GcsAdapterOptions = {}, pageSize?: number): GFile =>
    createGFile({ registry: createRegistry().register('gs', () => gcsFactory({ ...options, ...extra })), ...(pageSize ? { pageSize } : {}) });

  it('bucket creation is implicit on the emulator (createBucket answers 501)', async () => {
    // Real GCS creates the bucket (nock: "createBucket"); the emulator makes buckets on first upload.
    expect(await ensureGcsBucket(bucket, options)).toBe('implicit');
  });

  defineConformanceSuite({
    name: `gcs emulator ${server.endpoint}`,
    gaps: GAPS,
    async setup() {
      const gfile = facade();
      const root = `gs://${bucket}/conformance-${randomBytes(4).toString('hex')}`;
      return {
        gfile,
        smallPages: facade({}, 3),
        root,
        cleanup: async () => {
          await gfile.removeTree(root).catch(() => undefined);
        },
      };
    },
  });

  describe('emulator behaviour (pins the gaps above; the adapter copes with each)', () => {
    const root = `gs://${bucket}/emulator-${randomBytes(4).toString('hex')}`;

    it('ignores ifGenerationMatch=0: a second conditional create replaces the object', async () => {
      const g = facade();
      await g.writeText(`${root}/cond/x`, 'first', { ifNotExists: true });
      await g.writeText(`${root}/cond/x`, 'second', { ifNotExists: true });
      expect(await g.readText(`${root}/cond/x`)).toBe('second');
    });

    it('repeats prefixes on every page; the listing still has no loss and no duplicates', async () => {
      const g = facade();
      const names = Array.from({ length: 25 }, (_, i) => `f${String(i).padStart(3, '0')}`);
      await Promise.all(names.map((n) => g.writeText(`${root}/pages/${n}`, n)));
      await Promise.all(['d1', 'd2', 'd3'].map((d) => g.writeText(`${root}/pages/${d}/inner/x`, d)));
      const small = facade({}, 3);
      const listed = await small.listDir(`${root}/pages`);
      expect(listed.map((f) => f.name)).toEqual(['d1', 'd2', 'd3', ...names]);
      // 25 objects at 3 a page; the 3 prefixes ride along on every page instead of taking room.
      expect(small.metrics.requests.list).toBe(9);
      const flat = await collect(small.list(`${root}/pages`, { recursive: true }));
      expect(flat.filter((f) => f.kind === 'file').map((f) => f.name)).toEqual(['x', 'x', 'x', ...names]);
    });

    it('ignores startOffset: the adapter notices, filters, and stops declaring startAfter', async () => {
      const g = facade();
      await Promise.all(['a', 'b', 'c', 'd'].map((n) => g.writeText(`${root}/so/${n}`, n)));
      const a = createGcsAdapter(bucket, { ...options, startAfter: true });
      const prefix = `${root.slice(`gs://${bucket}/`.length)}/so/`;
      const page = await a.list(prefix, { startAfter: `${prefix}b` });
      expect(page.entries.map((e) => e.key.slice(prefix.length))).toEqual(['c', 'd']);
      expect(a.capabilities.startAfter).toBe(false);
    });

    it('answers a range past the end with the whole object (200), which reads as empty', async () => {
      const g = facade();
      await g.writeText(`${root}/range/f`, '0123456789');
      expect(await g.readText(`${root}/range/f`, { offset: 10, length: 5 })).toBe('');
      expect(await g.readText(`${root}/range/f`, { offset: 25 })).toBe('');
    });
  });

  describe('the adapter on the emulator', () => {
    const root = `gs://${bucket}/uploads-${randomBytes(4).toString('hex')}`;

    it('a body over the resumable threshold and a stream of unknown size go up resumable and read back whole', async () => {
      const g = facade({ resumableThreshold: 256 * 1024 });
      const big = randomBytes(3 * 1024 * 1024 + 17);
      await g.writeFile(`${root}/big.bin`, big);
      expect(Buffer.from(await g.readFile(`${root}/big.bin`)).equals(big)).toBe(true);
      async function* body() {
        for (let i = 0; i < big.length; i += 100_000) yield big.subarray(i, i + 100_000);
      }
      await g.writeFile(`${root}/streamed.bin`, body());
      expect((await g.stat(`${root}/streamed.bin`)).size).toBe(big.length);
      expect(Buffer.concat(await collect(g.readStream(`${root}/streamed.bin`))).equals(big)).toBe(true);
    }, 60_000);

    it('a read stream stopped early leaves a concurrent read alone', async () => {
      // With the SDK's createReadStream, ending one stream early destroys the shared connection
      // pool: a concurrent download then neither ends nor fails (measured: it hangs). Downloads
      // therefore use fetch, one connection each.
      const g = facade();
      const big = randomBytes(20 * 1024 * 1024);
      await g.writeFile(`${root}/two.bin`, big);
      const whole = g.readFile(`${root}/two.bin`);
      let first = 0;
      for await (const chunk of g.readStream(`${root}/two.bin`)) {
        first = chunk.byteLength;
        break;
      }
      expect(first).toBeGreaterThan(0);
      expect(Buffer.from(await whole).equals(big)).toBe(true);
    }, 60_000);

    it('stat reports size, mtime, crc32c, md5 and generation', async () => {
      const g = facade();
      await g.writeFile(`${root}/meta.txt`, enc.encode('hello world'));
      const st = await g.stat(`${root}/meta.txt`);
      expect(st).toMatchObject({ kind: 'file', size: 11, crc32c: 'yZRlqg==', md5: 'XrY7u+Ae7tCTyyK7j1rNww==' });
      expect(st.generation).toMatch(/^\d+$/);
      expect(st.mtime).toBeInstanceOf(Date);
    });
  });
});
