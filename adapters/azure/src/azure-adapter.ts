import { createHash, randomBytes, type Hash } from 'node:crypto';
import {
  CkptError,
  abortError,
  collectBytes,
  compareKeys,
  throwIfAborted,
  type AdapterListOptions as ListOptions,
  type Capabilities,
  type AdapterCopyOptions as CopyOptions,
  type ListPage,
  type ObjectMeta,
  type OperationOptions,
  type ReadOptions,
  type StorageAdapter,
  type WriteBody,
  type WriteOptions,
} from '@ckptkit/gfile';
import type { BlobHTTPHeaders, BlobItem, BlobRequestConditions, BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { expectFastList, installFastListParser, type FastListSlot } from './list-xml.js';
import { mapAzureError, type AzureErrorContext } from './map-error.js';
import type { ResolvedAzureOptions } from './options.js';

/** Container names: 3 to 63 of a-z, 0-9 and single hyphens, starting and ending with a letter or digit; or `$root`, `$web`. */
const CONTAINER_RE = /^(?:\$root|\$web|(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9])$/;
/** Azure's most blocks in one blob. */
const MAX_BLOCKS = 50_000;

/** How the adapter names its URIs: `az://container/key`, or as an `abfs[s]://container@host/key` URL was given. */
export interface AzureUriStyle {
  scheme: string;
  /** The URI's authority: the container, or `container@account.dfs.core.windows.net`. */
  authority: string;
}

/**
 * A validated container name, or INVALID_PATH naming the URI.
 */
export function checkContainer(container: string, uri: string): string {
  if (!CONTAINER_RE.test(container)) {
    throw new CkptError('INVALID_PATH', { operation: 'resolve', uri, message: `not a valid Azure container name: ${JSON.stringify(container)} (3 to 63 lowercase letters, digits and single hyphens)` });
  }
  return container;
}

/**
 * An Azure Blob Storage container as a store, on `@azure/storage-blob` v12. Directories are
 * virtual (name prefixes; `makeDirs` writes an empty `dir/` marker blob). Every method is one
 * request, except writes of large bodies (staged blocks, then one Put Block List that makes the
 * blob visible at once) and copies still pending after their first answer (polled).
 */
export function createAzureAdapter(container: string, service: BlobServiceClient, cfg: ResolvedAzureOptions, style?: AzureUriStyle): StorageAdapter {
  const s = style ?? { scheme: 'az', authority: container };
  checkContainer(container, `${s.scheme}://${s.authority}`);
  return new AzureAdapter(container, service.getContainerClient(container), cfg, s);
}

class AzureAdapter implements StorageAdapter {
  readonly scheme: string;
  readonly store: string;
  readonly capabilities: Capabilities;
  /** List answers are read by the adapter's own parser (list-xml.ts) when it is sure of them. */
  private readonly fastList: boolean;

  constructor(
    readonly container: string,
    private readonly client: ContainerClient,
    private readonly cfg: ResolvedAzureOptions,
    private readonly style: AzureUriStyle,
  ) {
    this.scheme = style.scheme;
    this.store = style.authority;
    this.capabilities = {
      directories: 'virtual',
      atomicRename: false,
      rangeReads: true,
      conditionalWrite: true,
      startAfter: cfg.startFrom,
      maxPageSize: cfg.maxPageSize,
      maxDeleteBatch: 1,
    };
    this.fastList = cfg.fastListParser && installFastListParser(client);
  }

  uriOf(key: string): string {
    return `${this.style.scheme}://${this.style.authority}/${key}`;
  }

  /**
   * Runs one SDK call with a signal that fires on the caller's abort or after the timeout (the
   * request is then cancelled, not just left behind), and maps its errors.
   */
  private async call<T>(operation: string, key: string, signal: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>, ctx?: AzureErrorContext): Promise<T> {
    const uri = this.uriOf(key);
    throwIfAborted(signal, operation, uri);
    const timeout = AbortSignal.timeout(this.cfg.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      return await fn(combined);
    } catch (error) {
      if (signal?.aborted) throw abortError(operation, uri, signal);
      if (timeout.aborted) throw new CkptError('TIMEOUT', { operation, uri, message: `no answer for ${this.cfg.timeoutMs} ms`, retryable: true });
      throw connectionEnded(error, operation, uri) ?? mapAzureError(error, operation, uri, ctx);
    }
  }

  private metaOf(key: string, p: { contentLength?: number | undefined; lastModified?: Date | undefined; etag?: string | undefined; contentMD5?: Uint8Array | undefined }): ObjectMeta {
    return entryOf(key, p.contentLength, p.lastModified, p.etag, p.contentMD5 && p.contentMD5.byteLength > 0 ? Buffer.from(p.contentMD5).toString('base64') : undefined);
  }

  async stat(key: string, o?: OperationOptions): Promise<ObjectMeta> {
    const props = await this.call('stat', key, o?.signal, (abortSignal) => this.client.getBlobClient(key).getProperties({ abortSignal }));
    return this.metaOf(key, props);
  }

  async read(key: string, o?: ReadOptions): Promise<Uint8Array> {
    return collectBytes(this.download('read', key, o));
  }

  readStream(key: string, o?: ReadOptions): AsyncIterable<Uint8Array> {
    return this.download('read', key, o);
  }

  /**
   * One Get Blob, ranged when asked, as a stream of chunks.
   * - A range is clamped at the end of the blob; a range starting at or after the end is empty
   *   (416 InvalidRange from Azure).
   * - A body shorter than its Content-Length fails with a retryable UNAVAILABLE (the SDK's own
   *   resuming of cut downloads is off, so that the retry layer counts and bounds it).
   * - A whole-blob read is checked against the stored Content-MD5 when there is one (every blob
   *   this adapter writes has one); a mismatch is a retryable CORRUPT.
   * - The timeout bounds the wait for the answer and for each chunk, not the whole transfer.
   */
  private async *download(operation: string, key: string, o: ReadOptions | undefined): AsyncGenerator<Uint8Array> {
    const uri = this.uriOf(key);
    const signal = o?.signal;
    throwIfAborted(signal, operation, uri);
    const offset = o?.range?.offset ?? 0;
    const length = o?.range?.length;
    if (length === 0) {
      // Nothing to transfer, but a missing blob is still NOT_FOUND.
      await this.stat(key, o);
      return;
    }
    const controller = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.cfg.timeoutMs);
    };
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const fail = (error: unknown): CkptError => {
      if (signal?.aborted) return abortError(operation, uri, signal);
      if (timedOut) return new CkptError('TIMEOUT', { operation, uri, message: `no data for ${this.cfg.timeoutMs} ms`, retryable: true });
      return connectionEnded(error, operation, uri) ?? mapAzureError(error, operation, uri);
    };
    let finished = false;
    try {
      let res;
      try {
        arm();
        res = await this.client.getBlobClient(key).download(offset, length, { abortSignal: controller.signal, maxRetryRequests: 0 });
      } catch (error) {
        if ((error as { statusCode?: unknown })?.statusCode === 416) {
          // The range starts at or after the end: the blob exists and the answer is empty.
          finished = true;
          return;
        }
        throw fail(error);
      }
      const body = res.readableStreamBody;
      const expected = res.contentLength;
      const whole = offset === 0 && length === undefined;
      const md5: Hash | undefined = whole && res.contentMD5 && res.contentMD5.byteLength > 0 ? createHash('md5') : undefined;
      let delivered = 0;
      if (body) {
        try {
          for await (const raw of body as AsyncIterable<Buffer>) {
            const chunk = length !== undefined && raw.byteLength > length - delivered ? raw.subarray(0, length - delivered) : raw;
            if (chunk.byteLength === 0) continue;
            md5?.update(chunk);
            delivered += chunk.byteLength;
            // The timeout measures the server, not a consumer that takes its time with a chunk.
            clearTimeout(timer);
            yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
            if (length !== undefined && delivered >= length) break;
            arm();
          }
        } catch (error) {
          throw fail(error);
        }
      }
      const want = length === undefined ? expected : Math.min(length, expected ?? length);
      if (want !== undefined && delivered < want) {
        throw new CkptError('UNAVAILABLE', { operation, uri, message: `body cut short: received ${delivered} of ${want} bytes${offset > 0 ? ` from byte ${offset}` : ''}`, retryable: true });
      }
      if (md5 && res.contentMD5 && !Buffer.from(res.contentMD5).equals(md5.digest())) {
        throw new CkptError('CORRUPT', { operation, uri, message: 'downloaded bytes do not match the stored Content-MD5', retryable: true });
      }
      finished = true;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // Closes this one connection when the caller stopped early or something failed.
      if (!finished) controller.abort();
    }
  }

  /**
   * Creates or replaces a blob. Bodies under the single-upload threshold go up in one Put Blob;
   * larger ones and streams that outgrow it as blocks staged in parallel (bounded), then one Put
   * Block List: the blob appears, or changes, only then, so a write that fails or is aborted half
   * way is never visible (its staged blocks are discarded by Azure after a week, or by the next
   * commit of the blob). `ifNotExists` sends `If-None-Match: *`, `ifMatch` `If-Match: <etag>`,
   * on the request that makes the blob visible. Every blob gets a Content-MD5 (whole reads check it).
   */
  async write(key: string, body: WriteBody, o?: WriteOptions): Promise<ObjectMeta | undefined> {
    const uri = this.uriOf(key);
    const signal = o?.signal;
    throwIfAborted(signal, 'write', uri);
    const conditions: BlobRequestConditions = {};
    if (o?.ifNotExists) conditions.ifNoneMatch = '*';
    else if (o?.ifMatch !== undefined) conditions.ifMatch = o.ifMatch;
    const ctx: AzureErrorContext = { ifNotExists: o?.ifNotExists, ifMatch: o?.ifMatch !== undefined };
    const headers: BlobHTTPHeaders = o?.contentType ? { blobContentType: o.contentType } : {};
    const blob = this.client.getBlockBlobClient(key);
    const declared = body instanceof Uint8Array ? body.byteLength : o?.size;

    if (body instanceof Uint8Array && body.byteLength < this.cfg.singleUploadThreshold) {
      const md5 = createHash('md5').update(body).digest();
      const res = await this.call('write', key, signal, (abortSignal) => blob.upload(body, body.byteLength, { abortSignal, conditions, blobHTTPHeaders: { ...headers, blobContentMD5: md5 } }), ctx);
      return this.metaOf(key, { contentLength: body.byteLength, lastModified: res.lastModified, etag: res.etag, contentMD5: md5 });
    }

    const blockSize = declared === undefined ? this.cfg.blockSize : Math.max(this.cfg.blockSize, Math.ceil(declared / MAX_BLOCKS));
    const md5 = createHash('md5');
    const ids: string[] = [];
    const nonce = randomBytes(6).toString('hex');
    const blockId = (i: number) => Buffer.from(`ckpt-${nonce}-${String(i).padStart(6, '0')}`).toString('base64');
    const inFlight = new Set<Promise<void>>();
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let failure: unknown;
    let total = 0;
    try {
      const stage = (block: Uint8Array) => {
        const id = blockId(ids.length);
        ids.push(id);
        const p = this.call('write', key, stop.signal, (abortSignal) => blob.stageBlock(id, block, block.byteLength, { abortSignal }), ctx).then(
          () => {
            inFlight.delete(p);
          },
          (error: unknown) => {
            inFlight.delete(p);
            failure ??= error;
            // One block failed: the others are of no use any more.
            stop.abort();
          },
        );
        inFlight.add(p);
      };
      let first: Uint8Array | undefined;
      for await (const block of blocksOf(chunksOf(body, declared, uri), blockSize, body instanceof Uint8Array)) {
        if (failure !== undefined || stop.signal.aborted) break;
        md5.update(block);
        total += block.byteLength;
        if (first === undefined && ids.length === 0) {
          // Held back: a body that ends with its first block goes up in one Put Blob.
          first = block;
          continue;
        }
        if (first !== undefined) {
          stage(first);
          first = undefined;
        }
        stage(block);
        while (inFlight.size >= this.cfg.blockConcurrency) await Promise.race(inFlight);
      }
      if (failure === undefined && !stop.signal.aborted && first !== undefined && ids.length === 0) {
        const one = first;
        const digest = md5.digest();
        const res = await this.call('write', key, signal, (abortSignal) => blob.upload(one, one.byteLength, { abortSignal, conditions, blobHTTPHeaders: { ...headers, blobContentMD5: digest } }), ctx);
        return this.metaOf(key, { contentLength: total, lastModified: res.lastModified, etag: res.etag, contentMD5: digest });
      }
      if (first === undefined && ids.length === 0 && failure === undefined && !stop.signal.aborted) {
        // An empty stream: an empty blob.
        const digest = md5.digest();
        const res = await this.call('write', key, signal, (abortSignal) => blob.upload(new Uint8Array(0), 0, { abortSignal, conditions, blobHTTPHeaders: { ...headers, blobContentMD5: digest } }), ctx);
        return this.metaOf(key, { contentLength: 0, lastModified: res.lastModified, etag: res.etag, contentMD5: digest });
      }
      await Promise.all(inFlight);
    } catch (error) {
      failure ??= error;
      stop.abort();
      await Promise.allSettled(inFlight);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (signal?.aborted) throw abortError('write', uri, signal);
    if (failure !== undefined) throw mapAzureError(failure, 'write', uri, ctx);
    const digest = md5.digest();
    const res = await this.call('write', key, signal, (abortSignal) => blob.commitBlockList(ids, { abortSignal, conditions, blobHTTPHeaders: { ...headers, blobContentMD5: digest } }), ctx);
    return this.metaOf(key, { contentLength: total, lastModified: res.lastModified, etag: res.etag, contentMD5: digest });
  }

  /**
   * One List Blobs request: flat, or with the `/` delimiter (directories as `kind: 'directory'`).
   * Entries come back in key order; a marker blob named like a prefix is listed once.
   */
  async list(prefix: string, o?: ListOptions): Promise<ListPage> {
    const maxPageSize = Math.max(1, Math.min(o?.pageSize ?? this.cfg.maxPageSize, this.cfg.maxPageSize));
    const after = o?.startAfter !== undefined && o.startAfter !== '' ? o.startAfter : undefined;
    // startfrom is inclusive; keys equal to startAfter are dropped below. Sent on the first page
    // only: a continuation token already says where the next page starts.
    const startFrom = this.capabilities.startAfter && after !== undefined && o?.pageToken === undefined && after.startsWith(prefix) ? { startFrom: after } : {};
    let fast: FastListSlot | undefined;
    const page = await this.call('list', prefix, o?.signal, async (abortSignal) => {
      // The signal is this call's own (made in call()): it tells the parser's policy which request is ours.
      if (this.fastList) fast = expectFastList(abortSignal);
      const opts = { prefix, abortSignal, ...startFrom };
      const pageSettings = o?.pageToken === undefined ? { maxPageSize } : { maxPageSize, continuationToken: o.pageToken };
      const pages = o?.delimiter ? this.client.listBlobsByHierarchy('/', opts).byPage(pageSettings) : this.client.listBlobsFlat(opts).byPage(pageSettings);
      const r = await pages.next();
      return r.value as { segment: { blobItems?: BlobItem[]; blobPrefixes?: Array<{ name: string }> }; continuationToken?: string } | undefined;
    });
    const entries: ObjectMeta[] = [];
    const sawName = (name: string) => {
      if (after !== undefined && 'startFrom' in startFrom && this.capabilities.startAfter && compareKeys(name, after) < 0) {
        // The server listed names before startfrom: it ignores the parameter.
        this.capabilities.startAfter = false;
      }
      return after === undefined || compareKeys(name, after) > 0;
    };
    let token: string | undefined;
    const fastPage = fast?.page;
    // The slot lives as long as the call's signal (a timeout's may outlive the call): not the page.
    if (fast) fast.page = undefined;
    if (fastPage !== undefined) {
      for (const b of fastPage.blobs) {
        if (sawName(b.name)) entries.push(entryOf(b.name, b.contentLength, b.lastModified, b.etag, b.md5));
      }
      if (fastPage.prefixes.length > 0) {
        const blobNames = new Set(fastPage.blobs.map((b) => b.name));
        for (const p of fastPage.prefixes) addPrefix(entries, blobNames, p, after);
      }
      token = fastPage.nextMarker;
    } else {
      const items = page?.segment.blobItems ?? [];
      for (const item of items) {
        if (typeof item.name !== 'string') continue;
        if (sawName(item.name)) entries.push(this.metaOf(item.name, item.properties));
      }
      const prefixes = page?.segment.blobPrefixes ?? [];
      if (prefixes.length > 0) {
        const blobNames = new Set(items.map((i) => i.name));
        for (const p of prefixes) addPrefix(entries, blobNames, p.name, after);
      }
      token = page?.continuationToken;
    }
    entries.sort((a, b) => compareKeys(a.key, b.key));
    return token ? { entries, nextPageToken: token } : { entries };
  }

  async delete(key: string, o?: OperationOptions): Promise<void> {
    await this.call('delete', key, o?.signal, (abortSignal) => this.client.getBlobClient(key).delete({ abortSignal, deleteSnapshots: 'include' }));
  }

  /**
   * Copy Blob within the account (server-side; the source is authorised by the same credentials).
   * Within one account Azure copies synchronously as a rule; a copy still pending is polled
   * every 500 ms until it ends (each poll one Get Blob Properties).
   */
  async copy(srcKey: string, dstKey: string, o?: CopyOptions): Promise<void> {
    const src = this.client.getBlobClient(srcKey);
    const dst = this.client.getBlobClient(dstKey);
    const signal = o?.signal;
    // The poller's first poll is the Copy Blob request; it polls on only while the copy is pending.
    const dstUri = this.uriOf(dstKey);
    const poller = await this.call('copy', srcKey, signal, (abortSignal) => dst.beginCopyFromURL(src.url, { abortSignal, intervalInMs: 500 }));
    const done = await this.call('copy', dstKey, signal, () => poller.pollUntilDone());
    const status = done.copyStatus;
    if (status === 'failed' || status === 'aborted') {
      throw new CkptError('UNAVAILABLE', { operation: 'copy', uri: dstUri, message: `the server-side copy from ${this.uriOf(srcKey)} ended ${status}`, retryable: true });
    }
  }
}

