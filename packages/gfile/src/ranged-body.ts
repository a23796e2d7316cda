/**
 * Bodies made of byte ranges that can be fetched side by side. One HTTP stream delivers a large
 * object at the pace of one connection (and of one server thread); a download of a 512 MiB file
 * from RGW left a third of its time idle. A store that writes at offsets (a local file: positional
 * writes into the temporary file) takes the ranges concurrently, each from its own ranged read;
 * every other store iterates the body as one stream, the ranges one after another, so a ranged
 * body is a valid body everywhere.
 */
import { markSourceError, replayable, type ReplayableStream } from './replayable.js';

const RANGED = Symbol.for('@ckptkit/ranged-body');

/** One range of a {@link RangedBody}: `length` bytes at `offset`, produced by `open`. */
export interface BodyRange {
  offset: number;
  length: number;
  /**
   * A new stream of exactly `length` bytes on each call. `signal` fires when the write has
   * failed elsewhere (another range) or was aborted: the stream should stop reading then.
   */
  open(signal: AbortSignal | undefined): AsyncIterable<Uint8Array>;
}

/** A replayable body of `size` bytes in ranges that tile it from offset 0, in order. */
export interface RangedBody extends ReplayableStream {
  readonly [RANGED]: true;
  readonly size: number;
  readonly ranges: readonly BodyRange[];
  /** Ranges in flight at once where the store writes them concurrently. */
  readonly concurrency: number;
}

/**
 * A body made of `ranges`, which must tile `[0, size)` in order without gaps or overlaps
 * (`RangeError` otherwise, before anything is read). As an async iterable it yields the ranges
 * one after another; a store with `capabilities.rangedWrites` writes up to `concurrency` of them
 * at once at their offsets. Errors thrown by a range's stream count as source errors
 * ({@link failedInSource}): the retry layer does not replay the write for them.
 */
export function rangedBody(ranges: readonly BodyRange[], options: { concurrency?: number | undefined } = {}): RangedBody {
  let size = 0;
  for (const r of ranges) {
    if (!Number.isSafeInteger(r.offset) || !Number.isSafeInteger(r.length) || r.length <= 0 || r.offset !== size) {
      throw new RangeError(`ranges must tile the body from offset 0 in order; got ${r.length} bytes at ${r.offset} after ${size} bytes`);
    }
    size += r.length;
  }
  const body = replayable(async function* sequential() {
    for (const r of ranges) yield* r.open(undefined);
  });
  return Object.assign(body, { [RANGED]: true as const, size, ranges: [...ranges], concurrency: Math.max(1, Math.floor(options.concurrency ?? 4)) });
}

/** True for a body made by {@link rangedBody}. */
export function isRangedBody(body: unknown): body is RangedBody {
  return typeof body === 'object' && body !== null && (body as Record<symbol, unknown>)[RANGED] === true;
}

/**
 * The stream of one range as a store that writes ranges concurrently reads it: its errors marked
 * as source errors (as the sequential iteration marks them through {@link replayable}).
 */
export async function* openRange(range: BodyRange, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  try {
    yield* range.open(signal);
  } catch (error) {
    markSourceError(error);
    throw error;
  }
}
