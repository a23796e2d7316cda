import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Dirent, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  CkptError,
  type Capabilities,
  type AdapterListOptions as ListOptions,
  type ListPage,
  type ObjectMeta,
  type OperationOptions,
  type ReadOptions,
  type SkippedEntry,
  type StorageAdapter,
  type WriteBody,
  type WriteOptions,
  compareKeys,
  decodeFileName,
  encodeFileName,
  encodeFileUriPath,
  hasEscapedBytes,
  isRangedBody,
  throwIfAborted,
} from '@ckptkit/gfile';
import { writeChunks } from './chunk-writer.js';
import { writeRanges } from './ranged-writer.js';
import { mapFsError } from './map-error.js';

/** Options of the local adapter. */
export interface LocalAdapterOptions {
  /** Largest page of a listing (default 1,000); tests force small pages. */
  maxPageSize?: number;
  /** fsync files before renaming them into place (default true: a crash never leaves a torn file). */
  fsync?: boolean;
  /**
   * Write streamed bodies with synchronous writes on the event loop (default false): less CPU
   * and memory for large copies, but each write blocks the event loop while the kernel takes the
   * bytes. For command-line tools, not servers (see `ChunkWriteOptions.onEventLoop`).
   */
  writeOnEventLoop?: boolean;
}

/**
 * The path node:fs is given: the string itself, or, for a path holding bytes that are not UTF-8
 * (carried as U+DC80..U+DCFF, see gfile's `names.ts`), those exact bytes.
 */
function fsPath(p: string): string | Buffer {
  return hasEscapedBytes(p) ? Buffer.from(encodeFileName(p)) : p;
}

/** `fs.realpath` without losing bytes that are not UTF-8. */
async function realpathOf(p: string): Promise<string> {
  return decodeFileName(await fs.realpath(fsPath(p), { encoding: 'buffer' }));
}

const PERMISSION = new Set(['EACCES', 'EPERM']);

function notRegular(uri: string): CkptError {
  return new CkptError('INVALID_PATH', { operation: 'read', uri, message: 'not a regular file (a FIFO, socket or device): refusing to read it' });
}

/**
 * Opens a regular file for reading. O_NONBLOCK makes opening a FIFO return at once instead of
 * waiting for a writer forever (`checkpoint` as a FIFO hung `ckpt latest`); it changes nothing for
 * regular files. Directories, FIFOs, sockets and devices (a symlink to /dev/zero would stream
 * without end) are refused with INVALID_PATH.
 */
