/**
 * Key ranges for one big flat prefix (200,000 checkpoint files in one "directory"), on stores that
 * honour a start key. A delimiter listing finds nothing to cut such a prefix at, so boundaries are
 * guessed from the keys themselves (`key-scale.ts`): the listing carries on with its page token
 * while new ranges `(g, ...]` start at guessed keys `g` further right, each listed page by page at
 * the same time. The output is read in key order and only so much is held ahead of the consumer,
 * so the ranges form a window right ahead of it: the first range (in key order) that is expected to
 * hold more than two pieces of {@link PIECE_PAGES} pages keeps one piece and gives the rest to a
 * new range after it; the open-ended last range always may, its size being unknown. As pages come
 * back the guesses are checked: density is re-measured, a range that comes back empty (a guess past
 * the end) simply ends, one that holds more is cut again. Whatever the guesses, the output is
 * exactly the flat listing's: a range is `(after, upTo]` by key comparison, consecutive ranges share
 * their boundary, and the output is read range after range in key order.
 *
 * **Requests.** A range costs at most one request more than its keys fill (its last page, partly
 * past its end), and the last range one more if it turns out empty. A cut is therefore made only
 * while the cuts so far, plus one, stay within a tenth of the pages of keys already listed: since
 * the listing holds at least those keys, the whole listing never costs more than the sequential
 * floor plus 10%, however wrong the guesses were. The same rule keeps listings below 30 pages
 * (where the budget allows at most one cut) exactly at the floor.
 *
 * **Memory.** Ranges list ahead of the consumer; beyond {@link AHEAD_PAGES} pages buffered per
 * worker they wait, except the first unfinished range (the one the consumer reads next), so the
 * listing never stalls and never holds much more than `parallelism x AHEAD_PAGES` pages.
 */
import type { ObjectMeta } from '../adapter.js';
import { compareKeys } from '../keys.js';
import { listPages } from '../listing.js';
import { KeyScale } from './key-scale.js';
import { PackedPage } from './packed-page.js';
import type { Drainable } from './ordered-output.js';
import { StartAfterIgnored, type PlanContext } from './plan-context.js';

/** Listed pages, per cut allowed: a cut costs at most one request. */
const PAGES_PER_CUT = 10;
/**
 * Pages a range is cut to near the consumer (a range is cut when it holds twice that). Smaller
 * pieces spend the request budget (a cut per 10 pages) faster than it comes in and the window
 * shrinks: simulated at 200,000 keys, 8 pages 5.5 s, 12 to 16 pages 4.3-4.4 s, 30 pages 6.4 s.
 */
const PIECE_PAGES = 16;
/**
 * Pages a worker may list ahead of the consumer, per worker (at the defaults 16 x 8 pages of 1,000
 * entries, about 30 MB). Simulated (test/bench/listing-sim.mjs, 1 million keys, 70 ms a page): 4
 * pages a worker hold the window of ranges to a third of its width (33 s), 8 let it run (9 s; the
 * floor is 70 s).
 */
const AHEAD_PAGES = 8;

/** Pages a flat listing must have shown before it is cut into key ranges (the budget then allows two cuts). */
export const MIN_PAGES_FOR_KEY_RANGES = 3 * PAGES_PER_CUT;

/** Where the flat listing stands when it is cut. */
export interface FlatStart {
  /** The first key of the listing. */
  first: string;
  /** Keys listed so far, a sample to build the scale from, in key order. */
  sample: readonly string[];
  /** The last key listed. */
  after: string;
  /** The page token continuing right after `after`. */
  token: string;
  /** Keys listed so far. */
  listed: number;
}

/** One contiguous part of the output: the entries of one range, in a linked list in key order. */
class RangeNode {
  readonly pages: PackedPage[] = [];
  /** Entries pushed and not read yet. */
  unread = 0;
  done = false;
  next: RangeNode | undefined;

  constructor(private readonly chain: RangeChain) {}

  push(entries: ObjectMeta[]): void {
    if (entries.length === 0) return;
    // Held until the consumer comes: in columns (see packed-page.ts).
    this.pages.push(new PackedPage(entries));
    this.unread += entries.length;
    this.chain.buffered += entries.length;
    this.chain.notify();
  }

