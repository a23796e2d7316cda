/**
 * `tf.train.latest_checkpoint(checkpoint_dir, latest_filename)`, exactly (tf-checkpoint-format.md
 * §1.3): the state file's `model_checkpoint_path`, joined with the directory as given when it is
 * relative, if `prefix.index` or `prefix` itself matches an existing path; otherwise null. No scan,
 * no fallback to older entries, data shards never checked.
 */
import type { GFile } from '@ckptkit/gfile';
import { joinRecorded, readUsableStateFile } from '../state/state-file.js';
import { getMatchingPaths } from './tf-glob.js';

/** Options of {@link tfLatestCheckpoint}. */
export interface TfLatestOptions {
  /** TensorFlow's `latest_filename` (default `checkpoint`). */
  latestFilename?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** What TensorFlow would return, with the warnings it would have logged. */
export interface TfLatestResult {
  /** The very string TensorFlow returns, or null for None. */
  prefix: string | null;
  /** TensorFlow's log lines for this call ("Couldn't match files for checkpoint ..."). */
  warnings: string[];
}

/**
 * TensorFlow's answer for a directory. With a valid state file naming an existing V2 checkpoint it
 * costs two requests (the state file's GET and one existence check of `prefix.index`).
 *
 * Where TensorFlow raises, this throws a CkptError CORRUPT: a state file that parses but has no
 * `model_checkpoint_path` (an empty file included), and one whose bytes are not UTF-8. A malformed
 * state file, a missing one or one that is a directory give null, as in TensorFlow. Storage
 * failures (permission, network) are thrown rather than folded into null as TensorFlow's catch of
 * OpError would: a script must not read "no checkpoint" when the store was unreachable.
 */
export async function tfLatestCheckpoint(gfile: Pick<GFile, 'readFile' | 'exists' | 'listDir'>, dirUri: string, options: TfLatestOptions = {}): Promise<TfLatestResult> {
  const warnings: string[] = [];
  // get_checkpoint_state joins every recorded path; only the model path is used here (a state file
  // may list millions).
  const read = await readUsableStateFile(gfile, dirUri, options);
  if (!read) return { prefix: null, warnings };
  const prefix = joinRecorded(dirUri, read.state.modelCheckpointPath);
  const signal = { signal: options.signal };
  // `get_matching_files(v2_path) or get_matching_files(v1_path)`: the second only when the first is empty.
  if ((await getMatchingPaths(gfile, `${prefix}.index`, signal)).length > 0) return { prefix, warnings };
  if ((await getMatchingPaths(gfile, prefix, signal)).length > 0) return { prefix, warnings };
  warnings.push(`Couldn't match files for checkpoint ${prefix}`);
  return { prefix: null, warnings };
}
