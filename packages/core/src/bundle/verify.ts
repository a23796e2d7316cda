/**
 * Verification of a V2 bundle on abstract byte sources.
 *
 * Shallow: the index parses, every data shard exists and is long enough for every entry, entries
 * do not overlap, sizes agree with dtype and shape. Deep: additionally every tensor's bytes are
 * checked against its stored crc32c (string and variant tensors by TensorFlow's rules), read in
 * bounded ranged reads with bounded concurrency, never a whole shard in memory.
 */
import { isCkptError } from '@ckptkit/gfile';
import type { ByteSource } from './byte-source.js';
import { bytesSource, streamRange } from './byte-source.js';
import { crc32cCombine, extendCrc32c } from './crc.js';
import { dtypeLayout, dtypeName, dtypeSize } from './dtypes.js';
import { corruptReason, errorDetail, type CorruptReason } from './errors.js';
import { readBundleIndex, type BundleIndex, type BundleIndexEntry } from './index-reader.js';
import { dataFilename, indexFilename } from './naming.js';
import { encodeTensorNameSlice, sliceToString } from './ordered-code.js';
import { runPool } from './pool.js';
import { bytesKey } from './sstable-format.js';
import { RawChecker, StringChecker, VariantChecker, compareCrc, type CheckOutcome, type TensorChecker } from './tensor-checksum.js';

/** Problem codes of `ckpt verify` (cli.md), plus the finer ones this verifier can tell apart. */
export type VerifyProblemCode =
  | 'MISSING_INDEX'
  | 'CORRUPT_INDEX'
  | 'MISSING_SHARD'
  | 'SHORT_SHARD'
  | 'OVERLAP'
  | 'CRC_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'BAD_SHARD_ID'
  | 'INVALID_SHAPE'
  | 'UNKNOWN_DTYPE'
  | 'MISSING_SLICE'
  /** A checkpoint of a layout without tensor checks is missing files (discovery's completeness rules). */
  | 'INCOMPLETE';

/** One thing wrong with a bundle. */
export interface VerifyProblem {
  code: VerifyProblemCode;
  detail: string;
  /** The tensor concerned (slice data entries as `name[slice]`). */
  key?: string;
  /** The file concerned. */
  uri?: string;
  /** For CORRUPT_INDEX: why the index could not be parsed. */
  reason?: CorruptReason;
}

/** The result of a verification, in the JSON shape of `ckpt verify`. */
export interface VerifyReport {
  ok: boolean;
  problems: VerifyProblem[];
  /** Entries checked: against shard sizes (shallow), or by checksum (deep). */
  tensorsChecked: number;
  /** Tensor bytes whose checksum was computed (0 for a shallow verify). */
  bytesChecked: number;
}

/** Access to the files of one bundle; `undefined` means the file does not exist. */
export interface BundleFiles {
  /** The prefix, for URIs in problems. */
  readonly prefix: string;
  index(signal?: AbortSignal): Promise<ByteSource | undefined>;
  shard(shardId: number, numShards: number, signal?: AbortSignal): Promise<ByteSource | undefined>;
  /**
   * Optional, for stores read front to back only (a `.tar.gz`, decision 0016): one pass handing
   * every data shard's bytes from its first byte, in the store's order, to `visit` with the shard's
   * URI (as its {@link ByteSource.uri}). Resolves false, having read nothing, where the store reads
   * ranges. Deep verification then checks every shard in that one pass instead of by ranges.
   */
  scanShards?(visit: (uri: string, body: AsyncIterable<Uint8Array>) => Promise<void>, signal?: AbortSignal): Promise<boolean>;
}

/** Options of {@link verifyBundleFiles}. */
export interface VerifyOptions {
  /** Also check every tensor's checksum (reads all data). */
  deep?: boolean | undefined;
  /** Requests in flight (default 8). */
  concurrency?: number | undefined;
  /**
   * Largest range one request covers (default 64 MiB). Small tensors next to each other share a
   * request; a larger raw tensor is split into pieces checked in parallel.
   */
  windowSize?: number | undefined;
  /**
   * For sources that cannot stream: largest single read, i.e. the memory bound per request in
   * flight (default 8 MiB). Streaming sources hold one stream chunk per request instead.
   */
  chunkSize?: number | undefined;
  /** Unused bytes between two tensors that may be read rather than split into two requests (default 64 KiB). */
  maxGap?: number | undefined;
  signal?: AbortSignal | undefined;
  /** An index already read (skips reading it again). */
  index?: BundleIndex | undefined;
}

