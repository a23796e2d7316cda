import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CkptError,
  abortError,
  collectBytes,
  compareKeys,
  registerSecret,
  throwIfAborted,
  type AdapterListOptions as ListOptions,
  type Capabilities,
  type ListPage,
  type ObjectMeta,
  type OperationOptions,
  type ReadOptions,
  type StorageAdapter,
  type WriteBody,
  type WriteOptions,
} from '@ckptkit/gfile';
import { CRC32C, type Bucket, type CreateWriteStreamOptions, type Storage } from '@google-cloud/storage';
import { mapGcsError, type GcsErrorContext } from './map-error.js';
import { closeStorageClient, createStorageClient, resolveGcsOptions, type GcsAdapterOptions, type ResolvedGcsOptions } from './options.js';

/** The object resource fields the adapter reads (listing asks for only these). */
interface GcsObject {
  name?: string;
  size?: string | number;
  updated?: string;
  generation?: string | number;
  crc32c?: string;
  md5Hash?: string;
  etag?: string;
}

interface GcsListResponse {
  items?: GcsObject[];
  prefixes?: string[];
  nextPageToken?: string;
}

const LIST_FIELDS = 'items(name,size,updated,generation,crc32c,md5Hash,etag),prefixes,nextPageToken';
/** CRC32C in JavaScript runs at about 25 MB/s here: without an MD5 to check against, only small bodies are checked. */
const CRC32C_CHECK_LIMIT = 16 * 1024 * 1024;
const ERROR_BODY_LIMIT = 64 * 1024;

/** GCS bucket names: 3 to 63 characters (222 with dots) of a-z, 0-9, `-`, `_`, `.`. */
const BUCKET_RE = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/**
 * A GCS bucket as a store, on `@google-cloud/storage` v7. Directories are virtual (key prefixes;
 * `makeDirs` writes an empty `dir/` marker). Every method is one request, except `copy`, which
 * follows GCS's rewrite tokens for objects that take more than one call.
 *
 * Metadata, listings, uploads, copies and deletes go through the SDK (its retries off: see
 * {@link createStorageClient}). Downloads use the SDK's credentials but Node's own `fetch`, so that
 * a range, a cancelled stream or an AbortSignal closes exactly one connection (the SDK's stream
 * destroys its whole shared connection pool on any early end) and so that a body cut short is
 * detected: it is never returned short, but fails with a retryable UNAVAILABLE.
 */
export function createGcsAdapter(bucketName: string, options: GcsAdapterOptions = {}): StorageAdapter {
  if (!BUCKET_RE.test(bucketName)) {
    throw new CkptError('INVALID_PATH', { operation: 'resolve', uri: `gs://${bucketName}`, message: `not a valid GCS bucket name: ${JSON.stringify(bucketName)}` });
  }
  const resolved = resolveGcsOptions(options);
  const storage = options.storage ?? createStorageClient(options, resolved);
  return new GcsAdapter(bucketName, storage, resolved);
}

class GcsAdapter implements StorageAdapter {
  readonly scheme = 'gs';
  readonly store: string;
  readonly capabilities: Capabilities;
  private readonly bucket: Bucket;
  private readonly mediaBase: string;

  constructor(
    bucketName: string,
    private readonly storage: Storage,
    private readonly cfg: ResolvedGcsOptions,
  ) {
    this.store = bucketName;
    this.bucket = storage.bucket(bucketName);
    // The SDK's own JSON API base (`<apiEndpoint>/storage/v1` for a client made here).
    this.mediaBase = `${storage.baseUrl}/b/${encodeURIComponent(bucketName)}/o/`;
    this.capabilities = {
      directories: 'virtual',
      atomicRename: false,
      rangeReads: true,
      conditionalWrite: true,
      startAfter: cfg.startAfter,
      maxPageSize: cfg.maxPageSize,
      maxDeleteBatch: 1,
    };
  }

  uriOf(key: string): string {
    return `gs://${this.store}/${key}`;
  }

