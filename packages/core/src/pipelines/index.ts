/** Pipelines: watch a directory for new checkpoints, copy one between stores, inspect and repair state files. */
export { resolveCheckpoint, resolveCheckpointFiles, type CheckpointFile, type CheckpointFiles, type ResolveFilesOptions, type TensorFiles } from './checkpoint-files.js';
export { copyCheckpoint, type CopiedFile, type CopyCheckpointOptions, type CopyCheckpointResult, type CopyProgress } from './copy.js';
export { candidatePartSizes, compareFiles, declaredHashes, isCheapToRead, type DeclaredHashes, type FileFacts, type IdentityVerdict } from './file-identity.js';
export { LEFTOVER_MAX_AGE_MS, leftoverReason, removeLeftovers, type DeadWrite, type KeptLeftover, type LeftoverOptions, type LeftoverReport, type RemovedLeftover } from './leftovers.js';
export { recordCheckpointInState, type RecordStateOptions, type RecordedState } from './record-state.js';
export { destinationUri, destinationUris, unsafeReason } from './safe-paths.js';
export {
  readStateReport,
  repairCheckpointState,
  type RecordedPath,
  type RepairChange,
  type RepairOptions,
  type StateReport,
  type StateRepairResult,
  type StateToolOptions,
} from './state-repair.js';
export { watchCheckpoints, type WatchOptions, type WatchedCheckpoint } from './watch.js';
export { inspectAny, verifyAny, type InspectedCheckpoint, type VerifiedCheckpoint } from './read-checkpoint.js';
