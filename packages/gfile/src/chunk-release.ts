/**
 * Chunks a consumer can hand back to their producer. A producer that reads into buffers it could
 * read into again (the S3 adapter's direct GETs) marks each chunk it yields with a release
 * function; a consumer that is done with a chunk's bytes for good (the local adapter, once they
 * are written) calls {@link releaseChunk}, and the producer reads the next bytes into the same
 * memory. Without it every 1 MiB chunk of a download is a new buffer that V8 must collect: about
 * 27 full garbage collections per GiB copied (decision 0010).
 *
 * The protocol is opt-in on both sides and safe by default: a chunk nobody releases is collected
 * as any other; a chunk made by slicing or copying a released-able one carries no mark, so only
 * the exact object the producer yielded can be released. A consumer may release a chunk only if
 * nothing (not itself, not anything it passed the chunk to) reads it afterwards, and only chunks
 * it received directly, never one it also handed to someone else.
 */

// One registry per process, even when the gfile package is bundled more than once (the CLI's
// bundles): the producer and the consumer may come from different copies of this module.
const KEY = Symbol.for('@ckptkit/chunk-release');
const registry: WeakMap<Uint8Array, () => void> = ((globalThis as Record<symbol, unknown>)[KEY] as WeakMap<Uint8Array, () => void> | undefined) ?? new WeakMap();
(globalThis as Record<symbol, unknown>)[KEY] = registry;

/** Marks `chunk` as releasable: {@link releaseChunk} on it calls `release` (once). Returns `chunk`. */
export function releasableChunk<T extends Uint8Array>(chunk: T, release: () => void): T {
  registry.set(chunk, release);
  return chunk;
}

/**
 * Hands `chunk` back to its producer if it was marked (does nothing otherwise, and nothing the
 * second time). The caller promises that nobody reads the chunk's bytes afterwards.
 */
export function releaseChunk(chunk: Uint8Array): void {
  const release = registry.get(chunk);
  if (release === undefined) return;
  registry.delete(chunk);
  release();
}
