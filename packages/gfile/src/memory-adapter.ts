import type { Capabilities, ListOptions, ListPage, ObjectMeta, OperationOptions, ReadOptions, StorageAdapter, WriteBody, WriteOptions } from './adapter.js';
import { collectBytes } from './bytes.js';
import { CkptError, throwIfAborted } from './errors.js';
import { compareKeys, lowerBound } from './keys.js';

interface MemoryObject {
  data: Uint8Array;
  mtime: Date;
  generation: number;
}

/** Options of an in-memory store. */
export interface MemoryAdapterOptions {
  /** Largest page a list returns (default 1,000, as S3 and GCS); tests force small pages. */
  maxPageSize?: number;
}

interface MemoryStore {
  objects: Map<string, MemoryObject>;
  /** Keys in order, rebuilt lazily after a key is added or removed; shared by every adapter of the store. */
  sorted: string[] | undefined;
}

const stores = new Map<string, MemoryStore>();
const EMPTY = new Uint8Array(0);
let generationCounter = 0;

/**
 * An object store in this process's memory, shaped like S3/GCS (virtual directories, key-ordered
 * paged listings, conditional create), addressed as `memory://name/key`. Stores with the same
 * name share their objects within the process.
 */
export function createMemoryAdapter(name: string, options: MemoryAdapterOptions = {}): StorageAdapter {
  let state = stores.get(name);
  if (!state) {
    state = { objects: new Map(), sorted: undefined };
    stores.set(name, state);
  }
  const shared = state;
  const store = shared.objects;
  const maxPageSize = options.maxPageSize ?? 1000;
  const capabilities: Capabilities = {
    directories: 'virtual',
    atomicRename: false,
    rangeReads: true,
    conditionalWrite: true,
    startAfter: true,
    maxPageSize,
    maxDeleteBatch: 1000,
  };
  const uriOf = (key: string) => `memory://${name}/${key}`;
  const notFound = (operation: string, key: string) => new CkptError('NOT_FOUND', { operation, uri: uriOf(key) });
  const sortedKeys = () => (shared.sorted ??= [...store.keys()].sort(compareKeys));
  const metaOf = (key: string, o: MemoryObject): ObjectMeta => ({
    key,
    kind: key.endsWith('/') ? 'directory' : 'file',
    size: o.data.byteLength,
    mtime: o.mtime,
    generation: String(o.generation),
    etag: `"${o.generation}"`,
  });

  return {
    scheme: 'memory',
    store: name,
    capabilities,
    uriOf,
    async stat(key: string, o?: OperationOptions) {
      throwIfAborted(o?.signal, 'stat', uriOf(key));
      const obj = store.get(key);
      if (!obj) throw notFound('stat', key);
      return metaOf(key, obj);
    },
    async read(key: string, o?: ReadOptions) {
      throwIfAborted(o?.signal, 'read', uriOf(key));
      const obj = store.get(key);
      if (!obj) throw notFound('read', key);
      const start = Math.min(o?.range?.offset ?? 0, obj.data.byteLength);
      const end = o?.range?.length === undefined ? obj.data.byteLength : Math.min(obj.data.byteLength, start + o.range.length);
      return obj.data.slice(start, end);
    },
    async write(key: string, body: WriteBody, o?: WriteOptions) {
      throwIfAborted(o?.signal, 'write', uriOf(key));
      const copy = body instanceof Uint8Array ? body.slice() : (await collectBytes(body, { signal: o?.signal, operation: 'write', uri: uriOf(key) })).slice();
      // Empty objects share one empty array: a store seeded with a million markers holds no million arrays.
      const data = copy.byteLength === 0 ? EMPTY : copy;
      if (o?.ifNotExists && store.has(key)) throw new CkptError('ALREADY_EXISTS', { operation: 'write', uri: uriOf(key) });
      if (o?.ifMatch !== undefined) {
        const current = store.get(key);
        const meta = current && metaOf(key, current);
        if (!meta || (meta.generation !== o.ifMatch && meta.etag !== o.ifMatch)) {
          throw new CkptError('PRECONDITION_FAILED', { operation: 'write', uri: uriOf(key), message: current ? 'the object changed since it was read' : 'the object is gone' });
        }
      }
      const obj = { data, mtime: new Date(), generation: ++generationCounter };
      if (!store.has(key)) shared.sorted = undefined;
      store.set(key, obj);
      return metaOf(key, obj);
    },
    async list(prefix: string, o?: ListOptions): Promise<ListPage> {
      throwIfAborted(o?.signal, 'list', uriOf(prefix));
      const pageSize = Math.max(1, Math.min(o?.pageSize ?? maxPageSize, maxPageSize));
      const after = o?.pageToken ?? o?.startAfter;
      const keys = sortedKeys();
      // Straight to the first key after the start key (a binary search): a page costs its own
      // keys, not every key before it (paging through a million keys was quadratic).
      let i = after !== undefined && compareKeys(after, prefix) > 0 ? lowerBound(keys, after) : lowerBound(keys, prefix);
      if (after !== undefined && keys[i] === after) i++;
      const entries: ObjectMeta[] = [];
      let last: string | undefined;
      while (i < keys.length && entries.length < pageSize) {
        const key = keys[i]!;
        if (!key.startsWith(prefix)) break;
        const slash = o?.delimiter ? key.indexOf('/', prefix.length) : -1;
        if (slash >= 0) {
          const dir = key.slice(0, slash + 1);
          entries.push({ key: dir, kind: 'directory', size: 0 });
          last = dir + '\u{10FFFF}';
          // Skip every key under this common prefix, as S3 does.
          i = lowerBound(keys, last);
          continue;
        }
        entries.push(metaOf(key, store.get(key)!));
        last = key;
        i++;
      }
      const more = i < keys.length && keys[i]!.startsWith(prefix);
      return more && last !== undefined ? { entries, nextPageToken: last } : { entries };
    },
    async delete(key: string, o?: OperationOptions) {
      throwIfAborted(o?.signal, 'delete', uriOf(key));
      if (!store.delete(key)) throw notFound('delete', key);
      shared.sorted = undefined;
    },
    async deleteMany(keys: string[], o?: OperationOptions) {
      throwIfAborted(o?.signal, 'delete', uriOf(keys[0] ?? ''));
      for (const key of keys) store.delete(key);
      shared.sorted = undefined;
    },
    async copy(src: string, dst: string, o?: OperationOptions) {
      throwIfAborted(o?.signal, 'copy', uriOf(src));
      const obj = store.get(src);
      if (!obj) throw notFound('copy', src);
      if (!store.has(dst)) shared.sorted = undefined;
      store.set(dst, { data: obj.data, mtime: new Date(), generation: ++generationCounter });
    },
  };
}

/** Drops an in-memory store (tests). */
export function clearMemoryStore(name: string): void {
  stores.delete(name);
}
