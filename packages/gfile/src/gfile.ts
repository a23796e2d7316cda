import pLimit from 'p-limit';
import type { ObjectMeta, SkippedEntry, StorageAdapter, UnfinishedWrite, WriteBody } from './adapter.js';
import { CkptError, isCkptError, throwIfAborted } from './errors.js';
import { keyMatcher, literalPrefix, planGlob, segmentMatcher } from './glob.js';
import { baseName, compareKeys, dirPrefix, parentPrefix, stripSlash } from './keys.js';
import { withConcurrencyLimit } from './layers/concurrency.js';
import { RequestMetrics, withMetrics } from './layers/metrics.js';
import { withRetry, type RetryOptions } from './layers/retry.js';
import { listEntries, listPages } from './listing.js';
import { HADOOP_FOLDER_SUFFIX, presentEntry, presentOnce } from './placeholders.js';
import { pathOrderedPages } from './path-order.js';
import { listRecursivePages, type PlanDecision } from './planner/index.js';
import { replayable } from './replayable.js';
import type { ArchiveLimits } from './archive/limits.js';
import { ARCHIVE_SCHEMES, type ArchiveScheme } from './archive/member-uri.js';
import { createRegistry, type AdapterRegistry } from './registry.js';
import { joinUri, parseUri, uriForKey, type ParsedUri } from './uri.js';

/** What the facade reports about a file or directory. */
export interface FileInfo {
  /** The URI, spelled as the user spelled its parent (`./runs/ckpt-1.index`). */
  uri: string;
  /** The last path segment. */
  name: string;
  kind: 'file' | 'directory';
  /** Bytes; 0 for directories. */
  size: number;
  mtime?: Date | undefined;
  etag?: string | undefined;
  crc32c?: string | undefined;
  md5?: string | undefined;
  generation?: string | undefined;
  /** Local disks: the target of a symbolic link as stored (see the adapter contract). */
  linkTarget?: string | undefined;
  /** Local disks: a symbolic link whose target does not exist. */
  danglingLink?: boolean | undefined;
}

/** One directory of a {@link GFile.walk}. */
export interface WalkEntry {
  uri: string;
  dirs: FileInfo[];
  files: FileInfo[];
}

export interface Signalled {
  signal?: AbortSignal | undefined;
}

export interface ReadFileOptions extends Signalled {
  /** First byte to read (default 0). */
  offset?: number | undefined;
  /** Bytes to read (default: to the end); fewer come back only at the end of the object. */
  length?: number | undefined;
}

export interface WriteFileOptions extends Signalled {
  /** Fail with ALREADY_EXISTS rather than replace (atomic where the store supports it). */
  ifNotExists?: boolean | undefined;
  /** Size of a streamed body, for stores that need it up front. */
  size?: number | undefined;
  /** Replace only if the file is still this version (`etag` or `generation` from stat); see the adapter contract. */
  ifMatch?: string | undefined;
}

export interface OverwriteOptions extends Signalled {
  /** Replace an existing destination (default false: ALREADY_EXISTS, as tf.io.gfile). */
  overwrite?: boolean | undefined;
  /** `copy` within one store: bytes copied so far, as the store reports them (see AdapterCopyOptions). */
  onProgress?: ((bytes: number) => void) | undefined;
}

/** Options of the listings that walk a tree: {@link GFile.walk}, {@link GFile.glob}, recursive {@link GFile.list}. */
export interface WalkOptions extends Signalled {
  /**
   * Called with the error of each subdirectory that could not be read (PERMISSION_DENIED on a local
   * disk), its URI spelled as the results are; the subdirectory is left out and the walk goes on.
   * Without it, such a subdirectory fails the whole listing. The directory named itself is never
   * skipped: its error is thrown.
   */
  onSkipped?: ((error: CkptError) => void) | undefined;
}

export interface ListOptions extends WalkOptions {
  /** Every entry below the directory, not just its children. */
  recursive?: boolean | undefined;
}

/** Options of {@link createGFile}. */
export interface GFileOptions {
  /** Scheme to adapter mapping; defaults to one that knows only `memory://`. */
  registry?: AdapterRegistry;
  /** Retry settings, or `false` for none. */
  retry?: RetryOptions | false;
  /** Requests in flight at most, per store (default 16). */
  concurrency?: number;
  /** Counters to fill (one shared object for all stores); a new one by default. */
  metrics?: RequestMetrics;
  /** Page size asked of list requests (default: the store's maximum). */
  pageSize?: number;
  /**
   * Recursive listings (walk, glob's `**`, list with `recursive`): listings in flight at once for
   * one of them (default: `concurrency`; 1 keeps every recursive listing one flat paged listing).
   * See `planner/index.ts`.
   */
  listingParallelism?: number;
  /** Keys a recursive listing must have shown before it is split (default: the store's largest page). */
  minKeysBeforeSplit?: number;
  /** Called with each decision of the listing planner (`--verbose`, tests, benchmarks). */
  onPlanDecision?: (decision: PlanDecision) => void;
  /** Bounds of archive views (member count, sizes, decompression ratio); see decision 0016. */
  archiveLimits?: Partial<ArchiveLimits> | undefined;
}

const DEFAULT_CONCURRENCY = 16;
const ARCHIVE_SCHEME_SET: ReadonlySet<string> = new Set(ARCHIVE_SCHEMES);
const STREAM_CHUNK = 8 * 1024 * 1024;

interface Located {
  /** The layered adapter, reporting errors with the URI spelled as the user typed it. */
  adapter: StorageAdapter;
  /** The layered adapter itself: one per store, so two URIs on one store compare equal here. */
  store: StorageAdapter;
  parsed: ParsedUri;
  key: string;
}

/**
 * The tf.io.gfile-style facade over every registered store, derived once from the adapter
 * contract. Results never cost one request per child: listings carry kinds and sizes.
 */
export class GFile {
  /** What the storage layer sent so far (all stores). */
  readonly metrics: RequestMetrics;
  readonly registry: AdapterRegistry;
  private readonly options: GFileOptions;
  private readonly layered = new Map<StorageAdapter, StorageAdapter>();
  private readonly fanOut: ReturnType<typeof pLimit>;
  private readonly archives = new Map<string, Promise<StorageAdapter>>();

