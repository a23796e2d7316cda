/**
 * TensorFlow model-zoo tarballs, extracted (checkpoint-layouts.md §5): the Object Detection API
 * TF2 zoo (`<name>/checkpoint/ckpt-0.*` + `pipeline.config` + `saved_model/`) and TF1 zoo
 * (`<name>/model.ckpt.{index,data,meta}` + `frozen_inference_graph.pb` / `pipeline.config`).
 * Pretrained releases have no step: numbers in their names are dates and hardware sizes
 * (`efficientdet_d0_coco17_tpu-32`, `ssd_mobilenet_v2_coco_2018_03_29`), never steps. The whole
 * directory is one checkpoint; its prefix is what `fine_tune_checkpoint` points at.
 */
import type { CheckpointFormat, DirNode } from '../discovery/types.js';
import { dirFound } from './dir-helpers.js';
import { isSavedModelDir, savedModelProblems } from './savedmodel.js';
import { bundleCompleteness, groupTfFiles, isBundle } from './tf-files.js';

function savedModelSubdirProblems(node: DirNode): string[] {
  const sm = node.dirs.get('saved_model');
  if (!sm) return [];
  if (!isSavedModelDir(sm)) return ['saved_model/ has no saved_model.pb'];
  return savedModelProblems(sm).map((p) => `saved_model/${p}`);
}

export const tfOdZooFormat: CheckpointFormat = {
  id: 'tf-od-zoo-v2',
  ids: ['tf-od-zoo-v2', 'tf-od-zoo-v1'],
  description: 'TF Object Detection API zoo tarballs: TF2 checkpoint/ckpt-0 + saved_model/ + pipeline.config, TF1 model.ckpt + frozen graph',

  claimDir(node) {
    const hasConfig = node.files.has('pipeline.config');
    const ckptDir = node.dirs.get('checkpoint');
    if (ckptDir && (hasConfig || node.dirs.has('saved_model'))) {
      const groups = [...groupTfFiles(ckptDir, ckptDir.files.keys()).values()].filter((g) => isBundle(g) && /^ckpt-\d+$/.test(g.name));
      if (groups.length > 0) {
        const g = groups.sort((a, b) => Number(b.name.slice(5)) - Number(a.name.slice(5)))[0]!;
        const problems = bundleCompleteness(g).problems.map((p) => `checkpoint/${g.name}: ${p}`);
        problems.push(...savedModelSubdirProblems(node));
        if (!hasConfig) problems.push('no pipeline.config');
        const found = dirFound(node, 'tf-od-zoo-v2', null, { problems });
        found.prefix = `${ckptDir.uri}/${g.name}`;
        return found;
      }
    }
    const hasGraph = node.files.has('frozen_inference_graph.pb');
    if (!hasConfig && !hasGraph) return undefined;
    const g = groupTfFiles(node, node.files.keys()).get('model.ckpt');
    const v1 = node.files.get('model.ckpt');
    if (!(g && isBundle(g)) && !v1) return undefined;
    const problems = g && isBundle(g) ? bundleCompleteness(g).problems.map((p) => `model.ckpt: ${p}`) : v1!.size === 0 ? ['model.ckpt is empty'] : [];
    problems.push(...savedModelSubdirProblems(node));
    const found = dirFound(node, 'tf-od-zoo-v1', null, { problems });
    found.prefix = `${node.uri}/model.ckpt`;
    return found;
  },
};
