/**
 * TensorFlow saves in progress (tf-checkpoint-format.md §2.2-2.3, checkpoint-layouts.md §1): the
 * temporary directory of a sharded save `PREFIX_temp/` (older savers `PREFIX_temp_<32 hex>/`) with
 * `part-i-of-N` bundles, and on S3, where TensorFlow renames nothing, `PREFIX.part-i-of-N.*` files
 * beside the checkpoints. Each is reported once, as a temporary artefact of `PREFIX`, with the
 * step of `PREFIX` (never the `2` of `part-00000-of-00002`); none is ever chosen as the latest.
 */
import type { CheckpointFormat, DirNode, Found } from '../discovery/types.js';
import { dirFound, parentUriOf } from './dir-helpers.js';
import { TF_S3_PART, TF_TEMP_DIR, groupFiles, groupTfFiles, stepFromTfPrefix } from './tf-files.js';

/** The format a checkpoint of this prefix will have once saved (TF1 Saver names start `model.ckpt`). */
export function tfFormatForPrefix(name: string): string {
  return /^model\.ckpt(?:-\d+)?$/.test(name) ? 'tf1-saver' : 'tf2-checkpoint';
}

export const tfTemporaryFormat: CheckpointFormat = {
  id: 'tf-temporary',
  ids: ['tf1-saver', 'tf2-checkpoint'],
  description: 'TensorFlow saves in progress: PREFIX_temp/ directories and S3 PREFIX.part-i-of-N files',

  stepFromDirName(name) {
    const m = TF_TEMP_DIR.exec(name);
    return m ? { step: stepFromTfPrefix(m.groups!.prefix!), temporary: true } : undefined;
  },

  claimDir(node: DirNode) {
    const m = TF_TEMP_DIR.exec(node.name);
    if (!m) return undefined;
    const prefixName = m.groups!.prefix!;
    const parent = parentUriOf(node);
    const found = dirFound(node, tfFormatForPrefix(prefixName), stepFromTfPrefix(prefixName), {
      complete: false,
      temporary: true,
      problems: [`temporary directory ${node.name}/ of a sharded save of ${prefixName} in progress or interrupted (TensorFlow merges it into ${prefixName}.index and .data-* when done)`],
    });
    found.prefix = `${parent.endsWith('/') ? parent : `${parent}/`}${prefixName}`;
    return found;
  },

  claimFiles(node, unclaimed) {
    const parts = new Map<string, Found>();
    for (const g of groupTfFiles(node, unclaimed).values()) {
      const m = TF_S3_PART.exec(g.name);
      if (!m) continue;
      const base = m.groups!.base!;
      let found = parts.get(base);
      if (!found) {
        found = {
          format: tfFormatForPrefix(base),
          prefix: `${node.uri.endsWith('/') ? node.uri : `${node.uri}/`}${base}`,
          dir: node.uri,
          step: stepFromTfPrefix(base),
          complete: false,
          problems: [`S3 temporary shard files ${base}.part-*: a save of ${base} in progress or interrupted (TensorFlow writes these on S3 instead of a _temp directory)`],
          files: [],
          temporary: true,
          claimed: [],
        };
        parts.set(base, found);
      }
      const files = groupFiles(g);
      for (const f of files) {
        found.files.push(f);
        found.claimed!.push(f.name);
      }
    }
    return [...parts.values()];
  },
};