  constructor(options: GFileOptions = {}) {
    this.options = options;
    this.metrics = options.metrics ?? new RequestMetrics();
    this.registry = options.registry ?? createRegistry();
    this.fanOut = pLimit(Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY));
  }

  /** The layered adapter and key for a URI (loads the scheme's adapter on first use). */
  async locate(uri: string, operation = 'resolve'): Promise<Located> {
    const parsed = parseUri(uri, operation);
    if (ARCHIVE_SCHEME_SET.has(parsed.scheme)) {
      const view = await this.archiveView(parsed, operation);
      return { adapter: withSpelling(view, parsed), store: view, parsed, key: parsed.key };
    }
    const raw = await this.registry.adapterFor(parsed.scheme, parsed.store, uri);
    let adapter = this.layered.get(raw);
    if (!adapter) {
      adapter = withConcurrencyLimit(withMetrics(raw, this.metrics), this.options.concurrency ?? DEFAULT_CONCURRENCY);
      if (this.options.retry !== false) adapter = withRetry(adapter, this.options.retry ?? {});
      this.layered.set(raw, adapter);
    }
    return { adapter: withSpelling(adapter, parsed), store: adapter, parsed, key: parsed.key };
  }

  /**
   * The read-only view of an archive (decision 0016), made once per archive URI and kept, so one
   * command reads an archive's headers once. Its reads go through the archive's own layered
   * adapter: they are counted, retried and limited as that store's requests; the view's own
   * operations are not requests and are not counted again.
   */
  private archiveView(parsed: ParsedUri, operation: string): Promise<StorageAdapter> {
    const id = `${parsed.scheme}:${parsed.store}`;
    let view = this.archives.get(id);
    if (!view) {
      view = (async () => {
        const outer = await this.locate(parsed.store, operation);
        // Loaded here, on the first archive URI: nothing else pays for the format libraries.
        const { createArchiveAdapter } = await import('./archive/index.js');
        return createArchiveAdapter({ scheme: parsed.scheme as ArchiveScheme, archiveUri: parsed.store, adapter: outer.adapter, key: outer.key, limits: this.options.archiveLimits });
      })();
      view.catch(() => this.archives.delete(id));
      this.archives.set(id, view);
    }
    return view;
  }

  /** Joins URI parts with `/` (an absolute part restarts), without any other normalisation. */
  join(first: string, ...rest: string[]): string {
    return joinUri(first, ...rest);
  }

  /** True when a file or directory exists at the URI. At most two requests (object, then prefix). */
  async exists(uri: string, options: Signalled = {}): Promise<boolean> {
    try {
      await this.stat(uri, options);
      return true;
    } catch (error) {
      if (isCkptError(error, 'NOT_FOUND')) return false;
      throw error;
    }
  }

  /**
   * Metadata of a file or directory. On object stores a key that is only a prefix of other keys is a
   * directory. NOT_FOUND when neither exists.
   */
  async stat(uri: string, options: Signalled = {}): Promise<FileInfo> {
    const { adapter, parsed, key } = await this.locate(uri, 'stat');
    if (key === '') return this.dirInfo(parsed, '', adapter);
    if (!parsed.trailingSlash || adapter.capabilities.directories === 'real') {
      try {
        const meta = await adapter.stat(key, options);
        if (!parsed.trailingSlash || meta.kind === 'directory') return this.info(parsed, adapter, meta);
      } catch (error) {
        if (!isCkptError(error, 'NOT_FOUND') || adapter.capabilities.directories === 'real') throw error;
      }
      if (adapter.capabilities.directories === 'real') throw new CkptError('NOT_FOUND', { operation: 'stat', uri, message: 'not a directory' });
    }
    // Not a Hadoop `_$folder$` placeholder: `exists` is on the path of every copy, one HEAD more each.
    if (await this.prefixHasEntries(adapter, dirPrefix(key), options.signal)) return this.dirInfo(parsed, key, adapter);
    throw new CkptError('NOT_FOUND', { operation: 'stat', uri });
  }

  /** True when the URI is a directory. One request. */
  async isDir(uri: string, options: Signalled = {}): Promise<boolean> {
    const { adapter, key } = await this.locate(uri, 'isDir');
    if (key === '') return true;
    if (adapter.capabilities.directories === 'real') {
      try {
        return (await adapter.stat(key, options)).kind === 'directory';
      } catch (error) {
        if (isCkptError(error, 'NOT_FOUND')) return this.hadoopPlaceholderExists(adapter, key, options.signal);
        throw error;
      }
    }
    return this.virtualDirExists(adapter, key, options.signal);
  }

  /**
   * The children of a directory (files and directories, sorted by name), from delimiter listings
   * only. NOT_FOUND when the directory does not exist.
   */
  async listDir(uri: string, options: Signalled = {}): Promise<FileInfo[]> {
    const out: FileInfo[] = [];
    for await (const info of this.list(uri, options)) out.push(info);
    return out;
  }

  /**
   * The entries under a directory as a lazy stream, page by page: its children, or with `recursive`
   * every object below it (plus the directories a store reports: all of them on local disks,
   * markers on object stores), in key order. A recursive listing goes through the listing planner:
   * once it proves big (more than a page) its parts are listed in parallel, ahead of the consumer.
   * NOT_FOUND when the directory does not exist.
   */
  async *list(uri: string, options: ListOptions = {}): AsyncGenerator<FileInfo> {
    const { adapter, parsed, key } = await this.locate(uri, 'list');
    const prefix = dirPrefix(key);
    let seen = key === '';
    const onSkipped = this.skipReporter(parsed, adapter, prefix, options.onSkipped);
    const pages = options.recursive
      ? this.listFlatPages(adapter, prefix, options.signal, onSkipped)
      : mapPages(listPages(adapter, prefix, { delimiter: true, pageSize: this.options.pageSize, signal: options.signal }), (p) => p.entries);
    const dirsShown = new Set<string>();
    for await (const page of pages) {
      for (const raw of page) {
        seen = true;
        const meta = presentOnce(raw, dirsShown);
        if (!meta || meta.key === prefix) continue;
        yield this.info(parsed, adapter, meta);
      }
    }
    if (!seen) {
      // Nothing under the prefix: on object stores the directory may still be a Hadoop placeholder.
      const exists = adapter.capabilities.directories === 'virtual' ? await this.hadoopPlaceholderExists(adapter, key, options.signal) : await this.isDir(uri, options);
      // (isDir asks a local disk about the placeholder too: a tree downloaded from a bucket keeps them.)
      if (!exists) throw new CkptError('NOT_FOUND', { operation: 'list', uri });
    }
  }

  /**
   * Every object whose URI starts with `uriPrefix` as a plain string (`s3://b/run/ckpt-1` lists
   * `ckpt-1.index` and `ckpt-10.index`), in key order; with `delimiter`, one level deep. This is
   * the one-request view core uses to see all files of a checkpoint prefix.
   */
  async *listPrefix(uriPrefix: string, options: Signalled & { delimiter?: boolean } = {}): AsyncGenerator<FileInfo> {
    const parsed = parseUri(uriPrefix, 'list');
    const { adapter } = await this.locate(uriPrefix, 'list');
    const prefix = parsed.trailingSlash ? dirPrefix(parsed.key) : parsed.key;
    const spelled: ParsedUri = parsed.trailingSlash ? { ...parsed, base: `${parsed.base}/`, key: prefix } : parsed;
    const dirsShown = new Set<string>();
    for await (const raw of listEntries(adapter, prefix, { delimiter: options.delimiter, pageSize: this.options.pageSize, signal: options.signal })) {
      const meta = presentOnce(raw, dirsShown);
      if (meta) yield this.info(spelled, adapter, meta);
    }
  }

  /**
   * One pass over a store that is read front to back only (a `.tar.gz` view, decision 0016): every
   * file whose URI starts with `uriPrefix` as a plain string (as {@link listPrefix}) is handed to
   * `visit` in the store's own order, with its bytes, which `visit` consumes (or not) before the
   * pass goes on: memory stays bounded whatever the sizes. The same pass reads the store's listing,
   * so listings and stats that follow cost nothing more. Returns false, having read nothing, where
   * the store reads ranges (every other store): read those files as usual.
   *
   * With `only` (URIs of files under the prefix, in any spelling that names them), only those
   * files are handed over, and a store already listed is read only up to the last of them (not at
   * all when it still holds them all).
   *
   * @throws what `visit` throws (the pass stops), CORRUPT for a damaged archive, ABORTED.
   */
  async scan(
    uriPrefix: string,
    visit: (file: FileInfo, body: AsyncIterable<Uint8Array>) => Promise<void>,
    options: Signalled & { only?: Iterable<string> | undefined } = {},
  ): Promise<boolean> {
    const parsed = parseUri(uriPrefix, 'read');
    const { adapter } = await this.locate(uriPrefix, 'read');
    if (!adapter.scan) return false;
    const prefix = parsed.trailingSlash ? dirPrefix(parsed.key) : parsed.key;
    const spelled: ParsedUri = parsed.trailingSlash ? { ...parsed, base: `${parsed.base}/`, key: prefix } : parsed;
    let only: Set<string> | undefined;
    if (options.only) {
      only = new Set<string>();
      for (const uri of options.only) only.add((await this.locate(uri, 'read')).key);
    }
    return adapter.scan(prefix, (meta, body) => visit(this.info(spelled, adapter, meta), body), {
      signal: options.signal,
      wants: only && ((key) => only.has(key)),
    });
  }

  /**
   * Files and directories matching a pattern (`*`, `?`, `[...]` within a segment; `**` across
   * segments), sorted by URI (a directory before a file of the same path). The scheme and bucket
   * are literal. See {@link globEntries}, which this collects.
   */
  async glob(pattern: string, options: WalkOptions = {}): Promise<FileInfo[]> {
    const out: FileInfo[] = [];
    for await (const info of this.globEntries(pattern, options)) out.push(info);
    return out;
  }

  /**
   * The matches of a pattern as {@link glob} gives them, one at a time, in the same order, as the
   * listings go: the last level's listings (or the `**` listing) are not collected, so memory does
   * not grow with the number of matches (see `path-order.ts`). See `glob.ts` for the plan: one
   * delimiter listing per wildcard level, a flat listing from a `**` on; when the first wildcard
   * level matches many directories, one planned flat listing of the root instead (bounded: given
   * up for the per-level plan once it has cost half a request per matched directory).
   */
  async *globEntries(pattern: string, options: WalkOptions = {}): AsyncGenerator<FileInfo> {
    const { adapter, parsed } = await this.locate(pattern, 'glob');
    const plan = planGlob(parsed.key);
    const onlyDirs = parsed.trailingSlash;
    // Results are spelled from the literal root, which is a prefix of every matched key.
    const rootParsed = respell(parsed, plan.root);
    const onSkipped = this.skipReporter(rootParsed, adapter, dirPrefix(plan.root), options.onSkipped);
    const shown = (meta: ObjectMeta) => !onlyDirs || meta.kind === 'directory';
    const signal = options.signal;
    let candidates = [plan.root];
    for (const [i, step] of plan.steps.entries()) {
      if (candidates.length === 0) return;
      if (step.kind === 'descend') {
        candidates = candidates.map((c) => (c === '' ? step.segment : `${c}/${step.segment}`));
        continue;
      }
      if (step.kind === 'flat' || step.last) {
        const matches = step.kind === 'flat' ? keyMatcher(step.pattern) : segmentMatcher(step.segment);
        const lit = step.kind === 'flat' ? '' : literalPrefix(step.segment);
        // Every match lies below its candidate: candidates in key order of their `dir/` give matches in path order.
        const dirs = [...new Set(candidates)].sort((a, b) => compareKeys(dirPrefix(a), dirPrefix(b)));
        // Pages, not entries, through the layers (as walkEntries): a step per entry in each costs more than matching it.
        const matchesOf = (dir: string, stop: AbortSignal): AsyncGenerator<ObjectMeta[]> => {
          const prefix = dirPrefix(dir);
          const listing =
            step.kind === 'flat'
              ? this.listFlatPages(adapter, prefix, stop, onSkipped)
              : mapPages(listPages(adapter, prefix + lit, { delimiter: true, pageSize: this.options.pageSize, signal: stop, onSkipped }), (p) => p.entries);
          const ordered = pathOrderedPages(listing, { root: prefix, probe: (d, known) => this.probeDir(adapter, d, known, stop) });
          const keep = (meta: ObjectMeta) => shown(meta) && matches(step.kind === 'flat' ? stripSlash(meta.key).slice(prefix.length) : baseName(meta.key));
          return mapPages(ordered, (page) => page.filter(keep));
        };
        const pages = prefetchInOrder(dirs, matchesOf, this.options.concurrency ?? DEFAULT_CONCURRENCY, signal, (page) => page.length);
        const infos = async function* (self: GFile): AsyncGenerator<FileInfo> {
          for await (const page of pages) for (const meta of page) yield self.info(rootParsed, adapter, meta);
        };
        yield* uriOrderIsKeyOrder(rootParsed) ? infos(this) : sortedByUri(infos(this));
        return;
      }
      const matches = segmentMatcher(step.segment);
      const lit = literalPrefix(step.segment);
      const next = new Set<string>();
      await Promise.all(
        candidates.map((dir) =>
          this.fanOut(async () => {
            const prefix = dirPrefix(dir);
            for await (const raw of listEntries(adapter, prefix + lit, { delimiter: true, pageSize: this.options.pageSize, signal, onSkipped })) {
              const meta = presentEntry(raw);
              if (!meta || meta.key === prefix || meta.kind !== 'directory') continue;
              if (matches(baseName(meta.key))) next.add(stripSlash(meta.key));
            }
          }),
        ),
      );
      // Many directories matched the first wildcard level: one delimiter listing each would cost a
      // request per directory (a thousand model folders: a thousand requests). One planned flat
      // listing of the root narrowed by the level's literal prefix is usually a few pages: tried,
      // and given up for the per-directory plan once it has cost half as many requests.
      if (i === 0 && next.size > 2 * (this.options.concurrency ?? DEFAULT_CONCURRENCY)) {
        const rest = plan.root === '' ? parsed.key : parsed.key.slice(plan.root.length + 1);
        const flat = await this.globFlatBounded(adapter, plan.root, dirPrefix(plan.root) + lit, rest, Math.ceil(next.size / 2), signal, undefined, onSkipped);
        if (flat) {
          // Bounded by the pages it may cost: held, sorted, handed out.
          const infos = flat.filter(shown).map((meta) => this.info(rootParsed, adapter, meta));
          yield* infos.sort(byUri);
          return;
        }
      }
      candidates = [...next];
    }
  }

  /**
   * Walks a directory tree top-down, yielding each directory with its subdirectories and files.
   * Built from one recursive listing (about ceil(N/1000) requests, split into parallel parts by the
   * listing planner when the tree is big), never a request per child. A missing directory yields nothing.
   */
  async *walk(uri: string, options: WalkOptions = {}): AsyncGenerator<WalkEntry> {
    const { adapter, parsed, key } = await this.locate(uri, 'walk');
    const rootPrefix = dirPrefix(key);
    const onSkipped = this.skipReporter(parsed, adapter, rootPrefix, options.onSkipped);
    interface Node {
      dirs: Map<string, FileInfo>;
      files: FileInfo[];
    }
    const nodes = new Map<string, Node>();
    const node = (prefix: string): Node => {
      let n = nodes.get(prefix);
      if (!n) {
        n = { dirs: new Map(), files: [] };
        nodes.set(prefix, n);
      }
      return n;
    };
    const addDir = (dirKey: string, meta?: ObjectMeta) => {
      // Registers dirKey (ending in '/') and every missing ancestor up to the root.
      let k = dirKey;
      let m = meta;
      while (k !== rootPrefix && k.startsWith(rootPrefix)) {
        const parent = parentPrefix(k);
        const p = node(parent);
        const existing = p.dirs.get(k);
        if (existing && !m) break;
        p.dirs.set(k, this.info(parsed, adapter, m ?? { key: k, kind: 'directory', size: 0 }));
        node(k);
        k = parent;
        m = undefined;
      }
    };
    let seen = false;
    for await (const raw of this.listFlat(adapter, rootPrefix, options.signal, onSkipped)) {
      seen = true;
      const meta = presentEntry(raw);
      if (!meta || meta.key === rootPrefix) continue;
      if (meta.kind === 'directory') addDir(meta.key, meta);
      else {
        const parent = parentPrefix(meta.key);
        addDir(parent);
        node(parent).files.push(this.info(parsed, adapter, meta));
      }
    }
    if (!seen) {
      if (key !== '' && !(adapter.capabilities.directories === 'real' && (await this.isDir(uri, options)))) return;
    }
    node(rootPrefix);
    const visit = async function* (self: GFile, prefix: string): AsyncGenerator<WalkEntry> {
      throwIfAborted(options.signal, 'walk', uri);
      const n = nodes.get(prefix)!;
      const dirs = [...n.dirs.entries()].sort((a, b) => compareKeys(a[0], b[0]));
      const files = n.files.sort((a, b) => compareKeys(a.name, b.name));
      yield { uri: prefix === rootPrefix ? parsed.base || uri : self.info(parsed, adapter, { key: prefix, kind: 'directory', size: 0 }).uri, dirs: dirs.map((d) => d[1]), files };
      for (const [k] of dirs) yield* visit(self, k);
    };
    yield* visit(this, rootPrefix);
  }

  /**
   * Every file and directory below a directory, one at a time, in path order: sorted by URI as
   * {@link walk}'s entries would sort (a directory before the names its name is a prefix of with a
   * character below `/` after it, and before a file of the same path). Each directory once, with
   * the metadata the walk gives it. Built from the same recursive listing as {@link walk} (same
   * requests), but streamed: what is handed out is not kept, and only as much is held back as the
   * order requires (see `path-order.ts`; past {@link PathOrderOptions.maxHeld} held entries a
   * question or two is asked of the store instead, so memory stays bounded at any size).
   * NOT_FOUND when the directory does not exist (a file is not a directory). Entries of an
   * unreadable subdirectory are left out and reported to `onSkipped` before the subdirectory
   * itself is handed out, as far as the listing has reached it.
   */
  async *walkEntries(uri: string, options: WalkOptions & { maxHeld?: number | undefined } = {}): AsyncGenerator<FileInfo> {
    for await (const batch of this.walkEntryBatches(uri, options)) for (const info of batch) yield info;
  }

  /**
   * {@link walkEntries} in batches (each in path order after the previous one, never empty): the
   * same entries, errors and requests, for a consumer that takes many at a time (`ls -R` of a
   * million keys: one step of every layer per page instead of per entry).
   */
  async *walkEntryBatches(uri: string, options: WalkOptions & { maxHeld?: number | undefined } = {}): AsyncGenerator<FileInfo[]> {
    const { adapter, parsed, key } = await this.locate(uri, 'walk');
    const rootPrefix = dirPrefix(key);
    const onSkipped = this.skipReporter(parsed, adapter, rootPrefix, options.onSkipped);
    const signal = options.signal;
    let seen = false;
    const listing = async function* (self: GFile): AsyncGenerator<readonly ObjectMeta[]> {
      for await (const page of self.listFlatPages(adapter, rootPrefix, signal, onSkipped)) {
        if (page.length === 0) continue;
        seen = true;
        yield page;
      }
    };
    const ordered = pathOrderedPages(listing(this), { root: rootPrefix, maxHeld: options.maxHeld, probe: (dir, known) => this.probeDir(adapter, dir, known, signal) });
    if (uriOrderIsKeyOrder(parsed)) {
      // A directory settled late releases the run it held back (up to `maxHeld` entries) at once:
      // handed out a page at a time, so that their FileInfos are not all made at once.
      for await (const batch of ordered) {
        for (let i = 0; i < batch.length; i += BATCH) yield batch.slice(i, i + BATCH).map((meta) => this.info(parsed, adapter, meta));
      }
    } else {
      const all: FileInfo[] = [];
      for await (const batch of ordered) for (const meta of batch) all.push(this.info(parsed, adapter, meta));
      if (all.length > 0) yield all.sort(byUri);
    }
    if (!seen && key !== '' && !(adapter.capabilities.directories === 'real' && (await this.isDir(uri, options)))) {
      throw new CkptError('NOT_FOUND', { operation: 'walk', uri });
    }
  }

  /** The first entry under `prefix` a listing shows (bare `_$folder$` objects stand for nothing). Usually one request. */
  private async firstShown(adapter: StorageAdapter, prefix: string, signal: AbortSignal | undefined): Promise<ObjectMeta | undefined> {
    for await (const raw of listEntries(adapter, prefix, { pageSize: 10, signal })) {
      if (presentEntry(raw)) return raw;
    }
    return undefined;
  }

  /**
   * Directory `dirKey` (ending in `/`) as a whole listing would show it (see `PathOrderOptions.probe`):
   * its `_$folder$` placeholder, else its own entry, else a bare one when keys lie below it. Two
   * requests, one (the placeholder's HEAD) for a directory the listing has shown (`known`).
   */
  private async probeDir(adapter: StorageAdapter, dirKey: string, known: boolean, signal: AbortSignal | undefined): Promise<{ meta: ObjectMeta; placeholder: boolean } | undefined> {
    const dir = stripSlash(dirKey);
    const orNone = async <T>(p: Promise<T>): Promise<T | undefined> => {
      try {
        return await p;
      } catch (error) {
        if (isCkptError(error, 'NOT_FOUND')) return undefined;
        throw error;
      }
    };
    const [placeholder, own] = await Promise.all([
      orNone(adapter.stat(`${dir}${HADOOP_FOLDER_SUFFIX}`, { signal })),
      known
        ? Promise.resolve(undefined)
        : adapter.capabilities.directories === 'real'
        ? orNone(adapter.stat(dir, { signal })).then((m): ObjectMeta | undefined => (m?.kind === 'directory' ? { key: dirKey, kind: 'directory', size: 0, ...(m.mtime ? { mtime: m.mtime } : {}) } : undefined))
        : this.firstShown(adapter, dirKey, signal).then((first): ObjectMeta | undefined => {
            if (!first) return undefined;
            return first.key === dirKey ? first : { key: dirKey, kind: 'directory', size: 0 };
          }),
    ]);
    const shown = placeholder?.kind === 'file' ? presentEntry(placeholder) : undefined;
    if (shown) return { meta: shown, placeholder: true };
    return own && { meta: own, placeholder: false };
  }

  /** The bytes of a file, or of `length` bytes from `offset` (one ranged request). */
  async readFile(uri: string, options: ReadFileOptions = {}): Promise<Uint8Array> {
    const { adapter, key } = await this.locate(uri, 'read');
    checkRange(options, uri);
    const range = options.offset !== undefined || options.length !== undefined ? { offset: options.offset ?? 0, length: options.length } : undefined;
    return adapter.read(key, { range, signal: options.signal });
  }

  /** A file as UTF-8 text. */
  async readText(uri: string, options: ReadFileOptions = {}): Promise<string> {
    return new TextDecoder().decode(await this.readFile(uri, options));
  }

  /**
   * A file as a stream of chunks (the store's own stream, or ranged reads of 8 MiB), for files too
   * large to hold in memory. A body cut short is resumed where it stopped or fails with a typed error.
   */
  async *readStream(uri: string, options: ReadFileOptions = {}): AsyncGenerator<Uint8Array> {
    const { adapter, key } = await this.locate(uri, 'read');
    checkRange(options, uri);
    const start = options.offset ?? 0;
    if (adapter.readStream) {
      yield* adapter.readStream(key, { range: { offset: start, length: options.length }, signal: options.signal });
      return;
    }
    const end = options.length === undefined ? (await adapter.stat(key, options)).size : start + options.length;
    for (let off = start; off < end; off += STREAM_CHUNK) {
      const chunk = await adapter.read(key, { range: { offset: off, length: Math.min(STREAM_CHUNK, end - off) }, signal: options.signal });
      if (chunk.byteLength === 0) break;
      yield chunk;
    }
  }

  /**
   * Creates or replaces a file with bytes, text or a stream of chunks. Local writes are atomic (temp
   * file, then rename); object stores replace objects atomically by nature. Parents need not exist.
   * Bytes and {@link replayable} streams are retried on transient failures; a plain stream is sent once.
   */
  async writeFile(uri: string, data: Uint8Array | string | AsyncIterable<Uint8Array>, options: WriteFileOptions = {}): Promise<void> {
    const { adapter, key, parsed } = await this.locate(uri, 'write');
    if (key === '' || parsed.trailingSlash) throw new CkptError('INVALID_PATH', { operation: 'write', uri, message: 'a file URI cannot end with "/"' });
    if (options.ifNotExists && !adapter.capabilities.conditionalWrite) {
      throw new CkptError('NOT_SUPPORTED', { operation: 'write', uri, message: 'this store cannot create a file only if it does not exist' });
    }
    const body: WriteBody = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    await adapter.write(key, body, { ifNotExists: options.ifNotExists, ifMatch: options.ifMatch, size: options.size, signal: options.signal });
  }

  /** Writes UTF-8 text. */
  async writeText(uri: string, text: string, options: WriteFileOptions = {}): Promise<void> {
    await this.writeFile(uri, text, options);
  }

  /**
   * Copies one file: server-side within a store, streamed between two stores (also of different
   * kinds). ALREADY_EXISTS when the destination exists and `overwrite` is not set.
   */
  async copy(src: string, dst: string, options: OverwriteOptions = {}): Promise<void> {
    const from = await this.locate(src, 'copy');
    const to = await this.locate(dst, 'copy');
    if (!options.overwrite && (await this.exists(dst, options))) throw new CkptError('ALREADY_EXISTS', { operation: 'copy', uri: dst });
    if (from.store === to.store) {
      try {
        await from.adapter.copy(from.key, to.key, options);
      } catch (error) {
        // A server-side copy fails as one request: a full, read-only or over-quota store is the
        // destination's fault, whichever key the adapter named. Spelled as the user typed it.
        if (isCkptError(error, 'NO_SPACE', 'READ_ONLY', 'QUOTA_EXCEEDED') && error.uri === src) throw error.withContext(error.operation, dst);
        throw respellError(error, to.store, to.parsed);
      }
      return;
    }
    const meta = await from.adapter.stat(from.key, options);
    if (meta.kind === 'directory') throw new CkptError('INVALID_PATH', { operation: 'copy', uri: src, message: 'is a directory; copy files one by one' });
    // The source can be read again, so a failed upload is retried from the start (whole or nothing).
    await to.adapter.write(to.key, replayable(() => this.readStream(src, options)), { size: meta.size, signal: options.signal });
  }

  /**
   * Moves a file or directory. Atomic where the store renames atomically (local disks); elsewhere a
   * copy of each object followed by a delete of each. ALREADY_EXISTS when the destination exists and
   * `overwrite` is not set.
   */
  async rename(src: string, dst: string, options: OverwriteOptions = {}): Promise<void> {
    const from = await this.locate(src, 'rename');
    const to = await this.locate(dst, 'rename');
    if (!options.overwrite && (await this.exists(dst, options))) throw new CkptError('ALREADY_EXISTS', { operation: 'rename', uri: dst });
    if (from.store === to.store && from.adapter.rename) {
      await from.adapter.rename(from.key, to.key, options);
      return;
    }
    const info = await this.stat(src, options);
    if (info.kind === 'file') {
      await this.copy(src, dst, { ...options, overwrite: true });
      await from.adapter.delete(from.key, options);
      return;
    }
    const prefix = dirPrefix(from.key);
    const keys: string[] = [];
    for await (const meta of listEntries(from.adapter, prefix, { pageSize: this.options.pageSize, signal: options.signal })) keys.push(meta.key);
    await Promise.all(
      keys.map((k) =>
        this.fanOut(async () => {
          const rest = k.slice(prefix.length);
          const target = rest === '' ? dirPrefix(to.key) : `${dirPrefix(to.key)}${rest}`;
          if (k.endsWith('/')) await to.adapter.write(target, new Uint8Array(0), options);
          else if (from.store === to.store) await from.adapter.copy(k, target, options);
          else await to.adapter.write(target, await from.adapter.read(k, options), options);
        }),
      ),
    );
    await this.deleteKeys(from.adapter, keys, options.signal);
  }

  /**
   * The unfinished writes (temporary files, multipart uploads) whose target starts with `prefixUri`
   * (`…/dir/` for a whole directory, `…/dir/ckpt-5` for one prefix), each with the URI of its target.
   * Empty where the store cannot list them (GCS upload sessions).
   */
  async unfinishedWrites(prefixUri: string, options: Signalled = {}): Promise<Array<UnfinishedWrite & { uri: string }>> {
    const { adapter, key } = await this.locate(prefixUri, 'list');
    if (!adapter.unfinishedWrites) return [];
    const prefix = prefixUri.endsWith('/') && key !== '' && !key.endsWith('/') ? `${key}/` : key;
    return (await adapter.unfinishedWrites(prefix, options)).map((w) => ({ ...w, uri: adapter.uriOf(w.key) }));
  }

  /**
   * Abandons one unfinished write of the file `uri` (`id` from {@link unfinishedWrites} or from a
   * record of an upload this program started): deletes the temporary file, aborts the multipart
   * upload, cancels the upload session. False where the store cannot; a write already gone is no error.
   */
  async abandonWrite(uri: string, id: string, options: Signalled = {}): Promise<boolean> {
    const { adapter, key } = await this.locate(uri, 'delete');
    if (!adapter.abandonWrite) return false;
    await adapter.abandonWrite(key, id, options);
    return true;
  }

  /** Deletes one file. NOT_FOUND when it does not exist. */
  async remove(uri: string, options: Signalled = {}): Promise<void> {
    const { adapter, key } = await this.locate(uri, 'remove');
    if (key === '') throw new CkptError('INVALID_PATH', { operation: 'remove', uri, message: 'refusing to remove the root of a store' });
    await adapter.delete(key, options);
  }

  /**
   * Deletes a directory and everything below it: one listing, then batched deletes where the store
   * has them (1,000 keys a request on S3). NOT_FOUND when nothing is there.
   */
  async removeTree(uri: string, options: Signalled = {}): Promise<void> {
    const { adapter, key } = await this.locate(uri, 'removeTree');
    if (key === '') throw new CkptError('INVALID_PATH', { operation: 'removeTree', uri, message: 'refusing to remove the root of a store' });
    const prefix = dirPrefix(key);
    const keys: string[] = [];
    for await (const meta of listEntries(adapter, prefix, { pageSize: this.options.pageSize, signal: options.signal })) keys.push(meta.key);
    if (adapter.capabilities.directories === 'real') {
      if (!(await this.isDir(uri, options))) throw new CkptError('NOT_FOUND', { operation: 'removeTree', uri });
      if (!keys.includes(prefix)) keys.push(prefix);
    } else if (keys.length === 0) {
      throw new CkptError('NOT_FOUND', { operation: 'removeTree', uri });
    }
    await this.deleteKeys(adapter, keys, options.signal);
  }

  /**
   * Deletes the given files (and directories, URIs ending in `/`, which must be empty by then) at
   * the store's request floor: `deleteMany` batches of `capabilities.maxDeleteBatch` keys where
   * the store has them (1,000 a DeleteObjects request on S3), otherwise one delete per key with at
   * most `concurrency` in flight (GCS, local unlink). Files go first, then directories deepest
   * first. What is already gone is no error, so a repeated call converges. `onDeleted` is told how
   * many keys each finished request removed. Every URI must name a key on one store.
   *
   * @throws CkptError INVALID_PATH for a store's root or URIs of several stores; storage errors as they are.
   */
  async removeMany(uris: readonly string[], options: Signalled & { onDeleted?: ((count: number) => void) | undefined } = {}): Promise<void> {
    if (uris.length === 0) return;
    let store: StorageAdapter | undefined;
    let adapter: StorageAdapter | undefined;
    const keys = new Set<string>();
    for (const uri of uris) {
      const located = await this.locate(uri, 'remove');
      if (located.key === '') throw new CkptError('INVALID_PATH', { operation: 'remove', uri, message: 'refusing to remove the root of a store' });
      if (store && located.store !== store) throw new CkptError('INVALID_PATH', { operation: 'remove', uri, message: 'removeMany takes URIs of one store' });
      store = located.store;
      adapter ??= located.adapter;
      keys.add(located.parsed.trailingSlash ? dirPrefix(located.key) : located.key);
    }
    await this.deleteKeys(adapter!, [...keys], options.signal, options.onDeleted);
  }

  /** Creates a directory and its parents (a marker object on object stores). Idempotent. */
  async makeDirs(uri: string, options: Signalled = {}): Promise<void> {
    const { adapter, key } = await this.locate(uri, 'makeDirs');
    if (key === '') return;
    await adapter.write(dirPrefix(key), new Uint8Array(0), options);
  }

  /** Releases every adapter's sockets and handles. */
  async close(): Promise<void> {
    await Promise.all([...this.layered.keys()].map((a) => a.close?.()));
  }

  /** Deletes files first (batched), then directory keys deepest first (empty by then). */
  private async deleteKeys(adapter: StorageAdapter, keys: string[], signal: AbortSignal | undefined, onDeleted?: (count: number) => void): Promise<void> {
    const files = keys.filter((k) => !k.endsWith('/'));
    const dirs = keys.filter((k) => k.endsWith('/')).sort((a, b) => b.length - a.length || compareKeys(b, a));
    const remove = async (batch: string[]) => {
      if (batch.length === 0) return;
      const batchSize = adapter.capabilities.maxDeleteBatch;
      if (adapter.deleteMany && batchSize > 1) {
        // Keys a batch cannot carry go alone, so that each deleteMany is one request (and counted so).
        const alone = adapter.batchDeletable ? batch.filter((k) => !adapter.batchDeletable!(k)) : [];
        const together = alone.length > 0 ? batch.filter((k) => adapter.batchDeletable!(k)) : batch;
        const chunks: string[][] = alone.map((k) => [k]);
        for (let i = 0; i < together.length; i += batchSize) chunks.push(together.slice(i, i + batchSize));
        await Promise.all(chunks.map((c) => this.fanOut(async () => {
          await adapter.deleteMany!(c, { signal });
          onDeleted?.(c.length);
        })));
      } else {
        await Promise.all(batch.map((k) => this.fanOut(async () => {
          await ignoreNotFound(adapter.delete(k, { signal }));
          onDeleted?.(1);
        })));
      }
    };
    await remove(files);
    if (adapter.capabilities.directories === 'real') {
      for (const d of dirs) {
        await ignoreNotFound(adapter.delete(d, { signal }));
        onDeleted?.(1);
      }
    } else {
      await remove(dirs);
    }
  }

  /**
   * Matches `restPattern` against every key below `dir` that starts with `listPrefix`, from one
   * planned flat listing; directories implied by deeper keys are matched too. Returns the matches,
   * or undefined when the listing went past `maxPages` pages (it is then stopped).
   */
  private async globFlatBounded(
    adapter: StorageAdapter,
    dir: string,
    listPrefix: string,
    restPattern: string,
    maxPages: number,
    signal: AbortSignal | undefined,
    add?: (m: ObjectMeta) => void,
    onSkipped?: (s: SkippedEntry) => void,
  ): Promise<ObjectMeta[] | undefined> {
    const prefix = dirPrefix(dir);
    const matches = keyMatcher(restPattern);
    const dirsSeen = new Set<string>();
    const found: ObjectMeta[] = [];
    const emit = add ?? ((m: ObjectMeta) => void found.push(m));
    const maxEntries = maxPages * Math.min(this.options.pageSize ?? adapter.capabilities.maxPageSize, adapter.capabilities.maxPageSize);
    let listed = 0;
    for await (const raw of this.listFlat(adapter, listPrefix, signal, onSkipped)) {
      if (++listed > maxEntries) return undefined;
      const meta = presentEntry(raw);
      if (!meta) continue;
      const rel = meta.key.slice(prefix.length);
      // Directories implied by deeper keys are matched too, so object stores agree with local disks.
      const parts = stripSlash(rel).split('/');
      for (let i = 1; i < parts.length + (meta.kind === 'directory' ? 1 : 0); i++) {
        const d = parts.slice(0, i).join('/');
        if (d === '' || dirsSeen.has(d)) continue;
        dirsSeen.add(d);
        if (matches(d)) emit({ key: `${prefix}${d}/`, kind: 'directory', size: 0 });
      }
      if (meta.kind === 'file' && rel !== '' && matches(rel)) emit(meta);
    }
    return found;
  }

  /** Every entry under a directory prefix, in key order, as the listing planner lists it. */
  private async *listFlat(adapter: StorageAdapter, prefix: string, signal: AbortSignal | undefined, onSkipped?: (s: SkippedEntry) => void): AsyncGenerator<ObjectMeta> {
    for await (const page of this.listFlatPages(adapter, prefix, signal, onSkipped)) for (const entry of page) yield entry;
  }

  /** {@link listFlat} a page at a time. */
  private listFlatPages(adapter: StorageAdapter, prefix: string, signal: AbortSignal | undefined, onSkipped?: (s: SkippedEntry) => void): AsyncGenerator<readonly ObjectMeta[]> {
    return listRecursivePages(adapter, prefix, {
      pageSize: this.options.pageSize,
      parallelism: this.options.listingParallelism ?? this.options.concurrency ?? DEFAULT_CONCURRENCY,
      minKeysBeforeSplit: this.options.minKeysBeforeSplit,
      signal,
      onDecision: this.options.onPlanDecision,
      ...(onSkipped ? { onSkipped } : {}),
    });
  }

  /**
   * Whether a directory exists on a store without directories: keys under it (a `dir/` marker
   * included), or, only when there are none, a Hadoop `dir_$folder$` placeholder standing for it
   * (one more request, on that path alone).
   */
  private async virtualDirExists(adapter: StorageAdapter, key: string, signal: AbortSignal | undefined): Promise<boolean> {
    return (await this.prefixHasEntries(adapter, dirPrefix(key), signal)) || this.hadoopPlaceholderExists(adapter, key, signal);
  }

  /** Whether a Hadoop `dir_$folder$` object stands for the directory `key` (one HEAD). */
  private async hadoopPlaceholderExists(adapter: StorageAdapter, key: string, signal: AbortSignal | undefined): Promise<boolean> {
    const dir = stripSlash(key);
    if (dir === '' || dir.endsWith(HADOOP_FOLDER_SUFFIX)) return false;
    try {
      await adapter.stat(`${dir}${HADOOP_FOLDER_SUFFIX}`, { signal });
      return true;
    } catch (error) {
      if (isCkptError(error, 'NOT_FOUND')) return false;
      throw error;
    }
  }

  /**
   * The listing-level callback for a caller's `onSkipped`: each skipped part's error respelled with
   * the part's own URI as the results spell it; the root itself is never skipped (its error is thrown).
   */
  private skipReporter(parsed: ParsedUri, adapter: StorageAdapter, rootPrefix: string, onSkipped: ((error: CkptError) => void) | undefined): ((s: SkippedEntry) => void) | undefined {
    if (!onSkipped) return undefined;
    return (s) => {
      const uri = this.info(parsed, adapter, { key: s.key, kind: 'directory', size: 0 }).uri;
      const error = s.error.withContext(s.error.operation, uri);
      if (dirPrefix(stripSlash(s.key)) === rootPrefix || stripSlash(s.key) === stripSlash(rootPrefix)) throw error;
      onSkipped(error);
    };
  }

  private async prefixHasEntries(adapter: StorageAdapter, prefix: string, signal: AbortSignal | undefined): Promise<boolean> {
    const page = await adapter.list(prefix, { pageSize: 1, signal });
    return page.entries.length > 0;
  }

  private dirInfo(parsed: ParsedUri, key: string, adapter: StorageAdapter): FileInfo {
    return this.info(parsed, adapter, { key: dirPrefix(key), kind: 'directory', size: 0 });
  }

  /** A FileInfo for a store's metadata, spelled relative to what the user typed. */
  info(parsed: ParsedUri, adapter: StorageAdapter, meta: ObjectMeta): FileInfo {
    const key = stripSlash(meta.key);
    const out: FileInfo = {
      uri: uriForKey(parsed, key, (k) => adapter.uriOf(k)),
      name: baseName(key),
      kind: meta.kind,
      size: meta.kind === 'directory' ? 0 : meta.size,
    };
    if (meta.mtime) out.mtime = meta.mtime;
    if (meta.etag) out.etag = meta.etag;
    if (meta.crc32c) out.crc32c = meta.crc32c;
    if (meta.md5) out.md5 = meta.md5;
    if (meta.generation) out.generation = meta.generation;
    if (meta.linkTarget !== undefined) out.linkTarget = meta.linkTarget;
    if (meta.danglingLink) out.danglingLink = true;
    return out;
  }
}