  /** Closes the client's sockets when ckptkit made the client (see closeStorageClient). */
  async close(): Promise<void> {
    closeStorageClient(this.storage);
  }

  /** Runs one SDK call: honours the signal (see README: the request itself cannot be recalled) and maps errors. */
  private async call<T>(operation: string, key: string, signal: AbortSignal | undefined, fn: () => Promise<T>, ctx?: GcsErrorContext): Promise<T> {
    const uri = this.uriOf(key);
    throwIfAborted(signal, operation, uri);
    try {
      return await raceAbort(withTimeout(fn(), this.cfg.timeoutMs, operation, uri), signal, operation, uri);
    } catch (error) {
      throw mapGcsError(error, operation, uri, ctx);
    }
  }

  private userProject(): { userProject?: string } {
    return this.cfg.userProject ? { userProject: this.cfg.userProject } : {};
  }

  private metaOf(key: string, o: GcsObject): ObjectMeta {
    const dir = key.endsWith('/');
    return {
      key,
      kind: dir ? 'directory' : 'file',
      size: dir ? 0 : Number(o.size ?? 0),
      mtime: o.updated ? new Date(o.updated) : undefined,
      etag: o.etag,
      crc32c: o.crc32c,
      md5: o.md5Hash,
      generation: o.generation === undefined ? undefined : String(o.generation),
    };
  }

  async stat(key: string, o?: OperationOptions): Promise<ObjectMeta> {
    const [md] = await this.call('stat', key, o?.signal, () => this.bucket.file(key).getMetadata(this.userProject()));
    if (!isJsonObject(md) || typeof md.name !== 'string') throw malformed('stat', this.uriOf(key), 'object metadata');
    return this.metaOf(key, md as GcsObject);
  }

  async read(key: string, o?: ReadOptions): Promise<Uint8Array> {
    return collectBytes(this.download('read', key, o));
  }

  readStream(key: string, o?: ReadOptions): AsyncIterable<Uint8Array> {
    return this.download('read', key, o);
  }

  /** Credentials for a request the SDK does not make itself (none for a custom endpoint, as in the SDK). */
  private authHeaders(url: string): Promise<Record<string, string>> {
    return new Promise((resolve, reject) => {
      this.storage.makeAuthenticatedRequest(
        { uri: url, headers: {} },
        {
          onAuthenticated: (err, reqOpts) => {
            if (err) {
              reject(err);
              return;
            }
            // SDK 8 (gaxios 7) hands the headers over as a fetch `Headers`, which spreads to nothing;
            // SDK 7 gave a plain object.
            const given = reqOpts?.headers as Headers | Record<string, string> | undefined;
            const headers: Record<string, string> = given instanceof Headers ? Object.fromEntries(given.entries()) : { ...given };
            // The access token is a secret we now hold: keep it out of every message.
            for (const [name, value] of Object.entries(headers)) {
              if (name.toLowerCase() === 'authorization') registerSecret(value.replace(/^\S+\s+/, ''));
            }
            resolve(headers);
          },
        },
      );
    });
  }

  /**
   * One GET of the object's bytes (`alt=media`), ranged when asked, as a stream of chunks.
   * - A range is clamped at the end of the object; a range starting at or after the end is empty
   *   (416 from GCS; a server that ignores Range and answers 200 is handled too).
   * - A body shorter than its Content-Length/Content-Range says fails with a retryable UNAVAILABLE
   *   (the retry layer re-reads, or resumes a stream where it stopped); it is never returned short.
   * - A whole-object read is checked against `x-goog-hash` (MD5; CRC32C for small bodies without
   *   one) when the bytes are served as stored; a mismatch is a retryable CORRUPT.
   */
  private async *download(operation: string, key: string, o: ReadOptions | undefined): AsyncGenerator<Uint8Array> {
    const uri = this.uriOf(key);
    const signal = o?.signal;
    throwIfAborted(signal, operation, uri);
    const offset = o?.range?.offset ?? 0;
    const length = o?.range?.length;
    if (length === 0) {
      // Nothing to transfer, but a missing object is still NOT_FOUND.
      await this.call(operation, key, signal, () => this.bucket.file(key).getMetadata(this.userProject()));
      return;
    }
    const ranged = offset > 0 || length !== undefined;
    let url = `${this.mediaBase}${encodeURIComponent(key)}?alt=media`;
    if (this.cfg.userProject) url += `&userProject=${encodeURIComponent(this.cfg.userProject)}`;

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
      return mapGcsError(error, operation, uri);
    };

