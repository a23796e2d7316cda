/**
 * Parallel range listing for stores that honour a start key (S3 `StartAfter`, GCS `startOffset`,
 * local disks, memory). Given the last key listed so far, one delimiter listing per directory level
 * above it (in parallel, one request each) shows what lies to its right; the rest of the listing is
 * cut there into ranges of about a page (see `key-ranges.ts`) that are listed at the same time. A
 * range that turns out bigger than expected is split again the same way.
 */
import type { ObjectMeta } from '../adapter.js';
import { compareKeys } from '../keys.js';
import { listPages } from '../listing.js';
import { cutRanges, type FrontierItem, type KeyRange, type LevelCursor } from './key-ranges.js';
import type { Segment } from './ordered-output.js';
import { StartAfterIgnored, type PlanContext } from './plan-context.js';
import { dirAt, dirDepth, spansDirectories } from './tree-stats.js';

/** Directory levels queried at most for one split (one request each, all at once). */
const MAX_LEVELS = 8;

/** The deepest directory prefix containing both keys (`''` at the root). */
export function commonDir(a: string, b: string): string {
  const n = Math.min(a.length, b.length);
  let slash = -1;
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) break;
    if (a.charCodeAt(i) === 47) slash = i;
  }
  return a.slice(0, slash + 1);
}

/** The first `n` entries at most `upTo` (all when `upTo` is undefined), and whether any was beyond it. */
function clip(entries: ObjectMeta[], upTo: string | undefined): { kept: ObjectMeta[]; passed: boolean } {
  if (upTo === undefined) return { kept: entries, passed: false };
  const i = entries.findIndex((e) => compareKeys(e.key, upTo) > 0);
  return i < 0 ? { kept: entries, passed: false } : { kept: entries.slice(0, i), passed: true };
}

/**
 * Lists `range` into `segment`: the first page by start key (or by `pageToken` when given), then
 * page tokens, until a key passes the range's end. When the first page comes back full and the
 * range may hold much more, it is split again instead. Far enough ahead of the consumer, the rest
 * waits for its turn as a listing of its own (`resumed`: such a rest, never split).
 */
export async function listRange(ctx: PlanContext, segment: Segment, range: KeyRange, pageToken?: string, resumed = false): Promise<void> {
  let first = !resumed;
  const from = pageToken === undefined ? { startAfter: range.after } : { startAfter: range.after, pageToken };
  for await (const page of listPages(ctx.adapter, ctx.prefix, { ...from, pageSize: ctx.pageSize, signal: ctx.signal, onSkipped: ctx.onSkipped })) {
    if (page.ignoredStartAfter || !ctx.adapter.capabilities.startAfter) throw new StartAfterIgnored();
    const { kept, passed } = clip(page.entries, range.upTo);
    ctx.stats.observe(ctx.prefix, kept, { startsListing: false, endsListing: !passed && page.nextPageToken === undefined });
    segment.push(kept);
    if (passed || page.nextPageToken === undefined) break;
    const last = kept[kept.length - 1]?.key;
    if (first && last !== undefined && (range.unknown || range.weight > 2 * ctx.pageSize) && spansDirectories(kept)) {
      await split(ctx, segment, last, range.upTo, page.nextPageToken);
      return;
    }
    first = false;
    if (ctx.shouldYield(segment)) {
      const token = page.nextPageToken;
      ctx.spawn(segment, () => listRange(ctx, segment, range, token, true));
      return;
    }
  }
  segment.finish();
}

/**
 * The rest of `(after, upTo]` into `segment`, where `after` is the last key listed and `token`
 * the page token that continues from it: cut into ranges listed in parallel when the frontier
 * shows enough to the right, otherwise carried on with the token.
 */
export async function split(ctx: PlanContext, segment: Segment, after: string, upTo: string | undefined, token: string): Promise<void> {
  const frontier = await discover(ctx, after, upTo);
  const known = frontier.items.reduce((n, i) => n + (i.unknown ? 0 : i.weight), 0);
  const unknownDirs = frontier.headUnknown || frontier.items.some((i) => i.unknown);
  const target = Math.max(Math.ceil(0.8 * ctx.pageSize), Math.ceil(known / ctx.parallelism));
  const ranges = cutRanges(after, upTo, frontier.items, { target, headWeight: frontier.headWeight, headUnknown: frontier.headUnknown });
  // A split costs the partial last page of every range; it pays when there are pages to share out.
  // Little known to the right and no directory of unknown size: the rest is one flat directory, or small.
  if (ranges.length < 2 || (!unknownDirs && known < 2 * ctx.pageSize)) {
    ctx.decide({ kind: 'sequential', after, reason: ranges.length < 2 ? 'no boundary to the right' : `about ${known} keys to the right` });
    // A lone directory of unknown size may still be worth splitting once its first page is in.
    await listRange(ctx, segment, { after, upTo, weight: known, unknown: unknownDirs }, token);
    return;
  }
  ctx.decide({ kind: 'ranges', after, ranges: ranges.length, levels: frontier.levels });
  for (const range of ranges) spawnRange(ctx, segment, range, target);
  segment.finish();
}

function spawnRange(ctx: PlanContext, segment: Segment, range: KeyRange, target: number): void {
  const child = segment.child();
  const level = range.level;
  if (level) ctx.spawn(child, () => continueLevel(ctx, child, range, level, target));
  else ctx.spawn(child, () => listRange(ctx, child, range));
}

/**
 * A range that starts with the unseen rest of a directory level: the level's delimiter listing is
 * carried on page by page, and each page is cut into ranges listed at once, while the next page is
 * on its way. A page that shows little (files, small directories) ends it: the rest is one range.
 */
