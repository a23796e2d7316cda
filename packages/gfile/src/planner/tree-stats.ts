/**
 * What the pages of a listing have shown about the tree so far: how many keys a directory holds at
 * each depth. The planner reads it to guess the size of directories it has not listed yet (the
 * siblings of the ones it saw whole), which is all it needs to cut the rest of a listing into
 * parts of about one page.
 */
import type { ObjectMeta } from '../adapter.js';

/** The number of `/`-separated directory levels of a directory key (`a/b/` is 2, `''` is 0). */
export function dirDepth(dirKey: string): number {
  let n = 0;
  for (let i = 0; i < dirKey.length; i++) if (dirKey.charCodeAt(i) === 47) n++;
  return n;
}

/** The directory prefix of `key` at `depth` levels (`dirAt('a/b/c', 1)` is `a/`), or undefined when the key is not that deep. */
export function dirAt(key: string, depth: number): string | undefined {
  let i = -1;
  for (let d = 0; d < depth; d++) {
    i = key.indexOf('/', i + 1);
    if (i < 0) return undefined;
  }
  return key.slice(0, i + 1);
}

/** Where a page sits in its listing: whether it starts or ends a contiguous block of keys. */
export interface PageBounds {
  /** The page starts where the listed prefix starts (nothing under it comes before). */
  startsListing: boolean;
  /** The page ends the listing (nothing under the prefix comes after). */
  endsListing: boolean;
}

/** Counts of directories seen whole, per depth (absolute, from the store's root). */
export class TreeStats {
  private readonly dirs = new Map<number, number>();
  private readonly keys = new Map<number, number>();
  /** Keys observed in all pages. */
  keysSeen = 0;

  /**
   * Records one page of a flat (recursive) listing of `prefix`. A directory counts only when the
   * page shows all of it: not the first run of keys (it may have begun on an earlier page) unless
   * the page starts the listing, not the last (it may go on) unless the page ends it.
   */
  observe(prefix: string, entries: readonly ObjectMeta[], bounds: PageBounds): void {
    this.keysSeen += entries.length;
    if (entries.length === 0) return;
    const base = dirDepth(prefix);
    let maxDepth = base;
    for (const e of entries) maxDepth = Math.max(maxDepth, dirDepth(e.key));
    for (let depth = base + 1; depth <= maxDepth; depth++) {
      let current: string | undefined;
      let count = 0;
      let first = true;
      const close = (complete: boolean) => {
        if (current !== undefined && complete) {
          this.dirs.set(depth, (this.dirs.get(depth) ?? 0) + 1);
          this.keys.set(depth, (this.keys.get(depth) ?? 0) + count);
        }
        if (current !== undefined) first = false;
        current = undefined;
        count = 0;
      };
      for (const e of entries) {
        const dir = dirAt(e.key, depth);
        if (dir !== current) close(!first || bounds.startsListing);
        if (dir === undefined) {
          // A key above this depth between two runs: the run before it is closed, and what follows is new.
          first = false;
          continue;
        }
        current = dir;
        count++;
      }
      close(bounds.endsListing && (!first || bounds.startsListing));
    }
  }

  /** Mean keys per directory at `depth` among those seen whole, or undefined when none was. */
  keysPerDir(depth: number): number | undefined {
    const n = this.dirs.get(depth);
    return n === undefined || n === 0 ? undefined : (this.keys.get(depth) ?? 0) / n;
  }
}

/**
 * True when a page holds keys of more than one directory. Only then can delimiter listings find
 * boundaries to split on: a page of one directory's files (one flat directory of thousands of
 * checkpoints) is most likely followed by more of them, and asking costs a request for nothing.
 */
export function spansDirectories(entries: readonly ObjectMeta[]): boolean {
  const first = entries[0];
  if (first === undefined) return false;
  const parent = (key: string) => {
    const k = key.endsWith('/') ? key.slice(0, -1) : key;
    return k.slice(0, k.lastIndexOf('/') + 1);
  };
  const p = parent(first.key);
  return entries.some((e) => parent(e.key) !== p);
}