/** A blob as an entry: a name ending in `/` is a directory marker (size 0). */
function entryOf(key: string, size: number | undefined, mtime: Date | undefined, etag: string | undefined, md5: string | undefined): ObjectMeta {
  const dir = key.endsWith('/');
  return { key, kind: dir ? 'directory' : 'file', size: dir ? 0 : (size ?? 0), mtime, etag, md5 };
}

/** A BlobPrefix as a directory entry, unless a marker blob of that name is listed already or it is not after `after`. */
function addPrefix(entries: ObjectMeta[], blobNames: Set<string>, name: string, after: string | undefined): void {
  if (blobNames.has(name) || (after !== undefined && compareKeys(name, after) <= 0)) return;
  entries.push({ key: name, kind: 'directory', size: 0 });
}

/**
 * The SDK's HTTP client reports a connection that ended before its answer did (a body cut short)
 * as an AbortError, the same error as an abort. Called only when neither the caller's signal nor
 * the adapter's timeout fired: then it is a transport failure, worth a retry, never ABORTED.
 */
function connectionEnded(error: unknown, operation: string, uri: string): CkptError | undefined {
  if ((error as { name?: unknown } | null)?.name !== 'AbortError') return undefined;
  return new CkptError('UNAVAILABLE', { operation, uri, message: 'the connection ended before the answer did (body cut short)', retryable: true });
}

