/**
 * The retention planner: which checkpoints of one directory to keep and which to delete, each
 * with its reasons. Pure (no storage, the clock injected), so every rule and combination is tested
 * on its own. The rules and the safety list are in docs/decisions/0017-retention.md.
 */
import { type OrderFacts, compareOrder } from '../discovery/order.js';
import { type Step, sameStep } from '../discovery/step.js';
import { type RetentionRules, checkRules, divisible } from './rules.js';

/** One checkpoint of the directory as the planner sees it. */
export interface RetentionCandidate {
  /** Its last path segment (a prefix basename or a directory name). */
  name: string;
  /** Its place in the order of the directory (`discovery/order.ts`). */
  facts: OrderFacts;
  complete: boolean;
  temporary: boolean;
  /** When it was written: its newest file's time (ms since the epoch), undefined when the store did not say. */
  timeMs: number | undefined;
  /** The pointer naming it (`checkpoint` state file, DeepSpeed `latest`, Lightning `last`, ...), if any. */
  pointer?: string | undefined;
  /** Why it cannot be judged at all (a hub snapshot sharing blobs, ...): it is kept with this reason. */
  unclassifiable?: string | undefined;
  /** Why it is incomplete (the layout's problems), for the reason of its deletion. */
  problems?: readonly string[] | undefined;
}

/** The planner's verdict on one checkpoint. */
export interface RetentionDecision {
  candidate: RetentionCandidate;
  action: 'keep' | 'delete';
  /** Every reason that applies, the deciding one first. */
  reasons: string[];
}

/** Options of {@link planRetention}. */
export interface PlanRetentionOptions {
  /** The clock `olderThanMs` is measured from (ms since the epoch). */
  nowMs: number;
  /**
   * Where the `keepEveryHours` walk starts: the state file's `last_preserved_timestamp` (ms), as
   * TensorFlow's CheckpointManager resumes it; default one second before the oldest checkpoint,
   * as a manager created just before its first save would.
   */
  lastPreservedMs?: number | undefined;
}

function usable(c: RetentionCandidate): boolean {
  return c.complete && !c.temporary && c.unclassifiable === undefined;
}

/** The newest complete checkpoint among `candidates` (by the directory's order), which a prune never deletes. */
export function newestCompleteOf(candidates: readonly RetentionCandidate[]): RetentionCandidate | undefined {
  let best: RetentionCandidate | undefined;
  for (const c of candidates) if (usable(c) && (!best || compareOrder(c.facts, best.facts).cmp > 0)) best = c;
  return best;
}

function stepOf(c: RetentionCandidate): Step | null {
  return c.facts.step;
}

/**
 * Plans a prune: every candidate kept or deleted, with reasons, newest first. What is never
 * deleted, whatever the rules: the newest complete checkpoint, one a pointer names, anything newer
 * than the newest complete one (a save in progress, or not committed), one it cannot place in the
 * order (no step in its name) or cannot classify, and, without any complete checkpoint, everything.
 * Incomplete or temporary checkpoints older than the newest complete one are deleted (failed
 * saves) unless `olderThanMs` protects them; complete ones are deleted when no keep rule keeps them
 * and they are old enough for `olderThanMs`. A checkpoint whose time is unknown is never deleted
 * by age alone when `olderThanMs` is set.
 *
 * @throws CkptError INVALID_CONFIG for rules {@link checkRules} refuses.
 */
