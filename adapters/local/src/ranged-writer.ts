/**
 * Writing a ranged body (`rangedBody` of @ckptkit/gfile) into one open file: several ranges at
 * once, each streamed to its own offset with positional writes. A range must bring exactly its
 * length; a range that brings more would overwrite its neighbour, one that brings less would leave
 * a hole of zeros, so both fail the whole write before the file is renamed into place.
 */
import { setMaxListeners } from 'node:events';
import type { FileHandle } from 'node:fs/promises';
import { CkptError, openRange, throwIfAborted, type BodyRange, type RangedBody } from '@ckptkit/gfile';
import { writeChunks, type ChunkWriteOptions } from './chunk-writer.js';

/** The range's stream, failing as soon as it brings more than its length, or at its end with less. */
async function* exactly(range: BodyRange, chunks: AsyncIterable<Uint8Array>, uri: string): AsyncGenerator<Uint8Array> {
  let got = 0;
  const wrong = (what: string) =>
    new CkptError('CORRUPT', {
      operation: 'write',
      uri,
      message: `the source of bytes ${range.offset}-${range.offset + range.length - 1} ${what} (did it change during the copy?); nothing was written`,
    });
  for await (const chunk of chunks) {
    got += chunk.byteLength;
    if (got > range.length) throw wrong(`brought more than ${range.length} bytes`);
    yield chunk;
  }
  if (got < range.length) throw wrong(`ended after ${got} of ${range.length} bytes`);
}

// Thrown into the ranges still running once one has failed: stops them, never reported.
const STOPPED = Symbol('stopped');

/**
 * Writes every range of `body` at its offset in `handle`, up to `body.concurrency` at once. On the
 * first failure the other ranges are stopped (their reads see an aborted signal) and, once all
 * have settled, that first error is thrown; `signal` aborts the whole write. `how`: as for
 * writeChunks (each range flushes on its own).
 */
export async function writeRanges(handle: FileHandle, body: RangedBody, uri: string, signal: AbortSignal | undefined, how: Pick<ChunkWriteOptions, 'syncEveryBytes' | 'onEventLoop'> = {}): Promise<void> {
  // The ranges read with a signal of their own, fired by the caller's or by a failed range.
  const stop = new AbortController();
  const forward = () => stop.abort(signal?.reason);
  if (signal?.aborted) forward();
  signal?.addEventListener('abort', forward, { once: true });
  // Every range in flight listens (its request, its body, a retry's backoff): more than Node's
  // default of 10 listeners is expected here, not a leak.
  setMaxListeners(0, stop.signal);
  let failure: { error: unknown } | undefined;
  let next = 0;
  const beforeChunk = () => {
    if (failure) throw STOPPED;
    throwIfAborted(signal, 'write', uri);
  };
  const worker = async () => {
    while (failure === undefined && next < body.ranges.length) {
      const range = body.ranges[next++]!;
      try {
        await writeChunks(handle, exactly(range, openRange(range, stop.signal), uri), { ...how, beforeChunk, start: range.offset });
      } catch (error) {
        if (error === STOPPED || failure) return;
        failure = { error };
        stop.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(body.concurrency, body.ranges.length) }, worker));
  } finally {
    signal?.removeEventListener('abort', forward);
  }
  if (failure) throw failure.error;
  throwIfAborted(signal, 'write', uri);
}
