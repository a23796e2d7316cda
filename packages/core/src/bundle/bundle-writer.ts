/**
 * Writes V2 bundles that TensorFlow reads: data shards with each tensor's bytes (masked crc32c per
 * tensor, string and variant tensors in TensorFlow's layout) and the `.index` SSTable written last.
 */
import { encodeBundleEntry, encodeBundleHeader, TENSOR_BUNDLE_VERSION, type BundleEntryProto, type BundleHeader, type TensorSlice } from './bundle-proto.js';
import { crc32c, maskCrc } from './crc.js';
import { dtypeLayout, dtypeName, dtypeSize, dtypeValue } from './dtypes.js';
import { encodeTensorNameSlice } from './ordered-code.js';
import { bytesKey, compareBytes } from './sstable-format.js';
import { buildSSTable, type SSTableWriterOptions } from './sstable-writer.js';
import { encodeStringTensor, encodeVariantTensor } from './tensor-checksum.js';

/** A dtype as its name (`DT_FLOAT`) or enum value (1). */
export type DTypeLike = string | number;

/** The values of one tensor (or one slice of a partitioned tensor). */
export type TensorValue =
  /** Raw little-endian element bytes, row-major (numbers, bool, half, bfloat16, complex, ...). */
  | { dtype: DTypeLike; shape: readonly number[]; data: Uint8Array }
  /** DT_STRING: one element per string (text is written as UTF-8). */
  | { dtype: 'DT_STRING' | 7; shape: readonly number[]; strings: ReadonlyArray<string | Uint8Array> }
  /** DT_VARIANT: each element a serialized `VariantTensorDataProto`. */
  | { dtype: 'DT_VARIANT' | 21; shape: readonly number[]; variants: readonly Uint8Array[] };

/** Where the bytes of one shard go; chunks arrive in file order. */
export interface ShardSink {
  write(chunk: Uint8Array): void | Promise<void>;
  close(): void | Promise<void>;
}

/** Options of {@link BundleWriter}. */
export interface BundleWriterOptions {
  /** Number of data shards (default 1); every shard file is created, even when empty. */
  numShards?: number | undefined;
  /** Opens shard `shardId` of `numShards` for writing (called once per shard, in order, at the first write or at finish). */
  openShard: (shardId: number, numShards: number) => ShardSink | Promise<ShardSink>;
  /** Pads each tensor with zeros to a multiple of this many bytes (TensorFlow's `data_alignment`, default 1). */
  dataAlignment?: number | undefined;
  /** Table options for the index (TensorFlow's defaults: no compression). */
  table?: SSTableWriterOptions | undefined;
}

/** Per-tensor options. */
export interface AddOptions {
  /** Data shard for this tensor (default 0). */
  shard?: number | undefined;
}

const utf8 = new TextEncoder();

function toKeyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? utf8.encode(key) : key;
}

function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new RangeError(`shape [${shape.join(', ')}] has too many elements`);
  return n;
}

function resolveDtype(d: DTypeLike): number {
  const v = typeof d === 'number' ? d : dtypeValue(d);
  if (v === undefined || !Number.isInteger(v) || v <= 0) throw new RangeError(`unknown dtype ${String(d)}`);
  return v;
}

/** Encodes one tensor's data as it appears in a shard; returns the bytes and the masked crc. */
export function encodeTensor(value: TensorValue): { dtype: number; bytes: Uint8Array; crc32c: number } {
  const dtype = resolveDtype(value.dtype);
  const n = numElements(value.shape);
  const layout = dtypeLayout(dtype);
  if (layout === 'string') {
    if (!('strings' in value)) throw new TypeError(`${dtypeName(dtype)} tensors take 'strings'`);
    if (value.strings.length !== n) throw new RangeError(`shape [${value.shape.join(', ')}] needs ${n} strings, got ${value.strings.length}`);
    return { dtype, ...encodeStringTensor(value.strings.map((s) => (typeof s === 'string' ? utf8.encode(s) : s))) };
  }
  if (layout === 'variant') {
    if (!('variants' in value)) throw new TypeError(`${dtypeName(dtype)} tensors take 'variants'`);
    if (value.variants.length !== n) throw new RangeError(`shape [${value.shape.join(', ')}] needs ${n} variants, got ${value.variants.length}`);
    return { dtype, ...encodeVariantTensor(value.variants) };
  }
  if (!('data' in value)) throw new TypeError(`${dtypeName(dtype)} tensors take 'data'`);
  const size = dtypeSize(dtype);
  if (size !== undefined && value.data.length !== n * size) {
    throw new RangeError(`${dtypeName(dtype)} shape [${value.shape.join(', ')}] needs ${n * size} bytes, got ${value.data.length}`);
  }
  return { dtype, bytes: value.data, crc32c: maskCrc(crc32c(value.data)) };
}

