/**
 * `.tar.gz` through Node's zlib and node-tar's streaming parser: the index is one streamed pass
 * (memory bounded by the parser's buffers, never the archive), which also keeps the bytes of
 * small members (state files, `.index` files, configs) so that `find` and `inspect` of an
 * archive read it once. A larger member is another streamed pass to it.
 */
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { CkptError, isCkptError, throwIfAborted } from '../errors.js';
import { ArchiveIndex } from './archive-index.js';
import type { ArchiveLimits } from './limits.js';
import { corrupt, drained, type ArchiveSource } from './source.js';
import { memberKey } from './names.js';
import { tarKind } from './tar.js';
import type { ArchiveFormat } from './view.js';
import type { ObjectMeta } from '../adapter.js';

/** Where a `.tar.gz` member is: its place in the entry order, and its bytes when the pass kept them. */
export interface TgzLoc {
  ordinal: number;
  cached?: Buffer | undefined;
}

/**
 * Runs one pass over the archive: gunzip, parse, `onEntry` per entry (it consumes or ignores the
 * entry's data), until `onEntry` calls `stop` or the archive ends. Decompressed bytes are
 * bounded by the limits (total size, ratio to compressed bytes).
 */
async function pass(source: ArchiveSource, limits: ArchiveLimits, signal: AbortSignal | undefined, onEntry: (entry: ReadEntry, ordinal: number, stop: () => void) => Promise<void> | void): Promise<void> {
  const fail = (message: string) => corrupt(source.uri, message);
  const controller = new AbortController();
  const stopSource = () => controller.abort();
  signal?.addEventListener('abort', stopSource, { once: true });
  const gunzip = createGunzip();
  const parser = new Parser({ strict: true });
  let failure: unknown;
  let stopped = false;
  let ordinal = 0;
  let compressed = 0;
  let plain = 0;
  const pending: Promise<void>[] = [];
  let current: ReadEntry | undefined;
  parser.on('entry', (entry: ReadEntry) => {
    current = entry;
    if (stopped) {
      entry.resume();
      return;
    }
    const r = onEntry(entry, ordinal++, () => {
      stopped = true;
      controller.abort();
    });
    if (r instanceof Promise) pending.push(r.catch((e: unknown) => void (failure ??= e)));
  });
  parser.on('error', (e: unknown) => void (failure ??= e));
  parser.on('warn', (code: string, message: string | Error) => void (failure ??= fail(`${code}: ${message instanceof Error ? message.message : message}`)));
  let ended = false;
  parser.on('end', () => (ended = true));
  const feed = (async () => {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      plain += chunk.length;
      if (plain > limits.maxTotalSize) throw fail(`decompresses to more than ${limits.maxTotalSize} bytes (the limit of an archive view)`);
      if (plain > limits.ratioFloor && plain > compressed * limits.maxRatio) throw fail(`decompresses ${compressed} bytes to more than ${plain} (a gzip bomb?)`);
      if (!parser.write(chunk)) await drained(parser as unknown as NodeJS.EventEmitter);
      if (failure !== undefined || stopped) break;
    }
    if (!stopped && failure === undefined) await new Promise<void>((r) => parser.end(r));
  })();
  try {
    const read = (async () => {
      try {
        for await (const chunk of source.stream(0, undefined, controller.signal)) {
          compressed += chunk.length;
          if (gunzip.destroyed) break;
          if (!gunzip.write(chunk)) await drained(gunzip);
          if (failure !== undefined || stopped || gunzip.destroyed) break;
        }
        if (!gunzip.destroyed) gunzip.end();
      } catch (error) {
        if (!stopped) gunzip.destroy(error as Error);
        else if (!gunzip.destroyed) gunzip.end();
      }
    })();
    try {
      await feed;
    } catch (error) {
      failure ??= error;
    }
    controller.abort();
    await read;
    // A failed pass leaves an entry unfinished: its 'end' never comes, so nothing waits for it,
    // and a reader of it is told (a scan's writer must not take a cut member for a whole one).
    if (failure === undefined) await Promise.all(pending);
    else if (current && !current.emittedEnd) current.destroy(failure instanceof Error ? failure : new Error(String(failure)));
  } finally {
    signal?.removeEventListener('abort', stopSource);
    gunzip.destroy();
  }
  throwIfAborted(signal, 'read', source.uri);
  if (failure !== undefined) {
    if (isCkptError(failure)) throw failure;
    const message = (failure as Error)?.message ?? String(failure);
    throw fail(/unexpected end|truncated/i.test(message) ? `the archive ends early (truncated): ${message}` : `not a readable .tar.gz: ${message}`);
  }
  if (!stopped && !ended && ordinal === 0) throw fail('not a readable .tar.gz');
}

