/**
 * The state one planned listing shares between its workers: the store, the page size, what the
 * pages showed so far, a bounded pool for the listings that run at the same time, and one
 * cancellation for all of them (the first failure, or the consumer stopping early, ends them all).
 */
import pLimit from 'p-limit';
import type { SkippedEntry, StorageAdapter } from '../adapter.js';
import { abortError } from '../errors.js';
import type { Segment, SegmentFlow } from './ordered-output.js';
import { TreeStats } from './tree-stats.js';

/** What the planner decided, for tests, `--verbose` and benchmarks. */
export type PlanDecision =
  | { kind: 'ranges'; after: string; ranges: number; levels: number }
  | { kind: 'sequential'; after: string; reason: string }
  | { kind: 'walk'; dir: string }
  | { kind: 'key-ranges'; after: string }
  | { kind: 'cut'; at: string; ranges: number }
  | { kind: 'fallback'; reason: string };

/** Options of {@link listRecursive}. */
export interface PlannerOptions {
  /** Keys per page asked of the store (default and upper bound: the store's maximum). */
  pageSize?: number | undefined;
  /** Listings in flight at once for one recursive listing (default 16; 1 keeps it one flat listing). */
  parallelism?: number | undefined;
  /**
   * Keys a listing must have shown, with more to come, before it is split (default: the store's
   * largest page). Below it, a listing costs a couple of requests at most and stays sequential.
   */
  minKeysBeforeSplit?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Called with each decision the planner takes. */
  onDecision?: ((decision: PlanDecision) => void) | undefined;
  /** Unreadable parts are left out and reported here, once each (see `ListEntriesOptions.onSkipped`); without it they fail the listing. */
  onSkipped?: ((skipped: SkippedEntry) => void) | undefined;
}

/** Thrown inside a plan when the store turns out to ignore start keys: the plan is abandoned for a flat listing. */
export class StartAfterIgnored extends Error {
  constructor() {
    super('the store ignores the start key of listings');
  }
}

export const DEFAULT_PARALLELISM = 16;

/**
 * Pages per worker that segments may hold ahead of the consumer (with a page for each listing
 * started and not ended) before new range listings wait to start, and listings under way give
 * their turn up after a page. The ranges of a split are about a page each, so two a worker keep every worker busy
 * while the consumer keeps up; a consumer that does not (`ckpt ls -R | less`) no longer has the
 * whole listing buffered for it (issue 23).
 */
const SEGMENT_AHEAD_PAGES = 2;

/** Shared state of one planned listing. */
export class PlanContext implements SegmentFlow {
  readonly stats = new TreeStats();
  readonly pageSize: number;
  readonly parallelism: number;
  readonly minKeysBeforeSplit: number;
  private readonly controller = new AbortController();
  private readonly pool: ReturnType<typeof pLimit>;
  private firstFailure: { error: unknown } | undefined;
  private readonly unlink: () => void;
  private readonly skippedKeys = new Set<string>();
  /** For every listing of the plan: reports each skipped part once across all of them (undefined: fail instead). */
  readonly onSkipped: ((skipped: SkippedEntry) => void) | undefined;
  // Entries in segments not read yet, the segment the consumer waits on, and the listings waiting to start.
  private held = 0;
  private waitedOn: Segment | undefined;
  private waiting: Array<() => void> = [];
  // Listings let through `room` and not ended yet (running, or queued in the pool).
  private started = 0;

  constructor(
    readonly adapter: StorageAdapter,
    /** The listed prefix (a directory prefix ending in `/`, or `''`). */
    readonly prefix: string,
    readonly options: PlannerOptions,
  ) {
    const max = Math.max(1, adapter.capabilities.maxPageSize);
    this.pageSize = Math.max(1, Math.min(options.pageSize ?? max, max));
    this.parallelism = Math.max(1, Math.floor(options.parallelism ?? DEFAULT_PARALLELISM));
    this.minKeysBeforeSplit = Math.max(1, options.minKeysBeforeSplit ?? max);
    this.pool = pLimit(this.parallelism);
    const report = options.onSkipped;
    this.onSkipped = report
      ? (s) => {
          if (this.skippedKeys.has(s.key)) return;
          this.skippedKeys.add(s.key);
          report(s);
        }
      : undefined;
    const outer = options.signal;
    const onAbort = () => this.controller.abort(outer?.reason);
    if (outer?.aborted) onAbort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => outer?.removeEventListener('abort', onAbort);
    // A stopped plan lets its waiting listings go (to fail at once in the pool).
    this.controller.signal.addEventListener('abort', () => this.wakeWaiting(), { once: true });
  }

