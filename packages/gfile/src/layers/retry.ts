import type { ListOptions, ListPage, ObjectMeta, OperationOptions, ReadOptions, StorageAdapter, WriteBody, WriteOptions } from '../adapter.js';
import { abortError, isCkptError, throwIfAborted } from '../errors.js';
import { failedInSource, isReplayable } from '../replayable.js';

/** How the retry layer behaves. */
export interface RetryOptions {
  /** Total attempts including the first (default 4). */
  maxAttempts?: number;
  /** First backoff in ms (default 100); doubles each attempt. */
  baseDelayMs?: number;
  /** Cap on one backoff in ms (default 5,000). */
  maxDelayMs?: number;
  /** Random source in [0,1) for jitter; tests pass a fixed one. */
  random?: () => number;
  /** Called before each retry, for `--verbose` output and tests. */
  onRetry?: (info: { operation: string; uri: string; attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * Wraps an adapter so that failed requests are retried when, and only when, retrying is safe:
 * the error is retryable (RATE_LIMITED, UNAVAILABLE, TIMEOUT or an adapter's own say-so) and the
 * operation is idempotent (stat, read, list, copy, delete, and writes without `ifNotExists` of
 * in-memory bodies or of {@link replayable} streams, which are re-read from the start on each
 * attempt). A plain stream is sent once: its bytes cannot be produced again. Backoff is exponential
 * with full jitter and honours the AbortSignal.
 */
export function withRetry(inner: StorageAdapter, options: RetryOptions = {}): StorageAdapter {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const base = options.baseDelayMs ?? 100;
  const cap = options.maxDelayMs ?? 5_000;
  const random = options.random ?? Math.random;

  async function run<T>(operation: string, key: string, signal: AbortSignal | undefined, idempotent: boolean, fn: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal, operation, inner.uriOf(key));
      try {
        return await fn(attempt);
      } catch (error) {
        // A replayable body's own source failing was retried where it was read: not again here.
        const retry = idempotent && attempt < maxAttempts && isCkptError(error) && error.retryable && !signal?.aborted && !failedInSource(error);
        if (!retry) throw error;
        const delayMs = Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1)));
        options.onRetry?.({ operation, uri: inner.uriOf(key), attempt, delayMs, error });
        await sleep(delayMs, signal, operation, inner.uriOf(key));
      }
    }
  }

  const layered: StorageAdapter = {
    scheme: inner.scheme,
    store: inner.store,
    capabilities: inner.capabilities,
    uriOf: (key) => inner.uriOf(key),
    stat: (key, o?: OperationOptions): Promise<ObjectMeta> => run('stat', key, o?.signal, true, () => inner.stat(key, o)),
    read: (key, o?: ReadOptions) => run('read', key, o?.signal, true, () => inner.read(key, o)),
    write: (key, body: WriteBody, o?: WriteOptions) =>
      // Conditional writes are not retried here: a lost answer to one that succeeded would come
      // back as a false conflict. Their callers re-read and try again (see updateCheckpointState).
      run('write', key, o?.signal, (body instanceof Uint8Array || isReplayable(body)) && !o?.ifNotExists && o?.ifMatch === undefined, () => inner.write(key, body, o)),
    list: (prefix, o?: ListOptions): Promise<ListPage> => run('list', prefix, o?.signal, true, () => inner.list(prefix, o)),
    delete: (key, o?: OperationOptions) =>
      run('delete', key, o?.signal, true, async (attempt) => {
        try {
          await inner.delete(key, o);
        } catch (error) {
          // A retried delete that finds nothing means the first attempt got through.
          if (attempt > 1 && isCkptError(error, 'NOT_FOUND')) return;
          throw error;
        }
      }),
    copy: (src, dst, o?: OperationOptions) => run('copy', src, o?.signal, true, () => inner.copy(src, dst, o)),
  };
  if (inner.deleteMany) {
    const deleteMany = inner.deleteMany.bind(inner);
    layered.deleteMany = (keys, o) => run('deleteMany', keys[0] ?? '', o?.signal, true, () => deleteMany(keys, o));
  }
  if (inner.batchDeletable) layered.batchDeletable = inner.batchDeletable.bind(inner);
  if (inner.rename) {
    const rename = inner.rename.bind(inner);
    layered.rename = (src, dst, o) => run('rename', src, o?.signal, false, () => rename(src, dst, o));
  }
  if (inner.unfinishedWrites) {
    const unfinishedWrites = inner.unfinishedWrites.bind(inner);
    layered.unfinishedWrites = (prefix, o) => run('list', prefix, o?.signal, true, () => unfinishedWrites(prefix, o));
  }
  if (inner.abandonWrite) {
    const abandonWrite = inner.abandonWrite.bind(inner);
    layered.abandonWrite = (key, id, o) => run('delete', key, o?.signal, true, () => abandonWrite(key, id, o));
  }
  if (inner.readStream) {
    const readStream = inner.readStream.bind(inner);
    layered.readStream = (key, o) => resumableStream(key, o, readStream, run);
  }
  if (inner.close) layered.close = inner.close.bind(inner);
  return layered;
}

type Runner = <T>(operation: string, key: string, signal: AbortSignal | undefined, idempotent: boolean, fn: (attempt: number) => Promise<T>) => Promise<T>;

/**
 * A stream that, when a chunk fails with a retryable error, reopens at the first byte not yet
 * delivered, so a body cut short mid-read is resumed rather than returned short.
 */
async function* resumableStream(
  key: string,
  o: ReadOptions | undefined,
  open: (key: string, o?: ReadOptions) => AsyncIterable<Uint8Array>,
  run: Runner,
): AsyncIterable<Uint8Array> {
  const start = o?.range?.offset ?? 0;
  const total = o?.range?.length;
  let delivered = 0;
  let iterator: AsyncIterator<Uint8Array> | undefined;
  try {
    while (true) {
      const result = await run('read', key, o?.signal, true, async () => {
        if (!iterator) {
          const range = { offset: start + delivered, length: total === undefined ? undefined : total - delivered };
          iterator = open(key, { ...o, range })[Symbol.asyncIterator]();
        }
        try {
          return await iterator.next();
        } catch (error) {
          iterator = undefined;
          throw error;
        }
      });
      if (result.done) return;
      delivered += result.value.byteLength;
      yield result.value;
    }
  } finally {
    await iterator?.return?.();
  }
}

function sleep(ms: number, signal: AbortSignal | undefined, operation: string, uri: string): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(operation, uri, signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