/** Files of a scan: which keys it hands over, and to whom. */
interface Tap {
  prefix: string;
  visit: (meta: ObjectMeta, body: AsyncIterable<Uint8Array>) => Promise<void>;
  /** Which files under `prefix` to hand over (absent: all). */
  wants?: ((key: string) => boolean) | undefined;
  /**
   * When a pass runs over an index already read: only the member each key's listing shows, and
   * the pass stops after the last of them that is wanted.
   */
  known?: ArchiveIndex<TgzLoc> | undefined;
}

/** The files of `index` under `prefix` that `wants` accepts, in archive order. */
function wantedFiles(index: ArchiveIndex<TgzLoc>, prefix: string, wants: ((key: string) => boolean) | undefined) {
  return [...index.files.values()].filter((f) => f.key.startsWith(prefix) && (!wants || wants(f.key))).sort((a, b) => a.loc.ordinal - b.loc.ordinal);
}

/**
 * One pass: builds the index (or, with `tap.known`, keeps the one given), keeps the bytes of
 * small members, and hands the files under `tap.prefix` to `tap.visit` as the pass reaches them.
 */
async function indexPass(source: ArchiveSource, limits: ArchiveLimits, signal: AbortSignal | undefined, tap?: Tap): Promise<ArchiveIndex<TgzLoc>> {
  const known = tap?.known;
  const index = known ?? new ArchiveIndex<TgzLoc>(limits, 'last-wins', (m) => corrupt(source.uri, m));
  let cachedTotal = 0;
  // Over a known index, nothing after the last wanted member is read.
  const last = known && tap ? (wantedFiles(known, tap.prefix, tap.wants).at(-1)?.loc.ordinal ?? -1) : Infinity;
  await pass(source, limits, signal, (entry, ordinal, stop) => {
    if (ordinal > last) {
      stop();
      entry.resume();
      return;
    }
    const kind = tarKind(entry.type);
    const size = entry.size ?? 0;
    let key: string | undefined;
    let loc: TgzLoc | undefined;
    if (known) {
      const named = memberKey(entry.path);
      const file = 'key' in named ? known.files.get(named.key) : undefined;
      if (file && file.loc.ordinal === ordinal) ({ key, loc } = file);
    } else {
      loc = { ordinal };
      key = index.add(entry.path, { ...kind, size, mtime: entry.mtime, loc });
    }
    const visit = key !== undefined && tap && key.startsWith(tap.prefix) && (!tap.wants || tap.wants(key)) ? tap.visit : undefined;
    let keep = false;
    if (!known && key !== undefined && size <= limits.cacheMemberBytes && cachedTotal + size <= limits.cacheTotalBytes) {
      cachedTotal += size;
      keep = true;
    }
    if (!keep && !visit) {
      entry.resume();
      if (ordinal === last) stop();
      return;
    }
    const consumed = consume(entry, keep ? loc : undefined, visit && ((body) => visit({ key: key!, kind: 'file', size, mtime: entry.mtime }, body)));
    return ordinal === last ? consumed.then(stop) : consumed;
  });
  return index;
}

/**
 * Reads one entry: into `keepInto.cached`, through `visit`, or both. The entry is drained to its
 * end whatever `visit` does, so the pass never waits on a member nobody reads.
 */
