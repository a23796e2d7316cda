/**
 * The JSON documents of `ckpt inspect --json` (cli.md): built here so the CLI and library users
 * print the same thing.
 */
import type { TensorSlice, VersionDef } from './bundle-proto.js';
import { dtypeName } from './dtypes.js';
import type { BundleIndex, BundleIndexEntry } from './index-reader.js';
import { encodeTensorNameSlice, sliceToString } from './ordered-code.js';
import { bytesKey } from './sstable-format.js';
import type { V1Checkpoint } from './v1-reader.js';

/** One slice of a partitioned tensor, with where its data is (absent when its entry is missing). */
export interface InspectSliceJson {
  /** TensorFlow's notation: `-` for a whole dimension, else `start,length`; dimensions joined by `:`. */
  spec: string;
  extents: Array<{ start: number; length: number }>;
  shardId?: number;
  offset?: number;
  size?: number;
  crc32c?: number;
}

/** One variable. */
export interface InspectEntryJson {
  key: string;
  dtype: string;
  shape: number[];
  unknownRank?: true;
  shardId?: number;
  offset?: number;
  size?: number;
  /** As stored: masked CRC-32C. */
  crc32c?: number;
  slices?: InspectSliceJson[];
}

/** `ckpt inspect --json` output. */
export interface InspectJson {
  format: 'tf-v2' | 'tf-v1';
  header: { numShards?: number; endianness?: 'LITTLE' | 'BIG'; version: { producer: number; minConsumer: number; badConsumers?: number[] } };
  entries: InspectEntryJson[];
}

function versionJson(v: VersionDef): InspectJson['header']['version'] {
  return v.badConsumers.length > 0 ? { producer: v.producer, minConsumer: v.minConsumer, badConsumers: [...v.badConsumers] } : { producer: v.producer, minConsumer: v.minConsumer };
}

function sliceJson(slice: TensorSlice): InspectSliceJson {
  return { spec: sliceToString(slice), extents: slice.map((e) => ({ start: e.start, length: e.length })) };
}

/**
 * The variables of a V2 bundle in key order, as TensorFlow lists them: the header and the data
 * entries of slices are not listed on their own; a partitioned tensor lists its slices, each with
 * the location of its data.
 */
export function inspectBundleJson(index: BundleIndex): InspectJson {
  const byKey = new Map<string, BundleIndexEntry>();
  for (const e of index.entries) byKey.set(bytesKey(e.keyBytes), e);
  const sliceKeys = new Set<string>();
  for (const e of index.entries) for (const s of e.slices) sliceKeys.add(bytesKey(encodeTensorNameSlice(e.keyBytes, s)));

  const entries: InspectEntryJson[] = [];
  for (const e of index.entries) {
    if (sliceKeys.has(bytesKey(e.keyBytes))) continue;
    const base: InspectEntryJson = { key: e.key, dtype: dtypeName(e.dtype), shape: [...e.shape.dims] };
    if (e.shape.unknownRank) base.unknownRank = true;
    if (e.slices.length === 0) {
      entries.push({ ...base, shardId: e.shardId, offset: e.offset, size: e.size, crc32c: e.crc32c });
      continue;
    }
    base.slices = e.slices.map((s) => {
      const out = sliceJson(s);
      const data = byKey.get(bytesKey(encodeTensorNameSlice(e.keyBytes, s)));
      return data ? { ...out, shardId: data.shardId, offset: data.offset, size: data.size, crc32c: data.crc32c } : out;
    });
    entries.push(base);
  }
  return {
    format: 'tf-v2',
    header: { numShards: index.header.numShards, endianness: index.header.endianness, version: versionJson(index.header.version) },
    entries,
  };
}

/** The variables of a V1 checkpoint, sorted by name (V1 files have no shards or offsets). */
export function inspectV1Json(ckpt: V1Checkpoint): InspectJson {
  const entries = ckpt.tensors
    .map((t): InspectEntryJson => {
      const e: InspectEntryJson = { key: t.name, dtype: t.dtypeName, shape: [...t.shape.dims], slices: t.slices.map(sliceJson) };
      if (t.shape.unknownRank) e.unknownRank = true;
      return e;
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { format: 'tf-v1', header: { version: versionJson(ckpt.versions) }, entries };
}
