/**
 * "Newer": the one order of checkpoints in a directory, used by robust `latest` to choose and by
 * anyone comparing `find` results (docs/decisions/0012-latest-order-and-pointers.md).
 *
 * Newest first, the first rule that tells two checkpoints apart decides:
 * 1. `step`: the step in the name, as an integer of any size; a checkpoint with a step is newer
 *    than one without.
 * 2. `epoch`: the epoch in the name (Keras, Lightning, NeMo 1 without a step), the same way.
 * 3. `pointer`: the one the layout's own pointer names (TF `checkpoint`, DeepSpeed `latest` /
 *    `latest_universal`, Megatron / verl tracker, Lightning / NeMo `last`).
 * 4. `conversion`: the original before a conversion of the same step (DeepSpeed universal).
 * 5. `version`: the higher Lightning `-vN`.
 * 6. `temporary`: a finished name before an in-progress one.
 * 7. `mtime`: the newest modification time (of the newest file in it).
 * 8. `name`: the greater name, as a last resort, so the order is total.
 */
import { compareKeys } from '@ckptkit/gfile';
import type { CheckpointInfo, Found } from './types.js';
import { type Step, compareOptionalSteps, stepFromJson } from './step.js';

/** The facts the order looks at. */
export interface OrderFacts {
  step: Step | null;
  epoch: Step | null;
  /** The pointer file (or name, for Lightning/NeMo `last`) that names it, if any. */
  pointer: string | undefined;
  conversion: boolean;
  version: number;
  temporary: boolean;
  /** Milliseconds since the epoch, when known (a directory not listed yet has none). */
  mtime: number | undefined;
  /** The checkpoint's last path segment. */
  name: string;
}

/** The rule that told two checkpoints apart. */
export type OrderRule = 'step' | 'epoch' | 'pointer' | 'conversion' | 'version' | 'temporary' | 'mtime' | 'name' | 'same';

function lastSegmentOf(uri: string): string {
  const u = uri.replace(/\/+$/, '');
  return u.slice(u.lastIndexOf('/') + 1);
}

function newestMtime(dates: Array<Date | undefined>): number | undefined {
  let m: number | undefined;
  for (const d of dates) if (d && (m === undefined || d.getTime() > m)) m = d.getTime();
  return m;
}

function factsFrom(step: Step | null, extra: Record<string, unknown> | undefined, temporary: boolean, version: number, mtime: number | undefined, prefix: string): OrderFacts {
  const pointedBy = typeof extra?.pointedBy === 'string' ? extra.pointedBy : undefined;
  return {
    step,
    epoch: stepFromJson(extra?.epoch),
    pointer: pointedBy ?? (extra?.last === true ? 'last' : undefined),
    conversion: extra?.conversion === true,
    version,
    temporary,
    mtime,
    name: lastSegmentOf(prefix),
  };
}

/** The order facts of a recognised checkpoint. */
export function orderFactsOf(found: Found): OrderFacts {
  const extra = found.pointedBy === undefined ? found.extra : { ...found.extra, pointedBy: found.pointedBy };
  return factsFrom(found.step, extra, found.temporary, found.tiebreak ?? 0, newestMtime(found.files.map((f) => f.mtime)), found.prefix);
}

/** The order facts of a `findCheckpoints` result (the same as those of the checkpoint it reports). */
export function orderFactsOfInfo(info: CheckpointInfo): OrderFacts {
  const version = typeof info.extra.tiebreak === 'number' ? info.extra.tiebreak : 0;
  return factsFrom(info.step, info.extra, info.temporary, version, info.mtime?.getTime(), info.prefix);
}

type Rule = Exclude<OrderRule, 'same'>;

/** Which of `a`, `b` is newer (positive: `a`) and the rule that decided. `withTies`: mtime and name too. */
export function compareOrder(a: OrderFacts, b: OrderFacts, withTies = true): { cmp: number; rule: OrderRule } {
  const steps: Array<[Rule, number]> = [
    ['step', compareOptionalSteps(a.step, b.step)],
    ['epoch', compareOptionalSteps(a.epoch, b.epoch)],
    ['pointer', Number(a.pointer !== undefined) - Number(b.pointer !== undefined)],
    ['conversion', Number(b.conversion) - Number(a.conversion)],
    ['version', Math.sign(a.version - b.version)],
    ['temporary', Number(b.temporary) - Number(a.temporary)],
  ];
  if (withTies) {
    steps.push(['mtime', a.mtime === undefined || b.mtime === undefined ? 0 : Math.sign(a.mtime - b.mtime)]);
    steps.push(['name', compareKeys(a.name, b.name)]);
  }
  for (const [rule, cmp] of steps) if (cmp !== 0) return { cmp, rule };
  return { cmp: 0, rule: 'same' };
}

/** Sort comparator: newest first, by every rule. */
export function newestFirst(a: OrderFacts, b: OrderFacts): number {
  return -compareOrder(a, b).cmp;
}

/** The newest complete, non-temporary checkpoint among `find` results, by the order above. */
export function newestComplete(infos: readonly CheckpointInfo[]): CheckpointInfo | undefined {
  let best: CheckpointInfo | undefined;
  let bestFacts: OrderFacts | undefined;
  for (const info of infos) {
    if (!info.complete || info.temporary) continue;
    const facts = orderFactsOfInfo(info);
    if (!bestFacts || compareOrder(facts, bestFacts).cmp > 0) {
      best = info;
      bestFacts = facts;
    }
  }
  return best;
}

function stepText(s: Step | null): string {
  return s === null ? 'none' : String(s);
}

/** One sentence saying why `winner` is newer than `other` (for robust `latest`'s notes). */
export function explainOrder(winner: OrderFacts, other: OrderFacts): string {
  const { rule } = compareOrder(winner, other);
  switch (rule) {
    case 'step':
      return other.step === null ? `it has a step (${stepText(winner.step)}), ${other.name} has none` : `step ${stepText(winner.step)} > ${stepText(other.step)} (steps compare as integers)`;
    case 'epoch':
      return other.epoch === null ? `it has an epoch (${stepText(winner.epoch)}), ${other.name} has none` : `epoch ${stepText(winner.epoch)} > ${stepText(other.epoch)}`;
    case 'pointer':
      return `same step as ${other.name}, and ${winner.pointer === 'last' ? "its name marks it as the layout's last save" : `${winner.pointer} names it`}`;
    case 'conversion':
      return `same step as ${other.name}, which is a conversion of it (DeepSpeed universal)`;
    case 'version':
      return `same step as ${other.name}, later version -v${winner.version}`;
    case 'temporary':
      return `${other.name} is a temporary artefact`;
    case 'mtime':
      return `no step or pointer tells it from ${other.name}: newest modification time (${new Date(winner.mtime!).toISOString()} > ${new Date(other.mtime!).toISOString()})`;
    case 'name':
      return `nothing else tells it from ${other.name} (same step, no newer modification time): the greater name`;
    default:
      return `indistinguishable from ${other.name}`;
  }
}
