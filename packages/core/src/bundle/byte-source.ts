/**
 * The abstract random-access input of the bundle code, so that parsing and verification are
 * testable without any storage and work the same on local disks and object stores.
 */
import { corruptError } from './errors.js';

/** A readable, sized blob of bytes (a local file, an S3/GCS object, an in-memory buffer). */
export interface ByteSource {
  /** For messages and results. */
  readonly uri: string;
  /** Total size in bytes. */
  size(signal?: AbortSignal): Promise<number>;
  /**
   * `length` bytes from `offset`. An implementation returns fewer bytes only when the blob ends
   * earlier; callers treat that as truncation.
   */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * Optional: `length` bytes from `offset` as a stream of chunks in order, from one request. Deep
   * verification prefers it: memory stays at one chunk per stream whatever the range, and large
   * ranges cost one request. Ends early only when the blob does.
   */
  stream?(offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/** A {@link ByteSource} over bytes already in memory. */
export function bytesSource(bytes: Uint8Array, uri = 'memory:bytes'): ByteSource {
  return {
    uri,
    size: () => Promise.resolve(bytes.length),
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, Math.min(bytes.length, offset + length))),
  };
}

/** Reads exactly `length` bytes or throws a TRUNCATED corruption error. */
export async function readExactly(src: ByteSource, offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
  if (length === 0) return new Uint8Array(0);
  const got = await src.read(offset, length, signal);
  if (got.length < length) {
    throw corruptError('TRUNCATED', `read of ${length} bytes at offset ${offset} returned only ${got.length}: the file is shorter than expected`, {
      uri: src.uri,
    });
  }
  return got.length === length ? got : got.subarray(0, length);
}

/**
 * `length` bytes from `offset` in order: the source's own stream when it has one, else reads of at
 * most `chunkSize` bytes one after another. Ends early (without error) when the blob does.
 */
export async function* streamRange(src: ByteSource, offset: number, length: number, chunkSize: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  if (length <= 0) return;
  if (src.stream) {
    yield* src.stream(offset, length, signal);
    return;
  }
  for (let p = offset; p < offset + length; ) {
    const got = await src.read(p, Math.min(chunkSize, offset + length - p), signal);
    if (got.length === 0) return;
    yield got;
    p += got.length;
  }
}
