/**
 * The keep rules of `ckpt prune` and their checks: what a caller may ask for, validated once, so
 * that the planner never sees a rule it cannot apply.
 */
import { CkptError } from '@ckptkit/gfile';
import { type Step, parseStep } from '../discovery/step.js';

/** Which checkpoints to keep. Every rule keeps (the union of what each keeps); none deletes on its own. */
export interface RetentionRules {
  /** Keep the N newest complete checkpoints (TensorFlow's `max_to_keep`). */
  keepLast?: number | undefined;
  /** Keep checkpoints whose step is divisible by K. */
  keepEverySteps?: Step | undefined;
  /** Keep one checkpoint every H hours of the checkpoints' times (TensorFlow's `keep_checkpoint_every_n_hours`). */
  keepEveryHours?: number | undefined;
  /** Keep checkpoints of exactly these steps. */
  keep?: readonly Step[] | undefined;
  /** Delete only checkpoints older than this many milliseconds (by their newest file's time); newer ones are kept. */
  olderThanMs?: number | undefined;
}

/** True when at least one rule is set (`prune` refuses to run without one). */
export function hasKeepRule(rules: RetentionRules): boolean {
  return rules.keepLast !== undefined || rules.keepEverySteps !== undefined || rules.keepEveryHours !== undefined || (rules.keep?.length ?? 0) > 0 || rules.olderThanMs !== undefined;
}

/**
 * Checks rules before any request: at least one rule, each a sensible number.
 *
 * @throws CkptError INVALID_CONFIG naming the rule at fault.
 */
export function checkRules(rules: RetentionRules): void {
  const bad = (message: string): never => {
    throw new CkptError('INVALID_CONFIG', { operation: 'prune', message });
  };
  if (!hasKeepRule(rules)) bad('at least one keep rule is needed (keepLast, keepEverySteps, keepEveryHours, keep, olderThanMs): without one every old checkpoint would go');
  if (rules.keepLast !== undefined && !(Number.isSafeInteger(rules.keepLast) && rules.keepLast >= 1)) bad(`keepLast must be a positive integer, got ${rules.keepLast}`);
  if (rules.keepEverySteps !== undefined) {
    const k = parseStep(String(rules.keepEverySteps));
    if (k === null || k === 0) bad(`keepEverySteps must be a positive integer, got ${rules.keepEverySteps}`);
  }
  if (rules.keepEveryHours !== undefined && !(Number.isFinite(rules.keepEveryHours) && rules.keepEveryHours > 0)) bad(`keepEveryHours must be a positive number of hours, got ${rules.keepEveryHours}`);
  for (const s of rules.keep ?? []) if (parseStep(String(s)) === null) bad(`keep takes steps (non-negative integers), got ${s}`);
  if (rules.olderThanMs !== undefined && !(Number.isFinite(rules.olderThanMs) && rules.olderThanMs >= 0)) bad(`olderThanMs must be a non-negative duration, got ${rules.olderThanMs}`);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A duration as people write it: one or more `<number><unit>` with units `ms`, `s`, `m`, `h`, `d`,
 * `w` (`90m`, `1d12h`, `1.5h`, `7d`), in milliseconds. Undefined for anything else (a bare number
 * is refused: `7` could be days or seconds).
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;
  let total = 0;
  let at = 0;
  while (at < t.length) {
    part.lastIndex = at;
    const m = part.exec(t);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = part.lastIndex;
  }
  return Number.isFinite(total) ? total : undefined;
}

/** True when `step` is divisible by `k` (exact for steps of any size). */
export function divisible(step: Step, k: Step): boolean {
  return BigInt(typeof step === 'number' ? Math.trunc(step) : step) % BigInt(k) === 0n && (typeof step !== 'number' || Number.isInteger(step));
}
