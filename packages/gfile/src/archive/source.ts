import type { StorageAdapter } from '../adapter.js';
import { CkptError } from '../errors.js';

/** The archive file on its own store, as the format modules read it: ranged reads and streams. */
export interface ArchiveSource {
  /** The archive's URI, for errors. */
  readonly uri: string;
  /** The archive's size (one stat, kept). */
  size(signal?: AbortSignal): Promise<number>;
  /** `length` bytes from `offset` (fewer only at the end): one ranged read. */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** The bytes from `offset` (to the end when `length` is absent) as one streamed ranged read. */
  stream(offset: number, length: number | undefined, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/** An {@link ArchiveSource} over one key of a (layered) adapter. */
export function adapterSource(adapter: StorageAdapter, key: string, uri: string): ArchiveSource {
  let size: Promise<number> | undefined;
  return {
    uri,
    size(signal) {
      if (!size) {
        size = adapter.stat(key, { signal }).then((meta) => {
          if (meta.kind !== 'file') throw new CkptError('NOT_SUPPORTED', { operation: 'open', uri, message: 'an archive view needs a file, not a directory' });
          return meta.size;
        });
        size.catch(() => (size = undefined));
      }
      return size;
    },
    read(offset, length, signal) {
      return adapter.read(key, { range: { offset, length }, signal });
    },
    async *stream(offset, length, signal) {
      if (adapter.readStream) yield* adapter.readStream(key, { range: { offset, length }, signal });
      else yield await adapter.read(key, { range: { offset, length }, signal });
    },
  };
}

/** CORRUPT about an archive, naming it. */
export function corrupt(uri: string, message: string, cause?: unknown): CkptError {
  return new CkptError('CORRUPT', { operation: 'read', uri, message, cause });
}

/** Resolves when a writable stream drains, or closes (a destroyed stream never drains). */
export function drained(stream: NodeJS.EventEmitter & { destroyed?: boolean }): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
