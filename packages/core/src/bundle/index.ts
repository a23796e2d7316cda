/** TensorFlow checkpoint bundles (V2 `.index` + data shards, V1 metadata): read, write, verify. */
export { bytesSource, readExactly, type ByteSource } from './byte-source.js';
export {
  decodeBundleEntry,
  decodeBundleHeader,
  encodeBundleEntry,
  encodeBundleHeader,
  TENSOR_BUNDLE_VERSION,
  type BundleEntryProto,
  type BundleHeader,
  type SliceExtent,
  type TensorShape,
  type TensorSlice,
  type VersionDef,
} from './bundle-proto.js';
export {
  BundleWriter,
  buildBundle,
  encodeTensor,
  type AddOptions,
  type BuiltBundle,
  type BundleWriterOptions,
  type DTypeLike,
  type ShardSink,
  type TensorToWrite,
  type TensorValue,
} from './bundle-writer.js';
export { crc32c, crc32cCombine, extendCrc32c, maskCrc, unmaskCrc } from './crc.js';
export { baseDtype, dtypeLayout, dtypeName, dtypeSize, dtypeValue } from './dtypes.js';
export { corruptError, corruptReason, type CorruptReason } from './errors.js';
export { bundleIndexFromTable, parseBundleIndex, readBundleIndex, type BundleIndex, type BundleIndexEntry } from './index-reader.js';
export { inspectBundleJson, inspectV1Json, type InspectEntryJson, type InspectJson, type InspectSliceJson } from './inspect-json.js';
export { lfsMessage, parseLfsPointer, type LfsPointer } from './lfs.js';
export { bundlePrefixOf, dataFilename, indexFilename } from './naming.js';
export { decodeTensorNameSlice, encodeTensorNameSlice, sliceToString } from './ordered-code.js';
export {
  DEFAULT_TAIL_BYTES,
  parseSSTable,
  readFirstBlock,
  readSSTable,
  type FileView,
  type ReadTableOptions,
  type SSTable,
  type SSTableBlockInfo,
  type SSTableEntry,
} from './sstable-reader.js';
export { buildSSTable, type SSTableWriterOptions } from './sstable-writer.js';
export { inspectCheckpoint, openBundle, storageSource, verifyBundle, writeBundle, type BundleStorage, type WrittenBundle } from './storage.js';
export { RawChecker, StringChecker, VariantChecker, decodeStringTensor, type CheckOutcome, type TensorChecker } from './tensor-checksum.js';
export { parseV1Checkpoint, readV1Checkpoint, type V1Checkpoint, type V1Record, type V1Tensor } from './v1-reader.js';
export {
  memoryBundleFiles,
  verifyBundleFiles,
  type BundleFiles,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyProblemCode,
  type VerifyReport,
} from './verify.js';
export type { EntryResult } from './shard-check.js';