/**
 * Streams a bundle: tensors are appended to their shard as they are added (nothing but the index
 * entries is kept in memory); {@link finish} closes the shards and returns the `.index` bytes,
 * which the caller writes last so that a reader never sees an index without its data.
 *
 * Keys are stored in bytewise order in the index whatever the order of `add` calls; data offsets
 * follow the order of `add` calls, as in TensorFlow.
 */
export class BundleWriter {
  private readonly numShards: number;
  private readonly sinks: Array<Promise<ShardSink> | undefined> = [];
  private readonly sizes: number[];
  private readonly entries = new Map<string, { key: Uint8Array; entry: BundleEntryProto }>();
  private readonly alignment: number;
  private finished = false;

  constructor(private readonly options: BundleWriterOptions) {
    this.numShards = options.numShards ?? 1;
    if (!Number.isInteger(this.numShards) || this.numShards < 1) throw new RangeError(`numShards must be a positive integer`);
    this.alignment = options.dataAlignment ?? 1;
    if (!Number.isInteger(this.alignment) || this.alignment < 1) throw new RangeError(`dataAlignment must be a positive integer`);
    this.sizes = new Array<number>(this.numShards).fill(0);
  }

  private sink(shard: number): Promise<ShardSink> {
    let s = this.sinks[shard];
    if (!s) {
      // Open lower-numbered shards first so sinks are created in a predictable order.
      for (let i = 0; i < shard; i++) if (!this.sinks[i]) this.sinks[i] = Promise.resolve(this.options.openShard(i, this.numShards));
      s = Promise.resolve(this.options.openShard(shard, this.numShards));
      this.sinks[shard] = s;
    }
    return s;
  }

