/**
 * `copyCheckpoint`: every file of one checkpoint from one store to another (local, S3, GCS, memory,
 * in any direction), resumable, with the files that make a checkpoint visible written last.
 */
import type { Step } from '../discovery/step.js';
import { CkptError, isCkptError, rangedBody, replayable, type GFile } from '@ckptkit/gfile';
import { runPool } from '../bundle/pool.js';
import { basenamePosix } from '../state/posix-path.js';
import { resolveCheckpoint, type CheckpointFile, type CheckpointFiles } from './checkpoint-files.js';
import { compareFiles, type FileFacts } from './file-identity.js';
import { removeLeftovers, type DeadWrite, type LeftoverReport, type RemovedLeftover } from './leftovers.js';
import { recordCheckpointInState, type RecordedState } from './record-state.js';
import { destinationUri, destinationUris, directoryBase } from './safe-paths.js';
import { removeStaleStaging, stageSequentialSource, type Staged } from './staging.js';

/** Progress of a copy, reported as bytes move and as files finish. */
export interface CopyProgress {
  filesTotal: number;
  /** Files finished (copied or skipped). */
  filesDone: number;
  filesSkipped: number;
  bytesTotal: number;
  /** Bytes copied or found already in place. */
  bytesDone: number;
}

/** What happened to one file. */
export interface CopiedFile {
  src: string;
  dst: string;
  /** Path below the destination directory. */
  rel: string;
  size: number;
  /** `skipped`: the destination already held identical bytes. */
  action: 'copied' | 'skipped';
  /** `server-side` within one store, `streamed` between two. */
  how?: 'server-side' | 'streamed' | undefined;
  /** The hash that proved a skipped file identical (`crc32c`, `md5`, `s3-etag`, `… (computed)`). */
  identicalBy?: string | undefined;
  /** Why an existing destination file was replaced. */
  replacedBecause?: string | undefined;
}

/** Options of {@link copyCheckpoint}. */
export interface CopyCheckpointOptions {
  gfile: GFile;
  /** Files in flight at once (default 4); each may itself use several requests (multipart parts). */
  concurrency?: number | undefined;
  /** Record the copy in the destination's state file (TensorFlow prefixes only). */
  updateState?: boolean | undefined;
  /** State file name for `updateState` (default `checkpoint`). */
  latestFilename?: string | undefined;
  /** Copy what there is of an incomplete checkpoint instead of refusing (temporaries are never copied). */
  allowIncomplete?: boolean | undefined;
  /**
   * When a destination file exists and the two stores share no content hash (an S3 multipart
   * upload against GCS), read the source to compute the hash the destination has (default true):
   * a download instead of sending the file again.
   */
  readSourceToCompare?: boolean | undefined;
  /**
   * Byte ranges fetched side by side per large file, where the destination writes ranges at their
   * offsets (`capabilities.rangedWrites`: local disks) and the source reads ranges (default 4;
   * 1: one stream per file). Each range is one ranged read of at least `rangeMinBytes`.
   */
  rangeStreams?: number | undefined;
  /** Smallest range (default 16 MiB): a file below twice this size is fetched as one stream. */
  rangeMinBytes?: number | undefined;
  /** Content checks while resolving the source (default true). */
  contentChecks?: boolean | undefined;
  /**
   * Remove the leftovers of earlier copies of this checkpoint that were killed before they could
   * clean up (see {@link removeLeftovers}): temporary files and multipart uploads under the
   * checkpoint's destination name (and the state file's, with `updateState`) whose writer is dead
   * or that are older than `maxAgeMs`, and the recorded `deadWrites` there; when the source is
   * staged (a `.tar.gz`), also the staging directories in the destination whose writer (named in
   * the directory's name) was a process of this machine that no longer runs, or whose newest file
   * is older than `maxAgeMs` (one more listing). Off by default (one more listing per name:
   * ListMultipartUploads on S3).
   */
  removeLeftovers?: { maxAgeMs?: number | undefined; deadWrites?: readonly DeadWrite[] | undefined } | undefined;
  signal?: AbortSignal | undefined;
  /** Progress as bytes move: streams as chunks pass, server-side copies as the store reports them. */
  onProgress?: ((progress: CopyProgress) => void) | undefined;
  /** Called as each file finishes. */
  onFile?: ((file: CopiedFile) => void) | undefined;
}

