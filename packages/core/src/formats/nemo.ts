/**
 * NVIDIA NeMo (checkpoint-layouts.md §15). NeMo 1: Lightning-style files
 * `<name>--<metric>=<v>-epoch=<e>[-last].ckpt` and `<name>.nemo` archives. NeMo 2: directories
 * `<name>--<metric>=<v>-step=<s>-consumed_samples=<c>[-last]/` with `weights/` (a distributed
 * checkpoint) and `context/`.
 *
 * A save in progress is marked by a sibling file `<checkpoint without .ckpt>-unfinished`, touched
 * before the save and deleted after it: a checkpoint with its marker is never complete. NeMo 2 is
 * complete when `weights/metadata.json` and `weights/.metadata` exist.
 */
import type { CheckpointFormat, DirNode, Found } from '../discovery/types.js';
import type { Step } from '../discovery/step.js';
import { dirFound, fileFound, toStep } from './dir-helpers.js';

const STEP = /(?:^|[-_])step=(\d+)/;
const EPOCH = /(?:^|[-_])epoch=(\d+)/;
const UNFINISHED = '-unfinished';

function facts(name: string): { step: Step | null; extra: Record<string, unknown> } {
  const extra: Record<string, unknown> = {};
  const epoch = EPOCH.exec(name);
  if (epoch) extra.epoch = toStep(epoch[1]);
  if (/-last(?:\.ckpt)?$/.test(name)) extra.last = true;
  const cs = /consumed_samples=([\d.]+)/.exec(name);
  if (cs) extra.consumedSamples = Number(cs[1]);
  return { step: toStep(STEP.exec(name)?.[1]), extra };
}

/** The `-unfinished` marker of a checkpoint named `name` in `dir`, if present. */
function marker(dir: DirNode | undefined, name: string): string | undefined {
  if (!dir) return undefined;
  const m = `${name.replace(/\.ckpt$/, '').replace(/-EMA$/, '')}${UNFINISHED}`;
  return dir.files.has(m) ? m : undefined;
}

export const nemoFormat: CheckpointFormat = {
  id: 'nemo',
  ids: ['nemo'],
  description: 'NeMo: <name>--<metric>-epoch=E[-last].ckpt, .nemo archives, NeMo 2 <name>--...-step=S-consumed_samples=C/ directories, -unfinished markers',

  stepFromDirName(name) {
    if (!name.includes('--') && !STEP.test(name) && !EPOCH.test(name)) return undefined;
    const { step, extra } = facts(name);
    return { step, temporary: false, epoch: (extra.epoch as Step | undefined) ?? null, last: extra.last === true };
  },

  claimDir(node) {
    const nemo2 = node.dirs.has('weights') && node.dirs.has('context');
    if (!nemo2 && !(node.name.includes('--') && (node.dirs.has('weights') || node.dirs.has('context')))) return undefined;
    const { step, extra } = facts(node.name);
    const problems: string[] = [];
    const m = marker(node.parent, node.name);
    if (m) problems.push(`unfinished marker ${m}: the save was interrupted or is in progress`);
    const weights = node.dirs.get('weights');
    if (!weights) problems.push('no weights/ directory');
    else {
      if (!weights.files.has('metadata.json')) problems.push('weights/metadata.json missing (written last)');
      if (!weights.files.has('.metadata')) problems.push('weights/.metadata missing');
    }
    if (!node.dirs.has('context')) problems.push('no context/ directory');
    const found = dirFound(node, 'nemo', step, { problems, extra });
    if (m) found.files.push(node.parent!.files.get(m)!);
    return found;
  },

  claimFiles(node, unclaimed) {
    const out: Found[] = [];
    for (const name of unclaimed) {
      const file = node.files.get(name)!;
      if (name.endsWith('.nemo')) {
        // `<name>--<metric>-step=S.nemo` carries its step as the checkpoint files do; `model.nemo` none.
        const { step, extra } = facts(name.slice(0, -'.nemo'.length));
        out.push(fileFound(node, file, 'nemo', step, { extra, ...(file.size > 0 ? {} : { problems: ['empty file'] }) }));
        continue;
      }
      if (!name.endsWith('.ckpt') || !name.includes('--')) continue;
      const { step, extra } = facts(name);
      const problems = file.size > 0 ? [] : ['empty file'];
      const m = marker(node, name);
      const files = [file];
      if (m) {
        problems.push(`unfinished marker ${m}: the save was interrupted or is in progress`);
        files.push(node.files.get(m)!);
      }
      out.push(fileFound(node, file, 'nemo', step, { problems, files, extra }));
    }
    return out;
  },
};
