/**
 * Megatron-LM (checkpoint-layouts.md §14): `iter_%07d/` directories (eight digits from iteration
 * 10,000,000 on) or `release/`, with the tracker `latest_checkpointed_iteration.txt` beside them.
 * dist-ckpt (`torch_dist`): `.metadata`, `__R_I.distcp`, `common.pt`, and `metadata.json` written
 * last; legacy (`torch`): `mp_rank_XX[_PPP[_EEE]]/model_optim_rng.pt`.
 *
 * Complete: dist-ckpt has `metadata.json` and `.metadata`; legacy has at least one `mp_rank_*`
 * directory, every one holds `model_optim_rng.pt`, and the iteration is not beyond the tracker's
 * (legacy saves are committed by the tracker: `checkpointing.py` rewrites it in the save's
 * finalize step). The tracker names the pointed-to `iter_%07d` (or `release`).
 */
import { type Step, compareSteps, parseStep } from '../discovery/step.js';
import type { CheckpointFormat, DetectContext, DirNode } from '../discovery/types.js';
import { dirFound, toStep } from './dir-helpers.js';

const ITER = /^iter_(\d{7,})$/;
/** The tracker Megatron-LM (and verl) rewrite after a save is complete. */
export const TRACKER = 'latest_checkpointed_iteration.txt';

/** What a tracker says: an iteration (any size), `release`, or something else (verbatim). */
export type TrackerValue = { iteration: Step } | { release: true } | { other: string };

/** The tracker in `dir`, read when metadata reads are on; undefined when absent or unreadable. */
export async function readTracker(dir: DirNode | undefined, ctx: DetectContext): Promise<TrackerValue | undefined> {
  const file = dir?.files.get(TRACKER);
  if (!file || !ctx.metadata) return undefined;
  const text = (await ctx.readText(file))?.trim();
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return { iteration: parseStep(text)! };
  return text === 'release' ? { release: true } : { other: text };
}

function iterName(iteration: Step): string {
  return `iter_${String(iteration).padStart(7, '0')}`;
}

export const megatronFormat: CheckpointFormat = {
  id: 'megatron',
  ids: ['megatron'],
  description: 'Megatron-LM: iter_NNNNNNN/ (dist-ckpt or mp_rank_*/model_optim_rng.pt), release/, latest_checkpointed_iteration.txt',

  stepFromDirName(name) {
    if (name === 'release') return { step: null, temporary: false };
    const m = ITER.exec(name);
    return m ? { step: toStep(m[1]), temporary: false } : undefined;
  },

  async claimDir(node, ctx) {
    const m = ITER.exec(node.name);
    const ranks = [...node.dirs.values()].filter((d) => /^mp_rank_\d{2}(?:_\d{3}){0,2}$/.test(d.name));
    const dist = node.files.has('metadata.json') || node.files.has('.metadata') || node.files.has('common.pt') || [...node.files.keys()].some((n) => n.endsWith('.distcp'));
    const release = node.name === 'release' && (ranks.length > 0 || dist) && node.parent?.files.has(TRACKER) === true;
    if (!m && !release) return undefined;
    const step = m ? toStep(m[1]) : null;
    const problems: string[] = [];
    if (dist) {
      if (!node.files.has('metadata.json')) problems.push('no metadata.json (dist-ckpt writes it last: save in progress or interrupted)');
      if (!node.files.has('.metadata')) problems.push('no .metadata');
    } else if (ranks.length === 0) {
      problems.push('neither dist-ckpt files (metadata.json, .metadata) nor mp_rank_* directories');
    } else {
      const without = ranks.filter((d) => !d.files.has('model_optim_rng.pt')).map((d) => d.name);
      if (without.length > 0) problems.push(`no model_optim_rng.pt in ${without.join(', ')}`);
    }
    const extra: Record<string, unknown> = { layout: dist ? 'dist-ckpt' : 'legacy' };
    if (release) extra.release = true;
    const tracker = await readTracker(node.parent, ctx);
    if (tracker) {
      extra.tracker = 'iteration' in tracker ? tracker.iteration : 'release' in tracker ? 'release' : tracker.other;
      // Legacy saves have no commit file of their own: the tracker, rewritten once every rank's
      // files are written, is the commit. An iteration beyond it is a save in progress or abandoned.
      const committed = 'iteration' in tracker ? tracker.iteration : 'release' in tracker ? 0 : undefined;
      if (!dist && step !== null && committed !== undefined && compareSteps(step, committed) > 0) {
        problems.push(`newer than ${TRACKER} (${String(extra.tracker)}), which commits a legacy Megatron save: in progress or abandoned`);
      }
    }
    return dirFound(node, 'megatron', step, { problems, extra });
  },

  async pointers(node, ctx) {
    const tracker = await readTracker(node, ctx);
    if (!tracker) return [];
    if ('iteration' in tracker) return [{ target: iterName(tracker.iteration), by: TRACKER }];
    return 'release' in tracker ? [{ target: 'release', by: TRACKER }] : [];
  },
};
