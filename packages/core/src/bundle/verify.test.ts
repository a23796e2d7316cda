import { describe, expect, it } from 'vitest';
import { buildBundle, type BuiltBundle, type TensorToWrite } from './bundle-writer.js';
import { encodeBundleEntry, encodeBundleHeader, type BundleEntryProto } from './bundle-proto.js';
import { bytesSource, type ByteSource } from './byte-source.js';
import { crc32c, maskCrc } from './crc.js';
import { parseBundleIndex } from './index-reader.js';
import { buildSSTable } from './sstable-writer.js';
import { memoryBundleFiles, verifyBundleFiles, type BundleFiles, type VerifyReport } from './verify.js';
import { dataFilename } from './naming.js';

const enc = (s: string) => new TextEncoder().encode(s);
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed * 13 + (i >> 9)) & 0xff);
const PREFIX = 'memory://t/run/ckpt-1';

function tensors(): TensorToWrite[] {
  return [
    { key: 'a/kernel', dtype: 'DT_FLOAT', shape: [4, 3], data: bytes(48, 1) },
    { key: 'a/bias', dtype: 'DT_DOUBLE', shape: [3], data: bytes(24, 2), shard: 1 },
    { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: [bytes(40, 3)] },
    { key: 'names', dtype: 'DT_STRING', shape: [3], strings: ['x', '', 'yz'], shard: 1 },
    { key: 'it', dtype: 'DT_VARIANT', shape: [2], variants: [enc('v0'), enc('variant 1')] },
    { key: 'step', dtype: 'DT_INT64', shape: [], data: bytes(8, 4), shard: 1 },
    { key: 'p', dtype: 'DT_INT32', shape: [1, 2], data: bytes(8, 5), slice: { fullShape: [3, 2], extents: [{ start: 0, length: 1 }, { start: 0, length: -1 }] } },
    { key: 'p', dtype: 'DT_INT32', shape: [2, 2], data: bytes(16, 6), shard: 1, slice: { fullShape: [3, 2], extents: [{ start: 1, length: 2 }, { start: 0, length: -1 }] } },
  ];
}

const files = (b: BuiltBundle, shards: ReadonlyArray<Uint8Array | undefined> = b.shards, index: Uint8Array | null = b.index) =>
  memoryBundleFiles(PREFIX, { index: index ?? undefined, shards });

const codes = (r: VerifyReport) => r.problems.map((p) => p.code);

/** An index with hand-made entries (what the writer would never produce). */
function handIndex(numShards: number, entries: Array<[string, Partial<BundleEntryProto>]>): Uint8Array {
  const rows = [{ key: new Uint8Array(0), value: encodeBundleHeader({ numShards, endianness: 'LITTLE', version: { producer: 1, minConsumer: 0, badConsumers: [] } }) }];
  for (const [key, e] of [...entries].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    rows.push({
      key: enc(key),
      value: encodeBundleEntry({ dtype: 1, shape: { dims: [], unknownRank: false }, shardId: 0, offset: 0, size: 4, crc32c: 0, slices: [], ...e }),
    });
  }
  return buildSSTable(rows);
}

