/**
 * `watchCheckpoints`: TensorFlow's `tf.train.checkpoints_iterator` for any store and any layout,
 * built on listings: each poll lists the directory once, judges the checkpoints in it with the
 * discovery rules, and yields the next new complete one.
 */
import { abortError, isCkptError, type GFile } from '@ckptkit/gfile';
import { verifyBundle } from '../bundle/storage.js';
import { createDetectContext } from '../discovery/detect.js';
import { type DirectoryCandidate, DirectoryCheckpoints, storeLister } from '../discovery/directory.js';
import { type Step, compareOptionalSteps, compareSteps } from '../discovery/step.js';
import { listChildren, normaliseDirUri } from '../discovery/tree.js';
import type { DetectContext, Found } from '../discovery/types.js';

/** Options of {@link watchCheckpoints}. All times are in seconds. */
export interface WatchOptions {
  gfile: GFile;
  /** Seconds between two listings while nothing new is there (TensorFlow's `seconds_to_sleep`, default 1). */
  interval?: number | undefined;
  /** Least seconds between two yields (TensorFlow's `min_interval_secs`, default 0). */
  minInterval?: number | undefined;
  /**
   * Stop after waiting this long for a new checkpoint (TensorFlow's `timeout`): measured from the
   * start, and again from each yield. Default: wait forever. As in TensorFlow, the watch ends early
   * rather than sleep past the deadline.
   */
  timeout?: number | undefined;
  /**
   * What to do with checkpoints already there at the first listing: `latest` (default, as
   * TensorFlow) yields the newest complete one; `all` yields every complete one in step order;
   * `none` yields only checkpoints completed after the watch started.
   */
  existing?: 'latest' | 'all' | 'none' | undefined;
  /**
   * TensorFlow's behaviour when several new checkpoints appear between two listings: yield only
   * the newest. Default false: each one, in step order.
   */
  latestOnly?: boolean | undefined;
  /** Small content reads where names cannot decide completeness (zip trailers, HDF5, metadata; default true). */
  contentChecks?: boolean | undefined;
  /**
   * Before yielding a TensorFlow bundle, read its index and check every shard's size against it
   * (one GET and one listing; default true). A bundle that fails is treated as still being written
   * (a local writer that copies files in place rather than renaming them), and looked at again.
   */
  verify?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Called after each listing: how many polls so far, whether the directory exists yet (a missing
   * one is waited for, as TensorFlow does), how many checkpoints (of any state) it showed, and the
   * new ones it had to pass over as not yet complete, with the reasons.
   */
  onPoll?: ((poll: { polls: number; exists: boolean; candidates: number; pending: Array<{ prefix: string; problems: string[] }> }) => void) | undefined;
  /** Clock and sleep, for tests. */
  clock?: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> } | undefined;
}

/** One checkpoint the watch yields. */
export interface WatchedCheckpoint {
  prefix: string;
  step: Step | null;
  format: string;
  /** Always true: incomplete checkpoints are never yielded. */
  complete: true;
  dir: string;
  files: string[];
  bytes: number;
  /** Newest modification time among the files, when the store reports it. */
  mtime: Date | undefined;
  /** The listing (1-based) that showed it complete. */
  poll: number;
}

interface Candidate {
  step: Step | null;
  name: string;
  candidate: DirectoryCandidate;
}

