/**
 * Steps as discovery reports them, and their exact order.
 *
 * A step is read from the digits a layout puts in a name (`ckpt-1000`, `checkpoint_999900`,
 * `iter_0002000`, `hpc_ckpt_3.ckpt`, ...) and may be of any size. Up to 2^53 - 1 it is a JSON
 * number; beyond, where a JavaScript number (and most JSON parsers) would round it, it is the
 * decimal string of its digits without leading zeros (`"123456789012345678901"`). Steps compare as
 * integers either way: never as strings of digits, never after rounding.
 */

/** A step: a number when it is exactly representable, else its canonical decimal digits. */
export type Step = number | string;

/**
 * The step a run of decimal digits stands for (leading zeros dropped: `0002000` is 2000), as a
 * number when it fits exactly, else as its canonical digit string. Undefined input: null.
 */
export function parseStep(digits: string | undefined): Step | null {
  if (digits === undefined || !/^\d+$/.test(digits)) return null;
  const canonical = digits.replace(/^0+(?=\d)/, '');
  const n = Number(canonical);
  return Number.isSafeInteger(n) ? n : canonical;
}

/** A step read from a JSON value (`training_metadata.json`, ...): integers of any size and exact decimal strings; anything else null. */
export function stepFromJson(value: unknown): Step | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') return parseStep(value);
  if (typeof value === 'bigint') return parseStep(value.toString());
  return null;
}

function asBigInt(s: Step): bigint | undefined {
  if (typeof s === 'string') return BigInt(s);
  return Number.isInteger(s) ? BigInt(s) : undefined;
}

/** Ascending order of two steps, exact for integers of any size (`a - b` in sign). */
export function compareSteps(a: Step, b: Step): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  const x = asBigInt(a);
  const y = asBigInt(b);
  if (x !== undefined && y !== undefined) return x === y ? 0 : x < y ? -1 : 1;
  // A fractional step (legacy Flax allows `checkpoint_1.5`) against a huge integer.
  const fx = Number(a);
  const fy = Number(b);
  return fx === fy ? 0 : fx < fy ? -1 : 1;
}

/** Ascending order with "no step" first (`null` is older than any step). */
export function compareOptionalSteps(a: Step | null | undefined, b: Step | null | undefined): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? -1 : 1;
  return compareSteps(a, b);
}

/** True when two steps are the same integer (`2000` and `"2000"` included). */
export function sameStep(a: Step | null | undefined, b: Step | null | undefined): boolean {
  return compareOptionalSteps(a, b) === 0;
}

/**
 * Whether a step recorded in JSON (`trainer_state.json`'s `global_step`) is `step`. JSON numbers
 * past 2^53 reach JavaScript rounded: such a number matches the step it rounds from.
 */
export function jsonRecordsStep(value: unknown, step: Step | null): boolean {
  if (step === null) return false;
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) return Number(step) === value;
  return sameStep(stepFromJson(value), step);
}