    let finished = false;
    try {
      let res: Response;
      try {
        const headers = await raceAbort(this.authHeaders(url), signal, operation, uri);
        headers['Accept-Encoding'] = 'identity';
        if (ranged) headers.Range = `bytes=${offset}-${length === undefined ? '' : offset + length - 1}`;
        arm();
        res = await fetch(url, { headers, signal: controller.signal });
      } catch (error) {
        throw fail(error);
      }
      if (res.status === 416) {
        // The range starts at or after the end: the object exists and the answer is empty.
        finished = true;
        return;
      }
      if (res.status !== 200 && res.status !== 206) {
        throw mapGcsError(await errorOf(res), operation, uri);
      }
      const body = res.body;
      if (!body) {
        finished = true;
        return;
      }

      // What the server promised to send, and which part of it the caller asked for.
      const contentLength = headerInt(res.headers.get('content-length'));
      const encoded = (res.headers.get('content-encoding') ?? '') !== '' && res.headers.get('content-encoding') !== 'identity';
      let skip = 0;
      // Never more than asked for, whatever the server sends.
      const want = length ?? Infinity;
      let expected: number | undefined;
      if (res.status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
        if (!m || Number(m[1]) !== offset) {
          throw new CkptError('UNAVAILABLE', { operation, uri, message: `unexpected Content-Range ${JSON.stringify(res.headers.get('content-range'))} for a read from byte ${offset}`, retryable: true });
        }
        expected = Math.min(want, Number(m[2]) - Number(m[1]) + 1);
      } else {
        // 200: the whole object. For a ranged request the server ignored Range (allowed by HTTP):
        // skip to the offset and stop after the length.
        if (!encoded) expected = contentLength;
        if (ranged) {
          skip = offset;
          if (expected !== undefined) expected = Math.max(0, Math.min(want, expected - offset));
          if (expected === 0) {
            finished = true;
            return;
          }
        }
      }

      // Integrity of whole-object reads served as stored.
      let md5: Hash | undefined;
      let crc: CRC32C | undefined;
      let expectMd5: string | undefined;
      let expectCrc: string | undefined;
      const stored = res.headers.get('x-goog-stored-content-encoding');
      if (res.status === 200 && !ranged && !encoded && (stored === null || stored === 'identity')) {
        for (const part of (res.headers.get('x-goog-hash') ?? '').split(',')) {
          const i = part.indexOf('=');
          if (i < 0) continue;
          const name = part.slice(0, i).trim();
          if (name === 'md5') expectMd5 = part.slice(i + 1).trim();
          if (name === 'crc32c') expectCrc = part.slice(i + 1).trim();
        }
        if (expectMd5) md5 = createHash('md5');
        else if (expectCrc && contentLength !== undefined && contentLength <= CRC32C_CHECK_LIMIT) crc = new CRC32C();
      }

      let delivered = 0;
      try {
        for await (const raw of body as AsyncIterable<Uint8Array>) {
          arm();
          let chunk = raw;
          if (skip > 0) {
            const drop = Math.min(skip, chunk.byteLength);
            skip -= drop;
            chunk = chunk.subarray(drop);
          }
          if (chunk.byteLength > want - delivered) chunk = chunk.subarray(0, want - delivered);
          if (chunk.byteLength === 0) {
            if (delivered >= want) break;
            continue;
          }
          md5?.update(chunk);
          crc?.update(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          delivered += chunk.byteLength;
          // The timeout measures the server, not a consumer that takes its time with a chunk.
          clearTimeout(timer);
          yield chunk;
          if (delivered >= want) break;
          arm();
        }
      } catch (error) {
        throw fail(error);
      }
      if (expected !== undefined && delivered < expected) {
        throw new CkptError('UNAVAILABLE', {
          operation,
          uri,
          message: `body cut short: received ${delivered} of ${expected} bytes${ranged || offset > 0 ? ` from byte ${offset}` : ''}`,
          retryable: true,
        });
      }
      if (md5 && expectMd5 && md5.digest('base64') !== expectMd5) {
        throw new CkptError('CORRUPT', { operation, uri, message: 'downloaded bytes do not match the stored MD5 (x-goog-hash)', retryable: true });
      }
      if (crc && expectCrc && !crc.validate(expectCrc)) {
        throw new CkptError('CORRUPT', { operation, uri, message: 'downloaded bytes do not match the stored CRC32C (x-goog-hash)', retryable: true });
      }
      finished = true;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // Closes this one connection when the caller stopped early or something failed.
      if (!finished) controller.abort();
    }
  }

