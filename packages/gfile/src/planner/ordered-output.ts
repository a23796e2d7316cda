/**
 * In-order output of listings that run at the same time. The rest of a listing is a tree of
 * segments in key order; each segment receives its entries in pages and, when it is split, child
 * segments in its place. Workers fill segments as their answers come; the consumer reads them
 * depth-first, so entries come out in key order however the requests interleave.
 */
import type { ObjectMeta } from '../adapter.js';

/**
 * A part of a listing's output that is read on its own (a chain of key ranges, see
 * `flat-ranges.ts`), a page at a time: the layers above take a page per step, not an entry (an
 * async generator's step costs a few objects, and a listing of a million keys takes them in every
 * layer it passes).
 */
export interface Drainable {
  drainPages(): AsyncGenerator<readonly ObjectMeta[]>;
}

type Part = ObjectMeta[] | Drainable;

/**
 * What segments tell the planner about the consumer: entries pushed and taken (the read-ahead it
 * bounds), and the segment the consumer waits on (whose worker must never be held back).
 */
export interface SegmentFlow {
  pushed(entries: number): void;
  taken(entries: number): void;
  starving(segment: Segment | undefined): void;
}

/** One contiguous part of a listing's output. */
export class Segment {
  private readonly parts: Part[] = [];
  private done = false;
  private failure: unknown;
  private failed = false;
  private wake: (() => void) | undefined;

  /** @param flow Told of what is pushed and read (children share it). */
  constructor(private readonly flow?: SegmentFlow) {}

  /** Appends a page of entries (in key order, after everything appended before). */
  push(entries: ObjectMeta[]): void {
    if (entries.length === 0) return;
    this.add(entries);
    this.flow?.pushed(entries.length);
  }

  /** Appends a child segment that follows everything appended before; returns it. */
  child(): Segment {
    const s = new Segment(this.flow);
    this.add(s);
    return s;
  }

  /** Appends a part read on its own, after everything appended before. */
  adopt(part: Drainable): void {
    this.add(part);
  }

  /** No more parts will be appended. */
  finish(): void {
    this.done = true;
    this.notify();
  }

  /** The work for this segment failed; the consumer throws `error` on reaching this point. */
  fail(error: unknown): void {
    if (this.done) return;
    this.failed = true;
    this.failure = error;
    this.done = true;
    this.notify();
  }

  /** Every entry of this segment and its children, in order, a page at a time; waits for parts still to come. */
  async *drainPages(): AsyncGenerator<readonly ObjectMeta[]> {
    let i = 0;
    while (true) {
      if (i < this.parts.length) {
        const part = this.parts[i]!;
        // Drop what was read, so a long listing is not held in memory twice.
        this.parts[i++] = EMPTY;
        if (Array.isArray(part)) {
          this.flow?.taken(part.length);
          yield part;
        } else yield* part.drainPages();
        continue;
      }
      if (this.failed) throw this.failure;
      if (this.done) return;
      this.flow?.starving(this);
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.flow?.starving(undefined);
    }
  }

  private add(part: Part): void {
    if (this.done) throw new Error('segment already finished');
    this.parts.push(part);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

const EMPTY: ObjectMeta[] = [];