/** What {@link copyCheckpoint} did. */
export interface CopyCheckpointResult {
  source: { prefix: string; format: string; step: Step | null; complete: boolean; problems: string[] };
  /** The checkpoint's prefix (or directory, or file) at the destination. */
  prefix: string;
  /** The destination directory. */
  dir: string;
  files: CopiedFile[];
  filesCopied: number;
  filesSkipped: number;
  bytesCopied: number;
  bytesSkipped: number;
  /** The state file written with `updateState`. */
  state?: RecordedState | undefined;
  /** Leftovers of killed earlier copies, removed (or not) before copying (with `removeLeftovers`). */
  leftovers?: LeftoverReport | undefined;
  /**
   * Files at the destination under the checkpoint's name that are not part of it (a shard of an
   * older save with another shard count, say). Left in place, and reported: readers that list the
   * prefix (`ckpt find`) may judge it inconsistent until they are removed.
   */
  extraneous: string[];
  /** How the source URI was understood, when it named a part of the checkpoint (a data shard, an `.index`). */
  notes: string[];
}

// Files whose presence makes a checkpoint visible or complete to readers: written after
// everything else, so no reader ever sees them without the data they describe.
const LAST = new Set(['checkpoint', 'commit_success.txt']);
const NEXT_TO_LAST = new Set(['saved_model.pb', 'saved_model.pbtxt']);

/** 0: data, 1: indexes and graphs, 2: state and commit files. */
function phaseOf(rel: string): number {
  const name = basenamePosix(rel);
  if (LAST.has(name)) return 2;
  if (name.endsWith('.index') || NEXT_TO_LAST.has(name)) return 1;
  return 0;
}

const TF_PREFIX_FORMATS = new Set(['tf1-saver', 'tf1-saver-v1', 'tf2-checkpoint', 'keras-tf-weights', 'savedmodel-variables', 'tf-slim']);

/**
 * Copies one checkpoint (`srcUri`: a TensorFlow prefix or its `.index`, a checkpoint directory, or
 * a checkpoint file; see {@link resolveCheckpoint}) into the directory `dstDir`, keeping its
 * name: `s3://a/run/ckpt-5` to `gs://b/mirror` gives `gs://b/mirror/ckpt-5.index`, `...data-*`.
 *
 * - **Order**: data first, then `.index` files (and `saved_model.pb`), then state/commit files,
 *   each group finished before the next starts: a reader never sees an index without its data.
 * - **Atomic files**: local files are written to a temporary name and renamed; object stores get a
 *   single PUT or a multipart upload that becomes visible only when completed. A file is never
 *   partly present under its final name, so an interrupted copy leaves only finished files.
 * - **Resumable**: a destination file that is already identical (same size and a matching content
 *   hash, see {@link compareFiles}) is skipped; running the same copy again after an interruption
 *   sends only what was not finished.
 * - **Transfers**: within one store a server-side copy (S3 CopyObject, multipart copy beyond 5 GiB;
 *   GCS rewrite; a local file copy); between stores a streamed read (one GET whose body is consumed
 *   as it arrives, resumed at the delivered offset if cut) into a streamed write (S3 multipart
 *   uploads above the adapter's threshold, GCS resumable uploads), `concurrency` files at a time.
 *   Into a local disk a large file is fetched as `rangeStreams` byte ranges side by side, written
 *   at their offsets into the temporary file (one ranged read each, each resumed if cut).
 * - **Sources read front to back only** (a checkpoint inside a `.tar.gz`, decision 0016): the
 *   archive is read once. The pass that lists it writes the files under the checkpoint's prefix
 *   to numbered temporaries in `DST/.ckpt-staging-…/`, in archive order; once the checkpoint is
 *   resolved from that listing they are renamed to their names in the order above (a file already
 *   identical at the destination is skipped), and the staging directory is removed, also on
 *   failure. An incomplete checkpoint is found after the pass: refused, nothing left. With
 *   `removeLeftovers`, staging directories of killed copies go too: at once when the killed copy
 *   ran on this machine, else once older than `maxAgeMs`.
 * - **Safety**: every destination path is checked before the first write; a name from the source
 *   listing with `..`, an empty segment, a leading `/`, a backslash or a drive letter fails the
 *   whole copy with INVALID_PATH and nothing is written.
 *
 * Requests: the listings that resolve the source, one listing of the destination names, then per
 * file already at the destination a comparison (no request, or one read of the local side, or of
 * the source when two remote stores share no hash), and per file to send its transfer. When data
 * files are replaced under an index already at the destination, that index is deleted first and
 * written again last.
 *
 * @throws CkptError CORRUPT when the source checkpoint is incomplete (unless `allowIncomplete`),
 *   INVALID_PATH for an unsafe destination path, INVALID_CONFIG for `updateState` on a checkpoint
 *   that is not a TensorFlow prefix, NOT_FOUND when the source does not exist, ABORTED when
 *   `signal` fires (files finished so far stay, whole).
 */