/**
 * The error with its URI spelled as the user typed it (`./runs/x`, not `file:///abs/runs/x`), when it
 * is about a key under what the user named.
 */
function respellError(error: unknown, adapter: StorageAdapter, parsed: ParsedUri): unknown {
  if (!isCkptError(error) || error.uri === undefined || parsed.base === '') return error;
  const storeUri = adapter.uriOf(parsed.key);
  if (storeUri.startsWith(`${error.uri}/`)) {
    // About a parent of what the user named (a file where a directory must be): spelled the same way
    // when the user's spelling ends with the same path below it.
    const below = storeUri.slice(error.uri.length);
    const base = parsed.base.replace(/\/$/, '');
    return base.endsWith(below) && base.length > below.length ? error.withContext(error.operation, base.slice(0, -below.length)) : error;
  }
  if (!error.uri.startsWith(storeUri)) return error;
  const rest = error.uri.slice(storeUri.length);
  if (rest !== '' && !rest.startsWith('/')) return error;
  return error.withContext(error.operation, parsed.base + rest.replace(/\/$/, ''));
}

/** The adapter with its errors' URIs respelled relative to `parsed` (see {@link respellError}). */
function withSpelling(inner: StorageAdapter, parsed: ParsedUri): StorageAdapter {
  const guard = async <T>(p: () => Promise<T>): Promise<T> => {
    try {
      return await p();
    } catch (error) {
      throw respellError(error, inner, parsed);
    }
  };
  const out: StorageAdapter = {
    scheme: inner.scheme,
    store: inner.store,
    capabilities: inner.capabilities,
    uriOf: (key) => inner.uriOf(key),
    stat: (key, o) => guard(() => inner.stat(key, o)),
    read: (key, o) => guard(() => inner.read(key, o)),
    write: (key, body, o) => guard(() => inner.write(key, body, o)),
    list: (prefix, o) => guard(() => inner.list(prefix, o)),
    delete: (key, o) => guard(() => inner.delete(key, o)),
    copy: (src, dst, o) => guard(() => inner.copy(src, dst, o)),
  };
  if (inner.deleteMany) out.deleteMany = (keys, o) => guard(() => inner.deleteMany!(keys, o));
  if (inner.batchDeletable) out.batchDeletable = inner.batchDeletable.bind(inner);
  if (inner.rename) out.rename = (src, dst, o) => guard(() => inner.rename!(src, dst, o));
  if (inner.unfinishedWrites) out.unfinishedWrites = (prefix, o) => guard(() => inner.unfinishedWrites!(prefix, o));
  if (inner.abandonWrite) out.abandonWrite = (key, id, o) => guard(() => inner.abandonWrite!(key, id, o));
  if (inner.scan) out.scan = (prefix, visit, o) => guard(() => inner.scan!(prefix, visit, o));
  if (inner.readStream) {
    out.readStream = async function* (key, o) {
      try {
        yield* inner.readStream!(key, o);
      } catch (error) {
        throw respellError(error, inner, parsed);
      }
    };
  }
  return out;
}

