/**
 * The adapter contract: the small, object-store-shaped set of primitives a storage backend implements.
 * Everything users call (exists, walk, glob, copy, ...) is derived once from these in `gfile.ts`.
 *
 * Keys are `/`-separated strings relative to the store's root (the bucket for S3/GCS, the memory
 * store's name, the filesystem root for local), never starting with `/`. A key ending in `/` names a
 * directory (a marker object on object stores, a real directory on local disks).
 */
import type { CkptError } from './errors.js';

/** Metadata of one object or directory as a store reports it. */
export interface ObjectMeta {
  /** Full key; directories end with `/`. */
  key: string;
  kind: 'file' | 'directory';
  /** Bytes; 0 for directories. */
  size: number;
  mtime?: Date | undefined;
  etag?: string | undefined;
  /** Base64 big-endian CRC32C as GCS reports it. */
  crc32c?: string | undefined;
  /** Base64 MD5 as GCS reports it. */
  md5?: string | undefined;
  generation?: string | undefined;
  /**
   * Listings of local disks: the target of a symbolic link as it is stored (`readlink`), for links
   * only. Layouts use it where a link is the data (Hugging Face snapshot files link to blobs,
   * NeMo Automodel's `LATEST` links to a checkpoint).
   */
  linkTarget?: string | undefined;
  /** Listings of local disks: true for a symbolic link whose target does not exist (listed as a file). */
  danglingLink?: boolean | undefined;
}

/** One page of a listing: exactly one request to the store. */
export interface ListPage {
  /** Objects and, with a delimiter, common prefixes (as `kind: 'directory'`), in key order. */
  entries: ObjectMeta[];
  /** Pass back to get the next page; absent on the last page. */
  nextPageToken?: string | undefined;
  /**
   * With `skipUnreadable`: what this page could not list and left out, each with its own error
   * (a directory the process may not read). A store may report one again on a later page.
   */
  skipped?: SkippedEntry[] | undefined;
}

/** A part of a listing that could not be read and was left out (see `ListOptions.skipUnreadable`). */
export interface SkippedEntry {
  /** The key of what was skipped (a directory key ends in `/`). */
  key: string;
  /** Why, with the URI of what was skipped (code PERMISSION_DENIED for a directory the process may not read). */
  error: CkptError;
}

export interface OperationOptions {
  signal?: AbortSignal | undefined;
}

/** Options of {@link StorageAdapter.scan}. */
export interface ScanOptions extends OperationOptions {
  /**
   * The keys under the prefix that the caller reads (absent: all). Only those are handed over; a
   * pass over a store already listed stops after the last of them, and makes no request when the
   * store still holds them all (members the listing pass kept).
   */
  wants?: ((key: string) => boolean) | undefined;
}

export interface ListOptions extends OperationOptions {
  /** True: one level under `prefix`, deeper keys rolled up into directory entries ending in `/`. */
  delimiter?: boolean | undefined;
  /** Upper bound on entries per page (a store may return fewer). */
  pageSize?: number | undefined;
  /** Token from the previous page. */
  pageToken?: string | undefined;
  /** Only keys strictly greater than this (S3 StartAfter, GCS startOffset). */
  startAfter?: string | undefined;
  /**
   * Stores with real directories (local disks): a subdirectory that cannot be read (permission
   * denied) is left out and reported in `ListPage.skipped` instead of failing the listing,
   * also when it is the listed directory itself. Stores without such directories ignore it.
   */
  skipUnreadable?: boolean | undefined;
}

/** A byte range: `offset` from the start, `length` bytes (to the end when absent). */
export interface ByteRange {
  offset: number;
  length?: number | undefined;
}

export interface ReadOptions extends OperationOptions {
  range?: ByteRange | undefined;
}

