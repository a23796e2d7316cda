import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BundleWriter, buildBundle, type TensorToWrite } from './bundle-writer.js';
import { crc32c, maskCrc } from './crc.js';
import { dtypeSize, dtypeValue } from './dtypes.js';
import { parseBundleIndex, type BundleIndexEntry } from './index-reader.js';
import { inspectBundleJson } from './inspect-json.js';
import { decodeStringTensor } from './tensor-checksum.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** Deterministic bytes for a raw tensor. */
function rawBytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + (i >> 8)) & 0xff);
}

const RAW_DTYPES = [
  'DT_FLOAT', 'DT_DOUBLE', 'DT_INT32', 'DT_UINT8', 'DT_INT16', 'DT_INT8', 'DT_COMPLEX64', 'DT_INT64', 'DT_BOOL',
  'DT_QINT8', 'DT_QUINT8', 'DT_QINT32', 'DT_BFLOAT16', 'DT_QINT16', 'DT_QUINT16', 'DT_UINT16', 'DT_COMPLEX128',
  'DT_HALF', 'DT_UINT32', 'DT_UINT64', 'DT_FLOAT8_E5M2', 'DT_FLOAT8_E4M3FN',
];

function sampleTensors(): TensorToWrite[] {
  const out: TensorToWrite[] = [];
  RAW_DTYPES.forEach((dtype, i) => {
    const shape = [[], [3], [2, 5], [1, 2, 3, 1]][i % 4] as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    out.push({ key: `model/layer_${i}/${dtype.toLowerCase()}/.ATTRIBUTES/VARIABLE_VALUE`, dtype, shape, data: rawBytes(n * (dtypeSize(dtypeValue(dtype) as number) as number), i), shard: i % 3 });
  });
  out.push({ key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: [new Uint8Array(300).map((_, i) => i & 0xff)], shard: 0 });
  out.push({ key: '/.ATTRIBUTES/OBJECT_CONFIG_JSON', dtype: 'DT_STRING', shape: [], strings: ['{"name": "model", "ünïcödé": "✓"}'] });
  out.push({ key: 'vocab', dtype: 'DT_STRING', shape: [2, 3], strings: ['a', '', 'ccc', 'x'.repeat(200), '\u0000', 'end'], shard: 2 });
  out.push({ key: 'empty_strings', dtype: 'DT_STRING', shape: [0], strings: [] });
  out.push({ key: 'empty_floats', dtype: 'DT_FLOAT', shape: [0, 4], data: new Uint8Array(0), shard: 1 });
  out.push({ key: 'iterator', dtype: 'DT_VARIANT', shape: [2], variants: [enc('variant-proto-1'), new Uint8Array(0)], shard: 1 });
  out.push({ key: 'global_step', dtype: 'DT_INT64', shape: [], data: rawBytes(8, 99) });
  // A variable partitioned in two along dimension 0, stored in two shards.
  out.push({ key: 'part/w', dtype: 'DT_FLOAT', shape: [2, 3], data: rawBytes(24, 5), shard: 1, slice: { fullShape: [5, 3], extents: [{ start: 0, length: 2 }, { start: 0, length: -1 }] } });
  out.push({ key: 'part/w', dtype: 'DT_FLOAT', shape: [3, 3], data: rawBytes(36, 6), shard: 2, slice: { fullShape: [5, 3], extents: [{ start: 2, length: 3 }, { start: 0, length: -1 }] } });
  return out;
}

function byKey(entries: BundleIndexEntry[], key: string): BundleIndexEntry {
  const e = entries.find((x) => x.key === key);
  if (!e) throw new Error(`no entry ${key}`);
  return e;
}