export async function copyCheckpoint(srcUri: string, dstDir: string, options: CopyCheckpointOptions): Promise<CopyCheckpointResult> {
  const { gfile, signal } = options;
  if (dstDir === '') throw new CkptError('INVALID_PATH', { operation: 'cp', uri: dstDir, message: 'the destination is empty: name a directory (`.` for the current one)' });
  const dir = directoryBase(dstDir);
  // A source read front to back only (a .tar.gz) is read once: its files are staged at the
  // destination by the same pass that lists it, then committed below in this copy's order.
  const staged: Staged | undefined = await stageSequentialSource(gfile, srcUri, dir, signal, {
    // Staging is where the bytes move: shown as they are staged (the files are known at its end).
    onProgress: (bytesDone, bytesTotal) => options.onProgress?.({ filesTotal: 0, filesDone: 0, filesSkipped: 0, bytesTotal, bytesDone }),
    onWriteError: () => checkDestinationIsDirectory(gfile, dir, signal),
  });
  try {
    // Staging directories of killed earlier copies (only where this copy stages: no request otherwise).
    const swept = staged && options.removeLeftovers ? await removeStaleStaging(gfile, dir, staged.dir, { ...options.removeLeftovers, signal }) : [];
    return await copyResolved(srcUri, dir, staged, options, swept);
  } finally {
    await staged?.discard();
  }
}

