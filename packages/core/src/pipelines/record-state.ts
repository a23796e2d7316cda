/**
 * Recording a checkpoint in a directory's `checkpoint` state file, as TensorFlow's
 * `update_checkpoint_state` would after a save: relative path, the list oldest first with the
 * newest last, timestamps kept in step with the paths.
 */
import type { GFile } from '@ckptkit/gfile';
import type { CheckpointState } from '../state/checkpoint-state.js';
import { basenamePosix } from '../state/posix-path.js';
import { checkpointStateFor, updateCheckpointState } from '../state/state-file.js';
import { stepFromTfPrefix } from '../formats/tf-files.js';

/** Options of {@link recordCheckpointInState}. */
export interface RecordStateOptions {
  /** State file name (TensorFlow's `latest_filename`, default `checkpoint`). */
  latestFilename?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Clock for timestamps (seconds since the epoch); tests pin it. */
  now?: (() => number) | undefined;
}

/** What {@link recordCheckpointInState} wrote. */
export interface RecordedState {
  /** The state file. */
  uri: string;
  state: CheckpointState;
  /** True when the checkpoint became `model_checkpoint_path`. */
  latest: boolean;
  /** What the previous file was (`missing`, `ok`, or a broken kind that was replaced). */
  previous: 'missing' | 'ok' | 'malformed' | 'empty' | 'not-utf8';
}

/**
 * Adds `relPrefix` (a path relative to `dirUri`, e.g. `ckpt-5`) to the directory's state file and
 * writes it atomically. It becomes `model_checkpoint_path` unless the recorded latest has a larger
 * step (copying an older checkpoint in must not turn a directory's latest back); otherwise it is
 * inserted among the other paths in step order. An existing entry of the same path is replaced.
 * Timestamps are kept only when the old file had one per path (a CheckpointManager file). A broken
 * state file (TensorFlow would ignore or refuse it) is replaced.
 */
export async function recordCheckpointInState(gfile: GFile, dirUri: string, relPrefix: string, options: RecordStateOptions = {}): Promise<RecordedState> {
  const now = (options.now ?? (() => Date.now() / 1000))();
  let latest = false;
  // A compare-and-swap on object stores: a checkpoint the training job records meanwhile is kept
  // (the update is recomputed from the file it finds). See updateCheckpointState.
  const done = await updateCheckpointState(gfile, dirUri, (read) => {
    const old = read.kind === 'ok' ? read.state : undefined;
    const timed = old !== undefined && old.allModelCheckpointTimestamps.length === old.allModelCheckpointPaths.length && old.allModelCheckpointPaths.length > 0;
    const entries = (old?.allModelCheckpointPaths ?? []).map((p, i) => ({ path: p, ts: timed ? old!.allModelCheckpointTimestamps[i]! : undefined })).filter((e) => e.path !== relPrefix);
    const stepOf = (p: string) => stepFromTfPrefix(basenamePosix(p));
    const newStep = stepOf(relPrefix);
    const current = old && old.modelCheckpointPath !== relPrefix ? old.modelCheckpointPath : undefined;
    const currentStep = current === undefined ? null : stepOf(current);
    latest = current === undefined || newStep === null || currentStep === null || newStep >= currentStep;
    let model: string;
    if (latest) {
      entries.push({ path: relPrefix, ts: timed ? now : undefined });
      model = relPrefix;
    } else {
      // Before the first entry with a larger step; the recorded latest stays last.
      let at = entries.findIndex((e) => {
        const s = stepOf(e.path);
        return s !== null && s > newStep!;
      });
      if (at < 0) at = entries.length;
      const next = entries[at]?.ts;
      entries.splice(at, 0, { path: relPrefix, ts: timed ? Math.min(now, next ?? now) : undefined });
      model = current!;
      // TensorFlow keeps the latest last in the list; a hand-edited file may not.
      if (entries[entries.length - 1]?.path !== model) {
        const i = entries.findIndex((e) => e.path === model);
        const [moved] = i >= 0 ? entries.splice(i, 1) : [{ path: model, ts: timed ? now : undefined }];
        entries.push(moved!);
      }
    }
    return checkpointStateFor(model, {
      allModelCheckpointPaths: entries.map((e) => e.path),
      ...(timed ? { allModelCheckpointTimestamps: entries.map((e) => e.ts!) } : {}),
      ...(old && old.lastPreservedTimestamp !== 0 ? { lastPreservedTimestamp: old.lastPreservedTimestamp } : {}),
    });
  }, { latestFilename: options.latestFilename, signal: options.signal });
  // The update always returns a state, so something was written.
  return { uri: done!.uri, state: done!.state, latest, previous: done!.previous.kind };
}
