/**
 * `verify --deep` of a checkpoint inside a `.tar.gz` in one pass (decision 0016, "Scans"): the
 * listing pass parses the `.index` when it comes before the shards and checks each shard as it
 * streams by, so an index-first archive is read once whatever the shard sizes; shards that come
 * before their index are checked from the bytes the listing pass kept when small, else by one
 * more pass over just them that stops after the last. Every report equals that of the same files
 * in a directory (ranged reads), intact or damaged.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { buildBundle, dataFilename, verifyAny, type VerifyOptions, type VerifyReport } from '@ckptkit/core';
import { clearMemoryStore, createGFile, createMemoryAdapter, createRegistry, isCkptError, type GFile, type StorageAdapter } from '@ckptkit/gfile';
import { makeTgz } from '../helpers/archives.js';

const STORE = `verify-tgz-${process.pid}`;
afterEach(() => clearMemoryStore(STORE));

const PREFIX = 'm/ckpt/ckpt-0';
const MiB = 2 ** 20;

/** Three shards of `shardBytes` each (a big tensor and a small one, random: gzip keeps their size). */
async function bundle(shardBytes: number): Promise<Map<string, Uint8Array>> {
  const tensors = [];
  for (let i = 0; i < 3; i++) {
    tensors.push({ key: `layer_${i}/kernel`, dtype: 'DT_FLOAT', shape: [(shardBytes - 64) / 4], data: randomBytes(shardBytes - 64), shard: i });
    tensors.push({ key: `layer_${i}/bias`, dtype: 'DT_FLOAT', shape: [16], data: new Uint8Array(64).fill(i + 1), shard: i });
  }
  const built = await buildBundle(tensors, { numShards: 3 });
  const files = new Map<string, Uint8Array>([[`${PREFIX}.index`, built.index]]);
  built.shards.forEach((s, i) => files.set(dataFilename(PREFIX, i, 3), s));
  return files;
}

type Order = 'index-first' | 'data-first' | 'index-between';

/** Member names in archive order (shards last first, as GNU tar may store them). */
function ordered(files: Map<string, Uint8Array>, order: Order): string[] {
  const index = `${PREFIX}.index`;
  const shards = [...files.keys()].filter((k) => k !== index).sort().reverse();
  if (order === 'index-first') return [index, ...shards];
  if (order === 'data-first') return [...shards, index];
  return [shards[0]!, index, ...shards.slice(1)];
}

type Damage = 'none' | 'flipped' | 'truncated' | 'missing' | 'index-corrupt';

function damaged(files: Map<string, Uint8Array>, damage: Damage): Map<string, Uint8Array> {
  const out = new Map(files);
  const shard1 = dataFilename(PREFIX, 1, 3);
  if (damage === 'flipped') {
    const b = Buffer.from(out.get(shard1)!);
    b[1234] = b[1234]! ^ 1;
    out.set(shard1, b);
  } else if (damage === 'truncated') {
    out.set(shard1, out.get(shard1)!.subarray(0, out.get(shard1)!.length - 10));
  } else if (damage === 'missing') {
    out.delete(dataFilename(PREFIX, 0, 3));
  } else if (damage === 'index-corrupt') {
    const b = Buffer.from(out.get(`${PREFIX}.index`)!);
    b[5] = b[5]! ^ 0xff;
    out.set(`${PREFIX}.index`, b);
  }
  return out;
}

/** A facade over memory stores that stream reads in 64 KiB chunks, counting the streams still open. */
function tracked(onChunk?: () => void): { gfile: GFile; open: () => number } {
  let open = 0;
  const wrap = (inner: StorageAdapter): StorageAdapter => ({
    ...inner,
    async *readStream(key, o) {
      open++;
      try {
        const bytes = await inner.read(key, o);
        for (let at = 0; at < bytes.length; at += 64 * 1024) {
          o?.signal?.throwIfAborted();
          yield bytes.subarray(at, at + 64 * 1024);
          onChunk?.();
        }
      } finally {
        open--;
      }
    },
  });
  const registry = createRegistry().register('memory', () => (store: string) => wrap(createMemoryAdapter(store)));
  return { gfile: createGFile({ registry, retry: false }), open: () => open };
}

/** The report with the checkpoint's base URI taken out, to compare an archive's with a directory's. */
function relative(report: VerifyReport, base: string): VerifyReport {
  return JSON.parse(JSON.stringify(report).replaceAll(base, 'BASE/')) as VerifyReport;
}

interface Run {
  report: VerifyReport;
  gets: number;
  bytesRead: number;
}

async function verifyIn(gfile: GFile, uri: string, options: VerifyOptions = {}): Promise<Run> {
  const before = gfile.metrics.snapshot();
  const { report } = await verifyAny(gfile, uri, { deep: true, concurrency: 2, ...options });
  const after = gfile.metrics.snapshot();
  return { report, gets: after.requests.get - before.requests.get, bytesRead: after.bytesRead - before.bytesRead };
}

/** Verifies the files as a directory (ranged reads) and in a `.tar.gz` stored in `order`. */
async function both(files: Map<string, Uint8Array>, order: Order, options: VerifyOptions = {}) {
  const { gfile } = tracked();
  for (const [name, data] of files) await gfile.writeFile(`memory://${STORE}/dir/${name}`, data);
  const names = ordered(files, order);
  const archive = makeTgz(names.map((path) => ({ path, data: files.get(path)! })));
  await gfile.writeFile(`memory://${STORE}/z.tar.gz`, archive);
  const ranged = await verifyIn(createGFile({ retry: false }), `memory://${STORE}/dir/${PREFIX}`, options);
  const fresh = tracked().gfile;
  const tgz = await verifyIn(fresh, `tar:memory://${STORE}/z.tar.gz!/${PREFIX}`, options);
  return { ranged: relative(ranged.report, `memory://${STORE}/dir/`), tgz: relative(tgz.report, `tar:memory://${STORE}/z.tar.gz!/`), gets: tgz.gets, bytesRead: tgz.bytesRead, archiveBytes: archive.length, names };
}

