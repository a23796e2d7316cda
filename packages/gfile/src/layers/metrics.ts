import type { RequestKind, StorageAdapter } from '../adapter.js';
import { isRangedBody, rangedBody } from '../ranged-body.js';

/** Counters of what the storage layer actually sent. Shared by every adapter of one facade. */
export class RequestMetrics {
  readonly requests: Record<RequestKind, number> = { list: 0, get: 0, head: 0, put: 0, delete: 0, copy: 0, rename: 0 };
  bytesRead = 0;
  bytesWritten = 0;
  /** Sum of request durations in ms (overlapping requests add up). */
  requestMs = 0;
  /** Errors by code, for `--verbose` and tests. */
  readonly errors: Record<string, number> = {};

  /** Total requests of every kind. */
  get total(): number {
    return Object.values(this.requests).reduce((a, b) => a + b, 0);
  }

  reset(): void {
    for (const k of Object.keys(this.requests) as RequestKind[]) this.requests[k] = 0;
    for (const k of Object.keys(this.errors)) delete this.errors[k];
    this.bytesRead = 0;
    this.bytesWritten = 0;
    this.requestMs = 0;
  }

  /** A plain copy, e.g. to diff before and after an operation. */
  snapshot(): { requests: Record<RequestKind, number>; bytesRead: number; bytesWritten: number; requestMs: number } {
    return { requests: { ...this.requests }, bytesRead: this.bytesRead, bytesWritten: this.bytesWritten, requestMs: this.requestMs };
  }
}

/**
 * Wraps an adapter so that every request is counted by kind (one `list` per page, one `get` per
 * read or stream, one `delete` per batch), with bytes moved and time spent. Placed innermost, it
 * counts each retry attempt, i.e. what really went over the wire.
 */
export function withMetrics(inner: StorageAdapter, metrics: RequestMetrics): StorageAdapter {
  async function timed<T>(kind: RequestKind, fn: () => Promise<T>): Promise<T> {
    metrics.requests[kind]++;
    const t0 = performance.now();
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const name = typeof code === 'string' ? code : 'UNKNOWN';
      metrics.errors[name] = (metrics.errors[name] ?? 0) + 1;
      throw error;
    } finally {
      metrics.requestMs += performance.now() - t0;
    }
  }
  const layered: StorageAdapter = {
    scheme: inner.scheme,
    store: inner.store,
    capabilities: inner.capabilities,
    uriOf: (key) => inner.uriOf(key),
    stat: (key, o) => timed('head', () => inner.stat(key, o)),
    read: (key, o) =>
      timed('get', async () => {
        const bytes = await inner.read(key, o);
        metrics.bytesRead += bytes.byteLength;
        return bytes;
      }),
    write: (key, body, o) => {
      const add = (n: number) => (metrics.bytesWritten += n);
      if (body instanceof Uint8Array) metrics.bytesWritten += body.byteLength;
      // A ranged body stays one (its ranges counted), so that the store can still take them side by side.
      else if (isRangedBody(body)) body = rangedBody(body.ranges.map((r) => ({ ...r, open: (signal) => countChunks(r.open(signal), add) })), { concurrency: body.concurrency });
      else body = countChunks(body, add);
      return timed('put', () => inner.write(key, body, o));
    },
    list: (prefix, o) => timed('list', () => inner.list(prefix, o)),
    delete: (key, o) => timed('delete', () => inner.delete(key, o)),
    copy: (src, dst, o) => timed('copy', () => inner.copy(src, dst, o)),
  };
  if (inner.deleteMany) {
    const deleteMany = inner.deleteMany.bind(inner);
    layered.deleteMany = (keys, o) => timed('delete', () => deleteMany(keys, o));
  }
  if (inner.batchDeletable) layered.batchDeletable = inner.batchDeletable.bind(inner);
  if (inner.rename) {
    const rename = inner.rename.bind(inner);
    layered.rename = (src, dst, o) => timed('rename', () => rename(src, dst, o));
  }
  if (inner.unfinishedWrites) {
    const unfinishedWrites = inner.unfinishedWrites.bind(inner);
    layered.unfinishedWrites = (prefix, o) => timed('list', () => unfinishedWrites(prefix, o));
  }
  if (inner.abandonWrite) {
    const abandonWrite = inner.abandonWrite.bind(inner);
    layered.abandonWrite = (key, id, o) => timed('delete', () => abandonWrite(key, id, o));
  }
  if (inner.readStream) {
    const readStream = inner.readStream.bind(inner);
    layered.readStream = (key, o) => {
      metrics.requests.get++;
      return countChunks(readStream(key, o), (n) => (metrics.bytesRead += n));
    };
  }
  if (inner.close) layered.close = inner.close.bind(inner);
  return layered;
}

async function* countChunks(source: AsyncIterable<Uint8Array>, add: (n: number) => void): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    add(chunk.byteLength);
    yield chunk;
  }
}
