/**
 * T5X (checkpoint-layouts.md §11): `checkpoint_<step>/` with TensorStore arrays (`target.NAME/`,
 * `state.NAME/`), an optional dataset iterator `train_ds-000-of-001.*` (never a TensorFlow step), a
 * msgpack `checkpoint` file written last, and `PINNED` to exempt it from garbage collection. A save
 * in progress is `checkpoint_<step>.tmp-<timestamp>/`.
 *
 * Complete: the `checkpoint` file is present; on GCS, where T5X moves directories with a
 * non-atomic copy, every `target.*` array also has its `.zarray`.
 */
import type { CheckpointFormat, DirNode } from '../discovery/types.js';
import { dirFound, toStep } from './dir-helpers.js';

const T5X = /^checkpoint_(\d+)$/;
const T5X_TMP = /^checkpoint_(\d+)\.tmp-(\d+)$/;
const ORBAX_MARKERS = ['_CHECKPOINT_METADATA', '_METADATA', 'manifest.ocdbt', 'commit_success.txt'];

function arrays(node: DirNode): DirNode[] {
  return [...node.dirs.values()].filter((d) => d.name.startsWith('target.') || d.name.startsWith('state.'));
}

export const t5xFormat: CheckpointFormat = {
  id: 't5x',
  ids: ['t5x'],
  description: 'T5X: checkpoint_<step>/ with a msgpack checkpoint file and TensorStore arrays; checkpoint_<step>.tmp-<ts>/ in progress',

  stepFromDirName(name) {
    const m = T5X.exec(name) ?? T5X_TMP.exec(name);
    return m ? { step: toStep(m[1]), temporary: T5X_TMP.test(name) } : undefined;
  },

  claimDir(node, ctx) {
    const tmp = T5X_TMP.exec(node.name);
    if (tmp) {
      return dirFound(node, 't5x', toStep(tmp[1]), {
        temporary: true,
        complete: false,
        problems: [`temporary directory ${node.name}/ of a T5X save in progress or interrupted`],
      });
    }
    const m = T5X.exec(node.name);
    if (!m) return undefined;
    const arr = arrays(node);
    const orbax = ORBAX_MARKERS.some((f) => node.files.has(f));
    const t5x = arr.length > 0 || node.files.has('PINNED') || [...node.files.keys()].some((n) => n.startsWith('train_ds-')) || (node.files.has('checkpoint') && !orbax);
    if (!t5x) return undefined;
    const problems: string[] = [];
    if (!node.files.has('checkpoint')) problems.push('no checkpoint file (T5X writes it last: save in progress or a partial copy)');
    if (ctx.scheme === 'gs') {
      const without = arr.filter((d) => d.name.startsWith('target.') && !d.files.has('.zarray')).map((d) => d.name);
      if (without.length > 0) problems.push(`${without.length} target array(s) without .zarray (partial copy): ${without.slice(0, 3).join(', ')}${without.length > 3 ? ', ...' : ''}`);
    }
    const extra: Record<string, unknown> = {};
    if (node.files.has('PINNED')) extra.pinned = true;
    return dirFound(node, 't5x', toStep(m[1]), { problems, extra });
  },
};
