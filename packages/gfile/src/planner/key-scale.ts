/**
 * A guess at where keys lie, for cutting one flat prefix into key ranges before it is listed.
 *
 * Keys are mapped to numbers in `[0, 1)` so that key order is number order and keys spread evenly
 * over their alphabet map to evenly spread numbers: the key is read as a fraction in a mixed radix,
 * one digit per character, each position's digits being the characters seen there in a sample of
 * keys, widened to whole classes (`0-9`, `a-z`, `A-Z`): a first page of `ckpt-000001` ... `ckpt-000333`
 * shows only `0` in the leading digit positions, and the keys further right are `ckpt-066666`.
 * "End of key" is the smallest digit, so that `a` < `a0`. The mapping is only an estimate: the
 * planner uses it to place boundaries and to guess how many keys a range holds, never to decide
 * what a range contains (that is by key comparison alone, see `key-ranges.ts`).
 */
import { compareKeys } from '../keys.js';

/** Positions read (past the fixed part); deeper ones do not change a double. */
const WINDOW = 12;
/** Positions before the first one where the sample's keys differ that a boundary may change. */
const CARRY = 3;

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

/** Index of the first element greater than `x` in sorted `xs`. */
function upperBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Key positions mapped to `[0, 1)`, built from a sample of keys under one prefix. */
export class KeyScale {
  /** Code points of the part every mapped key is assumed to start with (after the prefix). */
  private readonly fixed: number[];
  /** Sorted alphabet per position of the window. */
  private readonly alphabets: number[][];

  /**
   * @param prefix the listed prefix (every key starts with it)
   * @param sample keys under `prefix`, in key order (at least two distinct ones make a useful scale)
   */
  constructor(
    private readonly prefix: string,
    sample: readonly string[],
  ) {
    const tails = sample.map((k) => codePoints(k.slice(prefix.length)));
    const first = tails[0] ?? [];
    const last = tails[tails.length - 1] ?? [];
    let differ = 0;
    while (differ < first.length && differ < last.length && first[differ] === last[differ]) differ++;
    const start = Math.max(0, differ - CARRY);
    this.fixed = first.slice(0, start);
    this.alphabets = [];
    for (let p = start; p < start + WINDOW; p++) {
      const seen = new Set<number>();
      for (const t of tails) if (p < t.length) seen.add(t[p]!);
      this.alphabets.push(widen(seen));
    }
  }

  /** The key's position in `[0, 1]`: monotone in key order (equal for keys the scale cannot tell apart). */
  position(key: string): number {
    const t = codePoints(key.slice(this.prefix.length));
    for (let i = 0; i < this.fixed.length; i++) {
      if (i >= t.length) return 0;
      if (t[i] !== this.fixed[i]) return t[i]! < this.fixed[i]! ? 0 : 1;
    }
    let value = 0;
    let scale = 1;
    for (let p = 0; p < this.alphabets.length; p++) {
      const alphabet = this.alphabets[p]!;
      const radix = alphabet.length + 1;
      scale /= radix;
      const c = t[this.fixed.length + p];
      // End of key: digit 0, so that `a` < `a0`.
      if (c === undefined) break;
      const i = upperBound(alphabet, c);
      if (i > 0 && alphabet[i - 1] === c) {
        value += i * scale;
        continue;
      }
      // A character outside the alphabet: where its next larger neighbour starts (deeper positions
      // are left out, or they could carry it past keys that sort after it).
      value += (i + 1) * scale;
      break;
    }
    return Math.min(1, value);
  }

  /**
   * A key at about `position` (in `[0, 1)`), made of the sample's characters: the boundary to
   * cut at. Undefined when the position is outside the scale.
   */
  keyAt(position: number): string | undefined {
    if (!(position > 0 && position < 1)) return undefined;
    let rest = position;
    const out = [...this.fixed];
    for (const alphabet of this.alphabets) {
      const radix = alphabet.length + 1;
      rest *= radix;
      const digit = Math.min(radix - 1, Math.floor(rest));
      rest -= digit;
      if (digit === 0) break;
      out.push(alphabet[digit - 1]!);
    }
    return this.prefix + String.fromCodePoint(...out);
  }

  /**
   * A key strictly between `lo` and `hi` (`hi` undefined: no upper end) at about `position`, or
   * undefined when the scale has none there.
   */
  boundary(position: number, lo: string, hi: string | undefined): string | undefined {
    const key = this.keyAt(position);
    if (key === undefined || compareKeys(key, lo) <= 0) return undefined;
    if (hi !== undefined && compareKeys(key, hi) >= 0) return undefined;
    return key;
  }
}

/** The characters seen at one position, widened to the classes they belong to, sorted. */
function widen(seen: ReadonlySet<number>): number[] {
  const out = new Set<number>(seen);
  const add = (chars: string) => {
    for (const ch of chars) out.add(ch.codePointAt(0)!);
  };
  for (const c of seen) {
    if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate (not UTF-8): never written into a boundary.
      out.delete(c);
      continue;
    }
    const ch = String.fromCodePoint(c);
    if (DIGITS.includes(ch)) add(DIGITS);
    else if (LOWER.includes(ch)) add(LOWER);
    else if (UPPER.includes(ch)) add(UPPER);
  }
  if (out.size === 0) add(DIGITS + UPPER + LOWER);
  return [...out].sort((a, b) => a - b);
}