async function openRegular(file: string, uri: string): Promise<fs.FileHandle> {
  const handle = await fs.open(fsPath(file), fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new CkptError('INVALID_PATH', { operation: 'read', uri, message: 'is a directory' });
    if (!st.isFile()) throw notRegular(uri);
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The temporary name a write uses next to `target`: `.NAME.ckpt-tmp-RANDOM`, with NAME cut to 100
 * bytes. The whole name must stay within NAME_MAX (255 bytes): with the full name, a file whose
 * own name had 233 to 255 bytes could not be written at all (ENAMETOOLONG).
 */
function tempName(target: string): string {
  let base = '';
  let bytes = 0;
  for (const ch of path.basename(target)) {
    bytes += Buffer.byteLength(ch);
    if (bytes > 100) break;
    base += ch;
  }
  return path.join(path.dirname(target), `.${base}${TEMP_MARKER}${randomBytes(6).toString('hex')}`);
}

/** Prefix of the temporary files a write creates next to its target. */
export const TEMP_MARKER = '.ckpt-tmp-';

const STAT_BATCH = 64;
/**
 * With fsync on, a stream is flushed to disk every 32 MiB while it is still arriving, so that the
 * fsync before the rename waits for the last 32 MiB instead of the whole file.
 */
const SYNC_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * The local filesystem as a store. Keys are absolute paths without the leading `/`; directories are
 * real (`capabilities.directories === 'real'`). Writes go to a temporary file in the same directory
 * and are renamed into place, so readers never see a partial file; the ranges of a ranged body are
 * written into that file side by side, each at its offset. Listings are in key order,
 * follow symbolic links, and never descend into a link that leads back to a directory already on
 * the path (symlink loops terminate).
 */
export function createLocalAdapter(options: LocalAdapterOptions = {}): StorageAdapter {
  const maxPageSize = options.maxPageSize ?? 1000;
  const doFsync = options.fsync ?? true;
  const how = { syncEveryBytes: doFsync ? SYNC_EVERY_BYTES : 0, onEventLoop: options.writeOnEventLoop ?? false };
  const capabilities: Capabilities = {
    directories: 'real',
    atomicRename: true,
    rangeReads: true,
    conditionalWrite: true,
    startAfter: true,
    maxPageSize,
    maxDeleteBatch: 1,
    rangedWrites: true,
  };
  const pathOf = (key: string) => `/${key.endsWith('/') ? key.slice(0, -1) : key}`;
  const uriOf = (key: string) => `file:///${encodeFileUriPath(key)}`;
  const fail = (error: unknown, operation: string, key: string) => mapFsError(error, operation, uriOf(key));

  const metaOf = (key: string, st: Stats): ObjectMeta =>
    st.isDirectory()
      ? { key: key.endsWith('/') ? key : `${key}/`, kind: 'directory', size: 0, mtime: st.mtime }
      : { key, kind: 'file', size: st.size, mtime: st.mtime };

  async function writeAtomic(key: string, body: WriteBody, o: WriteOptions | undefined): Promise<ObjectMeta> {
    const target = pathOf(key);
    const dir = path.dirname(target);
    await fs.mkdir(fsPath(dir), { recursive: true });
    const temp = tempName(target);
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(fsPath(temp), 'wx', 0o644);
      if (body instanceof Uint8Array) {
        await handle.writeFile(body);
      } else if (isRangedBody(body)) {
        await writeRanges(handle, body, uriOf(key), o?.signal, how);
      } else {
        await writeChunks(handle, body, { ...how, beforeChunk: () => throwIfAborted(o?.signal, 'write', uriOf(key)) });
      }
      throwIfAborted(o?.signal, 'write', uriOf(key));
      if (doFsync) await handle.sync();
      await handle.close();
      handle = undefined;
      if (o?.ifNotExists) {
        // link() fails if the target exists: an atomic create-if-absent.
        await fs.link(fsPath(temp), fsPath(target));
        await fs.unlink(fsPath(temp));
      } else {
        await fs.rename(fsPath(temp), fsPath(target));
      }
      return metaOf(key, await fs.stat(fsPath(target)));
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await fs.unlink(fsPath(temp)).catch(() => undefined);
      throw error;
    }
  }

  interface Child {
    name: string;
    /** Name plus `/` for directories: sorting these gives key order. */
    sortName: string;
    isDir: boolean;
    abs: string;
    /** For directories: the real path, to detect loops. */
    real?: string;
  }

  /**
   * A directory's entries with their names. Names are read as UTF-8; only when one does not decode
   * (U+FFFD in it) is the directory read again as bytes, and every name decoded losslessly.
   */
  async function readNames(dirAbs: string): Promise<Array<{ name: string; d: Dirent<string> | Dirent<Buffer> }>> {
    const dirents = await fs.readdir(fsPath(dirAbs), { withFileTypes: true });
    if (!dirents.some((d) => d.name.includes('\uFFFD'))) return dirents.map((d) => ({ name: d.name, d }));
    const raw = await fs.readdir(fsPath(dirAbs), { withFileTypes: true, encoding: 'buffer' });
    return raw.map((d) => ({ name: decodeFileName(d.name), d }));
  }

  async function children(dirAbs: string, dirReal: string, namePrefix: string): Promise<Child[]> {
    let dirents: Array<{ name: string; d: Dirent<string> | Dirent<Buffer> }>;
    try {
      dirents = await readNames(dirAbs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw error;
    }
    const out: Child[] = [];
    await Promise.all(
      dirents.map(async ({ name, d }) => {
        if (!name.startsWith(namePrefix)) return;
        const abs = path.join(dirAbs, name);
        let isDir = d.isDirectory();
        let real: string | undefined = isDir ? path.join(dirReal, name) : undefined;
        if (d.isSymbolicLink() || (!d.isFile() && !d.isDirectory())) {
          try {
            isDir = (await fs.stat(fsPath(abs))).isDirectory();
            if (isDir) real = await realpathOf(abs);
          } catch {
            isDir = false; // a dangling link lists as a file
          }
        }
        out.push({ name, sortName: isDir ? `${name}/` : name, isDir, abs, ...(real === undefined ? {} : { real }) });
      }),
    );
    return out.sort((a, b) => compareKeys(a.sortName, b.sortName));
  }

  /** The entry's stats; undefined when it is gone, or when it may not be looked at (then reported in `skipped`, if given). */
  async function statEntry(c: Child, key: string, skipped: SkippedEntry[] | undefined): Promise<Stats | undefined> {
    try {
      return await fs.stat(fsPath(c.abs));
    } catch (error) {
      try {
        return await fs.lstat(fsPath(c.abs));
      } catch {
        if (skipped && PERMISSION.has((error as NodeJS.ErrnoException).code ?? '')) skipped.push({ key, error: fail(error, 'list', key) });
        return undefined; // removed while we listed it
      }
    }
  }

  /** Entries under `dirKey` in key order, lazily. */
  async function* walk(
    dirKey: string,
    dirAbs: string,
    dirReal: string,
    chain: string[],
    namePrefix: string,
    delimiter: boolean,
    after: string | undefined,
    signal: AbortSignal | undefined,
    skipped: SkippedEntry[] | undefined,
  ): AsyncGenerator<ObjectMeta> {
    throwIfAborted(signal, 'list', uriOf(dirKey));
    let kids: Child[];
    try {
      kids = await children(dirAbs, dirReal, namePrefix);
    } catch (error) {
      // A directory we may not read: with skipped, left out and reported under its own key.
      if (!skipped || !PERMISSION.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      skipped.push({ key: dirKey, error: fail(error, 'list', dirKey) });
      return;
    }
    for (let i = 0; i < kids.length; i += STAT_BATCH) {
      const batch = kids.slice(i, i + STAT_BATCH);
      const wanted = batch.map((c) => after === undefined || compareKeys(dirKey + c.sortName, after) > 0);
      const stats = await Promise.all(batch.map((c, j) => (wanted[j] ? statEntry(c, dirKey + c.sortName, skipped) : undefined)));
      for (let j = 0; j < batch.length; j++) {
        const c = batch[j]!;
        const key = dirKey + c.sortName;
        const st = stats[j];
        if (wanted[j] && st) {
          yield c.isDir ? { key, kind: 'directory', size: 0, mtime: st.mtime } : { key, kind: 'file', size: st.size, mtime: st.mtime };
        }
        if (!c.isDir || delimiter) continue;
        const descend = after === undefined || compareKeys(key, after) > 0 || after.startsWith(key);
        const real = c.real!;
        const loop = chain.some((r) => r === real || r.startsWith(`${real}/`)) || real === '/';
        if (descend && !loop) yield* walk(key, c.abs, real, [...chain, real], '', false, after, signal, skipped);
      }
    }
  }

  return {
    scheme: 'file',
    store: '',
    capabilities,
    uriOf,

    async stat(key: string, o?: OperationOptions) {
      throwIfAborted(o?.signal, 'stat', uriOf(key));
      try {
        return metaOf(key, await fs.stat(fsPath(pathOf(key))));
      } catch (error) {
        throw fail(error, 'stat', key);
      }
    },

    async read(key: string, o?: ReadOptions) {
      throwIfAborted(o?.signal, 'read', uriOf(key));
      let handle: fs.FileHandle | undefined;
      try {
        handle = await openRegular(pathOf(key), uriOf(key));
        const st = await handle.stat();
        const start = Math.min(o?.range?.offset ?? 0, st.size);
        const end = o?.range?.length === undefined ? st.size : Math.min(st.size, start + o.range.length);
        // Sized by the file's real length, never by the caller's request alone.
        const out = new Uint8Array(end - start);
        let off = 0;
        while (off < out.byteLength) {
          throwIfAborted(o?.signal, 'read', uriOf(key));
          const { bytesRead } = await handle.read(out, off, out.byteLength - off, start + off);
          if (bytesRead === 0) break;
          off += bytesRead;
        }
        return off === out.byteLength ? out : out.subarray(0, off);
      } catch (error) {
        throw fail(error, 'read', key);
      } finally {
        await handle?.close().catch(() => undefined);
      }
    },

    async *readStream(key: string, o?: ReadOptions) {
      const start = o?.range?.offset ?? 0;
      const length = o?.range?.length;
      if (length === 0) return;
      throwIfAborted(o?.signal, 'read', uriOf(key));
      let handle: fs.FileHandle;
      try {
        handle = await openRegular(pathOf(key), uriOf(key));
      } catch (error) {
        throw fail(error, 'read', key);
      }
      const stream = handle.createReadStream({
        start,
        ...(length === undefined ? {} : { end: start + length - 1 }),
        highWaterMark: 1 << 20,
      });
      const onAbort = () => stream.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      o?.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const chunk of stream) yield new Uint8Array((chunk as Buffer).buffer, (chunk as Buffer).byteOffset, (chunk as Buffer).byteLength);
      } catch (error) {
        throw fail(error, 'read', key);
      } finally {
        o?.signal?.removeEventListener('abort', onAbort);
        stream.destroy();
        await handle.close().catch(() => undefined);
      }
    },

    async write(key: string, body: WriteBody, o?: WriteOptions) {
      throwIfAborted(o?.signal, 'write', uriOf(key));
      if (o?.ifMatch !== undefined) {
        // rename() replaces atomically but cannot compare first: no honest compare-and-swap here.
        throw new CkptError('NOT_SUPPORTED', { operation: 'write', uri: uriOf(key), message: 'a local disk cannot replace a file only if it is unchanged (ifMatch)' });
      }
      try {
        if (key.endsWith('/')) {
          await fs.mkdir(fsPath(pathOf(key)), { recursive: true });
          return metaOf(key, await fs.stat(fsPath(pathOf(key))));
        }
        return await writeAtomic(key, body, o);
      } catch (error) {
        throw fail(error, 'write', key);
      }
    },

    async list(prefix: string, o?: ListOptions): Promise<ListPage> {
      const pageSize = Math.max(1, Math.min(o?.pageSize ?? maxPageSize, maxPageSize));
      const slash = prefix.lastIndexOf('/');
      const dirKey = prefix.slice(0, slash + 1);
      const namePrefix = prefix.slice(slash + 1);
      const after = o?.pageToken ?? o?.startAfter;
      const startAbs = pathOf(dirKey);
      try {
        let real: string;
        try {
          real = await realpathOf(startAbs);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'ENOTDIR') return { entries: [] };
          throw error;
        }
        const entries: ObjectMeta[] = [];
        const skipped: SkippedEntry[] | undefined = o?.skipUnreadable ? [] : undefined;
        const page = (nextPageToken?: string): ListPage => ({ entries, ...(nextPageToken === undefined ? {} : { nextPageToken }), ...(skipped?.length ? { skipped } : {}) });
        const it = walk(dirKey, startAbs, real, [real], namePrefix, o?.delimiter === true, after, o?.signal, skipped);
        try {
          for await (const meta of it) {
            if (entries.length === pageSize) return page(entries[entries.length - 1]!.key);
            entries.push(meta);
          }
        } finally {
          await it.return(undefined);
        }
        return page();
      } catch (error) {
        throw fail(error, 'list', prefix);
      }
    },

    async delete(key: string, o?: OperationOptions) {
      throwIfAborted(o?.signal, 'delete', uriOf(key));
      try {
        if (key.endsWith('/')) {
          await fs.rmdir(fsPath(pathOf(key)));
          return;
        }
        const st = await fs.lstat(fsPath(pathOf(key)));
        if (st.isDirectory()) throw new CkptError('INVALID_PATH', { operation: 'delete', uri: uriOf(key), message: 'is a directory; use removeTree' });
        await fs.unlink(fsPath(pathOf(key)));
      } catch (error) {
        throw fail(error, 'delete', key);
      }
    },

    async copy(src: string, dst: string, o?: OperationOptions) {
      throwIfAborted(o?.signal, 'copy', uriOf(src));
      const target = pathOf(dst);
      const temp = tempName(target);
      try {
        const st = await fs.stat(fsPath(pathOf(src)));
        if (st.isDirectory()) throw new CkptError('INVALID_PATH', { operation: 'copy', uri: uriOf(src), message: 'is a directory' });
        // copyFile would block forever opening a FIFO, or copy a device without end.
        if (!st.isFile()) throw notRegular(uriOf(src));
        await fs.mkdir(fsPath(path.dirname(target)), { recursive: true });
        await fs.copyFile(fsPath(pathOf(src)), fsPath(temp));
        await fs.rename(fsPath(temp), fsPath(target));
      } catch (error) {
        await fs.unlink(fsPath(temp)).catch(() => undefined);
        throw fail(error, 'copy', src);
      }
    },

    async rename(src: string, dst: string, o?: OperationOptions) {
      throwIfAborted(o?.signal, 'rename', uriOf(src));
      try {
        await fs.mkdir(fsPath(path.dirname(pathOf(dst))), { recursive: true });
        await fs.rename(fsPath(pathOf(src)), fsPath(pathOf(dst)));
      } catch (error) {
        throw fail(error, 'rename', src);
      }
    },
  };
}
