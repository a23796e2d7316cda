import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CkptError,
  compareKeys,
  throwIfAborted,
  type AdapterListOptions as ListOptions,
  type Capabilities,
  type ListPage,
  type ObjectMeta,
  type OperationOptions,
  type ReadOptions,
  type StorageAdapter,
  type UnfinishedWrite,
  type WriteBody,
  type WriteOptions,
} from '@ckptkit/gfile';
import { useFastListParser, type FastListResult } from './list-xml.js';
import { isCopySourceTooLarge, isPreconditionFailed, isRangeNotSatisfiable, mapDeleteObjectsFailures, mapS3Error } from './map-error.js';
import { MAX_PARTS, MiB, createS3Client, resolveOptions, type S3AdapterOptions } from './options.js';

/** The largest single part, and the largest single PutObject, S3 accepts. */
const MAX_PART_SIZE = 5 * 1024 * MiB;
const MAX_SINGLE_PUT = 5 * 1024 * MiB;
/** Part size of a server-side multipart copy (objects over CopyObject's 5 GiB limit). */
const COPY_PART_SIZE = 512 * MiB;
/** Attempts per part of a streamed upload (its body cannot be replayed by the retry layer). */
const STREAM_PART_ATTEMPTS = 3;

type Body = AsyncIterable<Uint8Array> & { destroy?: (error?: Error) => void };

/**
 * An S3 bucket as a store (`s3://bucket/key`), on AWS or any S3-compatible server. Every method is
 * one request, except: `delete` (HEAD, then DELETE, so that a missing key is NOT_FOUND as the
 * contract says), and writes and copies of large objects (multipart: create, parts, complete).
 */
/** Single DeleteObject requests in flight at once for keys a DeleteObjects body cannot hold. */
const SINGLE_DELETES_AT_ONCE = 16;

/**
 * Whether `key` survives an XML 1.0 request body unchanged: no control character (a CR would
 * come back as LF, the others are not XML at all), no lone surrogate, no U+FFFE/U+FFFF.
 */
export function isXmlSafeKey(key: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(key);
}

