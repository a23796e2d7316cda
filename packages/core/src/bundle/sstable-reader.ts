/**
 * Reader for TensorFlow's SSTable (`table::Table`), the container of `.index` files and of V1
 * checkpoints. Every block's masked crc32c is checked (TensorFlow always verifies), snappy blocks
 * are decompressed with the `snappy` package, and every length is checked against the bytes
 * actually present before it is used.
 */
import { uncompressSync } from 'snappy';
import type { ByteSource } from './byte-source.js';
import { readExactly } from './byte-source.js';
import { crc32c, unmaskCrc } from './crc.js';
import { corruptError } from './errors.js';
import { lfsMessage, parseLfsPointer } from './lfs.js';
import {
  BLOCK_TRAILER_SIZE,
  FOOTER_SIZE,
  MAGIC_HI,
  MAGIC_LO,
  NO_COMPRESSION,
  SNAPPY_COMPRESSION,
  compareBytes,
  decodeVarint,
  readFixed32,
  type BlockHandle,
} from './sstable-format.js';

/** One key/value of a table; both are views into block memory. */
export interface SSTableEntry {
  key: Uint8Array;
  value: Uint8Array;
}

/** What one block looked like on disk, for `inspect` and tests. */
export interface SSTableBlockInfo {
  kind: 'metaindex' | 'index' | 'data';
  offset: number;
  /** Stored size (compressed when `compression` is 1), without the trailer. */
  size: number;
  compression: number;
  entries: number;
  restarts: number;
}

/** A whole table: every entry in key order, and the blocks it came from. */
export interface SSTable {
  fileSize: number;
  /**
   * False when the footer's padding (after the two block handles) is not all zero. TensorFlow
   * writes zeros and ignores them when reading; a non-zero byte there means the file was altered.
   */
  footerPaddingZero: boolean;
  entries: SSTableEntry[];
  blocks: SSTableBlockInfo[];
}

/** Bytes `[start, start + bytes.length)` of a file of `fileSize` bytes. */
export interface FileView {
  uri?: string | undefined;
  fileSize: number;
  start: number;
  bytes: Uint8Array;
}

/** Speculative tail read: large enough that most indexes cost one ranged GET. */
export const DEFAULT_TAIL_BYTES = 64 * 1024;

function fail(reason: Parameters<typeof corruptError>[0], message: string, uri: string | undefined): never {
  throw corruptError(reason, message, { uri });
}

/**
 * Decodes the 48-byte footer: the metaindex and index block handles, after checking the magic.
 * `head`, the first bytes of the file when known, lets a truncated table be told from a file that
 * never was one.
 */
export function decodeFooter(footer: Uint8Array, uri?: string, head?: Uint8Array): { metaindex: BlockHandle; index: BlockHandle; paddingZero: boolean } {
  if (footer.length !== FOOTER_SIZE) fail('TRUNCATED', `file is too short to be an sstable`, uri);
  if (readFixed32(footer, 40) !== MAGIC_LO || readFixed32(footer, 44) !== MAGIC_HI) {
    if (head && looksLikeTableStart(head)) {
      fail('TRUNCATED', 'the file starts like a TensorFlow index/V1 checkpoint but ends without its footer: it is truncated (an interrupted write or copy)', uri);
    }
    fail('BAD_MAGIC', 'not an sstable (bad magic number): the file is not a TensorFlow index/V1 checkpoint, or it is truncated', uri);
  }
  const h1 = decodeBlockHandle(footer, 0, 40, uri);
  const h2 = decodeBlockHandle(footer, h1.next, 40, uri);
  return { metaindex: h1.handle, index: h2.handle, paddingZero: footer.subarray(h2.next, 40).every((b) => b === 0) };
}

/** Bytes needed by {@link looksLikeTableStart}. */
const HEAD_PROBE_BYTES = 8;

/**
 * True when `head` starts like the first data block TensorFlow writes for a bundle index or a V1
 * file: the first entry has the empty key (`00 00`), then a value length, then a protobuf whose
 * first field is `BundleHeaderProto.num_shards` (`08`) or `SavedTensorSlices.meta` (`0a`).
 */
function looksLikeTableStart(head: Uint8Array): boolean {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0) return false;
  const vlen = decodeVarint(head, 2, head.length, 5);
  return vlen !== undefined && vlen.value > 0 && (head[vlen.next] === 0x08 || head[vlen.next] === 0x0a);
}

