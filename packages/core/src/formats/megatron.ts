/**
 * Megatron-LM (checkpoint-layouts.md §14): `iter_%07d/` directories (eight digits from iteration
 * 10,000,000 on) or `release/`, with the tracker `latest_checkpointed_iteration.txt` beside them.
 * dist-ckpt (`torch_dist`): `.metadata`, `__R_I.distcp`, `common.pt`, and `metadata.json` written
 * last; legacy (`torch`): `mp_rank_XX[_PPP[_EEE]]/model_optim_rng.pt`.
 *
 * Complete: dist-ckpt has `metadata.json` and `.metadata`; legacy has at least one `mp_rank_*`
 * directory and every one holds `model_optim_rng.pt`.
 */
import type { CheckpointFormat } from '../discovery/types.js';
import { dirFound, toStep } from './dir-helpers.js';

const ITER = /^iter_(\d{7,})$/;
const TRACKER = 'latest_checkpointed_iteration.txt';

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
    const tracker = node.parent?.files.get(TRACKER);
    if (tracker && ctx.contentChecks) {
      const text = (await ctx.readText(tracker))?.trim();
      if (text !== undefined) extra.tracker = /^\d+$/.test(text) ? Number(text) : text;
    }
    return dirFound(node, 'megatron', m ? toStep(m[1]) : null, { problems, extra });
  },
};
