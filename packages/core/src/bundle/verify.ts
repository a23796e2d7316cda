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
import { bytesSource } from './byte-source.js';
import { dtypeLayout, dtypeName, dtypeSize } from './dtypes.js';
import { corruptReason, errorDetail, type CorruptReason } from './errors.js';
import { readBundleIndex, type BundleIndex, type BundleIndexEntry } from './index-reader.js';
import { dataFilename, indexFilename } from './naming.js';
import { encodeTensorNameSlice, sliceToString } from './ordered-code.js';
import { runPool } from './pool.js';
import { ShardCheck, type EntryResult, type Located, type WindowOptions } from './shard-check.js';
import { bytesKey } from './sstable-format.js';

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
   * `only`: the URIs of the shards wanted (absent: all); the pass may stop after the last of them.
   */
  scanShards?(visit: (uri: string, body: AsyncIterable<Uint8Array>) => Promise<void>, signal?: AbortSignal, only?: ReadonlySet<string>): Promise<boolean>;
  /**
   * Optional: the deep check of shard `uri` already done while an earlier pass streamed it
   * (decision 0016: `verify --deep` of a `.tar.gz`), computed with the index bytes that
   * {@link BundleFiles.index} returns; undefined when it is to be checked here.
   */
  checkedShard?(uri: string): readonly EntryResult[] | undefined;
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

function elementsOf(e: BundleIndexEntry): number | undefined {
  if (e.shape.unknownRank) return undefined;
  let n = 1;
  for (const d of e.shape.dims) {
    if (d < 0) return undefined;
    n *= d;
  }
  return Number.isSafeInteger(n) ? n : undefined;
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

  const deep = await checkData(perShard, options, files);
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

interface DeepResult {
  problems: Array<VerifyProblem & { i: number }>;
  tensorsChecked: number;
  bytesChecked: number;
}

/** How {@link VerifyOptions} group a shard's tensors into reads. */
export function windowOptions(options: VerifyOptions): WindowOptions {
  const windowSize = Math.max(1024, options.windowSize ?? 64 * 1024 * 1024);
  return { windowSize, readSize: Math.max(1024, Math.min(windowSize, options.chunkSize ?? 8 * 1024 * 1024)), maxGap: options.maxGap ?? 64 * 1024 };
}

/**
 * For a shard of `index`, the entries a deep check reads, in offset order, as
 * {@link verifyBundleFiles} finds them when that shard is `shard` with `shard.size` bytes (the
 * index is examined once, whatever the number of shards asked for).
 */
export function shardEntries(index: BundleIndex): (shardId: number, shard: { src: ByteSource; size: number }) => Located[] {
  if (index.header.numShards > MAX_SHARDS) return () => []; // CORRUPT_INDEX: no data is read
  // Every shard as long as any entry needs: an entry past a shard's real end is SHORT_SHARD, never read.
  const unbounded = { src: bytesSource(new Uint8Array(0), 'unbounded'), size: Number.MAX_SAFE_INTEGER };
  const perShard = groupByShard(checkEntries(index, new Array(index.header.numShards).fill(unbounded), []).list);
  return (shardId, shard) => (perShard.get(shardId) ?? []).filter((l) => l.entry.offset + l.entry.size <= shard.size).map((l) => ({ ...l, shard: shard.src }));
}

async function checkData(perShard: Map<number, Located[]>, options: VerifyOptions, files: BundleFiles): Promise<DeepResult> {
  const windowing = windowOptions(options);
  const { signal } = options;
  const located = new Map<number, Located>();
  const results: EntryResult[] = [];
  const checks: ShardCheck[] = [];
  for (const list of perShard.values()) {
    for (const l of list) located.set(l.i, l);
    const done = files.checkedShard?.(list[0]!.shard.uri);
    if (done) results.push(...done);
    else checks.push(new ShardCheck(list, windowing));
  }
  const windows = checks.flatMap((check) => check.windows.map((w) => ({ check, w })));
  // A store read front to back: every shard still to check once, in the store's order, each chunk to the windows it covers.
  const scanned =
    files.scanShards !== undefined &&
    windows.length > 0 &&
    (await (async () => {
      const byUri = new Map<string, ShardCheck>();
      for (const { check, w } of windows) byUri.set(w.shard.uri, check);
      const finished = new Set<string>();
      const ran = await files.scanShards!(
        async (uri, body) => {
          const check = byUri.get(uri);
          if (!check || finished.has(uri)) return;
          finished.add(uri);
          await check.checkStream(body);
        },
        signal,
        new Set(byUri.keys()),
      );
      if (ran) for (const [uri, check] of byUri) if (!finished.has(uri)) check.unread();
      return ran;
    })());
  if (!scanned) {
    await runPool(
      windows.map(({ check, w }) => () => check.checkWindow(w, signal)),
      options.concurrency ?? 8,
      signal,
    );
  }
  for (const check of checks) results.push(...check.finish());

  const problems: DeepResult['problems'] = [];
  let tensorsChecked = 0;
  let bytesChecked = 0;
  for (const r of results) {
    const l = located.get(r.i)!;
    if ('shortAt' in r) {
      problems.push({ i: l.i, code: 'SHORT_SHARD', detail: `the shard ended at byte ${r.shortAt} while reading this tensor`, key: l.entry.key, uri: l.shard.uri });
      continue;
    }
    tensorsChecked++;
    bytesChecked += l.entry.size;
    if (!r.outcome.ok) problems.push({ i: l.i, code: r.outcome.code, detail: r.outcome.detail, key: l.entry.key, uri: l.shard.uri });
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
