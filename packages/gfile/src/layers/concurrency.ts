import pLimit from 'p-limit';
import type { StorageAdapter } from '../adapter.js';

/**
 * Wraps an adapter so that at most `limit` requests are in flight at once. A slot is held for one
 * request only: a stream holds it while a chunk is awaited, never while the consumer works on it.
 */
export function withConcurrencyLimit(inner: StorageAdapter, limit: number): StorageAdapter {
  const gate = pLimit(Math.max(1, Math.floor(limit)));
  const layered: StorageAdapter = {
    scheme: inner.scheme,
    store: inner.store,
    capabilities: inner.capabilities,
    uriOf: (key) => inner.uriOf(key),
    stat: (key, o) => gate(() => inner.stat(key, o)),
    read: (key, o) => gate(() => inner.read(key, o)),
    write: (key, body, o) => gate(() => inner.write(key, body, o)),
    list: (prefix, o) => gate(() => inner.list(prefix, o)),
    delete: (key, o) => gate(() => inner.delete(key, o)),
    copy: (src, dst, o) => gate(() => inner.copy(src, dst, o)),
  };
  if (inner.deleteMany) {
    const deleteMany = inner.deleteMany.bind(inner);
    layered.deleteMany = (keys, o) => gate(() => deleteMany(keys, o));
  }
  if (inner.batchDeletable) layered.batchDeletable = inner.batchDeletable.bind(inner);
  if (inner.rename) {
    const rename = inner.rename.bind(inner);
    layered.rename = (src, dst, o) => gate(() => rename(src, dst, o));
  }
  if (inner.unfinishedWrites) {
    const unfinishedWrites = inner.unfinishedWrites.bind(inner);
    layered.unfinishedWrites = (prefix, o) => gate(() => unfinishedWrites(prefix, o));
  }
  if (inner.abandonWrite) {
    const abandonWrite = inner.abandonWrite.bind(inner);
    layered.abandonWrite = (key, id, o) => gate(() => abandonWrite(key, id, o));
  }
  if (inner.readStream) {
    const readStream = inner.readStream.bind(inner);
    layered.readStream = (key, o) => ({
      [Symbol.asyncIterator]() {
        const it = readStream(key, o)[Symbol.asyncIterator]();
        return {
          next: () => gate(() => it.next()),
          return: async (value?: unknown) => (it.return ? it.return(value) : { done: true as const, value: undefined }),
        };
      },
    });
  }
  if (inner.close) layered.close = inner.close.bind(inner);
  return layered;
}