/** `parsed` re-rooted at one of its ancestors, keeping the user's spelling when it can be recovered. */
function respell(parsed: ParsedUri, rootKey: string): ParsedUri {
  const rest = parsed.key.slice(rootKey.length);
  const base = parsed.base.endsWith(rest) ? parsed.base.slice(0, parsed.base.length - rest.length) : '';
  return { ...parsed, key: rootKey, base };
}

function checkRange(o: ReadFileOptions, uri: string): void {
  for (const [name, v] of [['offset', o.offset], ['length', o.length]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
      throw new CkptError('INVALID_PATH', { operation: 'read', uri, message: `${name} must be a non-negative integer, got ${v}` });
    }
  }
}

async function ignoreNotFound(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (error) {
    if (!isCkptError(error, 'NOT_FOUND')) throw error;
  }
}

/** Path order of results: by URI, a directory before a file of the same URI. */
function byUri(a: FileInfo, b: FileInfo): number {
  return compareKeys(a.uri, b.uri) || (a.kind === b.kind ? 0 : a.kind === 'directory' ? -1 : 1);
}

/**
 * Whether URIs spelled from `parsed` sort as their keys do: not below a `file:` URI, whose names are
 * %-escaped (`a%20b`), which moves them in the order.
 */
function uriOrderIsKeyOrder(parsed: ParsedUri): boolean {
  return !(parsed.scheme === 'file' && (parsed.base === '' || /^file:/i.test(parsed.base)));
}

