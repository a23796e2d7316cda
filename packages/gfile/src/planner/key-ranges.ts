/**
 * Cutting the rest of a listing into key ranges that can be listed at the same time.
 *
 * A range is `(after, upTo]`: the keys strictly greater than `after` (S3 `StartAfter`, GCS
 * `startOffset`) and at most `upTo` (the last range has no upper end). Consecutive ranges share a
 * boundary, so they are exhaustive and never overlap whatever the keys are: the split is by key
 * comparison alone, in the stores' order (UTF-8 bytes, {@link compareKeys}).
 *
 * Boundaries come from a "frontier": the entries that delimiter listings showed to the right of
 * the last key listed so far (files, and directories standing for all the keys below them). A cut
 * is made only where the frontier allows an exact boundary: before a directory (`upTo` is its
 * prefix `d/`, which sorts before every key below it) or after a file (`upTo` is the file's key).
 * After a directory there is no finite key that sorts after everything below it, so no cut there.
 */
import { compareKeys } from '../keys.js';

/** One entry of the frontier, with the number of keys it stands for (a guess for directories). */
export interface FrontierItem {
  key: string;
  kind: 'file' | 'directory';
  /** Keys this entry stands for: 1 for a file, an estimate for a directory. */
  weight: number;
  /** True when the weight is a guess without evidence (a directory of a kind never seen whole). */
  unknown?: boolean;
  /**
   * The delimiter listing this entry came from was cut short after it: its continuation shows what
   * lies between this entry and the next one.
   */
  gapAfter?: LevelCursor | undefined;
}

/** Where a delimiter listing of one directory level can be carried on. */
export interface LevelCursor {
  dir: string;
  token: string;
}

/** A range of keys to list: `(after, upTo]`. */
export interface KeyRange {
  after: string;
  /** Inclusive upper end; undefined for "to the end of the listing". */
  upTo: string | undefined;
  /** Keys the range is expected to hold. */
  weight: number;
  /** True when part of the range is of unknown size (it may be worth splitting again). */
  unknown: boolean;
  /** The range starts with the unseen rest of a directory level: cut it from that level's next pages. */
  level?: LevelCursor | undefined;
}

/**
 * Cuts `(after, upTo]` into consecutive ranges of about `target` keys each, at the boundaries the
 * frontier allows. `items` must lie strictly inside the range and be sorted; `headWeight` is the
 * estimated size of what lies between `after` and the first item (the unlisted rest of the
 * directories `after` is in).
 *
 * Where a level's listing was cut short (`gapAfter`), the range is closed at that entry and the
 * next range, carrying the level's cursor, covers the unseen rest of the level up to the next
 * boundary the frontier allows: it is cut further from the level's next pages as they come.
 */
export function cutRanges(after: string, upTo: string | undefined, items: readonly FrontierItem[], options: { target: number; headWeight: number; headUnknown?: boolean }): KeyRange[] {
  const { target } = options;
  const ranges: KeyRange[] = [];
  let lo = after;
  let acc = options.headWeight;
  let unknown = options.headUnknown === true;
  let level: LevelCursor | undefined;
  const cut = (boundary: string) => {
    // Boundaries must strictly increase inside (after, upTo): anything else would make an empty or inverted range.
    if (compareKeys(boundary, lo) <= 0) return false;
    if (upTo !== undefined && compareKeys(boundary, upTo) >= 0) return false;
    ranges.push({ after: lo, upTo: boundary, weight: acc, unknown, ...(level ? { level } : {}) });
    lo = boundary;
    acc = 0;
    unknown = false;
    level = undefined;
    return true;
  };
  for (const item of items) {
    // Right after a gap, the next boundary closes the gap's range, whatever its size.
    const force = level !== undefined;
    if (item.kind === 'directory' && acc > 0 && (force || item.gapAfter !== undefined || acc + item.weight > target)) cut(item.key);
    acc += item.weight;
    if (item.unknown) unknown = true;
    if (item.gapAfter !== undefined) {
      // A file ends its range here; a directory (cut before above) starts the gap's range.
      if (item.kind === 'file') cut(item.key);
      if (level === undefined) level = item.gapAfter;
      unknown = true;
      continue;
    }
    if (item.kind === 'file' && (force || acc >= target)) cut(item.key);
  }
  ranges.push({ after: lo, upTo, weight: acc, unknown, ...(level ? { level } : {}) });
  return ranges;
}