const realClock = {
  now: () => Date.now(),
  sleep: (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError('watch', undefined, signal));
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      const onAbort = () => {
        clearTimeout(t);
        reject(abortError('watch', undefined, signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Older first; a checkpoint without a step is older than any with one. */
function ascending(a: Candidate, b: Candidate): number {
  return compareOptionalSteps(a.step, b.step) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * The candidates of one listing of the directory, as discovery's per-directory pass names them:
 * file checkpoints judged from names (the `.index` and every `.data-i-of-N`, temporaries never),
 * directories whose names promise a checkpoint (HF `checkpoint-N`, Orbax steps, ...) still to be listed.
 */
async function scan(gfile: GFile, dir: string, ctx: DetectContext, signal: AbortSignal | undefined): Promise<{ directory: DirectoryCheckpoints | undefined; candidates: Candidate[] }> {
  let directory: DirectoryCheckpoints;
  try {
    directory = new DirectoryCheckpoints(await listChildren(gfile, dir, { signal }), ctx, storeLister(gfile, signal), { namesMetadata: false });
  } catch (error) {
    // A directory that does not exist yet is an empty one: the run has not started saving.
    if (isCkptError(error, 'NOT_FOUND')) return { directory: undefined, candidates: [] };
    throw error;
  }
  const candidates: Candidate[] = [];
  for (const c of await directory.candidates()) {
    if (c.facts.temporary || !c.known) continue;
    candidates.push({ step: c.facts.step, name: c.kind === 'file' ? c.prefix! : c.node!.uri, candidate: c });
  }
  return { directory, candidates };
}

const TF_BUNDLE_FORMATS = new Set(['tf1-saver', 'tf2-checkpoint', 'keras-tf-weights', 'savedmodel-variables', 'tf-slim']);

/** The candidate judged with content checks (files) or after listing it (directories). */
async function judge(gfile: GFile, directory: DirectoryCheckpoints, c: Candidate, verify: boolean, signal: AbortSignal | undefined): Promise<Found | undefined> {
  let found = await directory.judge(c.candidate);
  if (found && found.complete && !found.temporary && verify && TF_BUNDLE_FORMATS.has(found.format) && found.files.some((f) => f.name.endsWith('.index'))) {
    const report = await verifyBundle(gfile, found.prefix, { signal });
    if (!report.ok) found = { ...found, complete: false, problems: report.problems.map((p) => `${p.code}: ${p.detail}`) };
  }
  return found;
}

function toWatched(found: Found, poll: number): WatchedCheckpoint {
  let mtime: Date | undefined;
  for (const f of found.files) if (f.mtime && (!mtime || f.mtime > mtime)) mtime = f.mtime;
  return {
    prefix: found.prefix,
    step: found.step,
    format: found.format,
    complete: true,
    dir: found.dir,
    files: found.files.map((f) => f.uri),
    bytes: found.files.reduce((n, f) => n + f.size, 0),
    mtime,
    poll,
  };
}

/**
 * Yields each new complete checkpoint of `dirUri` once, in step order, as training writes them:
 * `tf.train.checkpoints_iterator(dir, min_interval_secs, timeout)` for any store and layout.
 *
 * - **Polling**: one listing of the directory per poll (paged beyond 1,000 entries), plus one
 *   listing of each checkpoint *directory* (HF `checkpoint-N`, Orbax step) newer than the last
 *   yield, until it is complete. While nothing new is there the next poll waits `interval`; after
 *   a yield the next poll comes at once (or after `minInterval`), since more may be waiting.
 * - **Completeness**: the discovery rules (`.index` and every `.data-i-of-N` for TensorFlow,
 *   `commit_success.txt` and friends for directory layouts, zip trailers and HDF5 superblocks for
 *   single files). Temporaries (`.tempstate`, `_temp/`, `tmp-checkpoint-*`, S3 `.part-` files)
 *   and checkpoints with a shard still missing are never yielded, so neither is an upload in
 *   progress. With `verify` (default) a TensorFlow bundle's index is read and its shards' sizes
 *   checked first, which also catches a local writer that fills files in place. The checkpoint
 *   existed, complete, at the listing just before its yield.
 * - **Requests**: a poll that finds nothing new is one listing; a yield of a TensorFlow bundle adds
 *   one listing and one GET for the verify.
 * - **Order**: steps strictly increase. A checkpoint that completes after a newer one was yielded
 *   is not yielded (as in TensorFlow, which only ever looks at the latest). A checkpoint without a
 *   step is yielded once, when first seen complete.
 * - **Differences from TensorFlow, deliberate**: TensorFlow reads the state file; this lists the
 *   directory, so checkpoints TensorFlow writes without updating it (`Checkpoint.write`) and other
 *   frameworks' checkpoints are seen too. TensorFlow yields only the newest checkpoint at each
 *   wake-up; this yields every new one in order unless `latestOnly`.
 *
 * The generator ends when `timeout` passes without a new checkpoint; it throws CkptError ABORTED
 * (or TIMEOUT for a timeout signal) when `signal` fires, and storage errors as they come.
 */
export async function* watchCheckpoints(dirUri: string, options: WatchOptions): AsyncGenerator<WatchedCheckpoint, void, undefined> {
  const { gfile, signal } = options;
  const clock = options.clock ?? realClock;
  const dir = normaliseDirUri(dirUri);
  const intervalMs = Math.max(0, (options.interval ?? 1) * 1000);
  const minIntervalMs = Math.max(0, (options.minInterval ?? 0) * 1000);
  const timeoutMs = options.timeout === undefined ? undefined : Math.max(0, options.timeout * 1000);
  const existing = options.existing ?? 'latest';
  const verify = options.verify ?? true;

  let polls = 0;
  let lastStep: Step | undefined;
  const seen = new Set<string>();
  let waitStart = clock.now();
  let lastYield: number | undefined;

  while (true) {
    if (signal?.aborted) throw abortError('watch', dir, signal);
    if (lastYield !== undefined) {
      // min_interval_secs: the next look comes no sooner than this after the previous yield.
      const rest = lastYield + minIntervalMs - clock.now();
      if (rest > 0) await clock.sleep(rest, signal);
    }
    // Fresh per poll: pointer files (DeepSpeed `latest`, trackers) change between polls. The state
    // file is not read: watch lists, and sees what TensorFlow writes without recording (0007).
    const ctx = createDetectContext(gfile, dir, { contentChecks: options.contentChecks, stateFileName: null, signal });
    const { directory, candidates } = await scan(gfile, dir, ctx, signal);
    polls++;
    const fresh = candidates.filter((c) => !seen.has(c.name) && (c.step === null || lastStep === undefined || compareSteps(c.step, lastStep) > 0)).sort(ascending);
    const pending: Array<{ prefix: string; problems: string[] }> = [];
    const complete = async (c: Candidate) => {
      const found = directory && (await judge(gfile, directory, c, verify, signal));
      if (found && !found.temporary && found.complete) return found;
      if (found) pending.push({ prefix: found.prefix, problems: found.problems.length > 0 ? found.problems : ['incomplete'] });
      return undefined;
    };

    let next: { found: Found; name: string } | undefined;
    if (polls === 1 && existing !== 'all') {
      // What is there at the start is history: its newest complete checkpoint is yielded (as in
      // TensorFlow) or, with `none`, only marks where news begins. Step-less checkpoints are
      // judged one by one; numbered ones only down to the newest complete one.
      for (const c of [...fresh].reverse()) {
        if (c.step !== null && lastStep !== undefined) continue;
        const found = await complete(c);
        if (!found) continue;
        if (c.step !== null) lastStep = c.step;
        seen.add(c.name);
        next ??= { found, name: c.name };
      }
      if (existing === 'none') next = undefined;
    } else {
      for (const c of options.latestOnly ? [...fresh].reverse() : fresh) {
        const found = await complete(c);
        if (!found) continue;
        next = { found, name: c.name };
        break;
      }
    }

    options.onPoll?.({ polls, exists: directory !== undefined, candidates: candidates.length, pending });
    if (next) {
      seen.add(next.name);
      if (next.found.step !== null && (lastStep === undefined || compareSteps(next.found.step, lastStep) > 0)) lastStep = next.found.step;
      lastYield = clock.now();
      yield toWatched(next.found, polls);
      waitStart = clock.now();
      // More may be waiting: look again at once (after min_interval).
      continue;
    }
    if (timeoutMs !== undefined && clock.now() + intervalMs > waitStart + timeoutMs) return;
    await clock.sleep(intervalMs, signal);
  }
}
