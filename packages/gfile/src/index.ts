/**
 * @ckptkit/gfile: a tf.io.gfile-style storage interface over `file://` and bare paths, `memory://`,
 * `s3://` and `gs://` URIs, derived from a small object-store-shaped adapter contract.
 */
export type {
  ByteRange,
  Capabilities,
  CopyOptions as AdapterCopyOptions,
  ListOptions as AdapterListOptions,
  ListPage,
  ObjectMeta,
  OperationOptions,
  ScanOptions,
  ReadOptions,
  RequestKind,
  SkippedEntry,
  StorageAdapter,
  UnfinishedWrite,
  UnfinishedWriteListener,
  WriteBody,
  WriteOptions,
} from './adapter.js';
export { collectBytes } from './bytes.js';
export { releasableChunk, releaseChunk } from './chunk-release.js';
export { versionOf } from './adapter.js';
export { CkptError, ERROR_CODES, abortError, ckptError, isCkptError, isProgrammingError, redact, registerSecret, throwIfAborted } from './errors.js';
export type { CkptErrorInit, ErrorCode } from './errors.js';
export { GFile, createGFile } from './gfile.js';
export type { FileInfo, GFileOptions, ListOptions, OverwriteOptions, ReadFileOptions, Signalled, WalkEntry, WalkOptions, WriteFileOptions } from './gfile.js';
export { hasWildcard, keyMatcher, planGlob, segmentMatcher } from './glob.js';
export type { GlobPlan, GlobStep } from './glob.js';
export { baseName, compareKeys, dirPrefix, isUnder, parentPrefix, stripSlash } from './keys.js';
export { withConcurrencyLimit } from './layers/concurrency.js';
export { RequestMetrics, withMetrics } from './layers/metrics.js';
export { withRetry } from './layers/retry.js';
export type { RetryOptions } from './layers/retry.js';
export { listEntries, listPages } from './listing.js';
export type { ListEntriesOptions, ListedPage } from './listing.js';
export { listRecursive, listRecursivePages } from './planner/index.js';
export type { PlanDecision, PlannerOptions } from './planner/index.js';
export { HADOOP_FOLDER_SUFFIX, hadoopPlaceholderDir } from './placeholders.js';
export { clearMemoryStore, createMemoryAdapter } from './memory-adapter.js';
export type { MemoryAdapterOptions } from './memory-adapter.js';
export { AdapterRegistry, createRegistry } from './registry.js';
export { failedInSource, isReplayable, replayable } from './replayable.js';
export { isRangedBody, openRange, rangedBody } from './ranged-body.js';
export type { BodyRange, RangedBody } from './ranged-body.js';
export type { ReplayableStream } from './replayable.js';
export type { AdapterFactory, AdapterLoader } from './registry.js';
export { joinUri, parseUri, portableUri, schemeOf, uriForKey } from './uri.js';
export { decodeFileName, decodeFileUriPath, displayName, encodeFileName, encodeFileUriPath, hasEscapedBytes } from './names.js';
export { compileFnmatch } from './wildcard.js';
export type { ParsedUri } from './uri.js';
export { ARCHIVE_SCHEMES, archiveRootUri, archiveSchemeOfName, formatArchiveUri, isArchiveUri, parseArchiveUri } from './archive/member-uri.js';
export type { ArchiveMemberUri, ArchiveScheme } from './archive/member-uri.js';
export { DEFAULT_ARCHIVE_LIMITS } from './archive/limits.js';
export type { ArchiveLimits } from './archive/limits.js';
export { decodeXmlText } from './xml-text.js';
