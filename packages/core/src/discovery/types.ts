/**
 * The shapes discovery works with: a directory tree built from listings, what a layout module
 * (`formats/*.ts`) reports when it recognises a checkpoint, and the public result.
 */
import type { CheckpointState } from '../state/checkpoint-state.js';
import type { Step } from './step.js';

/** One file seen in a listing. */
export interface FileEntry {
  name: string;
  uri: string;
  size: number;
  mtime?: Date | undefined;
  /** Content hashes as the listing reported them (S3 ETag, GCS crc32c/md5); absent where a store has none. */
  etag?: string | undefined;
  crc32c?: string | undefined;
  md5?: string | undefined;
  /** Local disks: the target of a symbolic link as stored (Hugging Face snapshot files link to blobs). */
  linkTarget?: string | undefined;
  /** Local disks: a symbolic link whose target does not exist. */
  danglingLink?: boolean | undefined;
}

/** One directory of the tree built from a listing. */
export interface DirNode {
  /** The last path segment (for the root: the last segment of its URI). */
  name: string;
  /** The directory's URI, spelled from the URI the user gave. */
  uri: string;
  /** Segments below the discovery root (0 for the root). */
  depth: number;
  files: Map<string, FileEntry>;
  dirs: Map<string, DirNode>;
  parent: DirNode | undefined;
  /** False for a directory known only as a child in a delimiter listing (contents not listed). */
  loaded: boolean;
  /** Local disks: the directory is a symbolic link with this target (as stored). */
  linkTarget?: string | undefined;
}

/** What the formats may ask of the store while recognising checkpoints. */
export interface DetectContext {
  /** The scheme of the store (`file`, `s3`, `gs`, `memory`, ...): a few rules differ per store. */
  scheme: string;
  /**
   * A small metadata file as text (state files, `trainer_state.json`, DeepSpeed `latest`, ...), read
   * once and cached; undefined when it is gone (NOT_FOUND) or too large to be metadata. Storage
   * failures (unavailable, timeout, permission) are thrown: they say nothing about the checkpoint.
   * Only called for files seen in a listing.
   */
  readText(file: FileEntry): Promise<string | undefined>;
  /** Up to `length` bytes at `offset` of a file (negative: from the end), cached; undefined when the file is gone; storage failures are thrown. */
  readBytes(file: FileEntry, offset: number, length: number): Promise<Uint8Array | undefined>;
  /**
   * Whether a file exists (one HEAD, cached). Only for facts about directories a partial tree has
   * not listed (robust `latest` lists candidate directories one by one); a full tree never needs it.
   * Storage failures are thrown, never answered with false.
   */
  exists(uri: string): Promise<boolean>;
  /**
   * Per-checkpoint content checks (zip trailers, HDF5 superblocks, shard indexes, `trainer_state.json`).
   * Off while a directory's checkpoints are first enumerated (they are judged one by one after), or
   * when the user turned content checks off.
   */
  contentChecks: boolean;
  /**
   * Reads of a directory's own metadata: its pointer files (TF state file, DeepSpeed `latest`,
   * trackers) and `training_metadata.json`. One small read per directory; off only when the user
   * turned content checks off.
   */
  metadata: boolean;
  /** The name of the TensorFlow state file (`checkpoint`, or the `--state-file` robust latest was given); undefined: none is read. */
  stateFileName: string | undefined;
  /** Parsed state files by URI (undefined: not a valid state), shared by every layout and primed by robust latest. */
  states: Map<string, Promise<CheckpointState | undefined>>;
}

/** A checkpoint a format recognised. */
export interface Found {
  /** Format id, e.g. `tf2-checkpoint`, `hf-trainer`, `orbax`. */
  format: string;
  /** What a user restores from: a TF prefix, a file, or the checkpoint directory. */
  prefix: string;
  /** The directory holding the checkpoint (for a directory checkpoint: its parent). */
  dir: string;
  /** The training step (or version, epoch, iteration: see the format), null when the layout has none. Exact at any size (see `step.ts`). */
  step: Step | null;
  complete: boolean;
  /** Why it is incomplete, and anything else a user should know about it. */
  problems: string[];
  files: FileEntry[];
  /** An in-progress or temporary artefact (`_temp`, `.tempstate`, `.part-`, `tmp-checkpoint-`, ...). */
  temporary: boolean;
  /** Orders checkpoints of equal step (e.g. Lightning `-vN`); higher is newer. */
  tiebreak?: number | undefined;
  /** The pointer file of its directory that names it (`checkpoint`, `latest`, `latest_checkpointed_iteration.txt`, ...). */
  pointedBy?: string | undefined;
  /** Names of files in the scanned directory this checkpoint owns (file formats only). */
  claimed?: string[] | undefined;
  /** Format-specific facts (epoch, version, pinned, ...), copied into the result. */
  extra?: Record<string, unknown> | undefined;
}