async function consume(entry: ReadEntry, keepInto: TgzLoc | undefined, visit: ((body: AsyncIterable<Uint8Array>) => Promise<void>) | undefined): Promise<void> {
  const chunks: Buffer[] = [];
  const iterator = (entry as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const next = async (): Promise<IteratorResult<Buffer>> => {
    const r = await iterator.next();
    if (!r.done && keepInto) chunks.push(r.value);
    return r;
  };
  try {
    if (visit) await visit({ [Symbol.asyncIterator]: () => ({ next }) });
    while (!(await next()).done);
  } catch (error) {
    entry.resume();
    throw error;
  }
  if (keepInto) keepInto.cached = Buffer.concat(chunks);
}

/** The `.tar.gz` format of an archive view. */
export function tgzFormat(source: ArchiveSource, limits: ArchiveLimits): ArchiveFormat<TgzLoc> {
  let shared: SharedPass | undefined;
  return {
    rangeReads: false,
    index(signal) {
      return indexPass(source, limits, signal);
    },
    async scan(prefix, visit, signal, known, wants) {
      if (known) {
        // Every file wanted was kept by the index pass: no pass at all.
        const wanted = wantedFiles(known, prefix, wants);
        if (wanted.every((f) => f.loc.cached)) {
          for (const f of wanted) {
            throwIfAborted(signal, 'read', source.uri);
            await visit({ key: f.key, kind: 'file', size: f.size, mtime: f.mtime }, once(f.loc.cached!));
          }
          return known;
        }
      }
      return indexPass(source, limits, signal, { prefix, visit, known, wants });
    },
    async *stream(member, offset, length, signal) {
      const end = length === undefined ? member.size : offset + length;
      if (member.loc.cached) {
        yield member.loc.cached.subarray(offset, end);
        return;
      }
      throwIfAborted(signal, 'read', source.uri);
      // Reads that come while a pass has not reached their member join it: a command reading
      // several large members at once (cp, verify --deep) streams the archive once more, not once each.
      if (!shared || !shared.accepts(member.loc.ordinal)) shared = new SharedPass(source, limits);
      const pass = shared;
      const reader: PassReader = { ordinal: member.loc.ordinal, key: member.key, offset, end, queue: [], found: false, done: false, cancelled: false };
      pass.add(reader);
      const onAbort = () => pass.cancel(reader);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        while (true) {
          if (reader.queue.length > 0) {
            const chunk = reader.queue.shift()!;
            pass.resumeIfReady();
            yield chunk;
            continue;
          }
          if (reader.done) break;
          await new Promise<void>((r) => (reader.wake = r));
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        // A caller that stops early (a ranged read, an abort) leaves the pass; the last one ends it.
        if (!reader.done) pass.cancel(reader);
      }
      throwIfAborted(signal, 'read', source.uri);
      if (reader.error !== undefined) throw reader.error;
    },
  };
}

/** One member read waiting on a {@link SharedPass}. */
interface PassReader {
  ordinal: number;
  key: string;
  offset: number;
  end: number;
  queue: Buffer[];
  found: boolean;
  done: boolean;
  cancelled: boolean;
  error?: unknown;
  wake?: (() => void) | undefined;
}

/** Chunks a reader may hold before the archive waits for it (backpressure), and where it resumes. */
const HIGH_WATER = 16;
const LOW_WATER = 4;

/**
 * One streamed pass over a `.tar.gz` serving every member read registered before the pass
 * reaches that member; it stops after the last member still wanted.
 */
class SharedPass {
  private readonly readers = new Set<PassReader>();
  private reached = -1;
  private finished = false;
  private stopping = false;
  private entry: ReadEntry | undefined;
  private stop: (() => void) | undefined;

  constructor(
    private readonly source: ArchiveSource,
    limits: ArchiveLimits,
  ) {
    pass(source, limits, undefined, (entry, ordinal, stop) => this.onEntry(entry, ordinal, stop)).then(
      () => this.finish(undefined),
      (error: unknown) => this.finish(error),
    );
  }

  /** True while the pass has not reached entry `ordinal` (a read of it can join). */
  accepts(ordinal: number): boolean {
    return !this.finished && !this.stopping && ordinal > this.reached;
  }

  add(reader: PassReader): void {
    this.readers.add(reader);
  }

  /** Lets the current entry flow again once every reader of it has caught up. */
  resumeIfReady(): void {
    if (this.entry && [...this.readers].every((r) => r.ordinal !== this.reached || r.queue.length < LOW_WATER)) this.entry.resume();
  }

  cancel(reader: PassReader): void {
    reader.cancelled = true;
    reader.done = true;
    this.readers.delete(reader);
    if (!this.wanted(this.reached)) this.halt();
    this.entry?.resume();
  }

  /** Ends the pass; from now on a read joins a new one (a read joining now would never be served). */
  private halt(): void {
    this.stopping = true;
    this.stop?.();
  }

  private wanted(ordinal: number): boolean {
    for (const r of this.readers) if (r.ordinal >= ordinal) return true;
    return false;
  }

  private onEntry(entry: ReadEntry, ordinal: number, stop: () => void): Promise<void> | void {
    this.reached = ordinal;
    this.stop = stop;
    if (!this.wanted(ordinal)) {
      this.halt();
      entry.resume();
      return;
    }
    const mine = [...this.readers].filter((r) => r.ordinal === ordinal);
    if (mine.length === 0) {
      entry.resume();
      return;
    }
    for (const r of mine) r.found = true;
    this.entry = entry;
    let pos = 0;
    entry.on('data', (c: Buffer) => {
      let full = false;
      for (const r of mine) {
        if (r.cancelled) continue;
        const from = Math.max(0, r.offset - pos);
        const to = Math.min(c.length, r.end - pos);
        if (to > from) r.queue.push(c.subarray(from, to));
        if (r.queue.length >= HIGH_WATER) full = true;
        wake(r);
      }
      pos += c.length;
      // Backpressure: the parser (and so gunzip and the download) waits while a reader is behind.
      if (full) entry.pause();
    });
    return new Promise<void>((resolve) =>
      entry.on('end', () => {
        this.entry = undefined;
        for (const r of mine) {
          r.done = true;
          this.readers.delete(r);
          wake(r);
        }
        if (!this.wanted(ordinal + 1)) this.halt();
        resolve();
      }),
    );
  }

  private finish(error: unknown): void {
    this.finished = true;
    for (const r of this.readers) {
      r.error = error ?? (r.found ? undefined : new CkptError('CORRUPT', { operation: 'read', uri: this.source.uri, message: `member "${r.key}" was not found on a second pass (the archive changed?)` }));
      r.done = true;
      wake(r);
    }
    this.readers.clear();
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function wake(reader: PassReader): void {
  reader.wake?.();
  reader.wake = undefined;
}
