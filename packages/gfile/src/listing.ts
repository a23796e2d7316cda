import type { ObjectMeta, StorageAdapter } from './adapter.js';
import { CkptError, throwIfAborted } from './errors.js';
import { compareKeys } from './keys.js';

/** Options of {@link listEntries}. */
export interface ListEntriesOptions {
  delimiter?: boolean | undefined;
  pageSize?: number | undefined;
  startAfter?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Every entry under `prefix`, page after page, as one lazy stream. One request per page; the next
 * page is requested only when the consumer asks for it. Directory entries are de-duplicated across
 * pages (some servers repeat common prefixes on every page), keys at or before `startAfter` are
 * dropped even if the store ignored it, and a store that hands back the same page token twice fails
 * with UNAVAILABLE instead of looping or ending early as if the listing were complete.
 */
export async function* listEntries(adapter: StorageAdapter, prefix: string, options: ListEntriesOptions = {}): AsyncGenerator<ObjectMeta> {
  const seenDirs = new Set<string>();
  const seenTokens = new Set<string>();
  let pageToken: string | undefined;
  const startAfter = options.startAfter;
  while (true) {
    throwIfAborted(options.signal, 'list', adapter.uriOf(prefix));
    const page = await adapter.list(prefix, {
      delimiter: options.delimiter,
      pageSize: options.pageSize,
      pageToken,
      startAfter: pageToken === undefined ? startAfter : undefined,
      signal: options.signal,
    });
    for (const entry of page.entries) {
      if (startAfter !== undefined && compareKeys(entry.key, startAfter) <= 0) continue;
      if (entry.kind === 'directory') {
        if (seenDirs.has(entry.key)) continue;
        seenDirs.add(entry.key);
      }
      yield entry;
    }
    if (!page.nextPageToken) return;
    if (seenTokens.has(page.nextPageToken)) {
      throw new CkptError('UNAVAILABLE', {
        operation: 'list',
        uri: adapter.uriOf(prefix),
        message: 'the store returned a page token it had already returned; the listing would never end',
      });
    }
    seenTokens.add(page.nextPageToken);
    pageToken = page.nextPageToken;
  }
}
