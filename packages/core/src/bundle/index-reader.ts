/**
 * Reads a V2 bundle's `.index` file (format doc §4.2): the header entry and every
 * `BundleEntryProto`, with slice keys of partitioned tensors decoded.
 */
import type { ByteSource } from './byte-source.js';
import {
  TENSOR_BUNDLE_VERSION,
  decodeBundleEntry,
  decodeBundleHeader,
  type BundleEntryProto,
  type BundleHeader,
  type TensorSlice,
} from './bundle-proto.js';
import { corruptError, corruptReason, errorDetail, withUri } from './errors.js';
import { decodeTensorNameSlice, sliceToString } from './ordered-code.js';
import { parseSSTable, readSSTable, type ReadTableOptions, type SSTable, type SSTableBlockInfo } from './sstable-reader.js';

/** One tensor (or slice of a partitioned tensor) listed in the index. */
export interface BundleIndexEntry extends BundleEntryProto {
  /**
   * The key as text (UTF-8; invalid bytes become U+FFFD). For the data entry of a slice of a
   * partitioned tensor: `name[slice]`, e.g. `w[0,2:-]` (TensorFlow's slice notation).
   */
  key: string;
  /** The key exactly as stored. */
  keyBytes: Uint8Array;
  /** Present when this entry holds the data of one slice of the partitioned tensor `name`. */
  sliceOf?: { name: string; slice: TensorSlice };
}

/** A parsed `.index` file. */
export interface BundleIndex {
  uri: string | undefined;
  header: BundleHeader;
  /** Every entry except the header, in key (byte) order. */
  entries: BundleIndexEntry[];
  /** The SSTable blocks the entries came from. */
  blocks: SSTableBlockInfo[];
  /** Size of the index file in bytes. */
  indexSize: number;
  /** See {@link SSTable.footerPaddingZero}. */
  footerPaddingZero: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Renders a slice data key as `name[slice]`. */
export function sliceKeyName(name: string, slice: TensorSlice): string {
  return `${name}[${sliceToString(slice)}]`;
}

/** Builds a {@link BundleIndex} from a parsed table; throws CORRUPT (BAD_HEADER, BAD_PROTO) errors. */
export function bundleIndexFromTable(table: SSTable, uri?: string): BundleIndex {
  const first = table.entries[0];
  if (!first || first.key.length !== 0) {
    throw corruptError('BAD_HEADER', 'failed to seek to header entry: the index has no header (key "")', { uri });
  }
  let header: BundleHeader;
  try {
    header = decodeBundleHeader(first.value);
  } catch (e) {
    throw corruptError('BAD_HEADER', `unable to parse header: ${errorDetail(e)}`, { uri, cause: e });
  }
  const v = header.version;
  if (v.producer < 0 || v.minConsumer > TENSOR_BUNDLE_VERSION || v.badConsumers.includes(TENSOR_BUNDLE_VERSION)) {
    throw corruptError(
      'BAD_HEADER',
      `unsupported bundle version (producer ${v.producer}, min_consumer ${v.minConsumer}): written by a newer TensorFlow with format changes`,
      { uri },
    );
  }
  if (header.numShards < 1) throw corruptError('BAD_HEADER', `header claims ${header.numShards} data shards`, { uri });

  const entries: BundleIndexEntry[] = [];
  for (let i = 1; i < table.entries.length; i++) {
    const { key: keyBytes, value } = table.entries[i] as { key: Uint8Array; value: Uint8Array };
    let proto: BundleEntryProto;
    const text = utf8.decode(keyBytes);
    try {
      proto = decodeBundleEntry(value);
    } catch (e) {
      throw corruptError('BAD_PROTO', `entry for key ${JSON.stringify(text)} not parseable: ${errorDetail(e)}`, { uri, cause: e });
    }
    const slice = keyBytes[0] === 0 ? decodeTensorNameSlice(keyBytes) : undefined;
    if (slice) {
      const name = utf8.decode(slice.name);
      entries.push({ ...proto, key: sliceKeyName(name, slice.slice), keyBytes, sliceOf: { name, slice: slice.slice } });
    } else {
      entries.push({ ...proto, key: text, keyBytes });
    }
  }
  return { uri, header, entries, blocks: table.blocks, indexSize: table.fileSize, footerPaddingZero: table.footerPaddingZero };
}

/** Parses a complete `.index` file held in memory. */
export function parseBundleIndex(bytes: Uint8Array, uri?: string): BundleIndex {
  try {
    return bundleIndexFromTable(parseSSTable({ uri, fileSize: bytes.length, start: 0, bytes }), uri);
  } catch (e) {
    throw uri === undefined ? e : withUri(e, 'read-index', uri);
  }
}

/**
 * Reads and parses a `.index` file: one ranged read for an index up to 64 KiB (the default
 * speculative tail), two for a bigger one. Storage errors (NOT_FOUND, ...) pass through; a file
 * that is not a valid index throws a `CORRUPT` CkptError whose `corruptReason` says why
 * (`LFS_POINTER`, `TRUNCATED`, `BAD_MAGIC`, `BLOCK_CHECKSUM`, `BAD_LENGTH`, ...).
 */
export async function readBundleIndex(src: ByteSource, options: ReadTableOptions = {}): Promise<BundleIndex> {
  try {
    return bundleIndexFromTable(await readSSTable(src, options), src.uri);
  } catch (e) {
    throw corruptReason(e) === undefined ? e : withUri(e, 'read-index', src.uri);
  }
}