  async write(key: string, body: WriteBody, o?: WriteOptions): Promise<ObjectMeta | undefined> {
    const uri = this.uriOf(key);
    const signal = o?.signal;
    throwIfAborted(signal, 'write', uri);
    const size = body instanceof Uint8Array ? body.byteLength : o?.size;
    const file = this.bucket.file(key);
    const wsOptions: CreateWriteStreamOptions = {
      // Simple (multipart) upload: one request. Resumable: a session, then the bytes; used for large
      // bodies and for streams of unknown length.
      resumable: size === undefined || size >= this.cfg.resumableThreshold,
      // The SDK computes CRC32C while sending and compares with what GCS stored.
      validation: 'crc32c',
      ...this.userProject(),
    };
    if (o?.contentType) wsOptions.contentType = o.contentType;
    // Conditional create: GCS refuses with 412 when any live generation exists.
    if (o?.ifNotExists) wsOptions.preconditionOpts = { ifGenerationMatch: 0 };
    // Compare-and-swap: replace only the generation that was read (412 otherwise).
    else if (o?.ifMatch !== undefined) {
      if (!/^\d+$/.test(o.ifMatch)) throw new CkptError('INVALID_CONFIG', { operation: 'write', uri, message: `ifMatch must be a GCS generation (digits), got ${JSON.stringify(o.ifMatch)}` });
      wsOptions.preconditionOpts = { ifGenerationMatch: Number(o.ifMatch) };
    }
    // A watchdog over the whole upload: the SDK's resumable upload waits forever for an answer
    // whose body was cut short (measured: a PUT answered 200 and closed after 3 bytes hung for good).
    // Every chunk the upload takes re-arms it; after the last one it bounds the wait for the answer.
    const controller = new AbortController();
    let timedOut = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      // A chunk the stream read ahead may still arrive after the upload failed: no new timer then.
      if (settled) return;
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.cfg.timeoutMs);
      // The upload's own socket keeps the process alive while it runs; the watchdog must not.
      timer.unref();
    };
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const source = Readable.from(progress(chunksOf(body, size, uri), arm), { objectMode: false });
    arm();
    const sink = file.createWriteStream(wsOptions);
    // The resumable session: recorded while it is open, cancelled when the upload fails.
    let session: string | undefined;
    sink.on('uri', (u: unknown) => {
      if (typeof u !== 'string') return;
      session = u;
      this.cfg.onUnfinishedWrite?.({ phase: 'started', uri, id: u });
    });
    try {
      await pipeline(source, sink, { signal: controller.signal });
      if (session !== undefined) this.cfg.onUnfinishedWrite?.({ phase: 'ended', uri, id: session });
    } catch (error) {
      if (session !== undefined) await this.cancelSession(key, session).catch(() => undefined);
      if (signal?.aborted) throw abortError('write', uri, signal);
      if (timedOut) throw new CkptError('TIMEOUT', { operation: 'write', uri, message: `the upload made no progress for ${this.cfg.timeoutMs} ms (or its answer never came)`, retryable: true });
      throw mapGcsError(error, 'write', uri, { ifNotExists: o?.ifNotExists });
    } finally {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    return this.metaOf(key, (file.metadata ?? {}) as GcsObject);
  }

  async list(prefix: string, o?: ListOptions): Promise<ListPage> {
    const pageSize = Math.max(1, Math.min(o?.pageSize ?? this.cfg.maxPageSize, this.cfg.maxPageSize));
    const qs: Record<string, string | number> = { prefix, maxResults: pageSize, fields: LIST_FIELDS, ...this.userProject() };
    if (o?.delimiter) qs.delimiter = '/';
    if (o?.pageToken) qs.pageToken = o.pageToken;
    // GCS's startOffset is inclusive; keys equal to startAfter are dropped below.
    if (o?.startAfter !== undefined && o.startAfter !== '') qs.startOffset = o.startAfter;
    const [raw] = await this.call('list', prefix, o?.signal, () => this.bucket.request({ uri: '/o', qs }));
    // gaxios hands back the text when a JSON body does not parse (e.g. one cut short that still
    // matched its length): an empty "page" without a token would end the listing as if complete.
    if (!isJsonObject(raw)) throw malformed('list', this.uriOf(prefix), 'listing page');
    const page = raw as GcsListResponse;
    const after = o?.startAfter;
    const byKey = new Map<string, ObjectMeta>();
    for (const item of page.items ?? []) {
      if (typeof item.name !== 'string') continue;
      if (after !== undefined && compareKeys(item.name, after) < 0 && this.capabilities.startAfter) {
        // The server listed keys before startOffset: it ignores it (the firebase emulator does).
        this.capabilities.startAfter = false;
      }
      byKey.set(item.name, this.metaOf(item.name, item));
    }
    for (const p of page.prefixes ?? []) {
      // A marker object named like the prefix carries an mtime; keep it.
      if (!byKey.has(p)) byKey.set(p, { key: p, kind: 'directory', size: 0 });
    }
    let entries = [...byKey.values()];
    if (after !== undefined) entries = entries.filter((e) => compareKeys(e.key, after) > 0);
    entries.sort((a, b) => compareKeys(a.key, b.key));
    return page.nextPageToken ? { entries, nextPageToken: page.nextPageToken } : { entries };
  }

  /**
   * Cancels a resumable upload session (`id`: its session URI): one DELETE, answered 499 by GCS.
   * A session already finished, cancelled or expired is no error; a server that cannot cancel
   * sessions (HTTP 501) gives NOT_SUPPORTED (GCS lets an abandoned session expire after a week). The session URI must belong to
   * this client's endpoint: a recorded id is never sent elsewhere.
   */
  async abandonWrite(key: string, id: string, o?: OperationOptions): Promise<void> {
    const uri = this.uriOf(key);
    throwIfAborted(o?.signal, 'delete', uri);
    if (!id.startsWith(`${this.cfg.apiEndpoint}/`)) {
      throw new CkptError('INVALID_PATH', { operation: 'delete', uri, message: 'not an upload session of this endpoint' });
    }
    await this.cancelSession(key, id, o?.signal);
  }

  private async cancelSession(key: string, session: string, signal?: AbortSignal): Promise<void> {
    const uri = this.uriOf(key);
    let res: Response;
    try {
      const headers = await this.authHeaders(session);
      res = await fetch(session, { method: 'DELETE', headers, signal: signal ?? AbortSignal.timeout(this.cfg.timeoutMs) });
    } catch (error) {
      throw mapGcsError(error, 'delete', uri);
    }
    await res.arrayBuffer().catch(() => undefined);
    // 499: cancelled now; 404/410: gone already; 2xx: it had finished (nothing to cancel).
    if (res.status === 499 || res.status === 404 || res.status === 410 || res.ok) {
      this.cfg.onUnfinishedWrite?.({ phase: 'ended', uri, id: session });
      return;
    }
    // 501/405: a server without session cancel (the firebase emulator): the session expires on its own.
    const code = res.status === 501 || res.status === 405 ? 'NOT_SUPPORTED' : res.status === 403 || res.status === 401 ? 'PERMISSION_DENIED' : 'UNAVAILABLE';
    throw new CkptError(code, { operation: 'delete', uri, message: `cancelling the upload session: HTTP ${res.status}`, retryable: code === 'UNAVAILABLE' });
  }

  async delete(key: string, o?: OperationOptions): Promise<void> {
    await this.call('delete', key, o?.signal, () => this.bucket.file(key).delete({ ignoreNotFound: false, ...this.userProject() }));
  }

  async copy(srcKey: string, dstKey: string, o?: OperationOptions): Promise<void> {
    // rewriteTo; the SDK follows rewrite tokens when GCS needs more than one call.
    await this.call('copy', srcKey, o?.signal, () => this.bucket.file(srcKey).copy(this.bucket.file(dstKey), this.userProject()));
  }
}