export function createS3Adapter(bucket: string, options: S3AdapterOptions = {}): StorageAdapter {
  if (typeof bucket !== 'string' || bucket === '' || bucket.includes('/')) {
    throw new CkptError('INVALID_PATH', { operation: 'resolve', uri: `s3://${bucket}`, message: 'a bucket name is required (s3://BUCKET/key)' });
  }
  const resolved = resolveOptions(options);
  const client: S3Client = createS3Client(options);
  const ownsClient = options.client === undefined;
  const capabilities: Capabilities = {
    directories: 'virtual',
    atomicRename: false,
    rangeReads: true,
    conditionalWrite: resolved.conditionalWrites,
    startAfter: true,
    maxPageSize: resolved.maxPageSize,
    maxDeleteBatch: 1000,
  };
  const uriOf = (key: string) => `s3://${bucket}/${key}`;
  const sendOptions = (signal: AbortSignal | undefined): { abortSignal?: AbortSignal } => (signal ? { abortSignal: signal } : {});

  /** Sends one command; every SDK error leaves here as a CkptError about `key`. */
  async function call<T>(operation: string, key: string, signal: AbortSignal | undefined, fn: (o: ReturnType<typeof sendOptions>) => Promise<T>): Promise<T> {
    throwIfAborted(signal, operation, uriOf(key));
    try {
      return await fn(sendOptions(signal));
    } catch (error) {
      throw mapS3Error(error, operation, uriOf(key), signal);
    }
  }

  async function head(operation: string, key: string, signal: AbortSignal | undefined): Promise<ObjectMeta> {
    const out = await call(operation, key, signal, (o) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), o));
    return {
      key,
      kind: key.endsWith('/') ? 'directory' : 'file',
      size: key.endsWith('/') ? 0 : (out.ContentLength ?? 0),
      mtime: out.LastModified,
      etag: out.ETag || undefined,
    };
  }

  /**
   * Opens a GET of `key` for `range`. Returns undefined when the range starts at or after the end
   * (S3's 416), else the response and how many bytes to skip and keep from its body (non-zero only
   * for a server that ignored the Range header and sent the whole object).
   */
  async function open(key: string, range: ReadOptions['range'], signal: AbortSignal | undefined): Promise<{ out: GetObjectCommandOutput; skip: number; keep: number | undefined } | undefined> {
    const offset = range?.offset ?? 0;
    const length = range?.length;
    let header: string | undefined;
    // A zero-length read still asks for one byte, so that a missing key is NOT_FOUND as everywhere.
    if (length !== undefined) header = `bytes=${offset}-${offset + Math.max(length, 1) - 1}`;
    else if (offset > 0) header = `bytes=${offset}-`;
    let out: GetObjectCommandOutput;
    try {
      out = await call('read', key, signal, (o) => client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: header }), o));
    } catch (error) {
      if (header !== undefined && isRangeNotSatisfiable((error as CkptError).cause)) return undefined;
      throw error;
    }
    if (header === undefined) return { out, skip: 0, keep: undefined };
    if (out.ContentRange === undefined) {
      // The server ignored the Range header (200 with the whole object): slice it ourselves.
      return { out, skip: offset, keep: length };
    }
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(out.ContentRange.trim());
    if (!m || Number(m[1]) !== offset) {
      destroy(out.Body as Body | undefined);
      throw new CkptError('UNAVAILABLE', { operation: 'read', uri: uriOf(key), message: `the server answered a range request for bytes from ${offset} with "${out.ContentRange}"`, retryable: false });
    }
    return { out, skip: 0, keep: length };
  }

  /**
   * The body of a GET as chunks, checked against its Content-Length: a body that ends early fails
   * with a retryable UNAVAILABLE (the retry layer then reads again, or resumes a stream where it
   * stopped), never a short result.
   */
  async function* chunks(key: string, out: GetObjectCommandOutput, skip: number, keep: number | undefined, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
    const body = out.Body as Body | undefined;
    const expected = out.ContentLength;
    let received = 0;
    let toSkip = skip;
    let left = keep;
    let complete = false;
    const onAbort = () => destroy(body);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (body) {
        for await (const raw of body) {
          const chunk = raw instanceof Uint8Array ? raw : new Uint8Array(raw as ArrayBuffer);
          received += chunk.byteLength;
          let piece = chunk;
          if (toSkip > 0) {
            const n = Math.min(toSkip, piece.byteLength);
            piece = piece.subarray(n);
            toSkip -= n;
          }
          if (left !== undefined) {
            if (piece.byteLength > left) piece = piece.subarray(0, left);
            left -= piece.byteLength;
          }
          if (piece.byteLength > 0) yield piece;
          if (left === 0) {
            complete = true;
            return;
          }
        }
      }
      throwIfAborted(signal, 'read', uriOf(key));
      if (expected !== undefined && received !== expected) {
        throw new CkptError('UNAVAILABLE', {
          operation: 'read',
          uri: uriOf(key),
          message: `the response body ended after ${received} of ${expected} bytes`,
          retryable: true,
        });
      }
      complete = true;
    } catch (error) {
      throw mapS3Error(error, 'read', uriOf(key), signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!complete) destroy(body);
    }
  }

  async function putObject(key: string, bytes: Uint8Array, o: WriteOptions | undefined, ifMatch = o?.ifMatch): Promise<ObjectMeta> {
    try {
      const out = await call('write', key, o?.signal, (so) =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: bytes,
            ContentLength: bytes.byteLength,
            ContentType: o?.contentType,
            IfNoneMatch: o?.ifNotExists ? '*' : undefined,
            IfMatch: ifMatch,
          }),
          so,
        ),
      );
      return { key, kind: key.endsWith('/') ? 'directory' : 'file', size: bytes.byteLength, etag: out.ETag || undefined };
    } catch (error) {
      if (ifMatch !== undefined && ifMatch.startsWith('"') && isPreconditionFailed((error as CkptError).cause)) {
        // Ceph RGW 16 compares If-Match with the unquoted etag, so the quoted one its own HEAD
        // returned never matches. When the object still has that etag, say it the RGW way.
        const current = await head('write', key, o?.signal).catch(() => undefined);
        if (current?.etag === ifMatch) return putObject(key, bytes, o, ifMatch.slice(1, -1));
      }
      throw conditional(error, key, o);
    }
  }

  /** A 412 on a write with `ifNotExists` means the object is there: ALREADY_EXISTS. */
  function conditional(error: unknown, key: string, o: WriteOptions | undefined): unknown {
    if (o?.ifNotExists && isPreconditionFailed((error as CkptError).cause)) {
      return new CkptError('ALREADY_EXISTS', { operation: 'write', uri: uriOf(key), cause: error });
    }
    return error;
  }

  function conditionalTooLarge(key: string, what: string): CkptError {
    return new CkptError('NOT_SUPPORTED', {
      operation: 'write',
      uri: uriOf(key),
      message: `cannot create ${what} only-if-absent here: it needs a multipart upload and this server is not trusted to honour If-None-Match on CompleteMultipartUpload (conditionalMultipartWrites)`,
    });
  }

  /** Part sizes: at least the configured size, large enough to fit `size` in 10,000 parts. */
  function partSizeFor(partNumber: number, size: number | undefined): number {
    if (size !== undefined) {
      const needed = Math.ceil(size / MAX_PARTS / MiB) * MiB;
      return Math.min(MAX_PART_SIZE, Math.max(resolved.partSize, needed));
    }
    // Unknown length: double the part size every 1,000 parts (8 MiB parts reach ~8 TB in 10,000).
    return Math.min(MAX_PART_SIZE, resolved.partSize * 2 ** Math.floor((partNumber - 1) / 1000));
  }

  /**
   * Uploads a body in parts: `next(partNumber)` yields each part's bytes (undefined at the end).
   * Up to `partConcurrency` parts are in flight. The upload is aborted on any failure.
   */
  async function multipart(key: string, o: WriteOptions | undefined, next: (partNumber: number) => Promise<Uint8Array | undefined>, partAttempts: number): Promise<ObjectMeta> {
    const signal = o?.signal;
    const uploadId = await createUpload('write', key, signal, { ContentType: o?.contentType, ChecksumAlgorithm: resolved.checksums === 'when-supported' ? 'CRC32' : undefined });
    const parts: CompletedPart[] = [];
    let total = 0;
    try {
      const inFlight = new Set<Promise<void>>();
      let failure: unknown;
      for (let partNumber = 1; ; partNumber++) {
        if (failure !== undefined) throw failure;
        if (partNumber > MAX_PARTS) throw new CkptError('INVALID_PATH', { operation: 'write', uri: uriOf(key), message: `the body needs more than ${MAX_PARTS} parts` });
        const bytes = await next(partNumber);
        if (bytes === undefined) break;
        total += bytes.byteLength;
        const task = uploadPart(key, uploadId, partNumber, bytes, signal, partAttempts).then(
          (part) => {
            parts.push(part);
          },
          (error: unknown) => {
            failure ??= error;
          },
        );
        const tracked: Promise<void> = task.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
        if (inFlight.size >= resolved.partConcurrency) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      if (failure !== undefined) throw failure;
      if (o?.size !== undefined && total !== o.size) {
        throw new CkptError('PRECONDITION_FAILED', { operation: 'write', uri: uriOf(key), message: `the body had ${total} bytes, ${o.size} were announced` });
      }
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      const done = await call('write', key, signal, (so) =>
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
            IfNoneMatch: o?.ifNotExists ? '*' : undefined,
          }),
          so,
        ),
      );
      options.onUnfinishedWrite?.({ phase: 'ended', uri: uriOf(key), id: uploadId });
      return { key, kind: 'file', size: total, etag: done.ETag || undefined };
    } catch (error) {
      await abortUpload(key, uploadId);
      throw conditional(error, key, o);
    }
  }

  /**
   * Starts a multipart upload and records it (`onUnfinishedWrite`). The request is not cut by the
   * caller's signal: cut in flight, it could leave an upload the server made and nobody knows the
   * id of (measured on RGW: Ctrl-C at the wrong moment left one); once it is answered, a signal
   * that fired meanwhile aborts the new upload at once.
   */
  async function createUpload(operation: string, key: string, signal: AbortSignal | undefined, extra: { ContentType?: string | undefined; ChecksumAlgorithm?: 'CRC32' | undefined }): Promise<string> {
    throwIfAborted(signal, operation, uriOf(key));
    // Bounded by the client's own request timeout.
    const created = await call(operation, key, undefined, () => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra })));
    const uploadId = created.UploadId;
    if (!uploadId) throw new CkptError('UNAVAILABLE', { operation, uri: uriOf(key), message: 'the server started a multipart upload without an upload id' });
    options.onUnfinishedWrite?.({ phase: 'started', uri: uriOf(key), id: uploadId });
    if (signal?.aborted) {
      await abortUpload(key, uploadId);
      throwIfAborted(signal, operation, uriOf(key));
    }
    return uploadId;
  }

  /**
   * Aborts a multipart upload: best effort, and not bound to the caller's signal (which may be
   * what failed the upload). Only an abort that went through ends the upload's record.
   */
  async function abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), { abortSignal: AbortSignal.timeout(30_000) });
      options.onUnfinishedWrite?.({ phase: 'ended', uri: uriOf(key), id: uploadId });
    } catch {
      // Left for a later run (the record says so) or the bucket's lifecycle rule.
    }
  }

  async function uploadPart(key: string, uploadId: string, partNumber: number, bytes: Uint8Array, signal: AbortSignal | undefined, attempts: number): Promise<CompletedPart> {
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await call('write', key, signal, (so) =>
          client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: bytes, ContentLength: bytes.byteLength }), so),
        );
        const part: CompletedPart = { PartNumber: partNumber, ETag: out.ETag };
        if (out.ChecksumCRC32) part.ChecksumCRC32 = out.ChecksumCRC32;
        return part;
      } catch (error) {
        const retry = attempt < attempts && error instanceof CkptError && error.retryable && !signal?.aborted;
        if (!retry) throw error;
        await new Promise((r) => setTimeout(r, Math.random() * 200 * 2 ** attempt));
      }
    }
  }

  async function writeStream(key: string, body: AsyncIterable<Uint8Array>, o: WriteOptions | undefined): Promise<ObjectMeta> {
    const queue = new ByteQueue(body[Symbol.asyncIterator](), o?.signal, uriOf(key));
    try {
      await queue.fill(resolved.multipartThreshold + 1);
      if (!queue.ended && o?.ifNotExists && !resolved.conditionalMultipartWrites) throw conditionalTooLarge(key, `a streamed body over ${resolved.multipartThreshold} bytes`);
      if (queue.ended && queue.length <= resolved.multipartThreshold) {
        const bytes = queue.take(queue.length);
        if (o?.size !== undefined && bytes.byteLength !== o.size) {
          throw new CkptError('PRECONDITION_FAILED', { operation: 'write', uri: uriOf(key), message: `the body had ${bytes.byteLength} bytes, ${o.size} were announced` });
        }
        return await putObject(key, bytes, o);
      }
      return await multipart(
        key,
        o,
        async (partNumber) => {
          const size = partSizeFor(partNumber, o?.size);
          await queue.fill(size);
          return queue.length === 0 ? undefined : queue.take(size);
        },
        STREAM_PART_ATTEMPTS,
      );
    } finally {
      await queue.close();
    }
  }

  async function multipartCopy(src: string, dst: string, signal: AbortSignal | undefined): Promise<void> {
    const meta = await head('copy', src, signal);
    const partSize = Math.min(MAX_PART_SIZE, Math.max(COPY_PART_SIZE, Math.ceil(meta.size / MAX_PARTS / MiB) * MiB));
    const uploadId = await createUpload('copy', dst, signal, {});
    try {
      const ranges: Array<[number, number]> = [];
      for (let start = 0; start < meta.size; start += partSize) ranges.push([start, Math.min(meta.size, start + partSize) - 1]);
      const parts: CompletedPart[] = new Array(ranges.length);
      let nextIndex = 0;
      const worker = async () => {
        while (nextIndex < ranges.length) {
          const i = nextIndex++;
          const [a, b] = ranges[i]!;
          const out = await call('copy', src, signal, (so) =>
            client.send(
              new UploadPartCopyCommand({
                Bucket: bucket,
                Key: dst,
                UploadId: uploadId,
                PartNumber: i + 1,
                CopySource: copySource(bucket, src),
                CopySourceRange: `bytes=${a}-${b}`,
                // Every part from the same version of the source.
                CopySourceIfMatch: meta.etag,
              }),
              so,
            ),
          );
          parts[i] = { PartNumber: i + 1, ETag: out.CopyPartResult?.ETag };
        }
      };
      await Promise.all(Array.from({ length: Math.min(resolved.partConcurrency, ranges.length) }, worker));
      await call('copy', dst, signal, (so) => client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: dst, UploadId: uploadId, MultipartUpload: { Parts: parts } }), so));
      options.onUnfinishedWrite?.({ phase: 'ended', uri: uriOf(dst), id: uploadId });
    } catch (error) {
      await abortUpload(dst, uploadId);
      throw error;
    }
  }

  const adapter: StorageAdapter = {
    scheme: 's3',
    store: bucket,
    capabilities,
    uriOf,

    stat(key: string, o?: OperationOptions) {
      return head('stat', key, o?.signal);
    },

    async read(key: string, o?: ReadOptions) {
      const opened = await open(key, o?.range, o?.signal);
      if (!opened) return new Uint8Array(0);
      if (o?.range?.length === 0) {
        destroy(opened.out.Body as Body | undefined);
        return new Uint8Array(0);
      }
      const parts: Uint8Array[] = [];
      let n = 0;
      for await (const chunk of chunks(key, opened.out, opened.skip, opened.keep, o?.signal)) {
        parts.push(chunk);
        n += chunk.byteLength;
      }
      return concat(parts, n);
    },

    async *readStream(key: string, o?: ReadOptions) {
      if (o?.range?.length === 0) {
        await adapter.read(key, o);
        return;
      }
      const opened = await open(key, o?.range, o?.signal);
      if (!opened) return;
      yield* chunks(key, opened.out, opened.skip, opened.keep, o?.signal);
    },

    async write(key: string, body: WriteBody, o?: WriteOptions) {
      throwIfAborted(o?.signal, 'write', uriOf(key));
      if ((o?.ifNotExists || o?.ifMatch !== undefined) && !capabilities.conditionalWrite) {
        throw new CkptError('NOT_SUPPORTED', { operation: 'write', uri: uriOf(key), message: 'this server is configured as not honouring If-None-Match/If-Match (conditionalWrites: false)' });
      }
      if (o?.ifMatch !== undefined) {
        // A compare-and-swap is one PutObject (the state file, a few hundred bytes): never multipart.
        if (!(body instanceof Uint8Array) || body.byteLength > MAX_SINGLE_PUT) throw conditionalTooLarge(key, 'a streamed or very large body (ifMatch)');
        return putObject(key, body, o);
      }
      if (!(body instanceof Uint8Array)) return writeStream(key, body, o);
      if (body.byteLength <= resolved.multipartThreshold) return putObject(key, body, o);
      if (o?.ifNotExists && !resolved.conditionalMultipartWrites) {
        // One conditional PutObject is atomic on every server that honours If-None-Match.
        if (body.byteLength <= MAX_SINGLE_PUT) return putObject(key, body, o);
        throw conditionalTooLarge(key, `a body of ${body.byteLength} bytes`);
      }
      const partSize = partSizeFor(1, body.byteLength);
      // In-memory bodies are retried whole by the retry layer: one attempt per part here.
      return multipart(key, o, async (partNumber) => {
        const start = (partNumber - 1) * partSize;
        return start < body.byteLength ? body.subarray(start, Math.min(body.byteLength, start + partSize)) : undefined;
      }, 1);
    },

    async list(prefix: string, o?: ListOptions): Promise<ListPage> {
      const maxKeys = Math.max(1, Math.min(o?.pageSize ?? resolved.maxPageSize, resolved.maxPageSize));
      const fast: FastListResult = {};
      const sdkOut = await call('list', prefix, o?.signal, (so) => {
        const command = new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix === '' ? undefined : prefix,
          Delimiter: o?.delimiter ? '/' : undefined,
          MaxKeys: maxKeys,
          ContinuationToken: o?.pageToken,
          StartAfter: o?.pageToken === undefined ? o?.startAfter : undefined,
          // Keys come back percent-encoded, so that any key (also with characters XML 1.0 cannot
          // carry) survives the XML response. Decoded below only when the server says it encoded.
          EncodingType: 'url',
        });
        if (resolved.fastListParser) useFastListParser(command.middlewareStack, fast);
        return client.send(command, so);
      });
      const out = fast.page ?? sdkOut;
      if (out.IsTruncated === undefined) {
        // Every ListBucketResult says whether it is the last page. Without it the body was not a
        // listing at all (an HTML page from a proxy parses as an empty result): taking it for the
        // last page would end the listing early as if it were complete.
        throw new CkptError('UNAVAILABLE', {
          operation: 'list',
          uri: uriOf(prefix),
          message: 'the server answered a listing without IsTruncated: not a ListBucketResult (a proxy or captive-portal page, or a mangled body)',
          retryable: true,
        });
      }
      const decode = out.EncodingType === 'url' ? (s: string) => decodeKey(s, uriOf(prefix)) : (s: string) => s;
      // A loop, not a flatMap: a listing is 1,000 entries a page, and an array per entry adds up.
      const files: ObjectMeta[] = [];
      for (const c of out.Contents ?? []) {
        if (c.Key === undefined) continue;
        const key = decode(c.Key);
        const dir = key.endsWith('/');
        files.push({ key, kind: dir ? 'directory' : 'file', size: dir ? 0 : (c.Size ?? 0), mtime: c.LastModified, etag: c.ETag || undefined });
      }
      const dirs: ObjectMeta[] = (out.CommonPrefixes ?? []).flatMap((p) => (p.Prefix === undefined ? [] : [{ key: decode(p.Prefix), kind: 'directory' as const, size: 0 }]));
      const entries = mergeSorted(files, dirs);
      if (!out.IsTruncated) return { entries };
      if (!out.NextContinuationToken) {
        throw new CkptError('UNAVAILABLE', { operation: 'list', uri: uriOf(prefix), message: 'the server said the listing is truncated but sent no continuation token', retryable: false });
      }
      return { entries, nextPageToken: out.NextContinuationToken };
    },

    async delete(key: string, o?: OperationOptions) {
      // S3 deletes a missing key silently; the contract wants NOT_FOUND, so look first.
      await head('delete', key, o?.signal);
      await call('delete', key, o?.signal, (so) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), so));
    },

    batchDeletable: isXmlSafeKey,

    async deleteMany(keys: string[], o?: OperationOptions) {
      // A key XML cannot carry (a control character, a lone surrogate) makes the whole
      // DeleteObjects request a 400: such keys go one DeleteObject each, named in the URL path.
      // The facade sends them alone (batchDeletable), so that one call is one request.
      const batchable = keys.filter(isXmlSafeKey);
      const single = batchable.length === keys.length ? [] : keys.filter((k) => !isXmlSafeKey(k));
      for (let i = 0; i < single.length; i += SINGLE_DELETES_AT_ONCE) {
        await Promise.all(
          single.slice(i, i + SINGLE_DELETES_AT_ONCE).map((key) => call('delete', key, o?.signal, (so) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), so))),
        );
      }
      for (let i = 0; i < batchable.length; i += 1000) {
        const batch = batchable.slice(i, i + 1000);
        const out = await call('delete', batch[0]!, o?.signal, (so) =>
          client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), so),
        );
        const failure = mapDeleteObjectsFailures(out.Errors, uriOf);
        if (failure) throw failure;
      }
    },

    async copy(src: string, dst: string, o?: OperationOptions) {
      try {
        await call('copy', src, o?.signal, (so) => client.send(new CopyObjectCommand({ Bucket: bucket, Key: dst, CopySource: copySource(bucket, src) }), so));
      } catch (error) {
        if (!isCopySourceTooLarge((error as CkptError).cause)) throw error;
        await multipartCopy(src, dst, o?.signal);
      }
    },

    /** The bucket's multipart uploads of keys under `prefix` (ListMultipartUploads, one request per page). */
    async unfinishedWrites(prefix: string, o?: OperationOptions): Promise<UnfinishedWrite[]> {
      const out: UnfinishedWrite[] = [];
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const page = await call('list', prefix, o?.signal, (so) =>
          client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }), so),
        );
        for (const u of page.Uploads ?? []) {
          if (u.Key !== undefined && u.UploadId !== undefined) out.push({ key: u.Key, id: u.UploadId, ...(u.Initiated ? { startedAt: u.Initiated } : {}) });
        }
        if (!page.IsTruncated || (page.NextKeyMarker === keyMarker && page.NextUploadIdMarker === uploadIdMarker)) break;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
      return out;
    },

    /** AbortMultipartUpload; an upload already gone (NoSuchUpload) is no error. */
    async abandonWrite(key: string, id: string, o?: OperationOptions) {
      try {
        await call('delete', key, o?.signal, (so) => client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id }), so));
      } catch (error) {
        if (error instanceof CkptError && error.code === 'NOT_FOUND') return;
        throw error;
      }
    },

    async close() {
      if (ownsClient) client.destroy();
    },
  };
  return adapter;
}