describe('verify --deep of a .tar.gz member checkpoint: one pass when the index comes first', () => {
  it('index first, shards larger than the listing pass keeps: one GET of the archive, every tensor checked', async () => {
    const r = await both(await bundle(6 * MiB), 'index-first');
    expect(r.tgz).toEqual(r.ranged);
    expect(r.tgz.ok).toBe(true);
    expect(r.tgz.tensorsChecked).toBe(6);
    expect(r.gets).toBe(1);
    expect(r.bytesRead).toBe(r.archiveBytes);
  });

  it('index first, tensors larger than a window (checked in pieces while they stream): one GET, the same report', async () => {
    const files = damaged(await bundle(6 * MiB), 'flipped');
    const r = await both(files, 'index-first', { windowSize: MiB });
    expect(r.tgz).toEqual(r.ranged);
    expect(r.tgz.problems.map((p) => [p.code, p.key])).toEqual([['CRC_MISMATCH', 'layer_1/kernel']]);
    expect(r.gets).toBe(1);
  });

  it('data first, shards larger than the listing pass keeps: the listing pass, then one pass over the data (two GETs)', async () => {
    const r = await both(await bundle(6 * MiB), 'data-first');
    expect(r.tgz).toEqual(r.ranged);
    expect(r.tgz.ok).toBe(true);
    expect(r.gets).toBe(2);
  });

  it('data first, shards the listing pass keeps (at most 4 MiB each, 16 in all): one GET', async () => {
    const r = await both(await bundle(2 * MiB), 'data-first');
    expect(r.tgz).toEqual(r.ranged);
    expect(r.tgz.ok).toBe(true);
    expect(r.gets).toBe(1);
  });

  it('one large shard before the index, two after: the second pass reads only up to that shard', async () => {
    const r = await both(await bundle(6 * MiB), 'index-between');
    expect(r.names[0]).toBe(dataFilename(PREFIX, 2, 3));
    expect(r.tgz).toEqual(r.ranged);
    expect(r.tgz.ok).toBe(true);
    expect(r.gets).toBe(2);
    // The first pass reads it all; the second stops after its first member (a third of the data).
    expect(r.bytesRead - r.archiveBytes).toBeLessThan(r.archiveBytes / 2);
  });

  describe.each(['index-first', 'data-first', 'index-between'] as const)('damaged checkpoints, %s: the same problems as ranged reads of a directory', (order) => {
    it.each(['flipped', 'truncated', 'missing', 'index-corrupt'] as const)('%s', async (damage) => {
      const r = await both(damaged(await bundle(5 * MiB), damage), order);
      expect(r.tgz).toEqual(r.ranged);
      expect(r.tgz.ok).toBe(false);
      const codes = r.tgz.problems.map((p) => p.code);
      expect(codes).toContain({ flipped: 'CRC_MISMATCH', truncated: 'SHORT_SHARD', missing: 'MISSING_SHARD', 'index-corrupt': 'CORRUPT_INDEX' }[damage]);
      if (order === 'index-first' || damage === 'index-corrupt') expect(r.gets).toBe(1);
    });
  });

  it('an index stored twice: the shards are checked against the later one (what listings show), as in a directory holding it', async () => {
    const files = await bundle(5 * MiB);
    const other = await bundle(5 * MiB); // same names and shapes, other bytes: every checksum differs
    const { gfile } = tracked();
    for (const [name, data] of files) await gfile.writeFile(`memory://${STORE}/dir/${name}`, data);
    const names = ordered(files, 'index-first');
    // The stale index first (the shards would all fail against it), the right one appended after them (`tar -r`).
    await gfile.writeFile(`memory://${STORE}/z.tar.gz`, makeTgz([...names.map((path) => ({ path, data: (path.endsWith('.index') ? other : files).get(path)! })), { path: `${PREFIX}.index`, data: files.get(`${PREFIX}.index`)! }]));
    const ranged = await verifyIn(createGFile({ retry: false }), `memory://${STORE}/dir/${PREFIX}`);
    const tgz = await verifyIn(tracked().gfile, `tar:memory://${STORE}/z.tar.gz!/${PREFIX}`);
    expect(tgz.report.ok).toBe(true);
    expect(relative(tgz.report, `tar:memory://${STORE}/z.tar.gz!/`)).toEqual(relative(ranged.report, `memory://${STORE}/dir/`));
    // The checks against the stale index are dropped: the shards are read again.
    expect(tgz.gets).toBe(2);
  });

  it('aborted during the pass: ABORTED, and no stream of the archive is left open', async () => {
    const controller = new AbortController();
    let chunks = 0;
    const { gfile, open } = tracked(() => {
      if (++chunks === 3) controller.abort();
    });
    const files = await bundle(6 * MiB);
    await gfile.writeFile(`memory://${STORE}/z.tar.gz`, makeTgz(ordered(files, 'index-first').map((path) => ({ path, data: files.get(path)! }))));
    const error = await verifyAny(gfile, `tar:memory://${STORE}/z.tar.gz!/${PREFIX}`, { deep: true, signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCkptError(error, 'ABORTED'), String(error)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(open()).toBe(0);
    expect(gfile.metrics.snapshot().requests.get).toBe(1);
  });
});