  finish(): void {
    this.done = true;
    this.chain.notify();
  }

  /** A new node right after this one (before whatever followed it). */
  insertAfter(): RangeNode {
    const node = new RangeNode(this.chain);
    node.next = this.next;
    this.next = node;
    return node;
  }
}

/** The output of all ranges, read node after node; nodes are inserted as ranges are cut. */
class RangeChain implements Drainable {
  readonly head = new RangeNode(this);
  buffered = 0;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  /** Called when the consumer takes entries (room for workers that wait). */
  onDrained: (() => void) | undefined;

  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  fail(error: unknown): void {
    this.failure ??= { error };
    this.notify();
  }

  async *drainPages(): AsyncGenerator<readonly ObjectMeta[]> {
    let node: RangeNode | undefined = this.head;
    let i = 0;
    while (node) {
      if (this.failure) throw this.failure.error;
      if (i < node.pages.length) {
        const page = node.pages[i]!;
        node.pages[i++] = EMPTY;
        node.unread -= page.length;
        this.buffered -= page.length;
        this.onDrained?.();
        yield page.entries();
        continue;
      }
      if (node.done) {
        node = node.next;
        i = 0;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.failure) throw this.failure.error;
  }
}

const EMPTY = new PackedPage([]);

/** One key range `(after, upTo]` being listed. */
interface FlatRange {
  after: string;
  /** Inclusive end; undefined: to the end of the listing. Lowered when the range is cut. */
  upTo: string | undefined;
  /** The last key listed in the range (`after` before its first page). */
  cursor: string;
  /** The first key listed in the range, once it has one. */
  first: string | undefined;
  /** Keys listed in the range. */
  listed: number;
  node: RangeNode;
  done: boolean;
  /** The scale cannot place a key inside what is left of it. */
  uncuttable: boolean;
}

/** The first `n` entries at most `upTo` (all when `upTo` is undefined), and whether any was beyond it. */
function clip(entries: ObjectMeta[], upTo: string | undefined): { kept: ObjectMeta[]; passed: boolean } {
  if (upTo === undefined) return { kept: entries, passed: false };
  const last = entries[entries.length - 1];
  if (last === undefined || compareKeys(last.key, upTo) <= 0) return { kept: entries, passed: false };
  const i = entries.findIndex((e) => compareKeys(e.key, upTo) > 0);
  return { kept: entries.slice(0, i), passed: true };
}

/**
 * Lists the rest of a flat listing of `ctx.prefix` after `start.after` in key ranges side by side;
 * returns the output, to be read in order. Workers run in `ctx`'s pool; the first failure is thrown
 * to the consumer where it stands (a store found to ignore start keys: {@link StartAfterIgnored}).
 */
export function listFlatRanges(ctx: PlanContext, start: FlatStart): Drainable {
  return new FlatRangeLister(ctx, start).chain;
}

class FlatRangeLister {
  readonly chain = new RangeChain();
  private readonly scale: KeyScale;
  private readonly ranges: FlatRange[] = [];
  private listed: number;
  private cuts = 0;
  private waiting: (() => void)[] = [];
  private readonly ahead: number;

  constructor(
    private readonly ctx: PlanContext,
    start: FlatStart,
  ) {
    this.scale = new KeyScale(ctx.prefix, start.sample);
    this.listed = start.listed;
    this.ahead = ctx.parallelism * AHEAD_PAGES * ctx.pageSize;
    this.chain.onDrained = () => this.release();
    ctx.signal.addEventListener('abort', () => this.release(), { once: true });
    // The listing so far is the first range: it carries on with its token.
    const first: FlatRange = { after: start.after, upTo: undefined, cursor: start.after, first: start.first, listed: start.listed, node: this.chain.head, done: false, uncuttable: false };
    this.ranges.push(first);
    ctx.decide({ kind: 'key-ranges', after: start.after });
    this.spawn(first, start.token);
    this.plan();
  }

  private spawn(range: FlatRange, token?: string): void {
    this.ctx.spawn(this.chain, () => this.run(range, token));
  }

