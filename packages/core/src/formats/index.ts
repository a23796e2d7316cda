/**
 * Every checkpoint layout, in the order discovery asks them. Earlier formats win: containers
 * (a Hugging Face hub repo, whose snapshots are its checkpoints) first, then directory
 * layouts that own a whole subtree (a zoo tarball, an HF checkpoint holding DeepSpeed files, a
 * NeMo 2 directory holding a distributed checkpoint) come before the layouts of what they contain,
 * and among file layouts the specific ones (Keras templates, Slim, Saver with `.meta`) before the
 * generic TF2 bundle.
 */
import type { CheckpointFormat } from '../discovery/types.js';
import { dcpFormat } from './dcp.js';
import { deepspeedFormat } from './deepspeed.js';
import { estimatorFormat } from './estimator.js';
import { hfHubCacheFormat } from './hf-hub.js';
import { huggingFaceFormat } from './huggingface.js';
import { kerasFormat } from './keras.js';
import { lightningFormat } from './lightning.js';
import { megatronFormat } from './megatron.js';
import { nemoFormat } from './nemo.js';
import { nemoAutomodelFormat } from './nemo-automodel.js';
import { orbaxFormat } from './orbax.js';
import { savedModelFormat } from './savedmodel.js';
import { t5xFormat } from './t5x.js';
import { verlFormat } from './verl.js';
import { tf1SaverFormat } from './tf1-saver.js';
import { tf2CheckpointFormat } from './tf2-checkpoint.js';
import { tfOdZooFormat } from './tf-od-zoo.js';
import { tfSlimFormat } from './tf-slim.js';
import { tfTemporaryFormat } from './tf-temporary.js';

/** The layouts discovery runs, highest priority first. */
export const CHECKPOINT_FORMATS: readonly CheckpointFormat[] = [
  hfHubCacheFormat,
  tfOdZooFormat,
  huggingFaceFormat,
  nemoFormat,
  nemoAutomodelFormat,
  lightningFormat,
  deepspeedFormat,
  megatronFormat,
  verlFormat,
  t5xFormat,
  orbaxFormat,
  dcpFormat,
  tfTemporaryFormat,
  estimatorFormat,
  savedModelFormat,
  kerasFormat,
  tfSlimFormat,
  tf1SaverFormat,
  tf2CheckpointFormat,
];

/** Every format id a checkpoint can be reported with, sorted. */
export function formatIds(): string[] {
  return [...new Set(CHECKPOINT_FORMATS.flatMap((f) => f.ids))].sort();
}

export {
  dcpFormat,
  deepspeedFormat,
  estimatorFormat,
  hfHubCacheFormat,
  huggingFaceFormat,
  kerasFormat,
  lightningFormat,
  megatronFormat,
  nemoAutomodelFormat,
  nemoFormat,
  orbaxFormat,
  savedModelFormat,
  t5xFormat,
  tf1SaverFormat,
  tf2CheckpointFormat,
  tfOdZooFormat,
  tfSlimFormat,
  tfTemporaryFormat,
  verlFormat,
};
