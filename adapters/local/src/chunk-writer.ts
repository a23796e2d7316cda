/**
 * Writing a stream of chunks to a file without waiting for each write before reading on. Chunks
 * arrive as the network delivers them (16 to 64 KiB); written one by one and each awaited, a copy
 * from S3 stalled its download on every write and spent three times the CPU of writing in
 * batches. Here chunks are gathered into batches of about 1 MiB, written with one positional
 * `writev` each (no copy), up to 8 batches in flight while the next chunks are read.
 *
 * Chunks are held until written: as with Node streams, a chunk belongs to the consumer once it is
 * yielded, and the producer must not change it afterwards.
 */
import type { FileHandle } from 'node:fs/promises';

const BATCH_BYTES = 1 << 20;
const MAX_IN_FLIGHT = 8;

/** Writes every byte of `buffers` at `position` (a positional write may write less than asked). */
async function writeAllAt(handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    if (bytesWritten <= 0) throw new Error(`wrote nothing at offset ${at}`);
    at += bytesWritten;
    // Drop what was written, keeping the unwritten tail of a partly written buffer.
    let skip = bytesWritten;
    let i = 0;
    while (i < rest.length && skip >= rest[i]!.byteLength) skip -= rest[i++]!.byteLength;
    rest = rest.slice(i);
    if (skip > 0) rest[0] = rest[0]!.subarray(skip);
  }
}

/**
 * Writes `body` to `handle` from offset `start` (default 0), returning the bytes written.
 * `beforeChunk` runs before each chunk is taken (an abort check). On failure, writes already
 * started are waited for before the error is thrown, so that the caller may close the handle.
 */
export async function writeChunks(handle: FileHandle, body: AsyncIterable<Uint8Array>, beforeChunk?: () => void, start = 0, syncEveryBytes = 0): Promise<number> {
  let position = start;
  let unsynced = 0;
  let syncing: Promise<void> | undefined;
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const flush = () => {
    if (batchBytes === 0) return;
    const bytes = batchBytes;
    const p = writeAllAt(handle, batch, position).then(
      () => {
        unsynced += bytes;
        if (syncEveryBytes > 0 && unsynced >= syncEveryBytes && !syncing) {
          unsynced = 0;
          syncing = handle.datasync().then(
            () => void (syncing = undefined),
            (error: unknown) => void (failure ??= { error }),
          );
        }
      },
      (error: unknown) => {
        failure ??= { error };
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    position += batchBytes;
    batch = [];
    batchBytes = 0;
  };
  try {
    for await (const chunk of body) {
      beforeChunk?.();
      if (failure) throw failure.error;
      if (chunk.byteLength === 0) continue;
      batch.push(chunk);
      batchBytes += chunk.byteLength;
      if (batchBytes >= BATCH_BYTES) {
        flush();
        while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      }
    }
    flush();
    await Promise.all(inFlight);
    await syncing;
    if (failure) throw failure.error;
    return position - start;
  } catch (error) {
    await Promise.allSettled(inFlight);
    await syncing;
    throw error;
  }
}