  /** Lists one range page by page until a key passes its end (which may be lowered meanwhile). */
  private async run(range: FlatRange, token: string | undefined): Promise<void> {
    const { ctx } = this;
    const from = token === undefined ? { startAfter: range.after } : { pageToken: token };
    for await (const page of listPages(ctx.adapter, ctx.prefix, { ...from, pageSize: ctx.pageSize, signal: ctx.signal, onSkipped: ctx.onSkipped })) {
      if (page.ignoredStartAfter || !ctx.adapter.capabilities.startAfter) throw new StartAfterIgnored();
      const { kept, passed } = clip(page.entries, range.upTo);
      const last = kept[kept.length - 1]?.key;
      if (last !== undefined) {
        range.first ??= kept[0]!.key;
        range.cursor = last;
        range.listed += kept.length;
        this.listed += kept.length;
        // With the cursor moved on (and the density re-measured) a boundary may be found again.
        range.uncuttable = false;
      }
      range.node.push(kept);
      // The range's last key is its end (keys are unique): nothing more to ask.
      if (passed || page.nextPageToken === undefined || (last !== undefined && last === range.upTo)) break;
      this.plan();
      await this.room(range);
    }
    range.done = true;
    range.node.finish();
    this.release();
    this.plan();
  }

  /** Keys per unit of the scale, from what the ranges listed. */
  private density(): number | undefined {
    let keys = 0;
    let span = 0;
    for (const r of this.ranges) {
      if (r.first === undefined || r.listed < 2) continue;
      keys += r.listed;
      span += this.scale.position(r.cursor) - this.scale.position(r.first);
    }
    return span > 0 && keys > 0 ? keys / span : undefined;
  }

  /** Cuts ranges while the request budget and the pool allow and a range is worth cutting. */
  private plan(): void {
    const { ctx } = this;
    while (true) {
      const budget = Math.floor(Math.floor(this.listed / ctx.pageSize) / PAGES_PER_CUT) - 1;
      if (this.cuts >= budget || ctx.signal.aborted) return;
      const active = this.ranges.reduce((n, r) => n + (r.done ? 0 : 1), 0);
      if (active >= ctx.parallelism) return;
      const density = this.density();
      if (density === undefined) return;
      // The output is read in key order and only so much is held ahead of the consumer: what
      // pays is a window of ranges of a few pages each right ahead of it, not big ranges far out.
      // So the first range (in key order) with more than two such pieces left gives up all but
      // one piece to a new range after it (the open-ended last range always may: its size is unknown).
      const piece = PIECE_PAGES * ctx.pageSize;
      let chosen: { range: FlatRange; index: number; boundary: string } | undefined;
      for (let index = 0; index < this.ranges.length && chosen === undefined; index++) {
        const range = this.ranges[index]!;
        if (range.done || range.uncuttable) continue;
        const from = this.scale.position(range.cursor);
        if (range.upTo !== undefined && (this.scale.position(range.upTo) - from) * density < 2 * piece) continue;
        const boundary = this.scale.boundary(from + piece / density, range.cursor, range.upTo);
        if (boundary === undefined) range.uncuttable = true;
        else chosen = { range, index, boundary };
      }
      if (chosen === undefined) return;
      const { range, index, boundary } = chosen;
      const next: FlatRange = { after: boundary, upTo: range.upTo, cursor: boundary, first: undefined, listed: 0, node: range.node.insertAfter(), done: false, uncuttable: false };
      range.upTo = boundary;
      this.ranges.splice(index + 1, 0, next);
      this.cuts++;
      ctx.decide({ kind: 'cut', at: boundary, ranges: this.ranges.length });
      this.spawn(next);
    }
  }

  /**
   * Waits while the output holds enough pages ahead of the consumer. The range the consumer reads
   * next (the first unfinished one) only waits for what it holds itself, so the consumer is never
   * left waiting for a range that waits for it.
   */
  private async room(range: FlatRange): Promise<void> {
    const perRange = AHEAD_PAGES * this.ctx.pageSize;
    while (!this.ctx.signal.aborted && this.chain.buffered >= this.ahead) {
      if (range.node.unread < perRange && this.ranges.find((r) => !r.done) === range) return;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Wakes the waiting workers to look again (the consumer took entries, or a range ended). */
  private release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }
}
