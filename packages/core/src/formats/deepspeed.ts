/**
 * DeepSpeed `save_checkpoint` (checkpoint-layouts.md §12): `global_stepN/` tag directories with
 * `mp_rank_XX_model_states.pt` (or ZeRO-3 `zero_pp_rank_D_mp_rank_XX_model_states.pt`) and one
 * `[bf16_]zero_pp_rank_D_mp_rank_XX_optim_states.pt` per data-parallel rank, plus a `latest` file
 * naming the tag, written last by rank 0.
 *
 * Complete: at least one `*model_states.pt`, no data-parallel rank missing among the optimizer
 * files (ranks counted from their names), and not newer than the tag in `latest` (a newer tag
 * directory is a save in progress or abandoned). `global_stepN_universal/` (written by
 * `ds_to_universal.py`, named by `latest_universal`) is a conversion of step N: same step, and at
 * equal step the original named by `latest` is the newer (docs/decisions/0012).
 */
import { compareSteps } from '../discovery/step.js';
import type { CheckpointFormat, DetectContext, DirNode, FileEntry, Pointer } from '../discovery/types.js';
import { dirFound, missingOf, subtreeFiles, toStep } from './dir-helpers.js';

const TAG = /^global_step(\d+)(_universal)?$/;
const OPTIM = /^(?:bf16_)?zero_pp_rank_(\d+)_mp_rank_(\d+)_optim_states\.pt$/;

/** The problems of a DeepSpeed tag directory's files. */
export function deepspeedProblems(files: FileEntry[]): string[] {
  const problems: string[] = [];
  if (!files.some((f) => f.name.endsWith('model_states.pt'))) problems.push('no *model_states.pt');
  const byMp = new Map<number, number[]>();
  for (const f of files) {
    const m = OPTIM.exec(f.name);
    if (!m) continue;
    const mp = Number(m[2]);
    const ranks = byMp.get(mp);
    if (ranks) ranks.push(Number(m[1]));
    else byMp.set(mp, [Number(m[1])]);
  }
  for (const [mp, dps] of byMp) {
    const missing = missingOf(dps, dps.reduce((a, b) => Math.max(a, b), -Infinity) + 1);
    if (missing.length > 0) problems.push(`missing optimizer states of data-parallel rank${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (mp_rank ${mp})`);
  }
  return problems;
}

/** The tag the `latest` (or `latest_universal`) file of `dir` names, when metadata reads are on and it is readable. */
export async function deepspeedLatestTag(dir: DirNode | undefined, ctx: DetectContext, file = 'latest'): Promise<string | undefined> {
  const latest = dir?.files.get(file);
  if (!latest || !ctx.metadata) return undefined;
  return (await ctx.readText(latest))?.trim();
}

export const deepspeedFormat: CheckpointFormat = {
  id: 'deepspeed',
  ids: ['deepspeed'],
  description: 'DeepSpeed: global_stepN/ tag directories with *model_states.pt and per-rank optimizer states, named by latest; global_stepN_universal/ conversions named by latest_universal',

  stepFromDirName(name) {
    const m = TAG.exec(name);
    return m ? { step: toStep(m[1]), temporary: false, conversion: m[2] !== undefined } : undefined;
  },

  async claimDir(node, ctx) {
    const m = TAG.exec(node.name);
    if (!m) return undefined;
    const step = toStep(m[1]);
    const universal = m[2] !== undefined;
    const problems = universal ? [] : deepspeedProblems(subtreeFiles(node));
    // `latest` commits the original saves; a universal conversion is committed by `latest_universal`.
    const pointer = universal ? 'latest_universal' : 'latest';
    const tag = await deepspeedLatestTag(node.parent, ctx, pointer);
    const extra: Record<string, unknown> = {};
    // A universal checkpoint is a conversion of the step it names (ds_to_universal.py), not a newer save.
    if (universal) Object.assign(extra, { universal: true, conversion: true });
    if (tag !== undefined) {
      extra.latest = tag === node.name;
      const t = TAG.exec(tag);
      const tagStep = t ? toStep(t[1]) : null;
      if (step !== null && tagStep !== null && compareSteps(step, tagStep) > 0) {
        problems.push(`newer than the tag in ${pointer} (${tag}): a save in progress or abandoned`);
      }
    }
    return dirFound(node, 'deepspeed', step, { problems, extra });
  },

  async pointers(node, ctx) {
    const out: Pointer[] = [];
    for (const by of ['latest', 'latest_universal']) {
      const tag = await deepspeedLatestTag(node, ctx, by);
      if (tag) out.push({ target: tag, by });
    }
    return out;
  },
};
