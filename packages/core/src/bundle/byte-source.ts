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
