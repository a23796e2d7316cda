/**
 * The listing planner: every recursive listing of the facade (walk, glob's `**`, list with
 * `recursive`, and core's discovery through them) goes through {@link listRecursive}, which
 * chooses how to list from what the first pages show.
 *
 * - A listing that fits in a page or two stays one flat listing: 1 request per page, nothing more.
 * - Once a listing has shown a full store page of keys (1,000) with more to come, and its latest
 *   page spans more than one directory (a flat directory of files has nothing to split on), it is split:
 *   - on stores that honour a start key, the rest is cut into key ranges of about a page, found
 *     from one delimiter listing per directory level to the right of the last key, and listed in
 *     parallel (`range-split.ts`): about the same number of requests, a few round trips of wall time;
 *   - on stores that do not (the GCS emulator), subdirectories are listed each on its own in
 *     parallel where the pages seen so far show them big enough to fill pages, and the flat listing
 *     carries on where they are small (`delimiter-walk.ts`).
 * - A listing of one directory's keys (nothing to split on: 200,000 checkpoint files in one prefix)
 *   that has shown 30 full pages with more to come is cut into key ranges at keys guessed from the
 *   keys themselves, on object stores that honour a start key (`flat-ranges.ts`): never more than the
 *   sequential floor's requests + 10%.
 *
 * The entries come out exactly as one flat listing gives them: the same set, in key order (the
 * parts are buffered and read in order, see `ordered-output.ts`). A store that claims start keys
 * but ignores them is caught on the first answer, and the listing falls back to the flat one.
 */
import type { ObjectMeta, StorageAdapter } from '../adapter.js';
import { compareKeys } from '../keys.js';
import { listPages } from '../listing.js';
import { walkRest } from './delimiter-walk.js';
import { listFlatRanges, MIN_PAGES_FOR_KEY_RANGES, type FlatStart } from './flat-ranges.js';
import { Segment } from './ordered-output.js';
import { PlanContext, StartAfterIgnored, type PlannerOptions } from './plan-context.js';
import { split } from './range-split.js';
import { spansDirectories } from './tree-stats.js';

export { KeyScale } from './key-scale.js';
export { MIN_PAGES_FOR_KEY_RANGES } from './flat-ranges.js';
export { cutRanges, type FrontierItem, type KeyRange } from './key-ranges.js';
export { DEFAULT_PARALLELISM, type PlanDecision, type PlannerOptions } from './plan-context.js';
export { TreeStats } from './tree-stats.js';

/**
 * Every entry under `prefix` (a directory prefix ending in `/`, or `''`), recursively, in key
 * order: the same entries as one flat paged listing, in the fewest sequential round trips the store
 * allows (see the module comment). Lazy until the listing proves big; from then on its parts are
 * fetched ahead of the consumer, at most `parallelism` requests at once.
 */
export async function* listRecursive(adapter: StorageAdapter, prefix: string, options: PlannerOptions = {}): AsyncGenerator<ObjectMeta> {
  for await (const page of listRecursivePages(adapter, prefix, options)) for (const entry of page) yield entry;
}

/**
 * {@link listRecursive} a page at a time (a page: entries in key order following the previous
 * page's, possibly none): the same entries, for consumers that take them in batches.
 */
export async function* listRecursivePages(adapter: StorageAdapter, prefix: string, options: PlannerOptions = {}): AsyncGenerator<readonly ObjectMeta[]> {
  const ctx = new PlanContext(adapter, prefix, options);
  try {
    let last: string | undefined;
    let token: string | undefined;
    let startsListing = true;
    let firstPage: readonly string[] | undefined;
    let flat: FlatStart | undefined;
    // Flat pages until the listing ends or has shown enough to be worth splitting.
    for await (const page of listPages(adapter, prefix, { pageSize: ctx.pageSize, signal: options.signal, onSkipped: ctx.onSkipped })) {
      ctx.stats.observe(prefix, page.entries, { startsListing, endsListing: page.nextPageToken === undefined });
      startsListing = false;
      yield page.entries;
      last = page.entries[page.entries.length - 1]?.key ?? last;
      token = page.nextPageToken;
      if (token === undefined) return;
      if (last === undefined || ctx.parallelism < 2) continue;
      firstPage ??= page.entries.map((e) => e.key);
      if (ctx.stats.keysSeen >= ctx.minKeysBeforeSplit && spansDirectories(page.entries)) break;
      // A big prefix of one directory's keys: nothing to split on but the keys themselves. Object
      // stores only: one directory of a local disk is one read of the kernel's, not round trips.
      if (adapter.capabilities.startAfter && adapter.capabilities.directories === 'virtual' && ctx.stats.keysSeen >= MIN_PAGES_FOR_KEY_RANGES * ctx.pageSize) {
        flat = { first: firstPage[0]!, sample: [...firstPage, ...page.entries.map((e) => e.key)], after: last, token, listed: ctx.stats.keysSeen };
        break;
      }
    }
    if (token === undefined || last === undefined) return;
    const root = new Segment(ctx);
    const after = last;
    const from = token;
    if (flat) {
      root.adopt(listFlatRanges(ctx, flat));
      root.finish();
    } else if (adapter.capabilities.startAfter) ctx.spawn(root, () => split(ctx, root, after, undefined, from));
    else ctx.spawn(root, () => walkRest(ctx, root, prefix, after, prefix, from));
    let given = last;
    try {
      for await (const page of root.drainPages()) {
        if (page.length === 0) continue;
        given = page[page.length - 1]!.key;
        yield page;
      }
    } catch (error) {
      if (!(error instanceof StartAfterIgnored)) throw error;
      ctx.decide({ kind: 'fallback', reason: error.message });
      // Flat from where the sequential pages stopped, skipping what the plan already gave.
      for await (const page of listPages(adapter, prefix, { pageSize: ctx.pageSize, pageToken: from, signal: options.signal, onSkipped: ctx.onSkipped })) {
        const after = given;
        yield compareKeys(page.entries[0]?.key ?? '', after) > 0 ? page.entries : page.entries.filter((e) => compareKeys(e.key, after) > 0);
      }
    }
  } finally {
    ctx.close();
  }
}