async function continueLevel(ctx: PlanContext, segment: Segment, range: KeyRange, level: LevelCursor, target: number): Promise<void> {
  let lo = range.after;
  let head = range.weight;
  const upTo = range.upTo;
  for await (const page of listPages(ctx.adapter, level.dir, { delimiter: true, pageToken: level.token, pageSize: ctx.pageSize, signal: ctx.signal, onSkipped: ctx.onSkipped })) {
    const { items, beyond } = frontierItems(ctx, page.entries, lo, upTo);
    const more = page.nextPageToken !== undefined && !beyond;
    const weight = items.reduce((n, i) => n + i.weight, 0);
    const pieces = cutRanges(lo, upTo, items, { target, headWeight: head });
    if (!more || weight < 2 * ctx.pageSize) {
      for (const r of pieces) spawnRange(ctx, segment, r, target);
      segment.finish();
      return;
    }
    // The last piece is open: the next page says where it ends.
    const tail = pieces.pop()!;
    for (const r of pieces) spawnRange(ctx, segment, r, target);
    lo = tail.after;
    head = tail.weight;
  }
  spawnRange(ctx, segment, { after: lo, upTo, weight: head, unknown: false }, target);
  segment.finish();
}

interface Frontier {
  items: FrontierItem[];
  headWeight: number;
  headUnknown: boolean;
  levels: number;
}

/**
 * What lies in `(after, upTo]`, from one delimiter listing (first page) of each directory that
 * contains `after`, from the deepest one that also contains `upTo` down. Levels whose directories
 * are known to be small are not asked: the rest of such a directory is counted as the head.
 */
async function discover(ctx: PlanContext, after: string, upTo: string | undefined): Promise<Frontier> {
  const top = upTo === undefined ? ctx.prefix : longer(commonDir(after, upTo), ctx.prefix);
  const deepest = dirDepth(after);
  const dirs: string[] = [];
  let headWeight = 0;
  let headUnknown = false;
  for (let d = dirDepth(top); d <= deepest; d++) {
    if (dirs.length === MAX_LEVELS) {
      headUnknown = true;
      headWeight = ctx.unknownWeight;
      break;
    }
    // The top level of a listing of a prefix that is not a directory (`zoo/m`) is that prefix.
    dirs.push(d === dirDepth(top) && top !== '' && !top.endsWith('/') ? top : (dirAt(after, d) ?? ''));
    const below = ctx.stats.keysPerDir(d + 1);
    if (d < deepest && below !== undefined && below < ctx.pageSize / 2) {
      // The rest of the directory holding `after` one level down is small: not worth a request.
      headWeight = Math.ceil(below / 2);
      break;
    }
  }
  const levels = await Promise.all(dirs.map((dir) => frontierOf(ctx, dir, after, upTo)));
  const items = levels.flatMap((l) => l.items).sort((a, b) => compareKeys(a.key, b.key));
  if (levels.some((l) => l.unknownHead)) {
    headUnknown = true;
    headWeight += ctx.unknownWeight;
  }
  return { items, headWeight, headUnknown, levels: dirs.length };
}

function longer(a: string, b: string): string {
  return a.length >= b.length ? a : b;
}

/** Entries of a delimiter listing as frontier items inside `(after, upTo)`; `beyond` when one reached `upTo`. */
function frontierItems(ctx: PlanContext, entries: readonly ObjectMeta[], after: string, upTo: string | undefined): { items: FrontierItem[]; beyond: boolean } {
  const items: FrontierItem[] = [];
  for (const e of entries) {
    // An ancestor of `after` is the path itself, not something to its right; and a listing of a
    // prefix that is not a directory (`zoo/m`) ignores its directory's other entries.
    if (compareKeys(e.key, after) <= 0 || after.startsWith(e.key) || !e.key.startsWith(ctx.prefix)) continue;
    if (upTo !== undefined && compareKeys(e.key, upTo) >= 0) return { items, beyond: true };
    if (e.kind === 'file') items.push({ key: e.key, kind: 'file', weight: 1 });
    else {
      const w = ctx.stats.keysPerDir(dirDepth(e.key));
      items.push(w === undefined ? { key: e.key, kind: 'directory', weight: ctx.unknownWeight, unknown: true } : { key: e.key, kind: 'directory', weight: Math.max(1, w) });
    }
  }
  return { items, beyond: false };
}

/** One level of the frontier: the first page of a delimiter listing of `dir` after `after`. */
async function frontierOf(ctx: PlanContext, dir: string, after: string, upTo: string | undefined): Promise<{ items: FrontierItem[]; unknownHead: boolean }> {
  const pages = listPages(ctx.adapter, dir, { delimiter: true, startAfter: after, pageSize: ctx.pageSize, signal: ctx.signal, onSkipped: ctx.onSkipped });
  let page;
  try {
    page = (await pages.next()).value;
  } finally {
    await pages.return(undefined);
  }
  if (!page) return { items: [], unknownHead: false };
  if (page.ignoredStartAfter || !ctx.adapter.capabilities.startAfter) throw new StartAfterIgnored();
  const { items, beyond } = frontierItems(ctx, page.entries, after, upTo);
  if (page.nextPageToken === undefined || beyond) return { items, unknownHead: false };
  const last = items[items.length - 1];
  if (last === undefined) return { items, unknownHead: true };
  // The level goes on past this page. Carrying its listing on pays when a page of it stands for
  // several pages of keys (directories); a level of files is no quicker to list that way.
  if (items.reduce((n, i) => n + i.weight, 0) >= 2 * ctx.pageSize) last.gapAfter = { dir, token: page.nextPageToken };
  return { items, unknownHead: false };
}
