/**
 * TensorFlow 2 `tf.train.Checkpoint` / `CheckpointManager` (checkpoint-layouts.md §2):
 * `ckpt-N.index` + `ckpt-N.data-i-of-N`, no `.meta`, a `checkpoint` state file with relative
 * paths. `N` is the save counter (or the `checkpoint_number` the writer passed). Also the OD API
 * TF2 training directories and any other V2 bundle no earlier layout claimed (an un-numbered
 * prefix such as `Checkpoint.write("weights")` has step null).
 */
import type { CheckpointState } from '../state/checkpoint-state.js';
import type { CheckpointFormat, DirNode, Found } from '../discovery/types.js';
import { TF_S3_PART, type TfGroup, annotateState, bundleFound, groupTfFiles, isBundle, stepFromTfPrefix, tfStateOf, tfStatePointers } from './tf-files.js';

// One checkpoint at a time, each group let go once its checkpoint is made: a directory of 200,000
// checkpoints is never 200,000 results at once (issue 23).
function* bundlesOf(node: DirNode, groups: Map<string, TfGroup>, state: CheckpointState | undefined): Generator<Found> {
  for (const [key, g] of groups) {
    groups.delete(key);
    if (!isBundle(g) || TF_S3_PART.test(g.name)) continue;
    const found = bundleFound(node, g, 'tf2-checkpoint', stepFromTfPrefix(g.name));
    annotateState(found, g.name, state);
    yield found;
  }
}

export const tf2CheckpointFormat: CheckpointFormat = {
  id: 'tf2-checkpoint',
  ids: ['tf2-checkpoint'],
  description: 'TensorFlow 2 Checkpoint/CheckpointManager: ckpt-N.index + ckpt-N.data-*-of-*, state file with relative paths',

  async claimFiles(node, unclaimed, ctx) {
    const state = await tfStateOf(node, ctx);
    return bundlesOf(node, groupTfFiles(node, unclaimed), state);
  },

  // The state file's model_checkpoint_path, for every TensorFlow layout of the directory.
  pointers: tfStatePointers,
};