/** A header claiming more shards than this is treated as corrupt rather than probed. */
const MAX_SHARDS = 100_000;

interface Located {
  i: number; // position in index.entries (key order), for deterministic problem order
  entry: BundleIndexEntry;
  numElements: number | undefined;
  shard: ByteSource;
}

function elementsOf(e: BundleIndexEntry): number | undefined {
  if (e.shape.unknownRank) return undefined;
  let n = 1;
  for (const d of e.shape.dims) {
    if (d < 0) return undefined;
    n *= d;
  }
  return Number.isSafeInteger(n) ? n : undefined;
}

function makeChecker(l: Located): TensorChecker | undefined {
  const layout = dtypeLayout(l.entry.dtype);
  if (layout === 'raw') return new RawChecker(l.entry.crc32c);
  if (l.numElements === undefined) return undefined;
  return layout === 'string'
    ? new StringChecker(l.numElements, l.entry.size, l.entry.crc32c)
    : new VariantChecker(l.numElements, l.entry.size, l.entry.crc32c);
}

/**
 * Verifies a bundle. Storage failures other than "not found" (permissions, network) are thrown;
 * everything wrong with the checkpoint itself is reported as a problem, never thrown.
 */
export async function verifyBundleFiles(files: BundleFiles, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { signal } = options;
  const problems: VerifyProblem[] = [];
  const report = (): VerifyReport => ({ ok: problems.length === 0, problems, tensorsChecked, bytesChecked });
  let tensorsChecked = 0;
  let bytesChecked = 0;
  const indexUri = indexFilename(files.prefix);

  let index = options.index;
  if (!index) {
    let src: ByteSource | undefined;
    try {
      src = await files.index(signal);
      if (src) index = await readBundleIndex(src, { signal });
    } catch (e) {
      const reason = corruptReason(e);
      if (reason !== undefined) {
        problems.push({ code: 'CORRUPT_INDEX', detail: errorDetail(e), uri: src?.uri ?? indexUri, reason });
        return report();
      }
      if (!isCkptError(e, 'NOT_FOUND')) throw e;
    }
    if (!index) {
      problems.push({ code: 'MISSING_INDEX', detail: 'the index file does not exist', uri: indexUri });
      return report();
    }
  }

  if (!index.footerPaddingZero) {
    problems.push({
      code: 'CORRUPT_INDEX',
      detail: "the footer's padding is not zero: the file was modified after it was written (TensorFlow ignores these bytes)",
      uri: index.uri ?? indexUri,
      reason: 'BAD_FOOTER',
    });
  }
  const numShards = index.header.numShards;
  if (numShards > MAX_SHARDS) {
    problems.push({ code: 'CORRUPT_INDEX', detail: `the header claims ${numShards} data shards`, uri: index.uri ?? indexUri, reason: 'BAD_HEADER' });
    return report();
  }
  const shards: Array<{ src: ByteSource; size: number } | undefined> = new Array(numShards);
  await runPool(
    Array.from({ length: numShards }, (_, id) => async () => {
      const src = await files.shard(id, numShards, signal);
      shards[id] = src ? { src, size: await src.size(signal) } : undefined;
    }),
    options.concurrency ?? 8,
    signal,
  );
  shards.forEach((s, id) => {
    if (!s) problems.push({ code: 'MISSING_SHARD', detail: `data shard ${id} of ${numShards} does not exist`, uri: dataFilename(files.prefix, id, numShards) });
  });

  const located = checkEntries(index, shards, problems);
  tensorsChecked = located.checked;
  const perShard = groupByShard(located.list);
  findOverlaps(perShard, problems);

  if (!options.deep) return report();

  const deep = await checkData(perShard, options, files.scanShards?.bind(files));
  tensorsChecked = deep.tensorsChecked;
  bytesChecked = deep.bytesChecked;
  problems.push(...deep.problems.map(({ i: _i, ...p }) => p));
  return report();
}