/** The chunks of `source`, calling `onProgress` as each is taken and once more after the last. */
async function* progress<T>(source: AsyncIterable<T>, onProgress: () => void): AsyncGenerator<T> {
  for await (const chunk of source) {
    onProgress();
    yield chunk;
  }
  onProgress();
}

/** The body as Buffers, dropping empty chunks; a stream must deliver exactly the declared size. */
async function* chunksOf(body: WriteBody, size: number | undefined, uri: string): AsyncGenerator<Buffer> {
  if (body instanceof Uint8Array) {
    if (body.byteLength > 0) yield Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return;
  }
  let n = 0;
  for await (const chunk of body) {
    if (chunk.byteLength === 0) continue;
    n += chunk.byteLength;
    if (size !== undefined && n > size) break;
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  if (size !== undefined && n !== size) {
    // Failing here destroys the upload before it is finalised: nothing is stored.
    throw new CkptError('CORRUPT', { operation: 'write', uri, message: `the body had ${n > size ? 'more' : 'fewer'} bytes than the declared size ${size}; nothing was stored`, retryable: false });
  }
}

function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A 2xx answer whose JSON body is not the resource it should be: retryable, like a body cut short. */
function malformed(operation: string, uri: string, what: string): CkptError {
  return new CkptError('UNAVAILABLE', { operation, uri, message: `the server answered with a ${what} that is not a JSON object (body cut short or mangled)`, retryable: true });
}

/**
 * Settles with `p`, or rejects with a retryable TIMEOUT after `ms`. The SDK's own `timeout` option
 * is ignored on Node since SDK 8 (its teeny-request 11 sends through node-fetch 3, which has no
 * timeout option), so the adapter bounds each SDK call itself; like an abort, it stops the wait,
 * not the request.
 */
function withTimeout<T>(p: Promise<T>, ms: number, operation: string, uri: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new CkptError('TIMEOUT', { operation, uri, message: `no answer for ${ms} ms`, retryable: true })), ms);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** Settles with `p`, or rejects with ABORTED as soon as the signal fires. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined, operation: string, uri: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(abortError(operation, uri, signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(operation, uri, signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function headerInt(v: string | null): number | undefined {
  return v !== null && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** The error a non-2xx download response describes, shaped like the SDK's ApiError for mapGcsError. */
async function errorOf(res: Response): Promise<{ code: number; message: string; errors?: unknown[] }> {
  let text = '';
  try {
    const reader = res.body?.getReader();
    if (reader) {
      const dec = new TextDecoder();
      while (text.length < ERROR_BODY_LIMIT) {
        const { done, value } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
      }
      await reader.cancel().catch(() => undefined);
    }
  } catch {
    // The status is what matters.
  }
  try {
    const json = JSON.parse(text) as { error?: { message?: string; errors?: unknown[] } };
    if (json.error) return { code: res.status, message: json.error.message ?? '', ...(json.error.errors ? { errors: json.error.errors } : {}) };
  } catch {
    // Not JSON (the emulator answers downloads with plain text).
  }
  return { code: res.status, message: text.trim() };
}