  /** Aborted when the caller aborts, a worker fails, or the consumer stops reading. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** An estimate for keys of unknown number (a directory never seen whole): enough to list it on its own. */
  get unknownWeight(): number {
    return 2 * this.pageSize;
  }

  decide(decision: PlanDecision): void {
    this.options.onDecision?.(decision);
  }

  /**
   * Runs `task` for `segment` in the pool. Whatever it throws fails the segment; the first failure
   * of the plan cancels every other worker, and is what the consumer sees.
   */
  spawn(segment: Pick<Segment, 'fail'>, task: () => Promise<void>): void {
    // Held back before it takes a place in the pool, so that a waiting listing never keeps one from
    // the listing the consumer needs.
    void this.room(segment)
      .then(async () => {
        try {
          await this.pool(async () => {
            if (this.controller.signal.aborted) throw this.stopped();
            await task();
          });
        } finally {
          this.started--;
          if (this.waiting.length > 0) this.wakeWaiting();
        }
      })
      .catch((error: unknown) => {
        if (this.firstFailure === undefined) {
          this.firstFailure = { error };
          this.controller.abort(error);
        }
        segment.fail(this.firstFailure.error);
      });
  }

  /**
   * Why a listing that was to start does not: ABORTED (or TIMEOUT) when the caller's signal fired,
   * as the store's requests say it; else what stopped the plan (the first failure, or the close).
   */
  private stopped(): unknown {
    const outer = this.options.signal;
    if (outer?.aborted) return abortError('list', this.adapter.uriOf(this.prefix), outer);
    return this.controller.signal.reason ?? new Error('aborted');
  }

  /**
   * Resolves once a listing into `segment` may start: at once while segments hold, with a page for
   * each listing started and not ended, fewer than {@link SEGMENT_AHEAD_PAGES} pages per worker
   * ahead of the consumer; when the consumer waits on `segment` itself; or once the plan is stopped.
   * Counts the listing as started when it resolves.
   */
  private async room(segment: unknown): Promise<void> {
    while (this.over(segment, this.started)) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.started++;
  }

  /**
   * True when a listing into `segment` that is under way should give its turn up after the page it
   * just pushed (and carry on as a listing of its own, through {@link spawn}): the plan holds its
   * bound ahead of the consumer without it, and the consumer does not wait on `segment`. Without
   * this a range of one big directory would be listed whole, however far ahead of the consumer.
   */
  shouldYield(segment: unknown): boolean {
    return this.over(segment, this.started - 1);
  }

  /** Segments' entries plus a page for each of `started` listings reach the bound, and `segment` is not waited on. */
  private over(segment: unknown, started: number): boolean {
    const cap = this.parallelism * SEGMENT_AHEAD_PAGES * this.pageSize;
    // Started listings count before their pages come: segments may hold little while the consumer
    // catches up, and without them every waiting listing would start at once (the whole listing).
    return this.held + started * this.pageSize >= cap && this.waitedOn !== segment && !this.controller.signal.aborted;
  }

  private wakeWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  /** {@link SegmentFlow}: a page was put in a segment. */
  pushed(entries: number): void {
    this.held += entries;
  }

  /** {@link SegmentFlow}: the consumer took a page. */
  taken(entries: number): void {
    this.held -= entries;
    if (this.waiting.length > 0) this.wakeWaiting();
  }

  /** {@link SegmentFlow}: the consumer waits on `segment` (undefined: no longer). */
  starving(segment: Segment | undefined): void {
    this.waitedOn = segment;
    if (segment && this.waiting.length > 0) this.wakeWaiting();
  }

  /** Stops every worker (the consumer is done, or gave up). */
  close(): void {
    this.unlink();
    if (!this.controller.signal.aborted) this.controller.abort(new Error('listing closed'));
    this.pool.clearQueue();
    this.wakeWaiting();
  }
}
