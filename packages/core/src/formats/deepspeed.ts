/**
 * DeepSpeed `save_checkpoint` (checkpoint-layouts.md §12): `global_stepN/` tag directories with
 * `mp_rank_XX_model_states.pt` (or ZeRO-3 `zero_pp_rank_D_mp_rank_XX_model_states.pt`) and one
 * `[bf16_]zero_pp_rank_D_mp_rank_XX_optim_states.pt` per data-parallel rank, plus a `latest` file
 * naming the tag, written last by rank 0.
 *
 * Complete: at least one `*model_states.pt`, no data-parallel rank missing among the optimizer
 * files (ranks counted from their names), and not newer than the tag in `latest` (a newer tag
 * directory is a save in progress or abandoned).
 */
import type { CheckpointFormat, DetectContext, DirNode, FileEntry } from '../discovery/types.js';
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
    byMp.set(mp, [...(byMp.get(mp) ?? []), Number(m[1])]);
  }
  for (const [mp, dps] of byMp) {
    const missing = missingOf(dps, Math.max(...dps) + 1);
    if (missing.length > 0) problems.push(`missing optimizer states of data-parallel rank${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (mp_rank ${mp})`);
  }
  return problems;
}

/** The tag the `latest` file of `dir` names, when content checks are on and it is readable. */
export async function deepspeedLatestTag(dir: DirNode | undefined, ctx: DetectContext): Promise<string | undefined> {
  const latest = dir?.files.get('latest');
  if (!latest || !ctx.contentChecks) return undefined;
  return (await ctx.readText(latest))?.trim();
}

export const deepspeedFormat: CheckpointFormat = {
  id: 'deepspeed',
  ids: ['deepspeed'],
  description: 'DeepSpeed: global_stepN/ tag directories with *model_states.pt and per-rank optimizer states, named by latest',

  stepFromDirName(name) {
    const m = TAG.exec(name);
    return m ? { step: toStep(m[1]), temporary: false } : undefined;
  },

  async claimDir(node, ctx) {
    const m = TAG.exec(node.name);
    if (!m) return undefined;
    const step = toStep(m[1]);
    const problems = m[2] ? [] : deepspeedProblems(subtreeFiles(node));
    const tag = await deepspeedLatestTag(node.parent, ctx);
    const extra: Record<string, unknown> = {};
    if (m[2]) extra.universal = true;
    if (tag !== undefined) {
      extra.latest = tag === node.name;
      const t = TAG.exec(tag);
      if (t && step !== null && toStep(t[1]) !== null && step > toStep(t[1])!) {
        problems.push(`newer than the tag in latest (${tag}): a save in progress or abandoned`);
      }
    }
    return dirFound(node, 'deepspeed', step, { problems, extra });
  },
};