/** Decodes a `BlockHandle` (varint64 offset, varint64 size) at `p`. */
export function decodeBlockHandle(b: Uint8Array, p: number, end: number, uri?: string): { handle: BlockHandle; next: number } {
  const off = decodeVarint(b, p, end);
  const size = off && decodeVarint(b, off.next, end);
  if (!off || !size) fail('BAD_BLOCK', 'bad block handle', uri);
  return { handle: { offset: off.value, size: size.value }, next: size.next };
}

function viewSlice(view: FileView, offset: number, length: number): Uint8Array {
  const rel = offset - view.start;
  if (rel < 0 || rel + length > view.bytes.length) {
    throw new RangeError(`bytes [${offset}, ${offset + length}) are not loaded`);
  }
  return view.bytes.subarray(rel, rel + length);
}

/**
 * Returns a block's contents after checking that the handle lies inside the file, checking the
 * trailer's masked crc32c (over the stored bytes and the type byte) and decompressing snappy.
 */
export function readBlock(view: FileView, handle: BlockHandle): { contents: Uint8Array; compression: number } {
  const limit = view.fileSize - FOOTER_SIZE;
  if (handle.offset + handle.size + BLOCK_TRAILER_SIZE > limit) {
    fail(
      'BAD_LENGTH',
      `block handle {offset ${handle.offset}, size ${handle.size}} points past the ${limit} bytes before the footer`,
      view.uri,
    );
  }
  const raw = viewSlice(view, handle.offset, handle.size + BLOCK_TRAILER_SIZE);
  const stored = raw.subarray(0, handle.size);
  const type = raw[handle.size] as number;
  const expected = unmaskCrc(readFixed32(raw, handle.size + 1));
  const actual = crc32c(raw.subarray(0, handle.size + 1));
  if (expected !== actual) {
    fail('BLOCK_CHECKSUM', `block checksum mismatch in the block at offset ${handle.offset} (size ${handle.size})`, view.uri);
  }
  if (type === NO_COMPRESSION) return { contents: stored, compression: type };
  if (type === SNAPPY_COMPRESSION) return { contents: snappyUncompress(stored, handle.offset, view.uri), compression: type };
  return fail('BAD_BLOCK', `bad block type ${type} in the block at offset ${handle.offset}`, view.uri);
}

// Raw snappy expands at most 64 bytes per 3-byte copy tag; a bigger claimed length is a lie
// that would make the decompressor allocate on our behalf.
const SNAPPY_MAX_EXPANSION = 22;