export function planRetention(candidates: readonly RetentionCandidate[], rules: RetentionRules, options: PlanRetentionOptions): RetentionDecision[] {
  checkRules(rules);
  const ordered = [...candidates].sort((a, b) => -compareOrder(a.facts, b.facts).cmp);
  const placeable = (c: RetentionCandidate) => c.unclassifiable === undefined && (c.facts.step !== null || c.facts.epoch !== null);
  const newest = newestCompleteOf(ordered);
  const kept = new Map<RetentionCandidate, string[]>();
  const note = (c: RetentionCandidate, reason: string) => {
    const list = kept.get(c) ?? [];
    list.push(reason);
    kept.set(c, list);
  };

  // Keep rules, over the complete checkpoints whose place in the order is known.
  const complete = ordered.filter((c) => usable(c) && placeable(c));
  if (rules.keepLast !== undefined) complete.slice(0, rules.keepLast).forEach((c) => note(c, `${rules.keepLast === 1 ? 'the newest complete checkpoint' : `one of the ${rules.keepLast} newest complete checkpoints`} (keep-last ${rules.keepLast})`));
  if (rules.keepEverySteps !== undefined) {
    for (const c of complete) {
      const s = stepOf(c);
      if (s !== null && divisible(s, rules.keepEverySteps)) note(c, `step ${s} is a multiple of ${rules.keepEverySteps} (keep-every-steps)`);
    }
  }
  for (const k of rules.keep ?? []) for (const c of complete) if (sameStep(stepOf(c), k)) note(c, `step ${k} asked for (keep ${k})`);
  if (rules.keepEveryHours !== undefined) {
    // TensorFlow's CheckpointManager._sweep, oldest first: a checkpoint is preserved when it is at
    // least H hours after the last preserved one, which it then becomes.
    const timed = complete.filter((c) => c.timeMs !== undefined).reverse();
    const periodMs = rules.keepEveryHours * 3_600_000;
    let last = options.lastPreservedMs ?? (timed.length > 0 ? timed[0]!.timeMs! - 1000 : 0);
    for (const c of timed) {
      if (c.timeMs! - periodMs >= last) {
        last = c.timeMs!;
        note(c, `first checkpoint ${rules.keepEveryHours} h or more after the previous one kept for time (keep-every-hours ${rules.keepEveryHours})`);
      }
    }
  }

  const decisions: RetentionDecision[] = [];
  let newerThanNewest = newest !== undefined;
  for (const c of ordered) {
    const keepWhy: string[] = [];
    if (c === newest) {
      keepWhy.push('the newest complete checkpoint (never deleted)');
      newerThanNewest = false;
    } else if (newerThanNewest || newest === undefined) {
      if (newest === undefined) keepWhy.push('the directory holds no complete checkpoint: nothing is deleted');
      else keepWhy.push(`newer than the newest complete checkpoint ${newest.name}: a save in progress or not committed (never deleted)`);
    }
    if (c.pointer !== undefined) keepWhy.push(`named by ${c.pointer} (never deleted)`);
    if (c.unclassifiable !== undefined) keepWhy.push(`cannot be classified: ${c.unclassifiable}`);
    else if (!placeable(c) && c !== newest) keepWhy.push('no step or epoch in its name: its place among the others is unknown');
    keepWhy.push(...(kept.get(c) ?? []));
    if (keepWhy.length > 0) {
      decisions.push({ candidate: c, action: 'keep', reasons: keepWhy });
      continue;
    }
    // Deletable by the rules; old enough?
    if (rules.olderThanMs !== undefined) {
      if (c.timeMs === undefined) {
        decisions.push({ candidate: c, action: 'keep', reasons: ['its time is unknown, so it is not known to be older than --older-than'] });
        continue;
      }
      if (options.nowMs - c.timeMs < rules.olderThanMs) {
        decisions.push({ candidate: c, action: 'keep', reasons: [`not older than ${formatDuration(rules.olderThanMs)} (older-than)`] });
        continue;
      }
    }
    const why = !c.complete || c.temporary
      ? `${c.temporary ? 'temporary' : 'incomplete'}${c.problems && c.problems.length > 0 ? ` (${c.problems[0]})` : ''}, older than the newest complete checkpoint ${newest!.name}`
      : 'no keep rule keeps it';
    const reasons = [why];
    if (rules.olderThanMs !== undefined) reasons.push(`older than ${formatDuration(rules.olderThanMs)}`);
    decisions.push({ candidate: c, action: 'delete', reasons });
  }
  return decisions;
}

/** A duration in the largest whole unit that fits (`7d`, `36h`, `90m`, `45s`, `250ms`). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