export interface WriteOptions extends OperationOptions {
  /** Fail with ALREADY_EXISTS instead of replacing an existing object (needs `conditionalWrite`). */
  ifNotExists?: boolean | undefined;
  /**
   * Replace the object only if it is still this version: its `etag` (S3, memory) or `generation`
   * (GCS) from `stat` or a listing. PRECONDITION_FAILED when it changed or is gone. A
   * compare-and-swap for read-modify-write updates (the state file); object stores only: local
   * disks replace atomically by rename but cannot compare (NOT_SUPPORTED).
   */
  ifMatch?: string | undefined;
  /** Total size in bytes; required for streamed bodies on stores that need a length up front. */
  size?: number | undefined;
  contentType?: string | undefined;
}

/** Options of {@link StorageAdapter.copy}. */
export interface CopyOptions extends OperationOptions {
  /**
   * Called with the bytes copied since the previous call, while a server-side copy runs, where the
   * store can tell (a local file copy: the growing temporary file); a store that cannot tell calls
   * nothing and the caller counts the file when the copy returns.
   */
  onProgress?: ((bytes: number) => void) | undefined;
}

/**
 * A write that was started and neither finished nor abandoned: a local temporary file, an S3
 * multipart upload, a GCS resumable upload session. Invisible to listings of finished objects.
 */
export interface UnfinishedWrite {
  /** The key the write was going to create. */
  key: string;
  /** What abandons it: the temporary file's key, the upload id, the session URI. */
  id: string;
  /** When it was started (upload) or last written to (temporary file), where the store says. */
  startedAt?: Date | undefined;
  /** The process that started it, where its name records it (ckptkit's own temporary files). */
  owner?: { host: string; pid: number } | undefined;
  /**
   * Whether that process still runs, where the adapter can tell (same machine: a signal-0 probe);
   * undefined when it cannot (another machine, no owner recorded).
   */
  ownerAlive?: boolean | undefined;
}

/**
 * Told when a write that leaves something behind if its process dies starts and ends (an S3
 * multipart upload, a GCS resumable session): `id` abandons it later (`abandonWrite`). A program
 * keeps a record of these so that a later run can abandon the writes of a killed one.
 */
export type UnfinishedWriteListener = (event: { phase: 'started' | 'ended'; uri: string; id: string }) => void;

/**
 * A body to write: bytes, or a stream of chunks (not replayable, so never retried, unless made by
 * `replayable` or `rangedBody`).
 */
export type WriteBody = Uint8Array | AsyncIterable<Uint8Array>;

/** What a store can do; the facade and the conformance suite read these, never the adapter's name. */
export interface Capabilities {
  /** `real`: directories exist on their own (local). `virtual`: they are key prefixes (object stores). */
  directories: 'real' | 'virtual';
  /** `rename` replaces the destination atomically. */
  atomicRename: boolean;
  /** `read` honours byte ranges with one request. */
  rangeReads: boolean;
  /** `write` honours `ifNotExists` atomically. */
  conditionalWrite: boolean;
  /** `list` honours `startAfter` (the facade also filters, for stores that ignore it). */
  startAfter: boolean;
  /** Largest page a single list request returns. */
  maxPageSize: number;
  /** Largest number of keys one `deleteMany` request removes. */
  maxDeleteBatch: number;
  /**
   * `write` takes the ranges of a body made by `rangedBody` concurrently, each written at its
   * offset (local files). Absent or false: a ranged body is written as one stream, ranges in order.
   */
  rangedWrites?: boolean | undefined;
}

/**
 * The contract every storage backend implements. Each method is one request (or, for local disks,
 * one system-call-level operation) so that the layers around it count, limit and retry requests.
 *
 * Errors are {@link CkptError}s with the adapter's URI for the key; a missing key is NOT_FOUND.
 */
export interface StorageAdapter {
  /** URI scheme, e.g. `s3`. */
  readonly scheme: string;
  /** The bucket, memory store name, or `''` for the local filesystem. */
  readonly store: string;
  readonly capabilities: Capabilities;