/** The body as Buffers, dropping empty chunks; a stream must deliver exactly the declared size. */
async function* chunksOf(body: WriteBody, size: number | undefined, uri: string): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    if (body.byteLength > 0) yield body;
    return;
  }
  let n = 0;
  for await (const chunk of body) {
    if (chunk.byteLength === 0) continue;
    n += chunk.byteLength;
    if (size !== undefined && n > size) break;
    yield chunk;
  }
  if (size !== undefined && n !== size) {
    // Failing here stops the upload before its commit: nothing is stored.
    throw new CkptError('CORRUPT', { operation: 'write', uri, message: `the body had ${n > size ? 'more' : 'fewer'} bytes than the declared size ${size}; nothing was stored`, retryable: false });
  }
}

/**
 * The chunks regrouped into blocks of exactly `size` bytes (the last one shorter). With `stable`
 * (the chunks' memory stays as it is: a caller's whole body) whole blocks are cut without copying;
 * otherwise every block is a fresh buffer.
 */
export async function* blocksOf(chunks: AsyncIterable<Uint8Array>, size: number, stable: boolean): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for await (const chunk of chunks) {
    let rest = chunk;
    while (rest.byteLength > 0) {
      if (pendingBytes === 0 && rest.byteLength >= size) {
        // Blocks are sent while the next chunks are read: a chunk whose memory its producer may
        // reuse (decision 0010) is copied.
        yield stable ? rest.subarray(0, size) : rest.slice(0, size);
        rest = rest.subarray(size);
        continue;
      }
      const take = Math.min(size - pendingBytes, rest.byteLength);
      // A copy: the caller may reuse the chunk's memory once it asks for the next one.
      pending.push(rest.slice(0, take));
      pendingBytes += take;
      rest = rest.subarray(take);
      if (pendingBytes === size) {
        yield Buffer.concat(pending, size);
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
