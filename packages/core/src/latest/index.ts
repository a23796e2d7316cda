/**
 * `latestCheckpoint(dirUri, { mode })`: TensorFlow's exact answer (`mode: 'tf'`) or the robust one
 * (the default).
 */
import { resolveLatestCheckpoint, type LatestResolution, type RobustLatestOptions } from './robust-latest.js';
import { tfLatestCheckpoint, type TfLatestResult } from './tf-latest.js';

/** Options of {@link latestCheckpoint}. */
export interface LatestOptions extends RobustLatestOptions {
  /** `tf`: exactly `tf.train.latest_checkpoint`; `robust` (default): see {@link resolveLatestCheckpoint}. */
  mode?: 'robust' | 'tf' | undefined;
}

/**
 * The latest checkpoint of a directory.
 *
 * - `mode: 'tf'`: what `tf.train.latest_checkpoint(dirUri, latest_filename)` returns (the joined
 *   prefix string or null), throwing CkptError CORRUPT exactly where TensorFlow raises.
 * - `mode: 'robust'` (default): the newest complete checkpoint, from the state file when it is
 *   right, else from its basename or a scan, with notes explaining every decision.
 */
export function latestCheckpoint(dirUri: string, options: LatestOptions & { mode: 'tf' }): Promise<TfLatestResult>;
export function latestCheckpoint(dirUri: string, options: LatestOptions & { mode?: 'robust' | undefined }): Promise<LatestResolution>;
export function latestCheckpoint(dirUri: string, options: LatestOptions): Promise<TfLatestResult | LatestResolution> {
  if (options.mode === 'tf') return tfLatestCheckpoint(options.gfile, dirUri, { latestFilename: options.latestFilename, signal: options.signal });
  return resolveLatestCheckpoint(dirUri, options);
}

export { checkTfPrefix, resolveLatestCheckpoint } from './robust-latest.js';
export type { LatestCheckpoint, LatestResolution, LatestSource, PassedOver, RobustLatestOptions } from './robust-latest.js';
export { fnmatch, getMatchingPaths, hasTfGlobChar } from './tf-glob.js';
export { tfLatestCheckpoint } from './tf-latest.js';
export type { TfLatestOptions, TfLatestResult } from './tf-latest.js';