function snappyUncompress(stored: Uint8Array, offset: number, uri: string | undefined): Uint8Array {
  const pre = decodeVarint(stored, 0, stored.length, 5);
  if (!pre) fail('BAD_COMPRESSION', `corrupted compressed block contents at offset ${offset} (bad length preamble)`, uri);
  const limit = (stored.length - pre.next) * SNAPPY_MAX_EXPANSION;
  if (pre.value > limit) {
    fail('BAD_LENGTH', `compressed block at offset ${offset} claims ${pre.value} bytes, more than its ${stored.length} bytes can hold`, uri);
  }
  let out: Uint8Array;
  try {
    const buf = uncompressSync(stored, { asBuffer: true }) as Buffer;
    // A plain Uint8Array view, so values look the same whatever the block's compression.
    out = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (cause) {
    throw corruptError('BAD_COMPRESSION', `corrupted compressed block contents at offset ${offset}`, { uri, cause });
  }
  if (out.length !== pre.value) fail('BAD_COMPRESSION', `corrupted compressed block contents at offset ${offset}`, uri);
  return out;
}

/**
 * Decodes the entries of a block (prefix-compressed keys, restart array), checking every length
 * and that each restart point is the start of an entry with no shared key prefix.
 */
export function parseBlock(contents: Uint8Array, where: string, uri?: string): { entries: SSTableEntry[]; restarts: number } {
  const size = contents.length;
  if (size < 4) fail('BAD_BLOCK', `bad block contents (${where}: ${size} bytes)`, uri);
  const numRestarts = readFixed32(contents, size - 4);
  if (numRestarts > Math.floor((size - 4) / 4)) {
    fail('BAD_BLOCK', `bad block contents (${where}: ${numRestarts} restarts do not fit in ${size} bytes)`, uri);
  }
  if (numRestarts === 0) return { entries: [], restarts: 0 };
  const restartsAt = size - (1 + numRestarts) * 4;
  const restartSet = new Set<number>();
  let prevRestart = -1;
  for (let i = 0; i < numRestarts; i++) {
    const r = readFixed32(contents, restartsAt + i * 4);
    if (r <= prevRestart || (r >= restartsAt && !(r === 0 && restartsAt === 0))) {
      fail('BAD_BLOCK', `bad block contents (${where}: restart point ${i} = ${r} is out of order or out of range)`, uri);
    }
    prevRestart = r;
    restartSet.add(r);
  }
  const entries: SSTableEntry[] = [];
  let prevKey: Uint8Array = new Uint8Array(0);
  let p = 0;
  let seenRestarts = 0;
  while (p < restartsAt) {
    const entryStart = p;
    const shared = decodeVarint(contents, p, restartsAt, 5);
    const unshared = shared && decodeVarint(contents, shared.next, restartsAt, 5);
    const valueLen = unshared && decodeVarint(contents, unshared.next, restartsAt, 5);
    if (!shared || !unshared || !valueLen) fail('BAD_BLOCK', `bad entry in block (${where}, offset ${entryStart})`, uri);
    p = valueLen.next;
    if (shared.value > prevKey.length || unshared.value + valueLen.value > restartsAt - p) {
      fail('BAD_BLOCK', `bad entry in block (${where}, offset ${entryStart}: lengths exceed the block)`, uri);
    }
    if (restartSet.has(entryStart)) {
      if (shared.value !== 0) fail('BAD_BLOCK', `bad entry in block (${where}: restart entry at ${entryStart} shares a prefix)`, uri);
      seenRestarts++;
    }
    const key = new Uint8Array(shared.value + unshared.value);
    key.set(prevKey.subarray(0, shared.value));
    key.set(contents.subarray(p, p + unshared.value), shared.value);
    p += unshared.value;
    entries.push({ key, value: contents.subarray(p, p + valueLen.value) });
    p += valueLen.value;
    prevKey = key;
  }
  if (seenRestarts !== numRestarts && !(entries.length === 0 && numRestarts === 1)) {
    fail('BAD_BLOCK', `bad block contents (${where}: a restart point is not at an entry boundary)`, uri);
  }
  return { entries, restarts: numRestarts };
}

/** The index block's entries: one per data block (separator key -> handle). */
function dataHandles(view: FileView, indexEntries: SSTableEntry[]): BlockHandle[] {
  return indexEntries.map((e) => decodeBlockHandle(e.value, 0, e.value.length, view.uri).handle);
}

/**
 * Parses a whole table from bytes that cover at least its footer, index, metaindex and data
 * blocks (the caller loads them; see {@link readSSTable}). Keys must be strictly increasing.
 */
export function parseSSTable(view: FileView): SSTable {
  const { uri, fileSize } = view;
  if (fileSize < FOOTER_SIZE) fail('TRUNCATED', `file is too short to be an sstable (${fileSize} bytes)`, uri);
  const footer = decodeFooter(viewSlice(view, fileSize - FOOTER_SIZE, FOOTER_SIZE), uri, view.start === 0 ? view.bytes : undefined);
  const blocks: SSTableBlockInfo[] = [];

  const meta = readBlock(view, footer.metaindex);
  const metaParsed = parseBlock(meta.contents, 'metaindex block', uri);
  blocks.push({ kind: 'metaindex', ...footer.metaindex, compression: meta.compression, entries: metaParsed.entries.length, restarts: metaParsed.restarts });

  const index = readBlock(view, footer.index);
  const indexParsed = parseBlock(index.contents, 'index block', uri);
  blocks.push({ kind: 'index', ...footer.index, compression: index.compression, entries: indexParsed.entries.length, restarts: indexParsed.restarts });

  const entries: SSTableEntry[] = [];
  const handles = dataHandles(view, indexParsed.entries);
  handles.forEach((h, i) => {
    const block = readBlock(view, h);
    const parsed = parseBlock(block.contents, `data block ${i} at offset ${h.offset}`, uri);
    blocks.push({ kind: 'data', ...h, compression: block.compression, entries: parsed.entries.length, restarts: parsed.restarts });
    const separator = (indexParsed.entries[i] as SSTableEntry).key;
    for (const e of parsed.entries) {
      const prev = entries[entries.length - 1];
      if (prev && compareBytes(prev.key, e.key) >= 0) fail('BAD_ENTRY', `keys are not in strictly increasing order in data block ${i}`, uri);
      if (compareBytes(e.key, separator) > 0) fail('BAD_ENTRY', `a key of data block ${i} sorts after its index separator`, uri);
      entries.push(e);
    }
  });
  return { fileSize, footerPaddingZero: footer.paddingZero, entries, blocks };
}

/** The first bytes of the file, but only when the footer is bad (one small extra read on that path). */
async function headFor(src: ByteSource, tail: Uint8Array, tailStart: number, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
  if (readFixed32(tail, tail.length - 8) === MAGIC_LO && readFixed32(tail, tail.length - 4) === MAGIC_HI) return undefined;
  return tailStart === 0 ? tail : src.read(0, HEAD_PROBE_BYTES, signal);
}

/** Options of {@link readSSTable}. */
export interface ReadTableOptions {
  signal?: AbortSignal | undefined;
  /** Bytes read speculatively from the end of the file (default {@link DEFAULT_TAIL_BYTES}). */
  tailBytes?: number | undefined;
}

/**
 * The speculative tail read every table read starts with (at least 1 KiB, so that a Git LFS
 * pointer, which is smaller, is seen whole), and the footer decoded from it.
 */
async function readTail(src: ByteSource, options: ReadTableOptions) {
  const { signal } = options;
  const fileSize = await src.size(signal);
  const tailLen = Math.min(fileSize, Math.max(options.tailBytes ?? DEFAULT_TAIL_BYTES, FOOTER_SIZE, 1024));
  const tailStart = fileSize - tailLen;
  const tail = await readExactly(src, tailStart, tailLen, signal);
  if (tailStart === 0) {
    const lfs = parseLfsPointer(tail);
    if (lfs) throw corruptError('LFS_POINTER', lfsMessage(lfs), { uri: src.uri });
  }
  if (fileSize < FOOTER_SIZE) fail('TRUNCATED', `file is too short to be an sstable (${fileSize} bytes)`, src.uri);
  const footer = decodeFooter(tail.subarray(tail.length - FOOTER_SIZE), src.uri, await headFor(src, tail, tailStart, signal));
  return { fileSize, tailStart, tail, footer };
}

/**
 * Reads and parses a table from a {@link ByteSource} with at most two ranged reads: the tail
 * (footer, index and, for small files, everything), then whatever data blocks the tail missed.
 * Throws a `CORRUPT` CkptError (see `corruptReason`) for LFS pointers, truncated files, a bad
 * magic number, block checksum mismatches and lengths that exceed the file.
 */
export async function readSSTable(src: ByteSource, options: ReadTableOptions = {}): Promise<SSTable> {
  const { signal } = options;
  const { fileSize, tailStart, tail, footer } = await readTail(src, options);

  // Everything a table needs sits between its lowest block and the footer.
  let need = Math.min(footer.index.offset, footer.metaindex.offset);
  if (footer.index.offset >= tailStart && footer.index.offset + footer.index.size + BLOCK_TRAILER_SIZE <= fileSize - FOOTER_SIZE) {
    const view: FileView = { uri: src.uri, fileSize, start: tailStart, bytes: tail };
    const indexBlock = parseBlock(readBlock(view, footer.index).contents, 'index block', src.uri);
    for (const h of dataHandles(view, indexBlock.entries)) need = Math.min(need, h.offset);
  } else {
    need = 0;
  }
  let bytes = tail;
  let start = tailStart;
  if (need < tailStart) {
    const head = await readExactly(src, need, tailStart - need, signal);
    bytes = new Uint8Array(fileSize - need);
    bytes.set(head);
    bytes.set(tail, head.length);
    start = need;
  }
  return parseSSTable({ uri: src.uri, fileSize, start, bytes });
}

/**
 * Reads only what is needed to list the first data block of a table: the tail (footer and, usually,
 * the index block), then the first data block if the tail missed it. For V1 checkpoints, whose
 * metadata is the first entry but whose data may be gigabytes, this avoids reading the data.
 */
export async function readFirstBlock(src: ByteSource, options: ReadTableOptions = {}): Promise<{ entries: SSTableEntry[]; fileSize: number; dataBlocks: number }> {
  const { signal } = options;
  const { fileSize, tailStart, tail, footer } = await readTail(src, options);
  const load = async (h: BlockHandle): Promise<FileView> => {
    const view: FileView = { uri: src.uri, fileSize, start: tailStart, bytes: tail };
    if (h.offset >= tailStart || h.offset + h.size + BLOCK_TRAILER_SIZE > fileSize - FOOTER_SIZE) return view;
    return { uri: src.uri, fileSize, start: h.offset, bytes: await readExactly(src, h.offset, h.size + BLOCK_TRAILER_SIZE, signal) };
  };
  const indexView = await load(footer.index);
  const index = parseBlock(readBlock(indexView, footer.index).contents, 'index block', src.uri);
  const handles = dataHandles(indexView, index.entries);
  const first = handles[0];
  if (!first) return { entries: [], fileSize, dataBlocks: 0 };
  const parsed = parseBlock(readBlock(await load(first), first).contents, `data block 0 at offset ${first.offset}`, src.uri);
  return { entries: parsed.entries, fileSize, dataBlocks: handles.length };
}
