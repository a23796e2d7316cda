/**
 * TF Estimator `model_dir` (checkpoint-layouts.md §3): TF1 Saver checkpoints (reported by
 * `tf1-saver`), `eval/` and `eval_NAME/` event directories (no checkpoints), and exports under
 * `export/<exporter>/<10-digit timestamp>/` (SavedModels; the timestamp is the version TF Serving
 * and the exporter's garbage collection order by, reported as the step), with `temp-<timestamp>/`
 * for an export in progress.
 */
import type { CheckpointFormat, DirNode } from '../discovery/types.js';
import { parseStep } from '../discovery/step.js';
import { isSavedModelDir, savedModelFound } from './savedmodel.js';

const EXPORT_VERSION = /^(?:\d{10}|temp-\d{10})$/;

// From the URI, not the tree: robust `latest` looks at `export/<name>/` without its parents.
function underExport(node: DirNode): boolean {
  return node.uri.split('/').slice(-3)[0] === 'export';
}

export const estimatorFormat: CheckpointFormat = {
  id: 'estimator-export',
  ids: ['estimator-export'],
  description: 'TF Estimator exports: model_dir/export/<exporter>/<timestamp>/ SavedModels (temp-<timestamp>/ in progress)',

  stepFromDirName(name) {
    if (/^\d{10}$/.test(name)) return { step: parseStep(name), temporary: false };
    if (/^temp-\d{10}$/.test(name)) return { step: null, temporary: true };
    return undefined;
  },

  claimDir(node) {
    if (!EXPORT_VERSION.test(node.name) || !underExport(node)) return undefined;
    if (!isSavedModelDir(node) && !node.name.startsWith('temp-')) return undefined;
    return savedModelFound(node, 'estimator-export');
  },
};
