/**
 * The protobuf messages of a V2 bundle index (tensor_bundle.proto, tensor_shape.proto,
 * tensor_slice.proto, versions.proto): decoding with proto3 defaults and unknown fields skipped,
 * and encoding byte-for-byte as TensorFlow's C++ serializer does (field order, zeros omitted).
 */
import { ProtoReader, ProtoWriter, WIRE_FIXED32, WIRE_LEN, WIRE_VARINT, expectWire } from './proto.js';
import { corruptError } from './errors.js';

/** `VersionDef`: who wrote the bundle and which readers may read it. */
export interface VersionDef {
  producer: number;
  minConsumer: number;
  badConsumers: number[];
}

/** `BundleHeaderProto`, the value of the index's first entry (key `""`). */
export interface BundleHeader {
  numShards: number;
  /** Byte order of the tensor data (not of the index). */
  endianness: 'LITTLE' | 'BIG';
  version: VersionDef;
}

/**
 * One dimension of a `TensorSliceProto`: `length` -1 means the whole dimension (TensorFlow's
 * `kFullExtent`, stored as an empty `Extent`).
 */
export interface SliceExtent {
  start: number;
  length: number;
}

/** `TensorSliceProto`: one extent per dimension of the full tensor. */
export type TensorSlice = SliceExtent[];

/** `TensorShapeProto`: dims (-1 = unknown) and whether even the rank is unknown. */
export interface TensorShape {
  dims: number[];
  unknownRank: boolean;
}

/** `BundleEntryProto`: where a tensor's bytes are and how to check them. */
export interface BundleEntryProto {
  dtype: number;
  shape: TensorShape;
  shardId: number;
  offset: number;
  size: number;
  /** As stored: masked CRC-32C. */
  crc32c: number;
  /** Non-empty iff this is a partitioned tensor; then shard/offset/size/crc are meaningless. */
  slices: TensorSlice[];
}

/** TensorFlow's `kTensorBundleVersion`, the version this code reads and writes. */
export const TENSOR_BUNDLE_VERSION = 1;

export function decodeVersionDef(r: ProtoReader): VersionDef {
  const v: VersionDef = { producer: 0, minConsumer: 0, badConsumers: [] };
  while (!r.eof()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(wire, WIRE_VARINT, 'VersionDef.producer');
      v.producer = r.int32();
    } else if (field === 2) {
      expectWire(wire, WIRE_VARINT, 'VersionDef.min_consumer');
      v.minConsumer = r.int32();
    } else if (field === 3) {
      r.repeatedInt64(wire, v.badConsumers);
    } else r.skip(wire);
  }
  return v;
}

/** Decodes a serialized `BundleHeaderProto`. */
export function decodeBundleHeader(bytes: Uint8Array): BundleHeader {
  const r = new ProtoReader(bytes);
  const h: BundleHeader = { numShards: 0, endianness: 'LITTLE', version: { producer: 0, minConsumer: 0, badConsumers: [] } };
  while (!r.eof()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(wire, WIRE_VARINT, 'BundleHeaderProto.num_shards');
      h.numShards = r.int32();
    } else if (field === 2) {
      expectWire(wire, WIRE_VARINT, 'BundleHeaderProto.endianness');
      const e = r.int32();
      if (e !== 0 && e !== 1) throw corruptError('BAD_HEADER', `unknown endianness ${e}`, { operation: 'decode' });
      h.endianness = e === 1 ? 'BIG' : 'LITTLE';
    } else if (field === 3) {
      expectWire(wire, WIRE_LEN, 'BundleHeaderProto.version');
      h.version = decodeVersionDef(r.message());
    } else r.skip(wire);
  }
  return h;
}

export function encodeBundleHeader(h: BundleHeader): Uint8Array {
  return new ProtoWriter()
    .int64(1, h.numShards)
    .int64(2, h.endianness === 'BIG' ? 1 : 0)
    .message(3, (w) => {
      w.int64(1, h.version.producer).int64(2, h.version.minConsumer);
      for (const b of h.version.badConsumers) w.int64(3, b, true);
    })
    .finish();
}

function decodeDim(r: ProtoReader): number {
  let size = 0;
  while (!r.eof()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(wire, WIRE_VARINT, 'TensorShapeProto.Dim.size');
      size = r.int64();
    } else r.skip(wire); // field 2 = name, not needed
  }
  return size;
}