  /** The URI of a key in this store, for messages and results. */
  uriOf(key: string): string;

  /** Metadata of one object (or, on stores with real directories, a directory). */
  stat(key: string, options?: OperationOptions): Promise<ObjectMeta>;
  /** The object's bytes, or the requested range of them (clamped at the end of the object). */
  read(key: string, options?: ReadOptions): Promise<Uint8Array>;
  /** Creates or replaces an object; a key ending in `/` creates a directory (marker). */
  write(key: string, body: WriteBody, options?: WriteOptions): Promise<ObjectMeta | undefined>;
  /** One page of the keys starting with `prefix`, in key order. */
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
  /** Deletes one object (a key ending in `/` removes an empty directory or a marker). NOT_FOUND if absent. */
  delete(key: string, options?: OperationOptions): Promise<void>;
  /** Server-side copy of one object within this store. */
  copy(srcKey: string, dstKey: string, options?: CopyOptions): Promise<void>;

  /**
   * Deletes up to `capabilities.maxDeleteBatch` objects in one request (S3 DeleteObjects: 1,000);
   * missing keys are ignored. Optional: without it, `GFile.removeTree` and `GFile.removeMany` (what
   * `ckpt prune` deletes through) send one `delete` per key, at most `concurrency` in flight.
   */
  deleteMany?(keys: string[], options?: OperationOptions): Promise<void>;
  /**
   * Whether `deleteMany` can carry `key` together with others (S3's XML body cannot carry control
   * characters or lone surrogates). Absent: every key can. The facade sends a key that cannot as a
   * `deleteMany` of that key alone, which the adapter makes one single-object request.
   */
  batchDeletable?(key: string): boolean;
  /** Moves an object or directory; atomic when `capabilities.atomicRename`. */
  rename?(srcKey: string, dstKey: string, options?: OperationOptions): Promise<void>;
  /** The bytes as a stream of chunks, for bodies too large to hold in memory. */
  readStream?(key: string, options?: ReadOptions): AsyncIterable<Uint8Array>;
  /**
   * Stores read front to back only (a `.tar.gz` view, decision 0016): one pass over the store that
   * hands every file whose key starts with `prefix` to `visit`, in the store's own order, with its
   * bytes as a stream that `visit` consumes before the pass goes on (backpressure: memory stays
   * bounded whatever the sizes). When the same key comes twice, the later one is what listings
   * show. After it, listings and stats need no other pass. Absent on stores that read ranges, or
   * resolves false having handed nothing over (an archive found to be a plain tar by its bytes).
   */
  scan?(prefix: string, visit: (meta: ObjectMeta, body: AsyncIterable<Uint8Array>) => Promise<void>, options?: ScanOptions): Promise<boolean>;
  /**
   * The unfinished writes of ckptkit (one request per page, like `list`) whose target keys start
   * with `prefix`, where the store can list them (local temporary files, S3 multipart uploads).
   */
  unfinishedWrites?(prefix: string, options?: OperationOptions): Promise<UnfinishedWrite[]>;
  /**
   * Abandons one unfinished write of `key` (`id` as {@link UnfinishedWrite.id}): deletes the
   * temporary file, aborts the multipart upload, cancels the upload session. One request; a write
   * already gone is no error.
   */
  abandonWrite?(key: string, id: string, options?: OperationOptions): Promise<void>;
  /** Releases sockets and handles. */
  close?(): Promise<void>;
}

/**
 * The version token `WriteOptions.ifMatch` takes for an object's metadata: its generation where
 * the store has one (GCS, memory), else its etag (S3). Undefined when the store reports neither.
 */
export function versionOf(meta: { generation?: string | undefined; etag?: string | undefined }): string | undefined {
  return meta.generation ?? meta.etag;
}

/** The request kinds the metrics layer counts, named as the CLI's `--stats` prints them. */
export type RequestKind = 'list' | 'get' | 'head' | 'put' | 'delete' | 'copy' | 'rename';