/**
 * Checks every entry against the header, its dtype and shape, and its shard's size; returns the
 * entries whose bytes can be read (`checked`: data-bearing entries examined).
 */
function checkEntries(
  index: BundleIndex,
  shards: ReadonlyArray<{ src: ByteSource; size: number } | undefined>,
  problems: VerifyProblem[],
): { list: Located[]; checked: number } {
  const numShards = index.header.numShards;
  const keys = new Set(index.entries.map((e) => bytesKey(e.keyBytes)));
  const list: Located[] = [];
  let checked = 0;
  index.entries.forEach((e, i) => {
    if (e.slices.length > 0) {
      for (const slice of e.slices) {
        if (!keys.has(bytesKey(encodeTensorNameSlice(e.keyBytes, slice)))) {
          problems.push({ code: 'MISSING_SLICE', detail: `no data entry for slice ${sliceToString(slice)}`, key: e.key });
        }
      }
      return;
    }
    checked++;
    const name = dtypeName(e.dtype);
    if (e.dtype === 0 || name.startsWith('DT_UNKNOWN')) problems.push({ code: 'UNKNOWN_DTYPE', detail: `dtype ${e.dtype} (${name}) cannot be read`, key: e.key });
    const n = elementsOf(e);
    if (n === undefined) {
      problems.push({ code: 'INVALID_SHAPE', detail: `shape [${e.shape.dims.join(', ')}]${e.shape.unknownRank ? ' (unknown rank)' : ''} is not a valid tensor shape`, key: e.key });
    } else {
      const layout = dtypeLayout(e.dtype);
      const elem = dtypeSize(e.dtype);
      if (layout === 'raw' && elem !== undefined && e.size !== n * elem) {
        problems.push({ code: 'SIZE_MISMATCH', detail: `${name} [${e.shape.dims.join(', ')}] needs ${n * elem} bytes, the entry says ${e.size}`, key: e.key });
      } else if (layout === 'string' && e.size < n + 4) {
        problems.push({ code: 'SIZE_MISMATCH', detail: `${n} strings need at least ${n + 4} bytes, the entry says ${e.size}`, key: e.key });
      } else if (layout === 'variant' && e.size < n * 5) {
        problems.push({ code: 'SIZE_MISMATCH', detail: `${n} variants need at least ${n * 5} bytes, the entry says ${e.size}`, key: e.key });
      }
    }
    if (e.shardId < 0 || e.shardId >= numShards) {
      problems.push({ code: 'BAD_SHARD_ID', detail: `shard ${e.shardId} is not in [0, ${numShards})`, key: e.key });
      return;
    }
    const shard = shards[e.shardId];
    if (!shard) return; // reported once as MISSING_SHARD
    if (e.offset + e.size > shard.size) {
      problems.push({
        code: 'SHORT_SHARD',
        detail: `needs bytes [${e.offset}, ${e.offset + e.size}) but the shard has ${shard.size} bytes`,
        key: e.key,
        uri: shard.src.uri,
      });
      return;
    }
    list.push({ i, entry: e, numElements: n, shard: shard.src });
  });
  return { list, checked };
}

/** Entries per shard, in offset order (key order among equal offsets). */
function groupByShard(located: Located[]): Map<number, Located[]> {
  const perShard = new Map<number, Located[]>();
  for (const l of located) {
    const list = perShard.get(l.entry.shardId) ?? [];
    list.push(l);
    perShard.set(l.entry.shardId, list);
  }
  for (const list of perShard.values()) list.sort((a, b) => a.entry.offset - b.entry.offset || a.i - b.i);
  return perShard;
}

/** Reports every entry whose bytes start inside an earlier entry of the same shard. */
function findOverlaps(perShard: Map<number, Located[]>, problems: VerifyProblem[]): void {
  for (const list of perShard.values()) {
    let end = 0;
    let owner: Located | undefined;
    for (const l of list) {
      if (l.entry.size === 0) continue;
      if (owner && l.entry.offset < end) {
        problems.push({
          code: 'OVERLAP',
          detail: `bytes [${l.entry.offset}, ${l.entry.offset + l.entry.size}) overlap ${JSON.stringify(owner.entry.key)} [${owner.entry.offset}, ${end})`,
          key: l.entry.key,
          uri: l.shard.uri,
        });
      }
      if (l.entry.offset + l.entry.size > end) {
        end = l.entry.offset + l.entry.size;
        owner = l;
      }
    }
  }
}

