import type { ObjectMeta, SkippedEntry, StorageAdapter } from './adapter.js';
import { CkptError, throwIfAborted } from './errors.js';
import { compareKeys } from './keys.js';

/** Options of {@link listEntries} and {@link listPages}. */
export interface ListEntriesOptions {
  delimiter?: boolean | undefined;
  pageSize?: number | undefined;
  startAfter?: string | undefined;
  /** A token from an earlier page of the same listing: carries on from there (`startAfter` is then not sent). */
  pageToken?: string | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Called for each part the store could not list and left out (a directory the process may not
   * read, on local disks), once per key per listing. Without it such a listing fails instead.
   */
  onSkipped?: ((skipped: SkippedEntry) => void) | undefined;
}

/** One page of {@link listPages}: what the consumer gets, plus what the raw answer revealed. */
export interface ListedPage {
  /** The page's entries after de-duplication and the `startAfter` filter, in key order. */
  entries: ObjectMeta[];
  /** Token of the next page; absent on the last page. */
  nextPageToken?: string | undefined;
  /** Entries the store sent before the filters (a full page may filter down to fewer). */
  rawCount: number;
  /** True when the store answered a `startAfter` request with keys at or before it (it ignores the start key). */
  ignoredStartAfter: boolean;
}

/**
 * A listing page by page, one request per page, each requested only when the consumer asks for it.
 * Directory entries are de-duplicated across pages (some servers repeat common prefixes on every
 * page), keys at or before `startAfter` are dropped even if the store ignored it (and the page says
 * so), and a store that hands back the same page token twice fails with UNAVAILABLE instead of
 * looping or ending early as if the listing were complete.
 */
export async function* listPages(adapter: StorageAdapter, prefix: string, options: ListEntriesOptions = {}): AsyncGenerator<ListedPage> {
  const seenDirs = new Set<string>();
  const seenTokens = new Set<string>();
  let pageToken = options.pageToken;
  if (pageToken !== undefined) seenTokens.add(pageToken);
  const startAfter = options.startAfter;
  const skippedKeys = new Set<string>();
  while (true) {
    throwIfAborted(options.signal, 'list', adapter.uriOf(prefix));
    const sentStartAfter = pageToken === undefined ? startAfter : undefined;
    const page = await adapter.list(prefix, {
      delimiter: options.delimiter,
      pageSize: options.pageSize,
      pageToken,
      startAfter: sentStartAfter,
      signal: options.signal,
      ...(options.onSkipped ? { skipUnreadable: true } : {}),
    });
    for (const s of page.skipped ?? []) {
      if (skippedKeys.has(s.key)) continue;
      skippedKeys.add(s.key);
      options.onSkipped?.(s);
    }
    const entries: ObjectMeta[] = [];
    let ignoredStartAfter = false;
    for (const entry of page.entries) {
      if (startAfter !== undefined && compareKeys(entry.key, startAfter) <= 0) {
        // A common prefix holding the start key may come back with a delimiter (its later keys roll
        // up into it): that is the store honouring the start key, not ignoring it.
        const rolledUp = entry.kind === 'directory' && startAfter.startsWith(entry.key);
        if (sentStartAfter !== undefined && !rolledUp) ignoredStartAfter = true;
        continue;
      }
      if (entry.kind === 'directory') {
        if (seenDirs.has(entry.key)) continue;
        seenDirs.add(entry.key);
      }
      entries.push(entry);
    }
    const next = page.nextPageToken || undefined;
    const repeated = next !== undefined && seenTokens.has(next);
    yield { entries, ...(next === undefined || repeated ? {} : { nextPageToken: next }), rawCount: page.entries.length, ignoredStartAfter };
    if (next === undefined) return;
    if (repeated) {
      throw new CkptError('UNAVAILABLE', {
        operation: 'list',
        uri: adapter.uriOf(prefix),
        message: 'the store returned a page token it had already returned; the listing would never end',
      });
    }
    seenTokens.add(next);
    pageToken = next;
  }
}

/**
 * Every entry under `prefix`, page after page, as one lazy stream (see {@link listPages}). One
 * request per page; the next page is requested only when the consumer asks for it.
 */
export async function* listEntries(adapter: StorageAdapter, prefix: string, options: ListEntriesOptions = {}): AsyncGenerator<ObjectMeta> {
  for await (const page of listPages(adapter, prefix, options)) yield* page.entries;
}