async function copyResolved(srcUri: string, dir: string, staged: Staged | undefined, options: CopyCheckpointOptions, swept: RemovedLeftover[]): Promise<CopyCheckpointResult> {
  const { gfile, signal } = options;
  const resolved = await resolveCheckpoint(srcUri, { gfile, contentChecks: options.contentChecks, signal, operation: 'cp' });
  const { found } = resolved;
  if (!found.complete && !options.allowIncomplete) {
    throw new CkptError('CORRUPT', {
      operation: 'cp',
      uri: srcUri,
      message: `the checkpoint is incomplete (${found.problems.join('; ') || 'incomplete'}); nothing was written (allowIncomplete copies what is there)`,
    });
  }
  if (resolved.files.length === 0) {
    // What is there are the temporary files of a save in progress, which a copy never takes.
    if (found.files.length > 0) throw new CkptError('CORRUPT', { operation: 'cp', uri: srcUri, message: 'only temporary files of an unfinished save are there; nothing was written' });
    throw new CkptError('NOT_FOUND', { operation: 'cp', uri: srcUri, message: 'the checkpoint has no files to copy' });
  }
  if (options.updateState && !(resolved.kind === 'prefix' || TF_PREFIX_FORMATS.has(found.format))) {
    throw new CkptError('INVALID_CONFIG', { operation: 'cp', uri: srcUri, message: `a state file records TensorFlow prefixes; this is a ${found.format} checkpoint; nothing was written` });
  }
  // Every destination is checked before anything is written.
  const context = { operation: 'cp', source: srcUri };
  const dsts = destinationUris(dir, resolved.files.map((f) => f.rel), context);
  const dstPrefix = destinationUri(dir, resolved.prefixRel, context);
  const existing = await listExisting(gfile, dir, resolved, signal);
  // The checkpoint's own names, and the state file this copy is going to write.
  const leftoverPrefixes = [
    resolved.kind === 'directory' ? `${destinationUri(dir, resolved.prefixRel.split('/')[0]!, context)}/` : dstPrefix,
    ...(options.updateState ? [destinationUri(dir, options.latestFilename ?? 'checkpoint', context)] : []),
  ];
  let leftovers: LeftoverReport | undefined;
  if (options.removeLeftovers) {
    leftovers = { removed: [...swept], kept: [] };
    for (const prefix of leftoverPrefixes) {
      const r = await removeLeftovers(prefix, { gfile, ...options.removeLeftovers, signal });
      for (const x of r.removed) leftovers.removed.push(x);
      for (const x of r.kept) leftovers.kept.push(x);
    }
  }

  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const results: CopiedFile[] = resolved.files.map((file, i) => ({ src: file.uri, dst: dsts[i]!, rel: file.rel, size: file.size, action: 'copied' }));
  // The staged copy of each source file, when the source was staged (it stands in for the source).
  const stagedOf = await Promise.all(resolved.files.map(async (file) => (staged ? staged.byKey.get((await gfile.locate(file.uri, 'cp')).key) : undefined)));

  // 1. What is already there: compared before anything is written.
  await runPool(
    resolved.files.flatMap((file, i) => {
      const there = existing.get(dsts[i]!);
      if (!there) return [];
      return [
        async () => {
          const verdict = await compareFiles(gfile, stagedOf[i] ?? file, there, { readSource: options.readSourceToCompare ?? true, signal });
          if (verdict.identical) Object.assign(results[i]!, { action: 'skipped', identicalBy: verdict.by });
          else results[i]!.replacedBecause = verdict.reason;
        },
      ];
    }),
    concurrency,
    signal,
    'cp',
  );
  // 2. Data about to be replaced under an index already there (the source was saved again under
  //    the same name): the index and state files go first, so that no reader pairs the old index
  //    with new data while the copy runs. They are copied again at the end.
  if (results.some((r) => phaseOf(r.rel) === 0 && r.replacedBecause !== undefined)) {
    for (const r of results) {
      if (phaseOf(r.rel) === 0 || !existing.has(r.dst)) continue;
      await gfile.remove(r.dst, { signal });
      r.action = 'copied';
      r.replacedBecause ??= 'removed before the data it describes was replaced';
      delete r.identicalBy;
    }
  }

  // 3. The transfers, data first, then indexes, then state and commit files.
  // Staged files were read and written by the staging pass: their bytes are done already.
  const stagedBytes = resolved.files.reduce((n, f, i) => n + (stagedOf[i] ? f.size : 0), 0);
  const progress: CopyProgress = { filesTotal: resolved.files.length, filesDone: 0, filesSkipped: 0, bytesTotal: resolved.files.reduce((n, f) => n + f.size, 0), bytesDone: stagedBytes };
  const report = () => options.onProgress?.({ ...progress });
  report();
  const ranging = { streams: Math.max(1, Math.floor(options.rangeStreams ?? 4)), minBytes: Math.max(1, Math.floor(options.rangeMinBytes ?? 16 * 2 ** 20)) };
  const jobFor = (file: CheckpointFile, i: number) => async () => {
    const result = results[i]!;
    if (result.action === 'copied') {
      const onBytes = (n: number) => {
        progress.bytesDone += n;
        report();
      };
      const stagedCopy = stagedOf[i];
      if (stagedCopy) {
        // Atomic where the store renames atomically (local disks); elsewhere a server-side copy.
        await gfile.rename(stagedCopy.uri, result.dst, { overwrite: true, signal });
        result.how = 'streamed';
      } else {
        result.how = await transfer(gfile, file, result.dst, ranging, signal, onBytes);
      }
    } else {
      progress.filesSkipped++;
      if (!stagedOf[i]) progress.bytesDone += file.size;
    }
    progress.filesDone++;
    options.onFile?.(result);
    report();
  };
  try {
    for (const phase of [0, 1, 2]) {
      const jobs = resolved.files.flatMap((f, i) => (phaseOf(f.rel) === phase ? [jobFor(f, i)] : []));
      await runPool(jobs, concurrency, signal, 'cp');
    }
  } catch (error) {
    // A destination that is a file (or below one) fails every write; it is named for what it is.
    // Checked here, on failure only, so that a copy costs no request more than it did.
    if (!isCkptError(error, 'ABORTED')) await checkDestinationIsDirectory(gfile, dir, signal);
    throw error;
  }

  const out: CopyCheckpointResult = {
    source: { prefix: found.prefix, format: found.format, step: found.step, complete: found.complete, problems: [...found.problems] },
    prefix: dstPrefix,
    dir,
    files: results,
    filesCopied: results.filter((r) => r.action === 'copied').length,
    filesSkipped: results.filter((r) => r.action === 'skipped').length,
    bytesCopied: results.filter((r) => r.action === 'copied').reduce((n, r) => n + r.size, 0),
    bytesSkipped: results.filter((r) => r.action === 'skipped').reduce((n, r) => n + r.size, 0),
    extraneous: extraneousOf(existing, new Set(dsts), resolved, dir),
    ...(leftovers ? { leftovers } : {}),
    notes: [...resolved.notes],
  };
  if (options.updateState) out.state = await recordCheckpointInState(gfile, dir, resolved.prefixRel, { latestFilename: options.latestFilename, signal });
  return out;
}