  private async append(keyBytes: Uint8Array, value: TensorValue, options: AddOptions): Promise<BundleEntryProto> {
    if (this.finished) throw new Error('BundleWriter is finished');
    if (keyBytes.length === 0) throw new RangeError('the empty key is reserved for the bundle header');
    const shard = options.shard ?? 0;
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.numShards) throw new RangeError(`shard ${shard} is not in [0, ${this.numShards})`);
    const { dtype, bytes, crc32c: crc } = encodeTensor(value);
    const sink = await this.sink(shard);
    const offset = this.sizes[shard] as number;
    await sink.write(bytes);
    let size = offset + bytes.length;
    const over = size % this.alignment;
    if (over !== 0) {
      await sink.write(new Uint8Array(this.alignment - over));
      size += this.alignment - over;
    }
    this.sizes[shard] = size;
    return {
      dtype,
      shape: { dims: [...value.shape], unknownRank: false },
      shardId: shard,
      offset,
      size: bytes.length,
      crc32c: crc,
      slices: [],
    };
  }

  /** Adds a whole tensor under `key`. Throws a RangeError for a duplicate key or data that does not match the shape. */
  async add(key: string | Uint8Array, value: TensorValue, options: AddOptions = {}): Promise<void> {
    const keyBytes = toKeyBytes(key);
    const mk = bytesKey(keyBytes);
    if (this.entries.has(mk)) throw new RangeError(`duplicate key ${JSON.stringify(typeof key === 'string' ? key : new TextDecoder().decode(key))}`);
    const entry = await this.append(keyBytes, value, options);
    this.entries.set(mk, { key: keyBytes, entry });
  }

  /**
   * Adds one slice of the partitioned tensor `key` (TensorFlow's `AddSlice`): the full entry gets
   * dtype, full shape and the slice; the data goes under the encoded slice key. A slice covering
   * the whole tensor is stored as an ordinary tensor, as TensorFlow does.
   */
  async addSlice(key: string | Uint8Array, fullShape: readonly number[], slice: TensorSlice, value: TensorValue, options: AddOptions = {}): Promise<void> {
    const keyBytes = toKeyBytes(key);
    if (slice.length !== fullShape.length) throw new RangeError(`slice rank ${slice.length} != shape rank ${fullShape.length}`);
    const sliced: number[] = [];
    slice.forEach((e, d) => {
      const full = fullShape[d] as number;
      if (e.length === -1) sliced.push(full);
      else {
        if (e.start < 0 || e.length < 0 || e.start + e.length > full) throw new RangeError(`slice extent ${d} {${e.start}, ${e.length}} outside dimension ${full}`);
        sliced.push(e.length);
      }
    });
    if (value.shape.length !== sliced.length || value.shape.some((d, i) => d !== sliced[i])) {
      throw new RangeError(`slice tensor shape [${value.shape.join(', ')}] != slice shape [${sliced.join(', ')}]`);
    }
    if (sliced.every((d, i) => d === fullShape[i])) return this.add(keyBytes, value, options);
    const mk = bytesKey(keyBytes);
    const dtype = resolveDtype(value.dtype);
    const existing = this.entries.get(mk);
    if (existing) {
      if (existing.entry.slices.length === 0) throw new RangeError(`duplicate key: ${JSON.stringify(new TextDecoder().decode(keyBytes))} is not partitioned`);
      if (existing.entry.dtype !== dtype || existing.entry.shape.dims.join() !== fullShape.join()) {
        throw new RangeError(`slice of ${JSON.stringify(new TextDecoder().decode(keyBytes))} disagrees with earlier slices on dtype or shape`);
      }
    }
    const sliceKey = encodeTensorNameSlice(keyBytes, slice);
    const smk = bytesKey(sliceKey);
    if (this.entries.has(smk)) throw new RangeError('duplicate slice');
    const sliceEntry = await this.append(sliceKey, value, options);
    this.entries.set(smk, { key: sliceKey, entry: sliceEntry });
    const full = existing ?? {
      key: keyBytes,
      entry: { dtype, shape: { dims: [...fullShape], unknownRank: false }, shardId: 0, offset: 0, size: 0, crc32c: 0, slices: [] },
    };
    full.entry.slices.push(slice.map((e) => ({ ...e })));
    this.entries.set(mk, full);
  }

  /** Closes every shard (creating empty ones never written) and returns the `.index` file bytes. */
  async finish(): Promise<Uint8Array> {
    if (this.finished) throw new Error('BundleWriter is finished');
    this.finished = true;
    for (let i = 0; i < this.numShards; i++) await (await this.sink(i)).close();
    const header: BundleHeader = {
      numShards: this.numShards,
      endianness: 'LITTLE',
      version: { producer: TENSOR_BUNDLE_VERSION, minConsumer: 0, badConsumers: [] },
    };
    const sorted = [...this.entries.values()].sort((a, b) => compareBytes(a.key, b.key));
    const rows = [{ key: new Uint8Array(0), value: encodeBundleHeader(header) }, ...sorted.map((e) => ({ key: e.key, value: encodeBundleEntry(e.entry) }))];
    return buildSSTable(rows, this.options.table);
  }
}

/** A named tensor for {@link buildBundle}. */
export type TensorToWrite = TensorValue & {
  key: string | Uint8Array;
  shard?: number | undefined;
  /** Makes this one slice of the partitioned tensor `key` of shape `fullShape`. */
  slice?: { fullShape: readonly number[]; extents: TensorSlice } | undefined;
};

/** A complete bundle in memory. */
export interface BuiltBundle {
  index: Uint8Array;
  /** `shards[i]` is the content of `PREFIX.data-0000i-of-N`. */
  shards: Uint8Array[];
}

/** Builds a bundle in memory (tests, small checkpoints). */
export async function buildBundle(
  tensors: Iterable<TensorToWrite>,
  options: Omit<BundleWriterOptions, 'openShard'> = {},
): Promise<BuiltBundle> {
  const chunks: Uint8Array[][] = [];
  const writer = new BundleWriter({
    ...options,
    openShard: (id) => {
      const list: Uint8Array[] = [];
      chunks[id] = list;
      return { write: (c) => void list.push(c), close: () => undefined };
    },
  });
  for (const t of tensors) {
    if (t.slice) await writer.addSlice(t.key, t.slice.fullShape, t.slice.extents, t, { shard: t.shard });
    else await writer.add(t.key, t, { shard: t.shard });
  }
  const index = await writer.finish();
  return { index, shards: chunks.map(concat) };
}


function concat(list: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(list.reduce((n, c) => n + c.length, 0));
  let p = 0;
  for (const c of list) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}
