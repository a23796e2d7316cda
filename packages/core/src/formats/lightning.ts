/**
 * PyTorch Lightning `ModelCheckpoint` (checkpoint-layouts.md §7): files `epoch=E-step=S.ckpt`
 * (`-vN` on a name collision), `last.ckpt` / `last-vN.ckpt`, SLURM `hpc_ckpt_N.ckpt`, and for
 * sharded strategies directories named like the file (`<name>.ckpt/`: DeepSpeed `checkpoint/` +
 * `latest`, or FSDP with `meta.pt`).
 *
 * Step: `step=S` (Lightning's global optimizer step), or N of `hpc_ckpt_N` (the counter Lightning
 * resumes from by its maximum); `epoch=E` is reported as the epoch, not the step; `-vN` orders
 * equal steps; `last` carries no step and is Lightning's pointer to its newest save (it wins ties;
 * Lightning itself picks among `last*` by modification time). Complete: non-empty, and a torch zip archive ends with its
 * end-of-central-directory record.
 */
import type { CheckpointFormat, DetectContext, DirNode, FileEntry, Found } from '../discovery/types.js';
import { checkZip } from './content-checks.js';
import type { Step } from '../discovery/step.js';
import { dirFound, fileFound, subtreeFiles, toStep } from './dir-helpers.js';

const PL_STEP = /(?:^|[-_])step=(\d+)/;
const PL_EPOCH = /(?:^|[-_])epoch=(\d+)/;
const PL_LAST = /^last(?:-v\d+)?\.ckpt$/;
const PL_HPC = /^hpc_ckpt_(\d+)\.ckpt$/;
const PL_VERSION = /-v(\d+)(?=\.ckpt$)/;

/** True for a `.ckpt` name Lightning writes, or any `.ckpt` in a `checkpoints/` directory. */
export function isLightningName(name: string, node: DirNode): boolean {
  if (!name.endsWith('.ckpt')) return false;
  return PL_STEP.test(name) || PL_EPOCH.test(name) || PL_LAST.test(name) || PL_HPC.test(name) || node.name === 'checkpoints';
}

/** Step, epoch and ordering facts of a Lightning checkpoint name. */
export function lightningNameFacts(name: string): { step: Step | null; tiebreak: number; extra: Record<string, unknown> } {
  const extra: Record<string, unknown> = {};
  const epoch = PL_EPOCH.exec(name);
  if (epoch) extra.epoch = toStep(epoch[1]);
  if (PL_LAST.test(name)) extra.last = true;
  const hpc = PL_HPC.exec(name);
  if (hpc) extra.hpc = toStep(hpc[1]);
  const version = PL_VERSION.exec(name);
  if (version) extra.version = Number(version[1]);
  return { step: toStep(PL_STEP.exec(name)?.[1] ?? hpc?.[1]), tiebreak: version ? Number(version[1]) : 0, extra };
}

/** A Lightning file checkpoint, with the zip check when content checks are on. */
export async function lightningFileFound(node: DirNode, file: FileEntry, ctx: DetectContext): Promise<Found> {
  const { step, tiebreak, extra } = lightningNameFacts(file.name);
  const found = fileFound(node, file, 'lightning', step, { tiebreak, extra });
  if (file.size === 0) {
    found.complete = false;
    found.problems.push('empty file');
  } else if (ctx.contentChecks) {
    const v = await checkZip(file, ctx);
    if (v) {
      found.complete = v.complete;
      if (v.problem) found.problems.push(v.problem);
    }
  }
  return found;
}

export const lightningFormat: CheckpointFormat = {
  id: 'lightning',
  ids: ['lightning'],
  description: 'PyTorch Lightning: epoch=E-step=S[-vN].ckpt, last.ckpt, hpc_ckpt_N.ckpt, and sharded <name>.ckpt/ directories',

  stepFromDirName(name) {
    if (!name.endsWith('.ckpt')) return undefined;
    const { step, tiebreak, extra } = lightningNameFacts(name);
    return { step, temporary: false, epoch: (extra.epoch as Step | undefined) ?? null, last: extra.last === true, version: tiebreak };
  },

  claimDir(node) {
    if (!node.name.endsWith('.ckpt')) return undefined;
    const deepspeed = node.files.has('latest') && node.dirs.has('checkpoint');
    const fsdp = node.files.has('meta.pt');
    if (!deepspeed && !fsdp) return undefined;
    const { step, tiebreak, extra } = lightningNameFacts(node.name);
    const problems: string[] = [];
    if (deepspeed && !subtreeFiles(node.dirs.get('checkpoint')!).some((f) => f.name.endsWith('model_states.pt'))) {
      problems.push('checkpoint/ has no *model_states.pt (DeepSpeed save incomplete)');
    }
    if (fsdp && !deepspeed && !node.files.has('.metadata')) problems.push('no .metadata (distributed checkpoint not finished)');
    return dirFound(node, 'lightning', step, { problems, tiebreak, extra: { ...extra, sharded: deepspeed ? 'deepspeed' : 'fsdp' } });
  },

  async claimFiles(node, unclaimed, ctx) {
    const out: Found[] = [];
    for (const name of unclaimed) {
      if (!isLightningName(name, node)) continue;
      out.push(await lightningFileFound(node, node.files.get(name)!, ctx));
    }
    return out;
  },
};
