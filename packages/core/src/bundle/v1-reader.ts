/**
 * Metadata of V1 checkpoints (`TensorSliceWriter` single files, e.g. TF-Slim model-zoo
 * `model.ckpt`): the same SSTable container, whose key `""` holds `SavedTensorSlices.meta` listing
 * every tensor with its shape, dtype and saved slices (format doc §4.5,
 * tensorflow/core/util/saved_tensor_slice.proto).
 */
import type { ByteSource } from './byte-source.js';
import { decodeTensorShape, decodeTensorSlice, decodeVersionDef, type TensorShape, type TensorSlice, type VersionDef } from './bundle-proto.js';
import { dtypeName } from './dtypes.js';
import { corruptError, corruptReason, errorDetail, withUri } from './errors.js';
import { decodeTensorNameSlice } from './ordered-code.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT, expectWire } from './proto.js';
import { parseSSTable, readFirstBlock, type ReadTableOptions, type SSTableEntry } from './sstable-reader.js';

/** One tensor of a V1 checkpoint (`SavedSliceMeta`). */
export interface V1Tensor {
  name: string;
  dtype: number;
  dtypeName: string;
  shape: TensorShape;
  /** The slices saved for this tensor; one full slice for an unpartitioned variable. */
  slices: TensorSlice[];
}

/** The metadata of a V1 checkpoint file. */
export interface V1Checkpoint {
  uri: string | undefined;
  versions: VersionDef;
  tensors: V1Tensor[];
  fileSize: number;
}

/** One data record of a V1 file (`SavedSlice`), listed only when the whole file is parsed. */
export interface V1Record {
  name: string;
  slice: TensorSlice;
  /** Serialized `TensorProto` size in bytes. */
  dataBytes: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function decodeSliceMeta(r: ProtoReader): V1Tensor {
  const t: V1Tensor = { name: '', dtype: 0, dtypeName: dtypeName(0), shape: { dims: [], unknownRank: false }, slices: [] };
  while (!r.eof()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(wire, WIRE_LEN, 'SavedSliceMeta.name');
      t.name = utf8.decode(r.bytes());
    } else if (field === 2) {
      expectWire(wire, WIRE_LEN, 'SavedSliceMeta.shape');
      t.shape = decodeTensorShape(r.message());
    } else if (field === 3) {
      expectWire(wire, WIRE_VARINT, 'SavedSliceMeta.type');
      t.dtype = r.int32();
      t.dtypeName = dtypeName(t.dtype);
    } else if (field === 4) {
      expectWire(wire, WIRE_LEN, 'SavedSliceMeta.slice');
      t.slices.push(decodeTensorSlice(r.message()));
    } else r.skip(wire);
  }
  return t;
}

/** Decodes the value of key `""`: `SavedTensorSlices { meta = 1 }`. */
export function decodeV1Meta(value: Uint8Array): { versions: VersionDef; tensors: V1Tensor[] } {
  const out = { versions: { producer: 0, minConsumer: 0, badConsumers: [] } as VersionDef, tensors: [] as V1Tensor[] };
  let sawMeta = false;
  const r = new ProtoReader(value);
  while (!r.eof()) {
    const { field, wire } = r.tag();
    if (field !== 1) {
      r.skip(wire);
      continue;
    }
    expectWire(wire, WIRE_LEN, 'SavedTensorSlices.meta');
    sawMeta = true;
    const m = r.message();
    while (!m.eof()) {
      const t = m.tag();
      if (t.field === 1) {
        expectWire(t.wire, WIRE_LEN, 'SavedTensorSliceMeta.tensor');
        out.tensors.push(decodeSliceMeta(m.message()));
      } else if (t.field === 2) {
        expectWire(t.wire, WIRE_LEN, 'SavedTensorSliceMeta.versions');
        out.versions = decodeVersionDef(m.message());
      } else m.skip(t.wire);
    }
  }
  if (!sawMeta) throw corruptError('BAD_HEADER', 'the first entry holds no SavedTensorSliceMeta', { operation: 'decode' });
  return out;
}

function fromEntries(entries: SSTableEntry[], uri: string | undefined, fileSize: number): V1Checkpoint {
  const first = entries[0];
  if (!first || first.key.length !== 0) throw corruptError('BAD_HEADER', 'not a V1 checkpoint: no metadata entry (key "")', { uri });
  try {
    return { uri, fileSize, ...decodeV1Meta(first.value) };
  } catch (e) {
    throw corruptReason(e) === undefined ? e : corruptError('BAD_HEADER', `unable to parse V1 metadata: ${errorDetail(e)}`, { uri, cause: e });
  }
}

/**
 * Reads the metadata of a V1 checkpoint file without reading its tensor data: usually one ranged
 * read for a small file, two or three for a large one. Throws `CORRUPT` errors as the index reader.
 */
export async function readV1Checkpoint(src: ByteSource, options: ReadTableOptions = {}): Promise<V1Checkpoint> {
  try {
    const head = await readFirstBlock(src, options);
    return fromEntries(head.entries, src.uri, head.fileSize);
  } catch (e) {
    throw corruptReason(e) === undefined ? e : withUri(e, 'read-v1', src.uri);
  }
}

/** Parses a whole V1 file in memory: the metadata and every data record (checking keys agree with records). */
export function parseV1Checkpoint(bytes: Uint8Array, uri?: string): V1Checkpoint & { records: V1Record[] } {
  const table = parseSSTable({ uri, fileSize: bytes.length, start: 0, bytes });
  const meta = fromEntries(table.entries, uri, bytes.length);
  const records: V1Record[] = [];
  for (const e of table.entries.slice(1)) {
    const decodedKey = decodeTensorNameSlice(e.key);
    if (!decodedKey) throw corruptError('BAD_ENTRY', 'a V1 data key is not an encoded tensor slice name', { uri });
    const r = new ProtoReader(e.value);
    let rec: V1Record | undefined;
    while (!r.eof()) {
      const { field, wire } = r.tag();
      if (field !== 2) {
        r.skip(wire);
        continue;
      }
      expectWire(wire, WIRE_LEN, 'SavedTensorSlices.data');
      const s = r.message();
      const cur: V1Record = { name: '', slice: [], dataBytes: 0 };
      while (!s.eof()) {
        const t = s.tag();
        if (t.field === 1) cur.name = utf8.decode(s.bytes());
        else if (t.field === 2) cur.slice = decodeTensorSlice(s.message());
        else if (t.field === 3) cur.dataBytes = s.bytes().length;
        else s.skip(t.wire);
      }
      rec = cur;
    }
    if (!rec) throw corruptError('BAD_ENTRY', 'a V1 data entry holds no SavedSlice', { uri });
    if (rec.name !== utf8.decode(decodedKey.name)) throw corruptError('BAD_ENTRY', `V1 record ${JSON.stringify(rec.name)} is stored under another tensor's key`, { uri });
    records.push(rec);
  }
  return { ...meta, records };
}
