/**
 * Reading and writing the `checkpoint` state file through the storage facade, and TensorFlow's
 * `get_checkpoint_state` on top of it (tf-checkpoint-format.md §1.2).
 */
import { CkptError, type GFile, isCkptError, versionOf } from '@ckptkit/gfile';
import { STATE_FILENAME, type CheckpointState, TextFormatError, formatCheckpointState, parseCheckpointState } from './checkpoint-state.js';
import { isAbsPosix, posixJoin } from './posix-path.js';

/** What reading a state file found. Each kind maps to one TensorFlow behaviour. */
export type StateFileRead =
  /** No such file, or the name is a directory: TensorFlow returns None. */
  | { kind: 'missing'; uri: string }
  /** The bytes are not UTF-8: `read_file_to_string` raises UnicodeDecodeError, which TensorFlow does not catch. */
  | { kind: 'not-utf8'; uri: string; size: number }
  /** `text_format` rejects the text: TensorFlow logs a warning and returns None. */
  | { kind: 'malformed'; uri: string; error: TextFormatError; size: number }
  /** Parses, but sets no `model_checkpoint_path` (e.g. a 0-byte file): TensorFlow raises ValueError. */
  | { kind: 'empty'; uri: string; state: CheckpointState; size: number }
  /** A usable state; paths as recorded. */
  | { kind: 'ok'; uri: string; state: CheckpointState; size: number };

/** Options of the state-file functions. */
export interface StateFileOptions {
  /** File name inside the directory (TensorFlow's `latest_filename`); default `checkpoint`. */
  latestFilename?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** The URI of a directory's state file, joined as `os.path.join(dir, latest_filename)`. */
export function stateFileUri(dirUri: string, latestFilename?: string): string {
  return posixJoin(dirUri, latestFilename ?? STATE_FILENAME);
}

/**
 * Reads and classifies a directory's state file with one GET. Never throws for what TensorFlow
 * treats as data (missing file, a directory in its place, bad text); storage failures
 * (permission, network, ...) are thrown as they are.
 */
export async function readStateFile(gfile: Pick<GFile, 'readFile'>, dirUri: string, options: StateFileOptions = {}): Promise<StateFileRead> {
  const uri = stateFileUri(dirUri, options.latestFilename);
  let bytes: Uint8Array;
  try {
    bytes = await gfile.readFile(uri, { signal: options.signal });
  } catch (error) {
    // NOT_FOUND: no object (on object stores also when only `checkpoint/...` keys exist).
    // INVALID_PATH: the local adapter's "is a directory". TensorFlow sees an OpError: None.
    if (isCkptError(error, 'NOT_FOUND', 'INVALID_PATH')) return { kind: 'missing', uri };
    throw error;
  }
  return classifyStateBytes(uri, bytes);
}

/** What the bytes of a state file hold, classified as {@link readStateFile} classifies them. */
export function classifyStateBytes(uri: string, bytes: Uint8Array): StateFileRead {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { kind: 'not-utf8', uri, size: bytes.byteLength };
  }
  let state: CheckpointState;
  try {
    state = parseCheckpointState(text);
  } catch (error) {
    if (error instanceof TextFormatError) return { kind: 'malformed', uri, error, size: bytes.byteLength };
    throw error;
  }
  if (state.modelCheckpointPath === '') return { kind: 'empty', uri, state, size: bytes.byteLength };
  return { kind: 'ok', uri, state, size: bytes.byteLength };
}

/** A CheckpointState whose relative paths were joined with the directory, as TensorFlow returns it. */
export interface ResolvedCheckpointState extends CheckpointState {
  /** The state file that was read. */
  stateUri: string;
}

/**
 * `tf.train.get_checkpoint_state(dir, latest_filename)`: the state with every relative path
 * joined to `dirUri` (`os.path.join`, no normalisation; only a leading `/` makes a path absolute,
 * so a recorded `gs://...` is joined too), or null when the file is missing or malformed.
 *
 * @throws CkptError CORRUPT exactly where TensorFlow raises: the file parses but sets no
 *   `model_checkpoint_path` (ValueError "Invalid checkpoint state loaded from DIR"), or its bytes
 *   are not UTF-8 (UnicodeDecodeError).
 */
