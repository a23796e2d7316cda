/**
 * PyTorch Distributed Checkpoint and torchtitan (checkpoint-layouts.md §13): a directory of
 * `__<rank>_<i>.distcp` files and a pickled `.metadata` written last (as `.metadata.tmp`, then
 * renamed). torchtitan names them `step-<N>/` and also accepts a Hugging Face export
 * (`model.safetensors.index.json` + shards). DCP itself has no step.
 *
 * Complete: `.metadata` present and at least one `.distcp` file; for an HF export, every shard
 * the names promise.
 */
import type { CheckpointFormat } from '../discovery/types.js';
import type { Step } from '../discovery/step.js';
import { dirFound, missingOf, toStep } from './dir-helpers.js';

const DISTCP = /^__\d+_\d+\.distcp$/;
const TITAN = /(?:^|[^A-Za-z0-9])step-(\d+)$|^step-(\d+)$/;
const SHARD = /^(?<stem>.+)-(?<i>\d{5})-of-(?<n>\d{5})\.safetensors$/;

function titanStep(name: string): Step | null {
  const m = TITAN.exec(name);
  return m ? toStep(m[1] ?? m[2]) : null;
}

export const dcpFormat: CheckpointFormat = {
  id: 'pytorch-dcp',
  ids: ['pytorch-dcp', 'torchtitan'],
  description: 'PyTorch Distributed Checkpoint directories (.metadata + __R_I.distcp) and torchtitan step-N/',

  stepFromDirName(name) {
    return TITAN.test(name) ? { step: titanStep(name), temporary: false } : undefined;
  },

  claimDir(node) {
    const distcp = [...node.files.keys()].filter((n) => DISTCP.test(n));
    const hasMeta = node.files.has('.metadata');
    const hasTmp = node.files.has('.metadata.tmp');
    const step = titanStep(node.name);
    const hfIndex = node.files.has('model.safetensors.index.json');
    if (!hasMeta && !hasTmp && distcp.length === 0 && !(step !== null && hfIndex)) return undefined;
    const format = step !== null ? 'torchtitan' : 'pytorch-dcp';
    const problems: string[] = [];
    if (hasMeta || hasTmp || distcp.length > 0) {
      if (!hasMeta) problems.push(hasTmp ? 'only .metadata.tmp: the save is being finished or was interrupted' : 'no .metadata (written last): save in progress or interrupted');
      if (distcp.length === 0) problems.push('no __R_I.distcp data files');
    } else {
      const shards = [...node.files.keys()].map((n) => SHARD.exec(n)?.groups).filter((g) => g !== undefined);
      const total = shards[0] ? Number(shards[0].n) : 0;
      const missing = missingOf(shards.map((g) => Number(g.i) - 1), total);
      if (!node.files.has('model.safetensors') && shards.length === 0 && !node.dirs.has('sharded')) problems.push('model.safetensors.index.json without any weights');
      if (missing.length > 0) problems.push(`missing weight shard(s) ${missing.map((i) => i + 1).join(', ')} of ${total}`);
    }
    return dirFound(node, format, step, { problems, extra: hfIndex ? { hfExport: true } : undefined });
  },
};
