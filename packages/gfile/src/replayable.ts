/**
 * Streamed bodies that can be produced again. A plain stream can be sent once: when its upload
 * fails, the bytes are gone, so the retry layer must not retry it. A copy, though, can read its
 * source again: {@link replayable} wraps the function that opens the source, every iteration opens
 * it afresh, and the retry layer then treats the write like one of in-memory bytes (idempotent:
 * every attempt stores the whole body or nothing).
 */

const BRAND = Symbol.for('@ckptkit/replayable');

/** A stream of chunks that opens its source again each time it is iterated. */
export interface ReplayableStream extends AsyncIterable<Uint8Array> {
  readonly [BRAND]: true;
}

/**
 * A body for `writeFile`/`adapter.write` that is re-read from the start on every attempt: each
 * iteration calls `open()` anew. `open` must yield the same bytes each time (a re-read of a source
 * file, not a one-shot stream).
 */
export function replayable(open: () => AsyncIterable<Uint8Array>): ReplayableStream {
  return {
    [BRAND]: true,
    [Symbol.asyncIterator]: () => {
      const it = open()[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            return await it.next();
          } catch (error) {
            // The source itself failed (its own reads were already retried): see failedInSource.
            markSourceError(error);
            throw error;
          }
        },
        async return(value?: unknown) {
          return (await it.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

const sourceErrors = new WeakSet<object>();

/** Marks `error` as thrown by the source of a replayable body (see {@link failedInSource}). */
export function markSourceError(error: unknown): void {
  if (typeof error === 'object' && error !== null) sourceErrors.add(error);
}

/**
 * True when `error` was thrown by the source of a {@link replayable} body rather than by the
 * upload. The retry layer does not replay a write for such an error: the source's reads have
 * their own retries, and replaying on top would multiply the attempts against a failing source.
 */
export function failedInSource(error: unknown): boolean {
  return typeof error === 'object' && error !== null && sourceErrors.has(error);
}

/** True for a body made by {@link replayable}. */
export function isReplayable(body: unknown): body is ReplayableStream {
  return typeof body === 'object' && body !== null && (body as Record<symbol, unknown>)[BRAND] === true;
}
