/**
 * Orbax `CheckpointManager` and Flax checkpoints (checkpoint-layouts.md §9, §10). Orbax step
 * directories are named `<step>`, `<prefix>_<step>` or zero-padded (`step_00000500`), hold
 * `_CHECKPOINT_METADATA` and item directories (`default/`, `state/`: `_METADATA`,
 * `manifest.ocdbt`, `ocdbt.process_*`); a save in progress is `<name>.orbax-checkpoint-tmp[-...]`.
 * On GCS (and on every store since 2026-08) a finalized step holds `commit_success.txt`.
 * Legacy Flax writes msgpack files `checkpoint_<step>` (temporary `checkpoint_tmp`) with arrays in
 * `checkpoint_<step>_gda/`.
 *
 * Orbax v1 (and the Keras `OrbaxCheckpoint` callback, whose step directories are bare digits:
 * the epoch, or the global batch count) also touches an empty `orbax.checkpoint` in each
 * checkpoint; it is written with the data, before finalization, so it identifies the layout (also
 * of a single checkpoint saved outside a manager, reported without a step) but commits nothing.
 *
 * Complete: the name is not temporary; no `<name>.orbax-checkpoint-tmp*` sibling is left (the
 * finalizing rename is a copy and a delete on object stores); `commit_success.txt` is present
 * where it is required: on GCS, and wherever a sibling step directory has one (the writer commits
 * with it); a zero-padded manager ignores names of another width (`step_1500` beside
 * `step_00001500`).
 */
import { parseStep } from '../discovery/step.js';
import { requireListed } from '../discovery/tree.js';
import type { CheckpointFormat, DirNode, Found } from '../discovery/types.js';
import { dirFound, fileFound, subtreeFiles, toStep } from './dir-helpers.js';

const STEP_NAME = /^(?:(?<prefix>.+)_)?(?<step>\d+)$/;
const TMP_SUFFIX = '.orbax-checkpoint-tmp';
const TMP = /\.orbax-checkpoint-tmp/;
const TMP_STEP = /^.*?_*?(\d+)\.orbax-checkpoint-tmp/;
const ITEM_MARKERS = ['_METADATA', 'manifest.ocdbt', '_sharding'];
const COMMIT = 'commit_success.txt';
// Orbax v1 touches an empty `orbax.checkpoint` in every checkpoint it saves, alongside the data,
// before the checkpoint is finalized: it says "Orbax v1 wrote this", not "this is complete".
const V1_INDICATOR = 'orbax.checkpoint';
const FLAX_FILE = /^checkpoint_(-?\d+(?:\.\d+)?)$/;

function isOrbaxStep(node: DirNode): boolean {
  if (node.files.has('_CHECKPOINT_METADATA') || node.files.has(COMMIT) || node.files.has(V1_INDICATOR)) return true;
  if (ITEM_MARKERS.some((m) => node.files.has(m))) return true;
  // A legacy step holds only item directories (`default/`, `state/`, ...). A directory with files
  // of its own, or with step directories inside (a manager's root), is not one: its items are
  // not looked into (robust latest would otherwise list a whole run named `runs/42`).
  if (node.files.size > 0 || [...node.dirs.keys()].some((k) => STEP_NAME.test(k) || TMP.test(k))) return false;
  return [...node.dirs.values()].some((d) => ITEM_MARKERS.some((m) => d.files.has(m)) || [...d.dirs.keys()].some((k) => k.startsWith('ocdbt.process_')));
}

/** Names of the sibling step directories of the same manager (same step prefix). */
function siblingNames(node: DirNode, prefix: string | undefined): DirNode[] {
  if (!node.parent) return [];
  return [...node.parent.dirs.values()].filter((d) => d !== node && STEP_NAME.exec(d.name)?.groups!.prefix === prefix && STEP_NAME.test(d.name));
}

/** Whether a sibling step of the same manager holds `commit_success.txt` (its writer commits with it). */
function siblingsCommit(node: DirNode, prefix: string | undefined): boolean {
  if (!node.parent) return false;
  // Evidence spread over every sibling: one recursive listing of the parent, not one per sibling.
  requireListed(node.parent);
  return siblingNames(node, prefix).some((d) => d.files.has(COMMIT) && isOrbaxStep(d));
}

