/**
 * `findCheckpoints`: every checkpoint under a URI, of every layout, complete or not.
 */
import { CkptError, type FileInfo, type GFile, archiveRootUri, compareKeys, isCkptError } from '@ckptkit/gfile';
import { CHECKPOINT_FORMATS, formatIds } from '../formats/index.js';
import { createDetectContext, detectTree, toCheckpointInfo } from './detect.js';
import { listTree } from './tree.js';
import { compareOptionalSteps } from './step.js';
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
  return (
    compareKeys(a.dir, b.dir) ||
    compareOptionalSteps(a.step, b.step) ||
    compareKeys(a.prefix, b.prefix)
  );
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
 * @throws CkptError NOT_FOUND when `uri` does not exist; INVALID_CONFIG for an unknown format id.
 */
export async function findCheckpoints(uri: string, options: FindOptions): Promise<CheckpointInfo[]> {
  const { gfile, signal } = options;
  let formats = CHECKPOINT_FORMATS;
  let wanted: Set<string> | undefined;
  if (options.formats && options.formats.length > 0) {
    const known = new Set(formatIds());
    const unknown = options.formats.filter((f) => !known.has(f));
    if (unknown.length > 0) {
      throw new CkptError('INVALID_CONFIG', { operation: 'find', uri, message: `unknown format ${unknown.join(', ')}; known formats: ${[...known].join(', ')}` });
    }
    wanted = new Set(options.formats);
    // Every module still runs, so that a directory owned by another layout is not re-read as this one.
    formats = CHECKPOINT_FORMATS;
  }
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
  const found = await detectTree(root, ctx, {
    maxDepth: options.maxDepth,
    formats,
    onFound: () => {
      progress.found++;
      if (report && progress.found % 100 === 0) report({ ...progress });
    },
  });
  const inArchives = await findInArchives(archives, options);
  progress.phase = 'done';
  progress.found += inArchives.length;
  report?.({ ...progress });
  const inTree = found
    .filter((f) => !wanted || wanted.has(f.format))
    .map(toCheckpointInfo)
    .sort(compareCheckpoints);
  return [...inTree, ...inArchives];
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
