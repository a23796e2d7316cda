import type { Capabilities, ListOptions, ListPage, ObjectMeta, OperationOptions, ReadOptions, StorageAdapter } from '../adapter.js';
import { collectBytes } from '../bytes.js';
import { CkptError, throwIfAborted } from '../errors.js';
import { compareKeys, lowerBound } from '../keys.js';
import type { ArchiveIndex, MemberFile } from './archive-index.js';
import { formatArchiveUri, type ArchiveScheme } from './member-uri.js';

/** What a format module gives the view: one index per archive, and the bytes of a member. */
export interface ArchiveFormat<Loc> {
  /** Reads the archive's headers (once: the view caches the promise). */
  index(signal?: AbortSignal): Promise<ArchiveIndex<Loc>>;
  /** The member's bytes from `offset`, `length` of them (to the end when absent), as a stream. */
  stream(member: MemberFile<Loc>, offset: number, length: number | undefined, signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /**
   * Formats read front to back (`.tar.gz`): one pass handing the files under `prefix` to `visit`
   * in archive order. Builds the index when `known` is absent (and returns it), else reads with it.
   * Undefined when the archive turns out not to be read front to back (nothing was handed over).
   * `wants` (absent: every file) narrows what is handed over; with `known`, the pass stops after
   * the last file wanted.
   */
  scan?(
    prefix: string,
    visit: (meta: ObjectMeta, body: AsyncIterable<Uint8Array>) => Promise<void>,
    signal: AbortSignal | undefined,
    known: ArchiveIndex<Loc> | undefined,
    wants?: ((key: string) => boolean) | undefined,
  ): Promise<ArchiveIndex<Loc> | undefined>;
  /** True when a ranged read of a member costs one ranged read of the archive (stored zip members, plain tar). */
  readonly rangeReads: boolean;
}

/** The archive a view shows and how its URIs are spelled. */
export interface ArchiveViewTarget {
  scheme: ArchiveScheme;
  /** The archive's own URI, as the user spelled it (member URIs are built on it). */
  archiveUri: string;
}

const PAGE = 1000;

/**
 * A read-only {@link StorageAdapter} over one archive: members are keys, directories are virtual
 * (key prefixes; the archive's own directory entries list as `dir/` markers, as on object stores). The index is read on the first operation and kept for the adapter's life, so one
 * command reads an archive's headers once. Every write is READ_ONLY.
 */
export function createArchiveView<Loc>(target: ArchiveViewTarget, format: ArchiveFormat<Loc>): StorageAdapter {
  const uriOf = (key: string) => formatArchiveUri(target.scheme, target.archiveUri, key);
  let indexed: Promise<ArchiveIndex<Loc>> | undefined;
  const index = (signal?: AbortSignal) => {
    if (!indexed) {
      indexed = format.index(signal);
      // A failed or aborted pass is not kept: the next operation tries again.
      indexed.catch(() => (indexed = undefined));
    }
    return indexed;
  };
  const capabilities: Capabilities = {
    directories: 'virtual',
    atomicRename: false,
    rangeReads: format.rangeReads,
    conditionalWrite: false,
    startAfter: true,
    maxPageSize: PAGE,
    maxDeleteBatch: 1,
  };
  const readOnly = (operation: string, key: string) =>
    new CkptError('READ_ONLY', { operation, uri: uriOf(key), message: 'archive members are read-only; copy them out with `ckpt cp`' });
  const member = async (operation: string, key: string, signal?: AbortSignal): Promise<MemberFile<Loc>> => {
    throwIfAborted(signal, operation, uriOf(key));
    const idx = await index(signal);
    const file = idx.files.get(key);
    if (file) return file;
    const rejected = idx.rejected.get(key);
    if (rejected) throw new CkptError('NOT_SUPPORTED', { operation, uri: uriOf(key), message: `not readable in the archive: ${rejected.reason}` });
    throw new CkptError('NOT_FOUND', { operation, uri: uriOf(key) });
  };
  const metaOf = (file: MemberFile<Loc>): ObjectMeta => ({ key: file.key, kind: 'file', size: file.size, mtime: file.mtime });
  const bounds = (file: MemberFile<Loc>, o?: ReadOptions) => {
    const offset = Math.min(o?.range?.offset ?? 0, file.size);
    const length = o?.range?.length === undefined ? file.size - offset : Math.min(o.range.length, file.size - offset);
    return { offset, length };
  };

  const adapter: StorageAdapter = {
    scheme: target.scheme,
    store: target.archiveUri,
    capabilities,
    uriOf,
    async stat(key, o?: OperationOptions) {
      return metaOf(await member('stat', key, o?.signal));
    },
    async read(key, o?: ReadOptions) {
      const file = await member('read', key, o?.signal);
      const { offset, length } = bounds(file, o);
      if (length === 0) return new Uint8Array(0);
      return collectBytes(format.stream(file, offset, length, o?.signal), { signal: o?.signal, operation: 'read', uri: uriOf(key) });
    },
    async *readStream(key, o?: ReadOptions) {
      const file = await member('read', key, o?.signal);
      const { offset, length } = bounds(file, o);
      if (length === 0) return;
      yield* format.stream(file, offset, length, o?.signal);
    },
    async list(prefix: string, o?: ListOptions): Promise<ListPage> {
      throwIfAborted(o?.signal, 'list', uriOf(prefix));
      const idx = await index(o?.signal);
      const keys = idx.sorted();
      const pageSize = Math.max(1, Math.min(o?.pageSize ?? PAGE, PAGE));
      const after = o?.pageToken ?? o?.startAfter;
      let i = lowerBound(keys, after !== undefined && compareKeys(after, prefix) >= 0 ? after : prefix);
      const entries: ObjectMeta[] = [];
      let last: string | undefined;
      while (i < keys.length && entries.length < pageSize) {
        const key = keys[i]!;
        if (!key.startsWith(prefix)) break;
        if (after !== undefined && compareKeys(key, after) <= 0) {
          i++;
          continue;
        }
        const slash = o?.delimiter ? key.indexOf('/', prefix.length) : -1;
        if (slash >= 0) {
          const dir = key.slice(0, slash + 1);
          entries.push({ key: dir, kind: 'directory', size: 0 });
          last = dir + '\u{10FFFF}';
          i = lowerBound(keys, last);
          continue;
        }
        i++;
        // A directory entry of the archive lists as a directory marker does on an object store.
        entries.push(key.endsWith('/') ? { key, kind: 'directory', size: 0, mtime: undefined } : metaOf(idx.files.get(key)!));
        last = key;
      }
      const more = i < keys.length && keys[i]!.startsWith(prefix);
      return more && last !== undefined ? { entries, nextPageToken: last } : { entries };
    },
    async write(key) {
      throw readOnly('write', key);
    },
    async delete(key) {
      throw readOnly('delete', key);
    },
    async deleteMany(keys) {
      throw readOnly('delete', keys[0] ?? '');
    },
    async copy(_src, dst) {
      throw readOnly('copy', dst);
    },
    async rename(_src, dst) {
      throw readOnly('rename', dst);
    },
  };
  const { scan } = format;
  if (scan) {
    adapter.scan = async (prefix, visit, o) => {
      throwIfAborted(o?.signal, 'read', uriOf(prefix));
      const known = indexed && (await indexed);
      if (known) return (await scan(prefix, visit, o?.signal, known, o?.wants)) !== undefined;
      // The scan is the index pass: a listing that comes meanwhile waits for it, not for another.
      const scanning = scan(prefix, visit, o?.signal, undefined, o?.wants);
      indexed = scanning.then((idx) => idx ?? format.index(o?.signal));
      indexed.catch(() => (indexed = undefined));
      return (await scanning) !== undefined;
    };
  }
  return adapter;
}
