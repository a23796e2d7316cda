/** The `checkpoint` state file: text-format parser and writer, TensorFlow's reading rules. */
export { STATE_FILENAME, TextFormatError, emptyCheckpointState, formatCheckpointState, parseCheckpointState, type CheckpointState } from './checkpoint-state.js';
export { basenamePosix, cleanPosixPath, dirnamePosix, isAbsPosix, posixJoin, stripTrailingSlashes, type CleanedPath } from './posix-path.js';
export {
  checkpointStateFor,
  getCheckpointState,
  joinRecorded,
  readUsableStateFile,
  readStateFile,
  stateFileUri,
  updateCheckpointState,
  writeCheckpointState,
  type StateUpdate,
  type WriteStateOptions,
  type ResolvedCheckpointState,
  type StateFileOptions,
  type StateFileRead,
} from './state-file.js';
export { cEscape, cUnescape, parsePythonTextFloat, pythonFloat, pythonFloatRepr } from './text-format.js';
export { recordedPathProblem, shownPath, unstorablePathReason } from './storable-path.js';