/** `bucket/key` for x-amz-copy-source, each key segment percent-encoded. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeSegment).join('/')}`;
}

function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Decodes a key of a listing made with `EncodingType=url` (S3 writes a space as `+`). */
function decodeKey(s: string, uri: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch (cause) {
    throw new CkptError('UNAVAILABLE', { operation: 'list', uri, message: 'the server sent a key that is not valid percent-encoding', retryable: false, cause });
  }
}

function mergeSorted(a: ObjectMeta[], b: ObjectMeta[]): ObjectMeta[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return [...a, ...b].sort((x, y) => compareKeys(x.key, y.key));
}

function destroy(body: Body | undefined): void {
  try {
    body?.destroy?.();
  } catch {
    // already closed
  }
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** Pulls chunks from a body on demand and hands them out in pieces of a chosen size. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  length = 0;
  ended = false;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    private readonly signal: AbortSignal | undefined,
    private readonly uri: string,
  ) {}

  /** Reads until at least `n` bytes are queued or the body ends. */
  async fill(n: number): Promise<void> {
    while (!this.ended && this.length < n) {
      throwIfAborted(this.signal, 'write', this.uri);
      const r = await this.source.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      if (r.value.byteLength === 0) continue;
      this.chunks.push(r.value);
      this.length += r.value.byteLength;
    }
  }

  /** Removes and returns up to `n` bytes as one contiguous array. */
  take(n: number): Uint8Array {
    const size = Math.min(n, this.length);
    const out = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const c = this.chunks[0]!;
      const need = size - off;
      if (c.byteLength <= need) {
        out.set(c, off);
        off += c.byteLength;
        this.chunks.shift();
      } else {
        out.set(c.subarray(0, need), off);
        this.chunks[0] = c.subarray(need);
        off += need;
      }
    }
    this.length -= size;
    return out;
  }

  async close(): Promise<void> {
    if (!this.ended) await this.source.return?.();
  }
}
