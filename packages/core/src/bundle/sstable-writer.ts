/**
 * Writer for TensorFlow's SSTable, producing the same bytes as `table::TableBuilder` with the
 * options `BundleWriter` uses (256 KiB blocks, restart interval 16 in data blocks and 1 in the
 * index block, empty metaindex, no compression unless asked for).
 */
import { compressSync } from 'snappy';
import { crc32c, extendCrc32c, maskCrc } from './crc.js';
import {
  BLOCK_TRAILER_SIZE,
  FOOTER_SIZE,
  MAGIC_HI,
  MAGIC_LO,
  NO_COMPRESSION,
  SNAPPY_COMPRESSION,
  compareBytes,
  pushVarint,
  writeFixed32,
  type BlockHandle,
} from './sstable-format.js';

/** Options of {@link buildSSTable}; the defaults are TensorFlow's. */
export interface SSTableWriterOptions {
  /** Flush a data block once its estimated size reaches this (default 262144). */
  blockSize?: number | undefined;
  /** Entries between restart points in data blocks (default 16). */
  restartInterval?: number | undefined;
  /**
   * `snappy` compresses a block when that saves at least 12.5% (TableBuilder's rule). TensorFlow's
   * BundleWriter writes `none`; some TensorFlow builds wrote snappy, so readers must accept both.
   */
  compression?: 'none' | 'snappy' | undefined;
}

class Bytes {
  buf = new Uint8Array(256);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  push(data: Uint8Array | number[]): void {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

class BlockBuilder {
  private data = new Bytes();
  private restarts: number[] = [0];
  private counter = 0;
  private lastKey: Uint8Array = new Uint8Array(0);

  constructor(private readonly restartInterval: number) {}

  add(key: Uint8Array, value: Uint8Array): void {
    let shared = 0;
    if (this.counter < this.restartInterval) {
      const n = Math.min(this.lastKey.length, key.length);
      while (shared < n && this.lastKey[shared] === key[shared]) shared++;
    } else {
      this.restarts.push(this.data.length);
      this.counter = 0;
    }
    const head: number[] = [];
    pushVarint(head, shared);
    pushVarint(head, key.length - shared);
    pushVarint(head, value.length);
    this.data.push(head);
    this.data.push(key.subarray(shared));
    this.data.push(value);
    this.lastKey = key;
    this.counter++;
  }

  empty(): boolean {
    return this.data.length === 0;
  }

  sizeEstimate(): number {
    return this.data.length + this.restarts.length * 4 + 4;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.data.length + this.restarts.length * 4 + 4);
    out.set(this.data.view());
    let p = this.data.length;
    for (const r of this.restarts) {
      writeFixed32(out, p, r);
      p += 4;
    }
    writeFixed32(out, p, this.restarts.length);
    return out;
  }
}

function findShortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array {
  const n = Math.min(start.length, limit.length);
  let i = 0;
  while (i < n && start[i] === limit[i]) i++;
  if (i >= n) return start; // one is a prefix of the other: do not shorten
  const diff = start[i] as number;
  if (diff < 0xff && diff + 1 < (limit[i] as number)) {
    const out = start.slice(0, i + 1);
    out[i] = diff + 1;
    return out;
  }
  return start;
}

function findShortSuccessor(key: Uint8Array): Uint8Array {
  for (let i = 0; i < key.length; i++) {
    if (key[i] !== 0xff) {
      const out = key.slice(0, i + 1);
      out[i] = (key[i] as number) + 1;
      return out;
    }
  }
  return key;
}

function encodeHandle(h: BlockHandle): Uint8Array {
  const out: number[] = [];
  pushVarint(out, h.offset);
  pushVarint(out, h.size);
  return Uint8Array.from(out);
}

/**
 * Builds a table from entries in strictly increasing bytewise key order (throws a RangeError
 * otherwise). With default options the output is byte-identical to TensorFlow's writer.
 */
export function buildSSTable(entries: Iterable<{ key: Uint8Array; value: Uint8Array }>, options: SSTableWriterOptions = {}): Uint8Array {
  const blockSize = options.blockSize ?? 262144;
  const compression = options.compression ?? 'none';
  const out = new Bytes();
  let data = new BlockBuilder(options.restartInterval ?? 16);
  const index = new BlockBuilder(1);
  let lastKey: Uint8Array | undefined;
  let pending: BlockHandle | undefined;

  const writeBlock = (block: BlockBuilder): BlockHandle => {
    const raw = block.finish();
    let contents = raw;
    let type = NO_COMPRESSION;
    if (compression === 'snappy') {
      const compressed = compressSync(raw);
      if (compressed.length < raw.length - Math.floor(raw.length / 8)) {
        contents = compressed;
        type = SNAPPY_COMPRESSION;
      }
    }
    const handle = { offset: out.length, size: contents.length };
    out.push(contents);
    const trailer = new Uint8Array(BLOCK_TRAILER_SIZE);
    trailer[0] = type;
    writeFixed32(trailer, 1, maskCrc(extendCrc32c(crc32c(contents), trailer.subarray(0, 1))));
    out.push(trailer);
    return handle;
  };
  const flush = (): void => {
    if (data.empty()) return;
    pending = writeBlock(data);
    data = new BlockBuilder(options.restartInterval ?? 16);
  };

  for (const { key, value } of entries) {
    if (lastKey !== undefined) {
      if (compareBytes(lastKey, key) >= 0) throw new RangeError('SSTable keys must be added in strictly increasing order');
      // An entry at least twice the block size goes into a block of its own.
      if (key.length + value.length >= 2 * blockSize) flush();
    }
    if (pending) {
      index.add(findShortestSeparator(lastKey as Uint8Array, key), encodeHandle(pending));
      pending = undefined;
    }
    lastKey = key;
    data.add(key, value);
    if (data.sizeEstimate() >= blockSize) flush();
  }
  flush();
  const metaindex = writeBlock(new BlockBuilder(16));
  if (pending) index.add(findShortSuccessor(lastKey as Uint8Array), encodeHandle(pending));
  const indexHandle = writeBlock(index);

  const footer = new Uint8Array(FOOTER_SIZE);
  const handles = [...encodeHandle(metaindex), ...encodeHandle(indexHandle)];
  footer.set(handles);
  writeFixed32(footer, 40, MAGIC_LO);
  writeFixed32(footer, 44, MAGIC_HI);
  out.push(footer);
  return out.view().slice();
}
