/**
 * verl (volcengine/verl) trainer checkpoints: `default_local_dir/global_step_N/` with one
 * directory per role (`actor/`, and `critic/` when a critic is trained) and the dataloader state
 * `data.pt`, beside the tracker `latest_checkpointed_iteration.txt`, which `RayPPOTrainer.
 * _save_checkpoint` rewrites with N after every role's files are written ("for atomic usage"), and
 * which `find_latest_ckpt_path` reads to resume: `global_step_{tracker}` and nothing else
 * (`verl/trainer/ppo/ray_trainer.py`, `verl/utils/checkpoint/checkpoint_manager.py`). An FSDP
 * role directory holds `model_world_size_W_rank_R.pt` (with `optim_...` and `extra_state_...`) for
 * every rank R < W (`verl/utils/checkpoint/fsdp_checkpoint_manager.py`); a Megatron one its
 * distributed checkpoint.
 *
 * Complete: `actor/` present, every FSDP rank's model shard present in each role directory, and
 * the step not beyond the tracker's (the tracker commits a save: a newer directory is a save in
 * progress or abandoned). Without a tracker the files decide.
 */
import { compareSteps } from '../discovery/step.js';
import type { CheckpointFormat, DirNode } from '../discovery/types.js';
import { dirFound, missingOf, subtreeFiles, toStep } from './dir-helpers.js';
import { TRACKER, readTracker } from './megatron.js';

const STEP_DIR = /^global_step_(\d+)$/;
const ROLES = ['actor', 'critic'];
const FSDP_SHARD = /^model_world_size_(\d+)_rank_(\d+)\.pt$/;

/** What is missing from one role directory (`actor/`, `critic/`). */
function roleProblems(role: DirNode): string[] {
  const files = subtreeFiles(role);
  if (files.length === 0) return [`${role.name}/ is empty`];
  const byWorld = new Map<number, number[]>();
  for (const f of role.files.values()) {
    const m = FSDP_SHARD.exec(f.name);
    if (m) byWorld.set(Number(m[1]), [...(byWorld.get(Number(m[1])) ?? []), Number(m[2])]);
  }
  const problems: string[] = [];
  for (const [world, ranks] of byWorld) {
    const missing = missingOf(ranks, world);
    if (missing.length > 0) problems.push(`${role.name}/: missing model shard${missing.length > 1 ? 's' : ''} of rank ${missing.join(', ')} (world size ${world})`);
  }
  return problems;
}

export const verlFormat: CheckpointFormat = {
  id: 'verl',
  ids: ['verl'],
  description: 'verl: global_step_N/ with actor/ (and critic/) beside latest_checkpointed_iteration.txt, which commits a save',

  stepFromDirName(name) {
    const m = STEP_DIR.exec(name);
    return m ? { step: toStep(m[1]), temporary: false } : undefined;
  },

  async claimDir(node, ctx) {
    const m = STEP_DIR.exec(node.name);
    if (!m || !ROLES.some((r) => node.dirs.has(r))) return undefined;
    const step = toStep(m[1]);
    const problems: string[] = [];
    const actor = node.dirs.get('actor');
    if (!actor) problems.push('no actor/ directory');
    for (const role of ROLES) {
      const d = node.dirs.get(role);
      if (d) problems.push(...roleProblems(d));
    }
    const extra: Record<string, unknown> = { roles: ROLES.filter((r) => node.dirs.has(r)) };
    const tracker = await readTracker(node.parent, ctx);
    if (tracker) {
      if (!('iteration' in tracker)) problems.push(`${TRACKER} does not hold a step (${'release' in tracker ? 'release' : tracker.other})`);
      else {
        extra.tracker = tracker.iteration;
        if (step !== null && compareSteps(step, tracker.iteration) > 0) {
          problems.push(`newer than ${TRACKER} (${tracker.iteration}), which verl rewrites after every role is saved: a save in progress or abandoned`);
        }
      }
    }
    return dirFound(node, 'verl', step, { problems, extra });
  },

  async pointers(node, ctx) {
    const tracker = await readTracker(node, ctx);
    return tracker && 'iteration' in tracker ? [{ target: `global_step_${tracker.iteration}`, by: TRACKER }] : [];
  },
};
