/**
 * The glob planner: turns a key pattern into as few listings as the pattern allows.
 *
 * - Literal leading segments cost nothing: listing starts at the longest literal directory.
 * - Each wildcard segment costs one delimiter listing per candidate directory, narrowed by the
 *   segment's literal prefix (`ckpt-*.index` lists prefix `dir/ckpt-`).
 * - From a `**` segment on, one flat (recursive) listing per candidate directory replaces the
 *   per-level walk.
 * `*`, `?` and `[...]` never match `/`; `**` matches any number of whole segments, including none.
 */
import { compileKeyPattern, compileSegment } from './wildcard.js';

const WILDCARD = /[*?[]/;

/** True when a pattern contains `*`, `?` or `[`. */
export function hasWildcard(pattern: string): boolean {
  return WILDCARD.test(pattern);
}

/** The part of a segment before its first wildcard. */
export function literalPrefix(segment: string): string {
  const i = segment.search(/[*?[\\]/);
  return i < 0 ? segment : segment.slice(0, i);
}

/**
 * A matcher for one path segment (no `/` inside names). Linear-bounded time whatever the pattern
 * (see `wildcard.ts`: picomatch's regular expressions backtracked for minutes on `*a*a*...*ab`).
 */
export function segmentMatcher(segment: string): (name: string) => boolean {
  if (!hasWildcard(segment) && !segment.includes('\\')) return (name) => name === segment;
  return compileSegment(segment);
}

/** A matcher for a whole `/`-separated key pattern, with `**` spanning segments. */
export function keyMatcher(pattern: string): (key: string) => boolean {
  return compileKeyPattern(pattern);
}

/** One step of a glob plan. */
export type GlobStep =
  | { kind: 'descend'; segment: string }
  | { kind: 'level'; segment: string; last: boolean }
  | { kind: 'flat'; pattern: string };

/** A glob plan: where listing starts, and what happens below it. */
export interface GlobPlan {
  /** The longest literal directory of the pattern (a key, `''` for the root). */
  root: string;
  steps: GlobStep[];
}

/**
 * Plans a key pattern (no scheme, no bucket). Literal segments after the first wildcard are
 * `descend` steps (no request), wildcard segments and the last segment are `level` steps (one
 * delimiter listing per candidate), and a segment containing `**` starts a `flat` step that matches
 * the rest of the pattern against full keys of one recursive listing.
 */
export function planGlob(keyPattern: string): GlobPlan {
  const segments = keyPattern.split('/');
  let firstWild = segments.findIndex((s) => hasWildcard(s));
  if (firstWild < 0) firstWild = segments.length - 1;
  const root = segments.slice(0, firstWild).join('/');
  const steps: GlobStep[] = [];
  for (let i = firstWild; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.includes('**')) {
      steps.push({ kind: 'flat', pattern: segments.slice(i).join('/') });
      break;
    }
    const last = i === segments.length - 1;
    if (!last && !hasWildcard(segment)) steps.push({ kind: 'descend', segment });
    else steps.push({ kind: 'level', segment, last });
  }
  return { root, steps };
}