describe('BundleWriter', () => {
  it('writes every dtype, several shards, strings, variants and slices, and reads them back identically', async () => {
    const tensors = sampleTensors();
    const built = await buildBundle(tensors, { numShards: 3 });
    expect(built.shards).toHaveLength(3);
    const index = parseBundleIndex(built.index, 'memory://t/ckpt.index');
    expect(index.header).toEqual({ numShards: 3, endianness: 'LITTLE', version: { producer: 1, minConsumer: 0, badConsumers: [] } });

    // Keys are in byte order; the partitioned variable's slice keys (starting with 0x00) come first.
    const keys = index.entries.map((e) => Buffer.from(e.keyBytes));
    expect([...keys].sort(Buffer.compare)).toEqual(keys);
    expect(index.entries[0]?.sliceOf?.name).toBe('part/w');
    expect(index.entries[0]?.key).toBe('part/w[0,2:-]');
    expect(index.entries[1]?.key).toBe('part/w[2,3:-]');

    for (const t of tensors) {
      const shard = t.shard ?? 0;
      if (t.slice) continue;
      const e = byKey(index.entries, typeof t.key === 'string' ? t.key : '');
      expect(e.dtype).toBe(typeof t.dtype === 'number' ? t.dtype : dtypeValue(t.dtype));
      expect(e.shape.dims).toEqual(t.shape);
      expect(e.shardId).toBe(shard);
      const data = (built.shards[shard] as Uint8Array).subarray(e.offset, e.offset + e.size);
      if ('data' in t) {
        expect(data).toEqual(t.data);
        expect(e.crc32c).toBe(maskCrc(crc32c(t.data)));
      } else if ('strings' in t) {
        const decoded = decodeStringTensor(data, t.strings.length, e.crc32c);
        expect(decoded).toEqual(t.strings.map((s) => (typeof s === 'string' ? enc(s) : s)));
      }
    }
    const full = byKey(index.entries, 'part/w');
    expect(full.shape.dims).toEqual([5, 3]);
    expect(full.slices).toEqual([
      [{ start: 0, length: 2 }, { start: 0, length: -1 }],
      [{ start: 2, length: 3 }, { start: 0, length: -1 }],
    ]);
    const s1 = index.entries[1] as BundleIndexEntry;
    expect((built.shards[2] as Uint8Array).subarray(s1.offset, s1.offset + s1.size)).toEqual(rawBytes(36, 6));

    // Every shard is covered exactly: data offsets follow the order of add calls, no gaps.
    for (let s = 0; s < 3; s++) {
      const ranges = index.entries.filter((e) => e.slices.length === 0 && e.shardId === s).map((e) => [e.offset, e.size] as const);
      ranges.sort((a, b) => a[0] - b[0]);
      let at = 0;
      for (const [off, size] of ranges) {
        expect(off).toBe(at);
        at += size;
      }
      expect(at).toBe(built.shards[s]?.length);
    }
  });

  it('stores strings as TensorFlow does (lengths, masked length checksum, bytes)', async () => {
    const built = await buildBundle([{ key: 's', dtype: 'DT_STRING', shape: [2], strings: ['ab', 'c'] }]);
    const e = parseBundleIndex(built.index).entries[0] as BundleIndexEntry;
    const lengthsCrc = crc32c(Uint8Array.from([2, 0, 0, 0, 1, 0, 0, 0]));
    const ck = maskCrc(lengthsCrc);
    const ckBytes = Uint8Array.from([ck & 0xff, (ck >>> 8) & 0xff, (ck >>> 16) & 0xff, ck >>> 24]);
    expect(built.shards[0]).toEqual(Uint8Array.from([2, 1, ...ckBytes, 0x61, 0x62, 0x63]));
    expect(e.size).toBe(9);
    expect(e.crc32c).toBe(maskCrc(crc32c(Uint8Array.from([2, 0, 0, 0, 1, 0, 0, 0, ...ckBytes, 0x61, 0x62, 0x63]))));
  });

  it('pads tensors to data_alignment like TensorFlow', async () => {
    const built = await buildBundle(
      [
        { key: 'a', dtype: 'DT_UINT8', shape: [3], data: Uint8Array.from([1, 2, 3]) },
        { key: 'b', dtype: 'DT_UINT8', shape: [1], data: Uint8Array.from([4]) },
      ],
      { dataAlignment: 8 },
    );
    expect(built.shards[0]).toEqual(Uint8Array.from([1, 2, 3, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]));
    expect(parseBundleIndex(built.index).entries.map((e) => [e.offset, e.size])).toEqual([[0, 3], [8, 1]]);
  });

  it('rejects bad input instead of writing a bundle TensorFlow cannot read', async () => {
    const w = () => new BundleWriter({ openShard: () => ({ write: () => undefined, close: () => undefined }) });
    await expect(w().add('x', { dtype: 'DT_FLOAT', shape: [2], data: new Uint8Array(4) })).rejects.toThrow(/needs 8 bytes/);
    await expect(w().add('', { dtype: 'DT_FLOAT', shape: [], data: new Uint8Array(4) })).rejects.toThrow(/reserved/);
    await expect(w().add('x', { dtype: 'DT_NOPE', shape: [], data: new Uint8Array(4) })).rejects.toThrow(/unknown dtype/);
    await expect(w().add('x', { dtype: 'DT_FLOAT', shape: [-1], data: new Uint8Array(0) })).rejects.toThrow(/invalid dimension/);
    await expect(w().add('x', { dtype: 'DT_STRING', shape: [2], strings: ['a'] })).rejects.toThrow(/needs 2 strings/);
    const dup = w();
    await dup.add('x', { dtype: 'DT_FLOAT', shape: [], data: new Uint8Array(4) });
    await expect(dup.add('x', { dtype: 'DT_FLOAT', shape: [], data: new Uint8Array(4) })).rejects.toThrow(/duplicate/);
    await expect(w().add('x', { dtype: 'DT_FLOAT', shape: [], data: new Uint8Array(4) }, { shard: 1 })).rejects.toThrow(/shard 1/);
  });

  it('stores a slice that covers the whole tensor as an ordinary tensor', async () => {
    const built = await buildBundle([
      { key: 'w', dtype: 'DT_FLOAT', shape: [2], data: new Uint8Array(8), slice: { fullShape: [2], extents: [{ start: 0, length: 2 }] } },
    ]);
    const entries = parseBundleIndex(built.index).entries;
    expect(entries.map((e) => [e.key, e.slices.length])).toEqual([['w', 0]]);
  });

  it('round-trips random raw tensors across random shards', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        async (keys, numShards) => {
          const tensors: TensorToWrite[] = keys.map((key, i) => ({ key, dtype: 'DT_INT16', shape: [i % 5], data: rawBytes(2 * (i % 5), i), shard: i % numShards }));
          const built = await buildBundle(tensors, { numShards });
          const json = inspectBundleJson(parseBundleIndex(built.index));
          expect(json.entries.map((e) => e.key).sort()).toEqual([...keys].sort());
          for (const t of tensors) {
            const e = json.entries.find((x) => x.key === t.key);
            const shard = built.shards[e?.shardId ?? -1] as Uint8Array;
            expect(shard.subarray(e?.offset, (e?.offset ?? 0) + (e?.size ?? 0))).toEqual('data' in t ? t.data : undefined);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