export async function getCheckpointState(gfile: Pick<GFile, 'readFile'>, dirUri: string, options: StateFileOptions = {}): Promise<ResolvedCheckpointState | null> {
  const read = await readUsableStateFile(gfile, dirUri, options);
  if (!read) return null;
  const join = (p: string) => joinRecorded(dirUri, p);
  return {
    stateUri: read.uri,
    modelCheckpointPath: join(read.state.modelCheckpointPath),
    allModelCheckpointPaths: read.state.allModelCheckpointPaths.map(join),
    allModelCheckpointTimestamps: [...read.state.allModelCheckpointTimestamps],
    lastPreservedTimestamp: read.state.lastPreservedTimestamp,
  };
}

/** A recorded path as `get_checkpoint_state` resolves it: `os.path.join(dir, p)` unless absolute. */
export function joinRecorded(dirUri: string, p: string): string {
  return isAbsPosix(p) ? p : posixJoin(dirUri, p);
}

/**
 * The state file when `get_checkpoint_state` would use it (paths as recorded), null where it
 * returns None; throws exactly where it raises (see {@link getCheckpointState}). For callers that
 * need one path of a state file that may list millions.
 */
export async function readUsableStateFile(gfile: Pick<GFile, 'readFile'>, dirUri: string, options: StateFileOptions = {}): Promise<Extract<StateFileRead, { kind: 'ok' }> | null> {
  const read = await readStateFile(gfile, dirUri, options);
  switch (read.kind) {
    case 'missing':
    case 'malformed':
      return null;
    case 'not-utf8':
      throw new CkptError('CORRUPT', {
        operation: 'latest',
        uri: read.uri,
        message: "state file is not UTF-8 text (TensorFlow raises UnicodeDecodeError: 'utf-8' codec can't decode)",
      });
    case 'empty':
      throw new CkptError('CORRUPT', {
        operation: 'latest',
        uri: read.uri,
        message: `Invalid checkpoint state loaded from ${dirUri} (no model_checkpoint_path; TensorFlow raises ValueError)`,
      });
    case 'ok':
      return read;
  }
}

/**
 * Builds a state the way `generate_checkpoint_state_proto` does: `modelCheckpointPath` is appended
 * to the list unless it already is its last element.
 *
 * @throws CkptError INVALID_CONFIG when timestamps are given but their count differs from the paths'
 *   (TensorFlow's ValueError), or when the path is empty.
 */
export function checkpointStateFor(
  modelCheckpointPath: string,
  options: { allModelCheckpointPaths?: string[]; allModelCheckpointTimestamps?: number[]; lastPreservedTimestamp?: number } = {},
): CheckpointState {
  if (modelCheckpointPath === '') throw new CkptError('INVALID_CONFIG', { operation: 'state', message: 'model_checkpoint_path must not be empty' });
  const paths = [...(options.allModelCheckpointPaths ?? [])];
  if (paths[paths.length - 1] !== modelCheckpointPath) paths.push(modelCheckpointPath);
  const timestamps = [...(options.allModelCheckpointTimestamps ?? [])];
  if (timestamps.length > 0 && timestamps.length !== paths.length) {
    throw new CkptError('INVALID_CONFIG', {
      operation: 'state',
      message: `all_model_checkpoint_timestamps has ${timestamps.length} entries but there are ${paths.length} paths`,
    });
  }
  return { modelCheckpointPath, allModelCheckpointPaths: paths, allModelCheckpointTimestamps: timestamps, lastPreservedTimestamp: options.lastPreservedTimestamp ?? 0 };
}

/**
 * Replaces a directory's state file atomically: a reader sees the old file or the new one, never a
 * mix (the facade writes local files to a temporary name and renames them; object stores replace
 * objects whole). Written as TensorFlow writes it ({@link formatCheckpointState}).
 *
 * @throws CkptError INVALID_CONFIG when the state has no `modelCheckpointPath` (TensorFlow would
 *   refuse to read such a file back), or when the state file would be the checkpoint prefix itself.
 */