export function decodeTensorShape(r: ProtoReader): TensorShape {
  const s: TensorShape = { dims: [], unknownRank: false };
  while (!r.eof()) {
    const { field, wire } = r.tag();
    if (field === 2) {
      expectWire(wire, WIRE_LEN, 'TensorShapeProto.dim');
      s.dims.push(decodeDim(r.message()));
    } else if (field === 3) {
      expectWire(wire, WIRE_VARINT, 'TensorShapeProto.unknown_rank');
      s.unknownRank = r.bool();
    } else r.skip(wire);
  }
  return s;
}

export function encodeTensorShape(w: ProtoWriter, s: TensorShape): void {
  for (const d of s.dims) w.message(2, (dw) => dw.int64(1, d));
  w.bool(3, s.unknownRank);
}

export function decodeTensorSlice(r: ProtoReader): TensorSlice {
  const extents: TensorSlice = [];
  while (!r.eof()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(wire, WIRE_LEN, 'TensorSliceProto.extent');
      const er = r.message();
      let start = 0;
      let length: number | undefined;
      while (!er.eof()) {
        const t = er.tag();
        if (t.field === 1) {
          expectWire(t.wire, WIRE_VARINT, 'Extent.start');
          start = er.int64();
        } else if (t.field === 2) {
          expectWire(t.wire, WIRE_VARINT, 'Extent.length');
          length = er.int64();
        } else er.skip(t.wire);
      }
      // Without `length` the extent is the whole dimension, whatever `start` says (TensorSlice ctor).
      extents.push(length === undefined ? { start: 0, length: -1 } : { start, length });
    } else r.skip(wire);
  }
  return extents;
}

export function encodeTensorSlice(w: ProtoWriter, slice: TensorSlice): void {
  for (const e of slice) {
    w.message(1, (ew) => {
      if (e.length === -1) return;
      ew.int64(1, e.start);
      // `length` is in a oneof, so it is written even when 0.
      ew.int64(2, e.length, true);
    });
  }
}

/** Decodes a serialized `BundleEntryProto` (proto3: absent fields are 0). */
export function decodeBundleEntry(bytes: Uint8Array): BundleEntryProto {
  const r = new ProtoReader(bytes);
  const e: BundleEntryProto = {
    dtype: 0,
    shape: { dims: [], unknownRank: false },
    shardId: 0,
    offset: 0,
    size: 0,
    crc32c: 0,
    slices: [],
  };
  while (!r.eof()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        expectWire(wire, WIRE_VARINT, 'BundleEntryProto.dtype');
        e.dtype = r.int32();
        break;
      case 2:
        expectWire(wire, WIRE_LEN, 'BundleEntryProto.shape');
        e.shape = decodeTensorShape(r.message());
        break;
      case 3:
        expectWire(wire, WIRE_VARINT, 'BundleEntryProto.shard_id');
        e.shardId = r.int32();
        break;
      case 4:
        expectWire(wire, WIRE_VARINT, 'BundleEntryProto.offset');
        e.offset = r.int64();
        break;
      case 5:
        expectWire(wire, WIRE_VARINT, 'BundleEntryProto.size');
        e.size = r.int64();
        break;
      case 6:
        expectWire(wire, WIRE_FIXED32, 'BundleEntryProto.crc32c');
        e.crc32c = r.fixed32();
        break;
      case 7:
        expectWire(wire, WIRE_LEN, 'BundleEntryProto.slices');
        e.slices.push(decodeTensorSlice(r.message()));
        break;
      default:
        r.skip(wire);
    }
  }
  return e;
}

/** Encodes a `BundleEntryProto` exactly as TensorFlow's BundleWriter serializes it. */
export function encodeBundleEntry(e: BundleEntryProto): Uint8Array {
  const w = new ProtoWriter().int64(1, e.dtype).message(2, (sw) => encodeTensorShape(sw, e.shape));
  w.int64(3, e.shardId).int64(4, e.offset).int64(5, e.size).fixed32(6, e.crc32c);
  for (const s of e.slices) w.message(7, (sw) => encodeTensorSlice(sw, s));
  return w.finish();
}
