/**
 * `findCheckpoints`: every checkpoint under a URI, of every layout, complete or not.
 */
import { CkptError, type FileInfo, type GFile, archiveRootUri, compareKeys, isCkptError } from '@ckptkit/gfile';
import { CHECKPOINT_FORMATS, formatIds } from '../formats/index.js';
import { createDetectContext, toCheckpointInfo } from './detect.js';
import { compareFound, detectInOrder } from './in-order.js';
import { listTree } from './tree.js';
import type { CheckpointInfo } from './types.js';

/** Progress of a long {@link findCheckpoints}. */
export interface FindProgress {
  phase: 'listing' | 'detecting' | 'done';
  /** Objects and directories listed so far. */
  listed: number;
  /** Checkpoints recognised so far. */
  found: number;
}

/** Options of {@link findCheckpoints}. */
export interface FindOptions {
  /** The storage facade (its registry decides which schemes work). */
  gfile: GFile;
  /** Only checkpoints whose directory is at most this many levels below `uri` (0: `uri` itself). */
  maxDepth?: number | undefined;
  /** Only these format ids (see {@link formatIds}); default all. */
  formats?: readonly string[] | undefined;
  /**
   * Small reads that decide completeness where names cannot: state files, `trainer_state.json`,
   * shard indexes, DeepSpeed `latest`, zip trailers and HDF5 superblocks (default true). Off, only
   * listings are used.
   */
  contentChecks?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Called about every 1,000 listed entries and at each phase change. */
  onProgress?: ((progress: FindProgress) => void) | undefined;
  /**
   * Called with the error of each subdirectory that could not be read (PERMISSION_DENIED), which is
   * left out while the search goes on. Without it such a subdirectory fails the whole search.
   */
  onSkipped?: ((error: CkptError) => void) | undefined;
  /**
   * Also the checkpoints inside every `.tar`, `.tar.gz`/`.tgz` and `.zip` of the tree, through
   * archive views (decision 0016), each with its archive's own URI, size and mtime (default
   * false). An archive that cannot be read is reported to `onSkipped` (without it, it fails the
   * search) and the search goes on.
   */
  archives?: boolean | undefined;
  /** Archives read at once (default 4). */
  archiveConcurrency?: number | undefined;
}

/** Orders results by directory, then step (no step first), then prefix. */
export function compareCheckpoints(a: CheckpointInfo, b: CheckpointInfo): number {
  return compareFound(a, b);
}

/**
 * Every checkpoint under `uri`, hidden and intermediate ones included: complete ones, incomplete
 * ones with the reasons, and in-progress or temporary artefacts (`temporary: true`), each with its
 * format, step, files and bytes. Sorted by directory, then step.
 *
 * Requests: one recursive listing of `uri` (ceil(N/1000) on object stores, never one per file or
 * per directory), plus, with content checks, one small read per metadata file or per single-file
 * checkpoint that needs it.
 *
 * The whole answer in one array: {@link streamCheckpoints} gives the same checkpoints in the same
 * order one at a time, without holding them.
 *
 * @throws CkptError NOT_FOUND when `uri` does not exist; INVALID_CONFIG for an unknown format id.
 */
export async function findCheckpoints(uri: string, options: FindOptions): Promise<CheckpointInfo[]> {
  const out: CheckpointInfo[] = [];
  for await (const info of streamCheckpoints(uri, options)) out.push(info);
  return out;
}

/**
 * The checkpoints {@link findCheckpoints} reports, in its order (by directory, then step, then
 * prefix; those inside archives last, archive by archive), handed out as soon as that order
 * allows: directory by directory once the listing is complete (a directory is judged with
 * everything below it, and the first directory in the order, `uri` itself, is complete only when
 * the listing is). What is held meanwhile: the listed tree, compactly (names, sizes and times in
 * columns per directory), and the checkpoints of the few directories being judged; never every
 * checkpoint of the tree. Same requests as {@link findCheckpoints}.
 *
 * @throws CkptError NOT_FOUND when `uri` does not exist; INVALID_CONFIG for an unknown format id
 * (both before the first checkpoint); storage failures where they happen.
 */
export async function* streamCheckpoints(uri: string, options: FindOptions): AsyncGenerator<CheckpointInfo> {
  const { gfile, signal } = options;
  let wanted: Set<string> | undefined;
  if (options.formats && options.formats.length > 0) {
    const known = new Set(formatIds());
    const unknown = options.formats.filter((f) => !known.has(f));
    if (unknown.length > 0) {
      throw new CkptError('INVALID_CONFIG', { operation: 'find', uri, message: `unknown format ${unknown.join(', ')}; known formats: ${[...known].join(', ')}` });
    }
    wanted = new Set(options.formats);
  }
  // Every module runs even when only some formats are wanted, so that a directory owned by another
  // layout is not re-read as one of the wanted ones.
  const formats = CHECKPOINT_FORMATS;
  const progress: FindProgress = { phase: 'listing', listed: 0, found: 0 };
  const report = options.onProgress;
  report?.({ ...progress });
  const archives: FileInfo[] = [];
  const root = await listTree(gfile, uri, {
    signal,
    onSkipped: options.onSkipped,
    onEntry: (info) => {
      if (options.archives && info.kind === 'file' && archiveRootUri(info.uri) !== undefined) archives.push(info);
      progress.listed++;
      if (report && progress.listed % 1000 === 0) report({ ...progress });
    },
  });
  progress.phase = 'detecting';
  report?.({ ...progress });
  const ctx = createDetectContext(gfile, root.uri, { contentChecks: options.contentChecks, signal });
  for await (const found of detectInOrder(root, ctx, { maxDepth: options.maxDepth, formats })) {
    progress.found++;
    if (report && progress.found % 100 === 0) report({ ...progress });
    if (!wanted || wanted.has(found.format)) yield toCheckpointInfo(found);
  }
  const inArchives = await findInArchives(archives, options);
  progress.phase = 'done';
  progress.found += inArchives.length;
  report?.({ ...progress });
  yield* inArchives;
}

/**
 * The checkpoints inside archives found by a search, archive by archive in key order (each
 * archive read once: its view keeps the index), at most `archiveConcurrency` at once.
 */
async function findInArchives(archives: FileInfo[], options: FindOptions): Promise<CheckpointInfo[]> {
  if (archives.length === 0) return [];
  archives.sort((a, b) => compareKeys(a.uri, b.uri));
  const results: CheckpointInfo[][] = archives.map(() => []);
  let next = 0;
  const worker = async () => {
    while (next < archives.length) {
      const i = next++;
      const archive = archives[i]!;
      const root = archiveRootUri(archive.uri)!;
      try {
        const inside = await findCheckpoints(root, { ...options, archives: false, maxDepth: undefined, onProgress: undefined });
        results[i] = inside.map((c) => ({ ...c, archive: { uri: archive.uri, size: archive.size, mtime: archive.mtime } }));
      } catch (error) {
        if (!options.onSkipped || !isCkptError(error) || error.code === 'ABORTED') throw error;
        options.onSkipped(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.archiveConcurrency ?? 4, archives.length)) }, worker));
  return results.flat();
}
