import { throwIfAborted } from './errors.js';

/**
 * All chunks of a stream in one array (the chunk itself when there is only one). Checks the signal
 * between chunks, so an aborted collection fails with ABORTED instead of returning what it had.
 */
export async function collectBytes(source: AsyncIterable<Uint8Array>, options: { signal?: AbortSignal | undefined; operation?: string; uri?: string } = {}): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of source) {
    throwIfAborted(options.signal, options.operation ?? 'read', options.uri);
    chunks.push(chunk);
    n += chunk.byteLength;
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