/**
 * What a directory name promises before its contents are listed (robust `latest` orders candidates
 * by it): for every name a format can claim, the same step (and epoch, `last`, version, conversion)
 * its `claimDir` reports.
 */
export interface DirNameStep {
  step: Step | null;
  temporary: boolean;
  epoch?: Step | null | undefined;
  last?: boolean | undefined;
  version?: number | undefined;
  conversion?: boolean | undefined;
}

/** A checkpoint a pointer file of a directory names. */
export interface Pointer {
  /** The checkpoint's last path segment (a prefix basename or a directory name). */
  target: string;
  /** The pointer file's name. */
  by: string;
}

/**
 * One checkpoint layout: which names it claims, how it reads a step from them, and when such a
 * checkpoint is complete. Discovery asks every format, in a fixed priority order, about every
 * directory: first whether the directory itself is one of its checkpoints (then the directory's
 * subtree belongs to that checkpoint), then which of the directory's files are.
 */
export interface CheckpointFormat {
  /** The main format id. */
  readonly id: string;
  /** Every format id this module can report (for `--format`). */
  readonly ids: readonly string[];
  /** One line for `--help` and docs. */
  readonly description: string;
  /** A checkpoint whose root is `node` itself, or undefined. `node` is fully loaded. */
  claimDir?(node: DirNode, ctx: DetectContext): Found | undefined | Promise<Found | undefined>;
  /** The step a directory name promises, when this format could claim a directory so named. */
  stepFromDirName?(name: string): DirNameStep | undefined;
  /**
   * Checkpoints among the files of `node` still unclaimed by earlier formats. Called twice per
   * checkpoint: once over all unclaimed files without per-checkpoint content checks (which files
   * belong to which checkpoint, and their steps), then over each checkpoint's own claimed files
   * with them; both calls must agree on the checkpoint's prefix and step. The result is read
   * once, in order: a layout may make each checkpoint as it is read (a generator), so that a
   * directory of 200,000 checkpoints is never 200,000 results at once; what may need the listing
   * of another directory ({@link NotListedError}) must happen before it returns.
   */
  claimFiles?(node: DirNode, unclaimed: ReadonlySet<string>, ctx: DetectContext): Iterable<Found> | Promise<Iterable<Found>>;
  /**
   * For a directory that is not a checkpoint but holds this layout's checkpoints deeper down and
   * is what a user calls their directory (a Hugging Face hub repo `models--org--name/`, whose
   * checkpoints are `snapshots/<commit>/`): those checkpoints, newest first in the layout's own
   * order, each with `dir` set to `node`; undefined when `node` is not such a directory. The
   * layout then owns the whole subtree. `node` is fully loaded.
   */
  claimContainer?(node: DirNode, ctx: DetectContext): Found[] | undefined | Promise<Found[] | undefined>;
  /**
   * True for a directory this layout knows to stand for another checkpoint (a pointer copied as a
   * directory, e.g. NeMo Automodel's `LATEST/` on an object store): never a checkpoint of its
   * own; discovery skips it and everything below it.
   */
  isAlias?(node: DirNode): boolean;
  /** The checkpoints in `node` its pointer files name (read with `ctx.metadata`). */
  pointers?(node: DirNode, ctx: DetectContext): Pointer[] | Promise<Pointer[]>;
}

/** One checkpoint as `findCheckpoints` reports it (the JSON of `ckpt find`, plus extra fields). */
export interface CheckpointInfo {
  prefix: string;
  dir: string;
  format: string;
  /** A number up to 2^53 - 1, beyond that the exact decimal string (see `step.ts`). */
  step: Step | null;
  complete: boolean;
  files: string[];
  bytes: number;
  problems: string[];
  temporary: boolean;
  /** Newest modification time among the files, when the store reports it. */
  mtime: Date | undefined;
  /** Format-specific facts (epoch, version, state-file status, ...). */
  extra: Record<string, unknown>;
  /** For a checkpoint inside an archive (`find` with `archives`): the archive file itself. */
  archive?: { uri: string; size: number; mtime: Date | undefined } | undefined;
}