describe('verifyBundleFiles', () => {
  it('passes a bundle from the writer, shallow and deep', async () => {
    const b = await buildBundle(tensors(), { numShards: 2 });
    const shallow = await verifyBundleFiles(files(b));
    expect(shallow).toEqual({ ok: true, problems: [], tensorsChecked: 8, bytesChecked: 0 });
    const deep = await verifyBundleFiles(files(b), { deep: true });
    expect(deep.ok).toBe(true);
    expect(deep.tensorsChecked).toBe(8);
    expect(deep.bytesChecked).toBe(b.shards.reduce((n, s) => n + s.length, 0));
  });

  it('detects every single-byte change of the index', async () => {
    const b = await buildBundle(tensors(), { numShards: 2 });
    for (let i = 0; i < b.index.length; i++) {
      const index = b.index.slice();
      index[i] = (index[i] as number) ^ 0x20;
      const r = await verifyBundleFiles(files(b, b.shards, index));
      expect(r.ok, `index byte ${i}`).toBe(false);
      expect(codes(r), `index byte ${i}`).toContain('CORRUPT_INDEX');
    }
  });

  it('detects every single-byte change of tensor data, naming the tensor', async () => {
    const b = await buildBundle(tensors(), { numShards: 2 });
    const index = parseBundleIndex(b.index);
    for (let s = 0; s < b.shards.length; s++) {
      const shard = b.shards[s] as Uint8Array;
      for (let i = 0; i < shard.length; i++) {
        const changed = b.shards.map((x) => x.slice());
        (changed[s] as Uint8Array)[i] = (shard[i] as number) ^ 0x01;
        const r = await verifyBundleFiles(files(b, changed), { deep: true });
        const owner = index.entries.find((e) => e.slices.length === 0 && e.shardId === s && i >= e.offset && i < e.offset + e.size);
        expect(r.ok, `shard ${s} byte ${i}`).toBe(false);
        expect(r.problems).toHaveLength(1);
        expect(['CRC_MISMATCH', 'SIZE_MISMATCH']).toContain(r.problems[0]?.code);
        expect(r.problems[0]?.key).toBe(owner?.key);
        expect(r.problems[0]?.uri).toBe(dataFilename(PREFIX, s, 2));
      }
    }
  });

  it('checks big tensors in parallel pieces and big strings in order, with bounded reads and requests', async () => {
    const big = bytes(50_000, 9);
    const b = await buildBundle([
      { key: 'big', dtype: 'DT_UINT8', shape: [50_000], data: big },
      { key: 'small', dtype: 'DT_UINT8', shape: [10], data: bytes(10, 1) },
      { key: 'bigstr', dtype: 'DT_STRING', shape: [3], strings: [bytes(20_000, 2), bytes(7, 3), bytes(15_000, 4)] },
    ]);
    const reads: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const shard: ByteSource = {
      uri: 'memory://t/shard',
      size: async () => (b.shards[0] as Uint8Array).length,
      read: async (o, l) => {
        reads.push(l);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        return (b.shards[0] as Uint8Array).subarray(o, o + l);
      },
    };
    const f: BundleFiles = { prefix: PREFIX, index: async () => bytesSource(b.index), shard: async () => shard };
    const r = await verifyBundleFiles(f, { deep: true, windowSize: 4096, chunkSize: 1024, concurrency: 3 });
    expect(r).toMatchObject({ ok: true, tensorsChecked: 3 });
    expect(Math.max(...reads)).toBeLessThanOrEqual(1024);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);

    // A streaming source: one request per window (13 pieces of "big", "small" alone, "bigstr" whole).
    const streams: Array<[number, number]> = [];
    const streaming: ByteSource = {
      ...shard,
      read: () => Promise.reject(new Error('streaming sources are streamed')),
      async *stream(o, l) {
        streams.push([o, l]);
        const data = (b.shards[0] as Uint8Array).subarray(o, o + l);
        for (let p = 0; p < data.length; p += 1000) yield data.subarray(p, p + 1000);
      },
    };
    const sr = await verifyBundleFiles({ ...f, shard: async () => streaming }, { deep: true, windowSize: 4096 });
    expect(sr).toMatchObject({ ok: true, tensorsChecked: 3 });
    expect(streams).toHaveLength(15);
    expect(Math.max(...streams.filter(([, l]) => l <= 4096).map(([, l]) => l))).toBe(4096);

    // A flip in the last piece of the big tensor and one in the middle of the streamed string.
    const index = parseBundleIndex(b.index);
    const bigEntry = index.entries.find((e) => e.key === 'big');
    const strEntry = index.entries.find((e) => e.key === 'bigstr');
    const changed = (b.shards[0] as Uint8Array).slice();
    changed[(bigEntry?.offset ?? 0) + 49_999] ^= 0x80;
    changed[(strEntry?.offset ?? 0) + 30_000] ^= 0x80;
    const bad = await verifyBundleFiles(memoryBundleFiles(PREFIX, { index: b.index, shards: [changed] }), { deep: true, windowSize: 4096 });
    expect(bad.problems.map((p) => [p.code, p.key])).toEqual([
      ['CRC_MISMATCH', 'big'],
      ['CRC_MISMATCH', 'bigstr'],
    ]);
  });

  it('reports a missing index, a corrupt index and a Git LFS pointer', async () => {
    const b = await buildBundle(tensors(), { numShards: 2 });
    expect(await verifyBundleFiles(files(b, b.shards, null))).toMatchObject({ ok: false, problems: [{ code: 'MISSING_INDEX', uri: `${PREFIX}.index` }] });
    const truncated = await verifyBundleFiles(files(b, b.shards, b.index.subarray(0, b.index.length - 10)));
    expect(truncated.problems).toMatchObject([{ code: 'CORRUPT_INDEX', reason: 'TRUNCATED' }]);
    const lfs = enc('version https://git-lfs.github.com/spec/v1\noid sha256:0123456789abcdef\nsize 239\n');
    const r = await verifyBundleFiles(files(b, b.shards, lfs));
    expect(r.problems).toMatchObject([{ code: 'CORRUPT_INDEX', reason: 'LFS_POINTER' }]);
    expect(r.problems[0]?.detail).toContain('this is a Git LFS pointer, fetch the object');
  });

  it('reports missing and short shards without reading data', async () => {
    const b = await buildBundle(tensors(), { numShards: 2 });
    const missing = await verifyBundleFiles(files(b, [b.shards[0], undefined]), { deep: true });
    expect(missing.problems).toEqual([{ code: 'MISSING_SHARD', detail: 'data shard 1 of 2 does not exist', uri: dataFilename(PREFIX, 1, 2) }]);
    // Deep verify still checks what it can.
    expect(missing.tensorsChecked).toBe(4);

    const short = (b.shards[1] as Uint8Array).subarray(0, (b.shards[1] as Uint8Array).length - 1);
    const r = await verifyBundleFiles(files(b, [b.shards[0], short]));
    expect(codes(r)).toEqual(['SHORT_SHARD']);
    expect(r.problems[0]?.key).toBe(parseBundleIndex(b.index).entries.filter((e) => e.shardId === 1 && e.slices.length === 0).sort((x, y) => y.offset - x.offset)[0]?.key);
  });

  it('reports SHORT_SHARD when a shard shrinks between the listing and the reads', async () => {
    const b = await buildBundle(tensors(), { numShards: 2 });
    const full = b.shards[1] as Uint8Array;
    const shrunk: ByteSource = { ...bytesSource(full.subarray(0, full.length - 5), dataFilename(PREFIX, 1, 2)), size: async () => full.length };
    const f: BundleFiles = { ...files(b), shard: async (id, n) => (id === 1 ? shrunk : files(b).shard(id, n)) };
    const r = await verifyBundleFiles(f, { deep: true });
    const last = parseBundleIndex(b.index).entries.filter((e) => e.shardId === 1 && e.slices.length === 0).sort((x, y) => y.offset - x.offset)[0];
    expect(r.problems).toEqual([{ code: 'SHORT_SHARD', detail: expect.stringContaining('the shard ended'), key: last?.key, uri: dataFilename(PREFIX, 1, 2) }]);
  });

  it('reports overlaps, bad shard ids, size mismatches, invalid shapes, unknown dtypes and missing slices', async () => {
    const data = new Uint8Array(64);
    const index = handIndex(1, [
      ['a', { offset: 0, size: 8, dtype: 1, shape: { dims: [2], unknownRank: false }, crc32c: maskCrc(crc32c(data.subarray(0, 8))) }],
      ['b', { offset: 4, size: 8, dtype: 1, shape: { dims: [2], unknownRank: false }, crc32c: maskCrc(crc32c(data.subarray(4, 12))) }],
      ['c', { shardId: 1 }],
      ['d', { offset: 12, size: 5, dtype: 1, shape: { dims: [1], unknownRank: false } }],
      ['e', { offset: 17, size: 4, shape: { dims: [-1], unknownRank: false } }],
      ['f', { offset: 21, size: 4, dtype: 99 }],
      ['g', { size: 0, slices: [[{ start: 0, length: 1 }]], shape: { dims: [2], unknownRank: false } }],
    ]);
    const r = await verifyBundleFiles(memoryBundleFiles(PREFIX, { index, shards: [data] }));
    expect(r.problems.map((p) => [p.code, p.key])).toEqual([
      ['BAD_SHARD_ID', 'c'],
      ['SIZE_MISMATCH', 'd'],
      ['INVALID_SHAPE', 'e'],
      ['UNKNOWN_DTYPE', 'f'],
      ['MISSING_SLICE', 'g'],
      ['OVERLAP', 'b'],
    ]);
  });

  it('reports a header claiming absurdly many shards instead of probing them', async () => {
    const index = handIndex(2_000_000_000, []);
    const probed: number[] = [];
    const r = await verifyBundleFiles({ prefix: PREFIX, index: async () => bytesSource(index), shard: async (id) => (probed.push(id), undefined) });
    expect(r.problems).toMatchObject([{ code: 'CORRUPT_INDEX', reason: 'BAD_HEADER' }]);
    expect(probed).toEqual([]);
  });

  it('throws storage errors rather than reporting them as problems', async () => {
    const b = await buildBundle(tensors(), { numShards: 2 });
    const denied = Object.assign(new Error('denied'), { code: 'EACCES' });
    const f: BundleFiles = {
      prefix: PREFIX,
      index: async () => bytesSource(b.index),
      shard: async () => ({ uri: 'x', size: async () => (b.shards[0] as Uint8Array).length, read: async () => Promise.reject(denied) }),
    };
    await expect(verifyBundleFiles(f, { deep: true })).rejects.toBe(denied);
  });

  it('stops with ABORTED when the signal fires', async () => {
    const b = await buildBundle(tensors(), { numShards: 2 });
    const ac = new AbortController();
    ac.abort();
    await expect(verifyBundleFiles(files(b), { deep: true, signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
