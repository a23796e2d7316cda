/**
 * TF-Slim classification checkpoints (checkpoint-layouts.md §5): 2016-2017 tarballs hold one V1
 * file `<model>.ckpt` (`inception_v3.ckpt`, `resnet_v2_50.ckpt`); MobileNet tarballs a V2 bundle
 * `<model>.ckpt.{index,data,meta}` beside `<model>_frozen.pb`, `<model>.tflite`, `<model>_info.txt`.
 * Pretrained: no step (`mobilenet_v1_1.0_224` holds a width and a resolution, not a step).
 *
 * A `.ckpt` file no other layout claimed is taken for a V1 checkpoint when its last bytes are a
 * TensorFlow table footer; with content checks off, by its name alone.
 */
import type { CheckpointFormat, Found } from '../discovery/types.js';
import { checkTableFooter, sniffCkptFile } from './content-checks.js';
import { fileFound } from './dir-helpers.js';
import { lightningFileFound } from './lightning.js';
import { bundleFound, groupTfFiles, isBundle } from './tf-files.js';

const SIBLINGS = ['_frozen.pb', '.tflite', '_info.txt', '_eval.pbtxt'];

export const tfSlimFormat: CheckpointFormat = {
  id: 'tf-slim',
  ids: ['tf-slim'],
  description: 'TF-Slim pretrained checkpoints: <model>.ckpt V1 files and MobileNet <model>.ckpt.{index,data,meta} bundles',

  async claimFiles(node, unclaimed, ctx) {
    const out: Found[] = [];
    const groups = groupTfFiles(node, unclaimed);
    for (const g of groups.values()) {
      if (!isBundle(g) || !g.name.endsWith('.ckpt')) continue;
      const model = g.name.slice(0, -'.ckpt'.length);
      const siblings = SIBLINGS.map((s) => node.files.get(`${model}${s}`)).filter((f) => f !== undefined);
      if (siblings.length === 0) continue;
      const found = bundleFound(node, g, 'tf-slim', null);
      for (const f of siblings) {
        found.files.push(f);
        found.claimed!.push(f.name);
      }
      out.push(found);
    }
    for (const name of unclaimed) {
      if (!name.endsWith('.ckpt')) continue;
      const file = node.files.get(name)!;
      if (groups.get(name) && isBundle(groups.get(name)!)) continue;
      // With its graph beside it, it is a TF1 Saver V1 checkpoint (tf1-saver reports it).
      if (node.files.has(`${name}.meta`)) continue;
      if (ctx.contentChecks) {
        const kind = await sniffCkptFile(file, ctx);
        if (kind === 'zip') {
          // A torch checkpoint under a name Lightning's patterns do not cover.
          out.push(await lightningFileFound(node, file, ctx));
          continue;
        }
        const verdict = kind === 'table' ? { complete: true } : await checkTableFooter(file, ctx);
        out.push(fileFound(node, file, 'tf-slim', null, { complete: verdict?.complete ?? true, problems: verdict?.problem ? [verdict.problem] : [] }));
      } else {
        out.push(fileFound(node, file, 'tf-slim', null, file.size > 0 ? {} : { problems: ['empty file'] }));
      }
    }
    return out;
  },
};