/**
 * On stores with real directories (local disks), throws NOT_A_DIRECTORY naming the file when the
 * destination is a file or lies below one (as `state` does for a file given as its directory: one
 * condition, one code). Called once a write failed; a parent that is a file costs one stat per level
 * up to it. Object stores have no such conflict (a key and a prefix of the same name coexist), and
 * are not asked.
 */
async function checkDestinationIsDirectory(gfile: GFile, dir: string, signal: AbortSignal | undefined): Promise<void> {
  const { adapter } = await gfile.locate(dir, 'cp');
  if (adapter.capabilities.directories !== 'real') return;
  let kind: 'file' | 'directory' | undefined;
  try {
    kind = (await gfile.stat(dir, { signal })).kind;
  } catch (error) {
    if (!isCkptError(error, 'NOT_FOUND')) throw error;
    // ENOTDIR: a parent is a file (the local adapter says so in its message): name that file.
    if (/not a directory/.test(error.message)) {
      throw new CkptError('NOT_A_DIRECTORY', { operation: 'cp', uri: await fileAbove(gfile, dir, signal), message: 'a parent of the destination is a file, not a directory: cp copies a checkpoint into a directory; nothing was written', cause: error });
    }
  }
  if (kind === 'file') {
    throw new CkptError('NOT_A_DIRECTORY', { operation: 'cp', uri: dir, message: 'the destination is a file, not a directory: cp copies a checkpoint into a directory; nothing was written' });
  }
}

