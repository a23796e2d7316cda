import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, unlinkSync, type Dirent, type Stats } from 'node:fs';
import os from 'node:os';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  CkptError,
  type Capabilities,
  type AdapterCopyOptions as CopyOptions,
  type UnfinishedWrite,
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

/** Prefix of the temporary files a write creates next to its target. */
export const TEMP_MARKER = '.ckpt-tmp-';

let hostTagCache: string | undefined;
/** This machine in temporary names: 8 hex digits of a hash of its host name (never the name itself). */
export function hostTag(): string {
  return (hostTagCache ??= createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8));
}

/**
 * The temporary name a write uses next to `target`: `.NAME.ckpt-tmp-HOST-PID-RANDOM` (HOST from
 * {@link hostTag}, PID of the writing process), with NAME cut to 100 bytes. The whole name must
 * stay within NAME_MAX (255 bytes): with the full name, a file whose own name had 233 to 255 bytes
 * could not be written at all (ENAMETOOLONG). The owner in the name is what lets a later run tell
 * a killed writer's leftover from a live writer's file (see {@link parseTempName}).
 */
function tempName(target: string): string {
  let base = '';
  let bytes = 0;
  for (const ch of path.basename(target)) {
    bytes += Buffer.byteLength(ch);
    if (bytes > 100) break;
    base += ch;
  }
  return path.join(path.dirname(target), `.${base}${TEMP_MARKER}${hostTag()}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/**
 * Whether a failed copy or rename is the source's fault (gone, or unreadable) rather than the
 * destination's (full, read-only, not writable): the error then names the object at fault.
 * Called on the error path only.
 */
async function sourceAtFault(error: unknown, src: string): Promise<boolean> {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS' || code === 'EFBIG') return false;
  try {
    await fs.access(fsPath(src), fsConstants.R_OK);
    return false;
  } catch {
    return true;
  }
}

// `.NAME.ckpt-tmp-HOST-PID-RANDOM`, or `.NAME.ckpt-tmp-RANDOM` as written before owners were recorded.
const TEMP_NAME = /^\.(.+)\.ckpt-tmp-(?:([0-9a-f]{8})-([1-9][0-9]{0,9})-)?[0-9a-f]{12}$/s;

/**
 * What a file name says when it is one of this adapter's temporary files: the (possibly cut) name
 * of the target, and the writing process when the name records it. Undefined for any other name.
 */
export function parseTempName(name: string): { target: string; owner?: { host: string; pid: number } } | undefined {
  const m = TEMP_NAME.exec(name);
  if (!m) return undefined;
  return m[2] === undefined ? { target: m[1]! } : { target: m[1]!, owner: { host: m[2], pid: Number(m[3]) } };
}

/**
 * The temporary files this process is writing right now, process-wide: what {@link removeUnfinishedWritesSync}
 * deletes when the process must end before its writes do (a signal's last moment, `process.exit`).
 */
const liveTempFiles = new Set<string>();

/**
 * Deletes, synchronously, every temporary file a write of this process has open (writes cut short
 * by an exit): for a program's exit path, where nothing asynchronous runs any more. Returns the
 * paths deleted.
 */
export function removeUnfinishedWritesSync(): string[] {
  const removed: string[] = [];
  for (const file of liveTempFiles) {
    try {
      unlinkSync(fsPath(file));
      removed.push(file);
    } catch {
      // already gone
    }
  }
  liveTempFiles.clear();
  return removed;
}

/**
 * Whether a process of this machine runs: signal 0 probes without signalling. EPERM: it runs as
 * another user. A recycled pid reads as alive: the safe side (the file waits for the age rule).
 */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How often a local copy reports the size of its growing temporary file. */
const COPY_PROGRESS_MS = 100;

const STAT_BATCH = 64;

/** Listings that can be carried on from their page token at once (see {@link ListingCursors}). */
const MAX_CURSORS = 64;
/** How long a listing's cursor waits for its next page before it is dropped (the token still works). */
const CURSOR_TTL_MS = 30_000;

/** A listing under way, where its last page stopped. */
interface WalkCursor {
  it: AsyncGenerator<ObjectMeta>;
  /** The entry read after the page's last one, if any (it starts the next page). */
  next: IteratorResult<ObjectMeta> | undefined;
  /** Unreadable directories met since the last page was returned. */
  skipped: SkippedEntry[] | undefined;
  /** The signal of the page being listed (each page is its own request). */
  state: { signal?: AbortSignal | undefined };
}

/**
 * The walks of listings whose next page is likely to be asked for, by page token: a page carries
 * on where the last one stopped instead of reading and sorting every directory on the path again
 * (which made a listing of one large directory quadratic: 80,000 files took 15.7 s). Bounded in
 * number and age; a token whose cursor is gone (dropped, or from another process) is served by a
 * fresh walk that starts after it, with the same result.
 */
export class ListingCursors<T> {
  private readonly entries = new Map<string, { value: T; at: number }>();
  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  /** Removes and returns the cursor stored under `key`, if it is still fresh. */
  take(key: string): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    return Date.now() - e.at <= this.ttlMs ? e.value : undefined;
  }

  /** Stores a cursor; the oldest ones go when there are more than `max`. */
  put(key: string, value: T): void {
    this.entries.set(key, { value, at: Date.now() });
    const now = Date.now();
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.max && now - e.at <= this.ttlMs) break;
      this.entries.delete(k);
    }
  }
}
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

  /**
   * `mkdir -p dir`; when a file stands where a directory must be (EEXIST on `dir` itself, ENOTDIR
   * on a parent), NOT_A_DIRECTORY naming that file: the object at fault, not the one being written.
   */
  async function makeDirs(dir: string, operation: string): Promise<void> {
    try {
      await fs.mkdir(fsPath(dir), { recursive: true });
    } catch (caught) {
      const error = (caught as NodeJS.ErrnoException).code === 'ENOENT' ? await realMkdirError(dir, caught) : caught;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTDIR') throw mapFsError(error, operation, uriOf(dir.slice(1)));
      const file = await fileInTheWay(dir);
      throw new CkptError('NOT_A_DIRECTORY', {
        operation,
        uri: uriOf((file ?? dir).slice(1)),
        message: `is a file, not a directory${file !== undefined && file !== dir ? ` (needed for ${uriOf(dir.slice(1))})` : ''} (${code})`,
        cause: error,
      });
    }
  }

  /**
   * Node's recursive mkdir reports ENOENT when it cannot create a missing parent on a read-only or
   * unwritable file system; creating the first missing one alone gives the real reason (EROFS,
   * EACCES, ENOSPC). Error path only.
   */
  async function realMkdirError(dir: string, fallback: unknown): Promise<unknown> {
    const chain: string[] = [];
    for (let p = dir; p !== path.dirname(p); p = path.dirname(p)) chain.unshift(p);
    for (const p of chain) {
      if (await fs.stat(fsPath(p)).then(() => true, () => false)) continue;
      try {
        await fs.mkdir(fsPath(p));
      } catch (error) {
        return error;
      }
    }
    return fallback;
  }

  /** The first path from `dir` upwards that exists and is not a directory (error path only). */
  async function fileInTheWay(dir: string): Promise<string | undefined> {
    const chain: string[] = [];
    for (let p = dir; p !== path.dirname(p); p = path.dirname(p)) chain.unshift(p);
    for (const p of chain) {
      const st = await fs.stat(fsPath(p)).catch(() => undefined);
      if (st === undefined) return undefined;
      if (!st.isDirectory()) return p;
    }
    return undefined;
  }

  async function writeAtomic(key: string, body: WriteBody, o: WriteOptions | undefined): Promise<ObjectMeta> {
    const target = pathOf(key);
    const dir = path.dirname(target);
    await makeDirs(dir, 'write');
    const temp = tempName(target);
    let handle: fs.FileHandle | undefined;
    liveTempFiles.add(temp);
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
    } finally {
      liveTempFiles.delete(temp);
    }
  }

  const cursors = new ListingCursors<WalkCursor>(MAX_CURSORS, CURSOR_TTL_MS);
  const cursorKey = (prefix: string, delimiter: boolean, skipUnreadable: boolean, token: string) => `${delimiter ? 'd' : 'r'}${skipUnreadable ? 's' : '-'}\0${prefix}\0${token}`;

  interface Child {
    name: string;
    /** Name plus `/` for directories: sorting these gives key order. */
    sortName: string;
    isDir: boolean;
    /** For directories: the real path, to detect loops. */
    real?: string;
    /** For symbolic links: the target as stored. */
    linkTarget?: string;
    dangling?: boolean;
  }

  /**
   * A directory's entries with their names. Names are read as UTF-8; only when one does not decode
   * (U+FFFD in it) is the directory read again as bytes, and every name decoded losslessly.
   */
  async function readNames(dirAbs: string): Promise<Array<Dirent<string> | Dirent<Buffer>>> {
    const dirents = await fs.readdir(fsPath(dirAbs), { withFileTypes: true });
    if (!dirents.some((d) => d.name.includes('\uFFFD'))) return dirents;
    return fs.readdir(fsPath(dirAbs), { withFileTypes: true, encoding: 'buffer' });
  }

  /**
   * The entries of a directory whose names start with `namePrefix`, in key order. Plain files and
   * directories cost nothing more than the directory read; only symbolic links (and other special
   * entries) are looked at further, a bounded number at a time.
   */
  async function children(dirAbs: string, dirReal: string, namePrefix: string): Promise<Child[]> {
    let dirents: Array<Dirent<string> | Dirent<Buffer>>;
    try {
      dirents = await readNames(dirAbs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw error;
    }
    const out: Child[] = [];
    const special: Array<{ child: Child; link: boolean }> = [];
    for (const d of dirents) {
      const name = typeof d.name === 'string' ? d.name : decodeFileName(d.name);
      if (!name.startsWith(namePrefix)) continue;
      const isDir = d.isDirectory();
      const child: Child = { name, sortName: isDir ? `${name}/` : name, isDir };
      if (isDir) child.real = path.join(dirReal, name);
      out.push(child);
      if (d.isSymbolicLink() || (!d.isFile() && !isDir)) special.push({ child, link: d.isSymbolicLink() });
    }
    for (let i = 0; i < special.length; i += STAT_BATCH) {
      await Promise.all(
        special.slice(i, i + STAT_BATCH).map(async ({ child, link }) => {
          const abs = path.join(dirAbs, child.name);
          if (link) {
            const target = await fs.readlink(fsPath(abs)).catch(() => undefined);
            if (target !== undefined) child.linkTarget = target;
          }
          try {
            child.isDir = (await fs.stat(fsPath(abs))).isDirectory();
            if (child.isDir) child.real = await realpathOf(abs);
          } catch {
            child.isDir = false; // a dangling link lists as a file
            if (link) child.dangling = true;
          }
          child.sortName = child.isDir ? `${child.name}/` : child.name;
        }),
      );
    }
    return out.sort((a, b) => compareKeys(a.sortName, b.sortName));
  }

  /** The entry's stats; undefined when it is gone, or when it may not be looked at (then reported in `skipped`, if given). */
  async function statEntry(abs: string, key: string, skipped: SkippedEntry[] | undefined): Promise<Stats | undefined> {
    try {
      return await fs.stat(fsPath(abs));
    } catch (error) {
      try {
        return await fs.lstat(fsPath(abs));
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
    skipped: SkippedEntry[] | undefined,
    state: { signal?: AbortSignal | undefined } = {},
  ): AsyncGenerator<ObjectMeta> {
    throwIfAborted(state.signal, 'list', uriOf(dirKey));
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
      const stats = await Promise.all(batch.map((c, j) => (wanted[j] ? statEntry(path.join(dirAbs, c.name), dirKey + c.sortName, skipped) : undefined)));
      for (let j = 0; j < batch.length; j++) {
        const c = batch[j]!;
        const key = dirKey + c.sortName;
        const st = stats[j];
        if (wanted[j] && st) {
          const meta: ObjectMeta = c.isDir ? { key, kind: 'directory', size: 0, mtime: st.mtime } : { key, kind: 'file', size: st.size, mtime: st.mtime };
          if (c.linkTarget !== undefined) meta.linkTarget = c.linkTarget;
          if (c.dangling) meta.danglingLink = true;
          yield meta;
        }
        if (!c.isDir || delimiter) continue;
        const descend = after === undefined || compareKeys(key, after) > 0 || after.startsWith(key);
        const real = c.real!;
        const loop = chain.some((r) => r === real || r.startsWith(`${real}/`)) || real === '/';
        if (descend && !loop) yield* walk(key, path.join(dirAbs, c.name), real, [...chain, real], '', false, after, skipped, state);
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
          await makeDirs(pathOf(key), 'write');
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
      const delimiter = o?.delimiter === true;
      const wantSkipped = o?.skipUnreadable === true;
      try {
        // A page token this adapter handed out carries on the walk that made it, where it stopped:
        // each directory is read and sorted once per listing, not once per page.
        let cursor = o?.pageToken === undefined ? undefined : cursors.take(cursorKey(prefix, delimiter, wantSkipped, o.pageToken));
        if (!cursor) {
          const after = o?.pageToken ?? o?.startAfter;
          const startAbs = pathOf(dirKey);
          let real: string;
          try {
            real = await realpathOf(startAbs);
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === 'ENOENT' || code === 'ENOTDIR') return { entries: [] };
            throw error;
          }
          const skipped: SkippedEntry[] | undefined = wantSkipped ? [] : undefined;
          const state: { signal?: AbortSignal | undefined } = {};
          cursor = { it: walk(dirKey, startAbs, real, [real], namePrefix, delimiter, after, skipped, state), skipped, next: undefined, state };
        }
        cursor.state.signal = o?.signal;
        const entries: ObjectMeta[] = [];
        let done = false;
        try {
          while (entries.length < pageSize) {
            const next = cursor.next ?? (await cursor.it.next());
            cursor.next = undefined;
            if (next.done) {
              done = true;
              break;
            }
            entries.push(next.value);
          }
          // One entry more tells whether another page follows; it waits in the cursor for that page.
          if (!done) {
            cursor.next = await cursor.it.next();
            done = cursor.next.done === true;
          }
        } catch (error) {
          await cursor.it.return(undefined).catch(() => undefined);
          throw error;
        }
        const skipped = cursor.skipped?.splice(0);
        const page: ListPage = { entries, ...(skipped?.length ? { skipped } : {}) };
        if (done || entries.length === 0) return page;
        const token = entries[entries.length - 1]!.key;
        cursors.put(cursorKey(prefix, delimiter, wantSkipped, token), cursor);
        return { ...page, nextPageToken: token };
      } catch (error) {
        // The directory that could not be read (node names it), not the listing's name prefix.
        const at = (error as NodeJS.ErrnoException).path;
        throw typeof at === 'string' && at.startsWith('/') ? mapFsError(error, 'list', uriOf(at.slice(1))) : fail(error, 'list', prefix);
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

    async copy(src: string, dst: string, o?: CopyOptions) {
      throwIfAborted(o?.signal, 'copy', uriOf(src));
      const target = pathOf(dst);
      const temp = tempName(target);
      let st: Stats;
      try {
        st = await fs.stat(fsPath(pathOf(src)));
      } catch (error) {
        throw fail(error, 'copy', src);
      }
      if (st.isDirectory()) throw new CkptError('INVALID_PATH', { operation: 'copy', uri: uriOf(src), message: 'is a directory' });
      // copyFile would block forever opening a FIFO, or copy a device without end.
      if (!st.isFile()) throw notRegular(uriOf(src));
      await makeDirs(path.dirname(target), 'copy');
      liveTempFiles.add(temp);
      let poll: NodeJS.Timeout | undefined;
      let reported = 0;
      const report = (size: number) => {
        if (size > reported) o!.onProgress!(size - reported);
        reported = Math.max(reported, size);
      };
      try {
        if (o?.onProgress) {
          // copyFile (copy_file_range in a worker thread) says nothing until it is done; the size of
          // the file it is filling does.
          poll = setInterval(() => void fs.stat(fsPath(temp)).then((t) => report(t.size), () => undefined), COPY_PROGRESS_MS);
          poll.unref();
        }
        await fs.copyFile(fsPath(pathOf(src)), fsPath(temp));
        clearInterval(poll);
        await fs.rename(fsPath(temp), fsPath(target));
        if (o?.onProgress) report(st.size);
      } catch (error) {
        await fs.unlink(fsPath(temp)).catch(() => undefined);
        throw fail(error, 'copy', (await sourceAtFault(error, pathOf(src))) ? src : dst);
      } finally {
        clearInterval(poll);
        liveTempFiles.delete(temp);
      }
    },

    async unfinishedWrites(prefix: string, o?: OperationOptions): Promise<UnfinishedWrite[]> {
      throwIfAborted(o?.signal, 'list', uriOf(prefix));
      const slash = prefix.lastIndexOf('/');
      const dirKey = prefix.slice(0, slash + 1);
      const namePrefix = prefix.slice(slash + 1);
      const out: UnfinishedWrite[] = [];
      // A name prefix: that directory only (temporary files sit next to their targets); a whole
      // directory (`prefix` ending in `/`): its subtree.
      const visit = async (key: string, deep: boolean): Promise<void> => {
        let dirents: Dirent[];
        try {
          dirents = await fs.readdir(fsPath(pathOf(key) || '/'), { withFileTypes: true });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'ENOTDIR') return;
          throw fail(error, 'list', key);
        }
        for (const d of dirents) {
          if (d.isDirectory()) {
            if (deep) await visit(`${key}${d.name}/`, true);
            continue;
          }
          const parsed = d.isFile() ? parseTempName(d.name) : undefined;
          // A target name cut to 100 bytes matches a longer prefix by its start.
          if (!parsed || !(parsed.target.startsWith(namePrefix) || namePrefix.startsWith(parsed.target))) continue;
          const st = await fs.lstat(fsPath(path.join(pathOf(key) || '/', d.name))).catch(() => undefined);
          if (!st) continue;
          const owner = parsed.owner;
          out.push({ key: key + parsed.target, id: key + d.name, startedAt: st.mtime, ...(owner ? { owner, ownerAlive: owner.host === hostTag() ? processAlive(owner.pid) : undefined } : {}) });
        }
      };
      await visit(dirKey, namePrefix === '');
      return out.sort((a, b) => compareKeys(a.id, b.id));
    },

    async abandonWrite(key: string, id: string, o?: OperationOptions) {
      throwIfAborted(o?.signal, 'delete', uriOf(id));
      // Only ever a temporary file of this adapter, next to its target.
      const slash = id.lastIndexOf('/');
      if (id.slice(0, slash) !== key.slice(0, key.lastIndexOf('/')) || !parseTempName(id.slice(slash + 1))) {
        throw new CkptError('INVALID_PATH', { operation: 'delete', uri: uriOf(id), message: `not a temporary file of a write of ${uriOf(key)}` });
      }
      try {
        await fs.unlink(fsPath(pathOf(id)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw fail(error, 'delete', id);
      }
    },

    async rename(src: string, dst: string, o?: OperationOptions) {
      throwIfAborted(o?.signal, 'rename', uriOf(src));
      await makeDirs(path.dirname(pathOf(dst)), 'rename');
      try {
        await fs.rename(fsPath(pathOf(src)), fsPath(pathOf(dst)));
      } catch (error) {
        throw fail(error, 'rename', (await sourceAtFault(error, pathOf(src))) ? src : dst);
      }
    },
  };
}