/** A tensor's bytes within one window; raw tensors split across windows are `piece`s combined later. */
interface Segment {
  l: Located;
  /** Absolute byte range within the shard. */
  from: number;
  to: number;
  checker: TensorChecker | undefined;
  piece?: { crcs: number[]; index: number; crc: number } | undefined;
  done: boolean;
}

/** One ranged request: a stretch of a shard covering whole small tensors or one piece of a big one. */
interface Window {
  shard: ByteSource;
  start: number;
  end: number;
  segments: Segment[];
}

interface DeepResult {
  problems: Array<VerifyProblem & { i: number }>;
  tensorsChecked: number;
  bytesChecked: number;
}

async function checkData(perShard: Map<number, Located[]>, options: VerifyOptions, scanShards: BundleFiles['scanShards']): Promise<DeepResult> {
  const windowSize = Math.max(1024, options.windowSize ?? 64 * 1024 * 1024);
  const readSize = Math.max(1024, Math.min(windowSize, options.chunkSize ?? 8 * 1024 * 1024));
  const maxGap = options.maxGap ?? 64 * 1024;
  const { signal } = options;
  const problems: DeepResult['problems'] = [];
  let tensorsChecked = 0;
  let bytesChecked = 0;
  const record = (l: Located, outcome: CheckOutcome): void => {
    tensorsChecked++;
    bytesChecked += l.entry.size;
    if (!outcome.ok) problems.push({ i: l.i, code: outcome.code, detail: outcome.detail, key: l.entry.key, uri: l.shard.uri });
  };
  const shortRead = new Set<Located>();
  const truncated = (l: Located, got: number): void => {
    if (shortRead.has(l)) return;
    shortRead.add(l);
    problems.push({ i: l.i, code: 'SHORT_SHARD', detail: `the shard ended at byte ${got} while reading this tensor`, key: l.entry.key, uri: l.shard.uri });
  };

  const windows: Window[] = [];
  const pieced: Array<{ l: Located; crcs: number[]; pieceSizes: number[] }> = [];
  const segment = (l: Located, from: number, to: number, piece?: Segment['piece']): Segment => ({
    l,
    from,
    to,
    checker: piece ? undefined : makeChecker(l),
    piece,
    done: false,
  });

  for (const list of perShard.values()) {
    let cur: Window | undefined;
    for (const l of list) {
      const { offset, size } = l.entry;
      const checker = makeChecker(l);
      if (!checker) continue; // shape problem already reported
      if (size === 0) {
        record(l, checker.finish());
        continue;
      }
      if (size > windowSize && dtypeLayout(l.entry.dtype) === 'raw') {
        // Checksum pieces in parallel and combine them in order.
        const count = Math.ceil(size / windowSize);
        const crcs = new Array<number>(count).fill(0);
        const pieceSizes: number[] = [];
        for (let k = 0; k < count; k++) {
          const from = offset + k * windowSize;
          const to = Math.min(offset + size, from + windowSize);
          pieceSizes.push(to - from);
          windows.push({ shard: l.shard, start: from, end: to, segments: [segment(l, from, to, { crcs, index: k, crc: 0 })] });
        }
        pieced.push({ l, crcs, pieceSizes });
        continue;
      }
      if (size > windowSize) {
        // Strings and variants are checked in order: one window of their own, however long.
        windows.push({ shard: l.shard, start: offset, end: offset + size, segments: [segment(l, offset, offset + size)] });
        continue;
      }
      if (cur && offset >= cur.start && offset - cur.end <= maxGap && Math.max(cur.end, offset + size) - cur.start <= windowSize) {
        cur.end = Math.max(cur.end, offset + size);
        cur.segments.push(segment(l, offset, offset + size));
      } else {
        cur = { shard: l.shard, start: offset, end: offset + size, segments: [segment(l, offset, offset + size)] };
        windows.push(cur);
      }
    }
  }

  /** Checks a window from bytes in order: `feed(at, chunk)` with the chunk's shard offset. */
  const windowReader = (w: Window) => {
    let pos = w.start;
    let first = 0; // segments before this one are complete
    return {
      get done() {
        return pos >= w.end;
      },
      feed(at: number, bytes: Uint8Array): void {
        if (at > pos || at + bytes.length <= pos || pos >= w.end) return;
        const chunk = bytes.subarray(pos - at);
        const end = Math.min(pos + chunk.length, w.end);
        for (let k = first; k < w.segments.length; k++) {
          const s = w.segments[k] as Segment;
          if (s.from >= end) break;
          if (s.done || s.to <= pos) continue;
          const view = chunk.subarray(Math.max(s.from, pos) - pos, Math.min(s.to, end) - pos);
          if (s.piece) s.piece.crc = extendCrc32c(s.piece.crc, view);
          else s.checker?.update(view);
          if (s.to <= end) {
            s.done = true;
            if (s.piece) s.piece.crcs[s.piece.index] = s.piece.crc;
            else record(s.l, (s.checker as TensorChecker).finish());
          }
        }
        while (first < w.segments.length && (w.segments[first] as Segment).done) first++;
        pos = end;
      },
      finish(): void {
        for (const s of w.segments) if (!s.done) truncated(s.l, pos);
      },
    };
  };
  const checkWindow = async (w: Window): Promise<void> => {
    const reader = windowReader(w);
    let at = w.start;
    for await (const chunk of streamRange(w.shard, w.start, w.end - w.start, readSize, signal)) {
      reader.feed(at, chunk);
      at += chunk.length;
      if (reader.done) break;
    }
    reader.finish();
  };
  // A store read front to back: every shard once, in the store's order, each chunk to the windows it covers.
  const scanned =
    scanShards !== undefined &&
    windows.length > 0 &&
    (await (async () => {
      const byShard = new Map<string, Window[]>();
      for (const w of windows) byShard.set(w.shard.uri, [...(byShard.get(w.shard.uri) ?? []), w]);
      const finished = new Set<string>();
      const ran = await scanShards(async (uri, body) => {
        const list = (byShard.get(uri) ?? []).sort((a, b) => a.start - b.start);
        if (list.length === 0 || finished.has(uri)) return;
        finished.add(uri);
        const readers = list.map(windowReader);
        let lo = 0;
        let at = 0;
        for await (const chunk of body) {
          const end = at + chunk.length;
          while (lo < readers.length && readers[lo]!.done) lo++;
          for (let k = lo; k < list.length && list[k]!.start < end; k++) readers[k]!.feed(at, chunk);
          at = end;
          if (lo >= readers.length) break;
        }
        for (const r of readers) r.finish();
      }, signal);
      if (ran) for (const [uri, list] of byShard) if (!finished.has(uri)) for (const w of list) windowReader(w).finish();
      return ran;
    })());
  if (!scanned) {
    await runPool(
      windows.map((w) => () => checkWindow(w)),
      options.concurrency ?? 8,
      signal,
    );
  }

  for (const { l, crcs, pieceSizes } of pieced) {
    if (shortRead.has(l)) continue;
    let crc = crcs[0] as number;
    for (let k = 1; k < crcs.length; k++) crc = crc32cCombine(crc, crcs[k] as number, pieceSizes[k] as number);
    record(l, compareCrc(crc, l.entry.crc32c));
  }
  problems.sort((a, b) => a.i - b.i);
  return { problems, tensorsChecked, bytesChecked };
}

/** {@link BundleFiles} over bytes in memory (a bundle from `buildBundle`, or files already read). */
export function memoryBundleFiles(prefix: string, files: { index?: Uint8Array | undefined; shards: ReadonlyArray<Uint8Array | undefined> }): BundleFiles {
  return {
    prefix,
    index: () => Promise.resolve(files.index ? bytesSource(files.index, indexFilename(prefix)) : undefined),
    shard: (id, n) => {
      const data = files.shards[id];
      return Promise.resolve(data ? bytesSource(data, dataFilename(prefix, id, n)) : undefined);
    },
  };
}