export const orbaxFormat: CheckpointFormat = {
  id: 'orbax',
  ids: ['orbax', 'flax'],
  description: 'Orbax CheckpointManager step directories (commit_success.txt, .orbax-checkpoint-tmp) and legacy Flax checkpoint_<step> files',

  stepFromDirName(name) {
    if (TMP.test(name)) return { step: toStep(TMP_STEP.exec(name)?.[1]), temporary: true };
    const m = STEP_NAME.exec(name);
    return m ? { step: toStep(m.groups!.step), temporary: false } : undefined;
  },

  async claimDir(node, ctx) {
    if (TMP.test(node.name)) {
      return dirFound(node, 'orbax', toStep(TMP_STEP.exec(node.name)?.[1]), {
        temporary: true,
        complete: false,
        problems: [`temporary directory ${node.name}/ of an Orbax save in progress or interrupted`],
      });
    }
    const m = STEP_NAME.exec(node.name);
    if (!m) {
      // A single Orbax v1 checkpoint (`ocp.save_checkpointables(path, ...)`), not a manager's step.
      // (Never a manager's root directory, should one carry the indicator: its steps are the checkpoints.)
      if (!node.files.has(V1_INDICATOR) || [...node.dirs.values()].some((d) => STEP_NAME.test(d.name) && isOrbaxStep(d))) return undefined;
      const problems = node.files.has(COMMIT) || ctx.scheme !== 'gs' ? [] : [`no ${COMMIT}: not finalized (on GCS Orbax writes it last)`];
      return dirFound(node, 'orbax', null, { problems, extra: { v1: true } });
    }
    if (!isOrbaxStep(node)) return undefined;
    const problems: string[] = [];
    // Finalizing renames `<name>.orbax-checkpoint-tmp` to `<name>`; on an object store a rename is a
    // copy and then a delete, so while the temporary directory is still there, the copy is not done.
    const tmpSibling = node.parent ? [...node.parent.dirs.keys()].find((n) => n.startsWith(`${node.name}${TMP_SUFFIX}`)) : undefined;
    if (tmpSibling !== undefined) problems.push(`${tmpSibling}/ still exists: the rename that finalizes the step (a copy and a delete on object stores) has not finished`);
    if (!node.files.has(COMMIT)) {
      if (ctx.scheme === 'gs') problems.push(`no ${COMMIT}: not finalized (on GCS Orbax writes it last)`);
      else if (siblingsCommit(node, m.groups!.prefix)) problems.push(`no ${COMMIT}, which its sibling steps have: not finalized`);
    }
    const siblings = siblingNames(node, m.groups!.prefix);
    const digits = m.groups!.step!;
    const padded = siblings.map((d) => STEP_NAME.exec(d.name)!.groups!.step!).filter((d) => d.length > 1 && d.startsWith('0'));
    const width = padded[0]?.length;
    if (width !== undefined && padded.every((d) => d.length === width) && digits.length < width) {
      problems.push(`name does not match its siblings' fixed-length step format (${width} digits): Orbax ignores it`);
    }
    const extra: Record<string, unknown> = {};
    if (m.groups!.prefix) extra.stepPrefix = m.groups!.prefix;
    return dirFound(node, 'orbax', toStep(digits), { problems, extra });
  },

  claimFiles(node, unclaimed) {
    const out: Found[] = [];
    for (const name of unclaimed) {
      if (name === 'checkpoint_tmp') {
        out.push(fileFound(node, node.files.get(name)!, 'flax', null, { temporary: true, complete: false, problems: ['checkpoint_tmp: a Flax save in progress or interrupted'] }));
        continue;
      }
      const m = FLAX_FILE.exec(name);
      if (!m) continue;
      const file = node.files.get(name)!;
      // Flax's natural sort is float-aware (`checkpoint_1.5`); integers are exact at any size.
      const step = /^\d+$/.test(m[1]!) ? parseStep(m[1]) : Number(m[1]);
      const files = [file];
      const problems = file.size > 0 ? [] : ['empty file'];
      const gda = node.dirs.get(`${name}_gda`);
      if (gda) {
        for (const f of subtreeFiles(gda)) files.push(f);
        if (!gda.files.has(COMMIT)) problems.push(`${gda.name}/ has no ${COMMIT}: multiprocess arrays not committed`);
      }
      out.push(fileFound(node, file, 'flax', typeof step === 'number' && !Number.isFinite(step) ? null : step, { files, problems, claimed: [name] }));
    }
    return out;
  },
};