/** The nearest ancestor of `dir` that is a file (`dir` itself when none is found). */
async function fileAbove(gfile: GFile, dir: string, signal: AbortSignal | undefined): Promise<string> {
  for (let up = dir.replace(/\/+$/, ''); ; ) {
    const next = up.replace(/\/[^/]*$/, '');
    if (next === up || next === '' || /^[a-z][a-z0-9+.-]*:\/*$/i.test(next)) return dir;
    up = next;
    try {
      if ((await gfile.stat(up, { signal })).kind === 'file') return up;
      return dir;
    } catch (error) {
      if (!isCkptError(error, 'NOT_FOUND')) return dir;
    }
  }
}

/**
 * What the destination already holds under the checkpoint's names, from one listing: the names
 * starting with the prefix (a bundle, a file), or everything below the checkpoint directory.
 */
async function listExisting(gfile: GFile, dir: string, resolved: CheckpointFiles, signal: AbortSignal | undefined): Promise<Map<string, FileFacts>> {
  const out = new Map<string, FileFacts>();
  const top = resolved.prefixRel.split('/')[0]!;
  // A V1 pattern (`export-?????-of-00002`) is listed by its literal head.
  const named = resolved.kind === 'pattern' ? resolved.prefixRel.slice(0, resolved.prefixRel.search(/[*?[\\]/)) : resolved.prefixRel;
  const listing =
    resolved.kind === 'directory'
      ? gfile.listPrefix(`${destinationUri(dir, top, { operation: 'cp' })}/`, { signal })
      : named === ''
        ? gfile.listPrefix(`${dir.replace(/\/+$/, '')}/`, { delimiter: true, signal })
        : gfile.listPrefix(destinationUri(dir, named, { operation: 'cp' }), { delimiter: true, signal });
  for await (const info of listing) if (info.kind === 'file') out.set(info.uri, info);
  return out;
}

/** Destination files that belong to the checkpoint's name but not to the copied checkpoint. */
function extraneousOf(existing: Map<string, FileFacts>, copied: Set<string>, resolved: CheckpointFiles, dir: string): string[] {
  // A prefix owns `NAME.*` (not `NAME0.index`, another checkpoint); a directory owns its subtree.
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  const own = resolved.kind === 'prefix' ? `${base}${resolved.prefixRel}.` : resolved.kind === 'directory' ? `${base}${resolved.prefixRel.split('/')[0]}/` : undefined;
  if (own === undefined) return [];
  return [...existing.keys()].filter((uri) => uri.startsWith(own) && !copied.has(uri)).sort();
}

/** How large files are split into ranges read side by side (see `rangeStreams`). */
interface Ranging {
  streams: number;
  minBytes: number;
}

/** Copies one file; returns how. Streams count their bytes through `onBytes` as they pass. */
async function transfer(gfile: GFile, file: CheckpointFile, dst: string, ranging: Ranging, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<'server-side' | 'streamed'> {
  const [from, to] = await Promise.all([gfile.locate(file.uri, 'cp'), gfile.locate(dst, 'cp')]);
  if (from.store === to.store) {
    let reported = 0;
    await gfile.copy(file.uri, dst, {
      overwrite: true,
      signal,
      onProgress: (n) => {
        reported += n;
        onBytes(n);
      },
    });
    // What the store did not report as it went (all of it, on object stores).
    onBytes(file.size - reported);
    return 'server-side';
  }
  // Replayable: when an upload fails on a transient error, the retry layer sends the file again
  // from its first byte (re-read from the source), instead of failing the whole copy. A new
  // attempt at a range takes back what the failed one counted.
  const counted = (offset: number | undefined, length: number | undefined) => {
    let sent = 0;
    return async function* (rangeSignal?: AbortSignal): AsyncGenerator<Uint8Array> {
      if (sent > 0) onBytes(-sent);
      sent = 0;
      for await (const chunk of gfile.readStream(file.uri, { offset, length, signal: rangeSignal ?? signal })) {
        sent += chunk.byteLength;
        onBytes(chunk.byteLength);
        yield chunk;
      }
    };
  };
  const streams = Math.min(ranging.streams, Math.floor(file.size / ranging.minBytes));
  if (streams >= 2 && to.adapter.capabilities.rangedWrites && from.adapter.capabilities.rangeReads) {
    const step = Math.ceil(file.size / streams);
    const ranges = [];
    for (let offset = 0; offset < file.size; offset += step) {
      const length = Math.min(step, file.size - offset);
      ranges.push({ offset, length, open: counted(offset, length) });
    }
    await gfile.writeFile(dst, rangedBody(ranges, { concurrency: streams }), { size: file.size, signal });
    return 'streamed';
  }
  const whole = counted(undefined, undefined);
  await gfile.writeFile(dst, replayable(() => whole()), { size: file.size, signal });
  return 'streamed';
}
