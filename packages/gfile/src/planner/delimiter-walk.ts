/**
 * A bounded parallel walk for stores that cannot start a listing at a key (the GCS emulator
 * ignores `startOffset`). The only way to list parts of the tree at the same time is then by
 * prefix: a delimiter listing of a directory shows its subdirectories, and each is listed on its
 * own (flat, and walked again if it is big). That costs a request per directory, so it is chosen
 * only where the pages seen so far show directories big enough to fill their pages; otherwise the
 * flat listing carries on, one page after the other.
 */
import type { ObjectMeta } from '../adapter.js';
import { compareKeys } from '../keys.js';
import { listPages } from '../listing.js';
import type { Segment } from './ordered-output.js';
import type { PlanContext } from './plan-context.js';
import { dirAt, dirDepth } from './tree-stats.js';

/** True when listing the subdirectories of a directory at `depth` one by one, in parallel, beats paging through them. */
function worthWalking(ctx: PlanContext, depth: number): boolean {
  const size = ctx.stats.keysPerDir(depth + 1);
  // One request per subdirectory, `parallelism` at a time, against one page per `pageSize` keys:
  // walking is quicker when a subdirectory holds more than pageSize/parallelism keys (twice that,
  // to be sure). It also costs a request per subdirectory where a page covers many: at most about
  // 4 times the requests of the flat listing, so subdirectories must fill a quarter of a page.
  return size === undefined || size > Math.max((2 * ctx.pageSize) / ctx.parallelism, ctx.pageSize / 4);
}

/**
 * Carries on a flat listing of `listed` with `token` (it continues right after `after`), keeping
 * only the keys under `within` and stopping at the first key past it.
 */
async function carryOn(ctx: PlanContext, segment: Segment, listed: string, token: string, within: string): Promise<void> {
  for await (const page of listPages(ctx.adapter, listed, { pageToken: token, pageSize: ctx.pageSize, signal: ctx.signal, onSkipped: ctx.onSkipped })) {
    const i = page.entries.findIndex((e) => !e.key.startsWith(within));
    const kept = i < 0 ? page.entries : page.entries.slice(0, i);
    ctx.stats.observe(listed, kept, { startsListing: false, endsListing: i < 0 && page.nextPageToken === undefined });
    segment.push(kept);
    if (i >= 0 || page.nextPageToken === undefined) break;
    // Far enough ahead of the consumer: the rest waits for its turn (see PlanContext.shouldYield).
    if (ctx.shouldYield(segment)) {
      const next = page.nextPageToken;
      ctx.spawn(segment, () => carryOn(ctx, segment, listed, next, within));
      return;
    }
  }
  segment.finish();
}

/**
 * The keys under directory `dir` after `after` (which is under `dir`), into `segment`. `token`
 * continues the flat listing of `listed` right after `after`.
 */
export async function walkRest(ctx: PlanContext, segment: Segment, dir: string, after: string, listed: string, token: string): Promise<void> {
  const depth = dirDepth(dir);
  const path = dirAt(after, depth + 1);
  if (path === undefined || !worthWalking(ctx, depth)) {
    await carryOn(ctx, segment, listed, token, dir);
    return;
  }
  ctx.decide({ kind: 'walk', dir });
  // The rest of the subdirectory `after` is in comes first, from the flat listing already under way.
  const head = segment.child();
  ctx.spawn(head, () => walkRest(ctx, head, path, after, listed, token));
  // Then what follows it in `dir`: files as the delimiter listing shows them, each subdirectory
  // listed on its own. Its marker object, if any, comes with its own flat listing, as in one flat listing.
  let files: ObjectMeta[] = [];
  for await (const page of listPages(ctx.adapter, dir, { delimiter: true, pageSize: ctx.pageSize, signal: ctx.signal, onSkipped: ctx.onSkipped })) {
    for (const e of page.entries) {
      // Everything at or before the path sorts before `after` or is the head.
      if (compareKeys(e.key, path) <= 0) continue;
      if (e.kind === 'file') {
        files.push(e);
        continue;
      }
      segment.push(files);
      files = [];
      const child = segment.child();
      const sub = e.key;
      ctx.spawn(child, () => listDir(ctx, child, sub));
    }
  }
  segment.push(files);
  segment.finish();
}

/** A whole directory, planned on its own: one flat page, then walked further if it is big. */
async function listDir(ctx: PlanContext, segment: Segment, dir: string): Promise<void> {
  const pages = listPages(ctx.adapter, dir, { pageSize: ctx.pageSize, signal: ctx.signal, onSkipped: ctx.onSkipped });
  let page;
  try {
    page = (await pages.next()).value;
  } finally {
    await pages.return(undefined);
  }
  if (page) {
    ctx.stats.observe(dir, page.entries, { startsListing: true, endsListing: page.nextPageToken === undefined });
    segment.push(page.entries);
    const last = page.entries[page.entries.length - 1]?.key;
    if (page.nextPageToken !== undefined) {
      if (last === undefined) await carryOn(ctx, segment, dir, page.nextPageToken, dir);
      else await walkRest(ctx, segment, dir, last, dir, page.nextPageToken);
      return;
    }
  }
  segment.finish();
}