export async function writeCheckpointState(gfile: Pick<GFile, 'writeFile'>, dirUri: string, state: CheckpointState, options: WriteStateOptions = {}): Promise<string> {
  if (state.modelCheckpointPath === '') {
    throw new CkptError('INVALID_CONFIG', { operation: 'state', uri: dirUri, message: 'refusing to write a state file without model_checkpoint_path (TensorFlow raises on reading it)' });
  }
  const uri = stateFileUri(dirUri, options.latestFilename);
  const target = isAbsPosix(state.modelCheckpointPath) ? state.modelCheckpointPath : posixJoin(dirUri, state.modelCheckpointPath);
  if (target === uri) {
    throw new CkptError('INVALID_CONFIG', {
      operation: 'state',
      uri,
      message: `Save path '${state.modelCheckpointPath}' conflicts with path used for checkpoint state. Please use a different save path.`,
    });
  }
  await gfile.writeFile(uri, formatCheckpointState(state), { signal: options.signal, ifMatch: options.ifMatch, ifNotExists: options.ifNotExists });
  return uri;
}

/** Options of {@link writeCheckpointState}: the conditions of a compare-and-swap. */
export interface WriteStateOptions extends StateFileOptions {
  /** Replace only this version of the file (see `versionOf`); object stores only. */
  ifMatch?: string | undefined;
  /** Create the file only if there is none. */
  ifNotExists?: boolean | undefined;
}

/** What {@link updateCheckpointState} wrote. */
export interface StateUpdate {
  uri: string;
  state: CheckpointState;
  /** The file the update was computed from. */
  previous: StateFileRead;
  /** Reads and writes it took (more than 1 when another writer got in between). */
  attempts: number;
  /** True when the write was conditional on the version read (object stores). */
  conditional: boolean;
}

const UPDATE_ATTEMPTS = 6;

/**
 * A read-modify-write of a directory's state file that never loses another writer's update (a
 * training job saving while `ckpt cp --update-state` records a copy). On object stores that
 * honour conditional writes, the new file replaces exactly the version that was read (S3 If-Match
 * on its etag, GCS ifGenerationMatch; an absent file is created only if still absent); when
 * another writer got in between, or the write failed transiently, the file is read again and
 * `update` applied again (it must be safe to apply twice), up to 6 times. Local disks replace the
 * file atomically (temporary file, then rename) but cannot compare first: there the last writer wins.
 *
 * `update` gets what the file held and returns the state to write, or undefined to leave it alone.
 *
 * @throws CkptError PRECONDITION_FAILED when the file kept changing; storage errors as they are.
 */
export async function updateCheckpointState(
  gfile: Pick<GFile, 'readFile' | 'writeFile' | 'stat' | 'locate'>,
  dirUri: string,
  update: (previous: StateFileRead) => CheckpointState | undefined,
  options: StateFileOptions = {},
): Promise<StateUpdate | undefined> {
  const uri = stateFileUri(dirUri, options.latestFilename);
  const { adapter } = await gfile.locate(uri, 'state');
  const cas = adapter.capabilities.conditionalWrite && adapter.capabilities.directories === 'virtual';
  for (let attempt = 1; ; attempt++) {
    let condition: { ifMatch?: string; ifNotExists?: boolean } = {};
    if (cas) {
      try {
        const version = versionOf(await gfile.stat(uri, { signal: options.signal }));
        if (version !== undefined) condition = { ifMatch: version };
      } catch (error) {
        if (!isCkptError(error, 'NOT_FOUND')) throw error;
        condition = { ifNotExists: true };
      }
    }
    const previous = await readStateFile(gfile, dirUri, options);
    const state = update(previous);
    if (state === undefined) return undefined;
    try {
      await writeCheckpointState(gfile, dirUri, state, { ...options, ...condition });
      return { uri, state, previous, attempts: attempt, conditional: condition.ifMatch !== undefined || condition.ifNotExists === true };
    } catch (error) {
      // A conflict, or a transient failure whose write may have landed: read again and redo.
      const again = cas && (isCkptError(error, 'PRECONDITION_FAILED', 'ALREADY_EXISTS') || (isCkptError(error) && error.retryable));
      if (!again || attempt >= UPDATE_ATTEMPTS) {
        if (again) throw new CkptError('PRECONDITION_FAILED', { operation: 'state', uri, message: `gave up after ${UPDATE_ATTEMPTS} attempts: the state file kept changing (or failing) between reading and writing it; no other writer's update was overwritten`, cause: error });
        throw error;
      }
      await new Promise((r) => setTimeout(r, Math.random() * 25 * 2 ** attempt));
    }
  }
}
