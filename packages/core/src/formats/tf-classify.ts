/**
 * The layout and step of one TensorFlow prefix seen on its own (robust `latest` checking the
 * prefix a state file names, without listing the whole directory). Agrees with what discovery
 * reports for the same files.
 */
import type { Step } from '../discovery/step.js';
import { basenamePosix } from '../state/posix-path.js';
import { kerasEpoch } from './keras.js';
import { stepFromTfPrefix } from './tf-files.js';

const KERAS_EXT = /(\.weights\.h5|\.keras|\.h5|\.hdf5|\.ckpt)$/;

/** Format id and step of a V2 bundle prefix (`hasMeta`: a `PREFIX.meta` exists beside it). */
export function classifyTfBundle(prefix: string, hasMeta: boolean): { format: string; step: Step | null } {
  const name = basenamePosix(prefix);
  if (hasMeta || /^model\.ckpt(?:-\d+)?$/.test(name)) return { format: 'tf1-saver', step: stepFromTfPrefix(name) };
  if (KERAS_EXT.test(name)) return { format: 'keras-tf-weights', step: kerasEpoch(name) };
  const parent = basenamePosix(prefix.slice(0, Math.max(0, prefix.lastIndexOf('/'))));
  if (name === 'variables' && parent === 'variables') return { format: 'savedmodel-variables', step: null };
  return { format: 'tf2-checkpoint', step: stepFromTfPrefix(name) };
}