/** Entries sorted by URI (held: for spellings whose URI order is not the key order). */
async function* sortedByUri(entries: AsyncIterable<FileInfo>): AsyncGenerator<FileInfo> {
  const all: FileInfo[] = [];
  for await (const e of entries) all.push(e);
  yield* all.sort(byUri);
}

/** Entries handed out at once by {@link GFile.walkEntryBatches}, at most. */
const BATCH = 1000;

/** `f` of each page of `source`, in order. */
async function* mapPages<P, T>(source: AsyncIterable<P>, f: (page: P) => T): AsyncGenerator<T> {
  for await (const page of source) yield f(page);
}

/** Entries a listing may run ahead of its consumer, per listing. */
const PREFETCH_CAP = 1000;

/**
 * The concatenation of `open(item)` for each item, in order, with up to `window` of them listed at
 * once: each one ahead of the consumer holds at most {@link PREFETCH_CAP} entries and then waits.
 * Stopping early (or `signal`) stops every listing.
 */
async function* prefetchInOrder<I, T>(
  items: readonly I[],
  open: (item: I, signal: AbortSignal) => AsyncIterable<T>,
  window: number,
  signal: AbortSignal | undefined,
  entriesIn: (item: T) => number = () => 1,
): AsyncGenerator<T> {
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const started: Array<() => AsyncGenerator<T>> = [];
  const start = (i: number) => {
    if (i < items.length && started[i] === undefined) started[i] = ahead(open(items[i]!, stop.signal), PREFETCH_CAP, entriesIn);
  };
  try {
    for (let i = 0; i < items.length; i++) {
      for (let j = i; j < Math.min(items.length, i + Math.max(1, window)); j++) start(j);
      yield* started[i]!();
      started[i] = () => emptyGenerator();
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop.abort(new Error('listing closed'));
  }
}

async function* emptyGenerator<T>(): AsyncGenerator<T> {}

/**
 * Starts reading `source` at once, holding at most `cap` entries ahead of the reader; returns the
 * reader. A failure is thrown when the reader reaches it.
 */
function ahead<T>(source: AsyncIterable<T>, cap: number, entriesIn: (item: T) => number): () => AsyncGenerator<T> {
  const items: T[] = [];
  let held = 0;
  let done = false;
  let failure: { error: unknown } | undefined;
  let wakeReader: (() => void) | undefined;
  let wakeWriter: (() => void) | undefined;
  const wake = (w: (() => void) | undefined) => w?.();
  void (async () => {
    try {
      for await (const x of source) {
        items.push(x);
        held += entriesIn(x);
        const r = wakeReader;
        wakeReader = undefined;
        wake(r);
        if (held >= cap) await new Promise<void>((resolve) => (wakeWriter = resolve));
      }
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      const r = wakeReader;
      wakeReader = undefined;
      wake(r);
    }
  })();
  return async function* () {
    while (true) {
      if (items.length > 0) {
        const batch = items.splice(0);
        held = 0;
        const w = wakeWriter;
        wakeWriter = undefined;
        wake(w);
        yield* batch;
        continue;
      }
      if (failure) throw failure.error;
      if (done) return;
      await new Promise<void>((resolve) => (wakeReader = resolve));
    }
  };
}

/** Creates the facade. See {@link GFileOptions}. */
export function createGFile(options: GFileOptions = {}): GFile {
  return new GFile(options);
}
