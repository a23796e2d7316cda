/**
 * GET bodies read straight into large buffers: a small HTTP/1.1 client for one kind of request, a
 * GET without a body, whose response body the socket reads into buffers of up to 1 MiB that are
 * then handed out whole (net's `onread`). node:http allocates a new 64 KiB buffer for every socket
 * read and hands each to the consumer; for a 1 GiB download that is 16,384 buffers, and on a 2-core
 * machine shared with the server it made a copy from S3 slower than rclone's (decision 0009). Here
 * a 1 GiB body fills 1,024 buffers, none of them copied, and a consumer that hands its chunks back
 * (`releaseChunk`) lets the same few dozen buffers be read into again (decision 0010).
 *
 * What it does not do, on purpose: request bodies, pipelining, proxies (the SDK's own handler does
 * not honour proxy variables either), HTTP/2, upgrades. Bodies of unknown length (chunked, or until
 * the connection closes) are read correctly but copied: they are error documents, not data.
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { releasableChunk } from '@ckptkit/gfile';

/** How a {@link DirectGetClient} connects and how long it waits. */
export interface DirectGetOptions {
  /** Time to establish a connection (and TLS), in ms. */
  connectTimeoutMs: number;
  /** Time from sending a request to the end of the response headers, in ms. */
  headersTimeoutMs: number;
  /** Time a socket may stay silent while a request is under way, or idle in the pool, in ms. */
  idleTimeoutMs: number;
  /** Idle connections kept per origin (default 16). */
  maxIdlePerOrigin?: number | undefined;
  /** Largest buffer a body is read into (default 1 MiB); a body smaller than this gets its own size. */
  bufferBytes?: number | undefined;
  /** Extra TLS options (a CA for a private endpoint, in tests). */
  tls?: tls.ConnectionOptions | undefined;
  /**
   * Whole buffers handed back with `releaseChunk` (from @ckptkit/gfile) are read into again
   * (default true); at most {@link BufferPool.MAX_IDLE} wait for reuse, none after 2 s unused.
   */
  reuseBuffers?: boolean | undefined;
}

/** A GET to send: `path` includes the query string; `headers` are sent as given (with a Host header). */
export interface DirectGetRequest {
  protocol: string;
  hostname: string;
  port?: number | undefined;
  path: string;
  headers: Record<string, string>;
}

/** A response: lower-case header names (repeated headers joined with ", "), and the body as a stream. */
export interface DirectGetResponse {
  statusCode: number;
  reason: string;
  headers: Record<string, string>;
  body: Readable;
}

const HEADER_LIMIT = 64 * 1024;
const CHUNK_LINE_LIMIT = 8 * 1024;
/** Body buffers read ahead of the consumer before the socket pauses. */
const QUEUE_LIMIT = 4;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function netError(message: string, code: string, name = 'Error'): Error {
  return Object.assign(new Error(message), { code, name });
}

function abortError(signal: AbortSignal): Error {
  const error = new Error('Request aborted');
  error.name = 'AbortError';
  if (signal.reason instanceof Error) error.cause = signal.reason;
  return error;
}

/** Where a response body stands: its framing and, for chunked bodies, the decoder's state. */
type Framing = { kind: 'none' } | { kind: 'length'; remaining: number } | { kind: 'chunked'; state: 'size' | 'data' | 'data-end' | 'trailers'; line: string; left: number } | { kind: 'close' };

/** One request on one connection, from writing its head to the last byte of its body. */
class Exchange {
  phase: 'head' | 'body' | 'done' = 'head';
  /** Any byte of a response arrived (a stale pooled connection fails before that). */
  answered = false;
  framing: Framing = { kind: 'none' };
  reusable = true;
  body: Readable | undefined;
  /** The body buffer the socket reads into, and how much of it is filled. */
  buffer: Buffer | undefined;
  filled = 0;
  paused = false;
  /**
   * Body buffers read but not yet handed to the stream. The stream itself holds at most one, so
   * that an error can wait behind the bytes that arrived before it: a body cut partway must still
   * deliver everything it got, or a caller that resumes after the bytes it saw makes no progress.
   */
  private readonly queue: Buffer[] = [];
  /** The stream asked for a buffer and got none yet. */
  private wanting = false;
  /** The body is complete; the end is handed out after the queue. */
  private ended = false;
  /** The body broke; the error is handed out after the queue. */
  private pendingError: Error | undefined;
  private settled = false;
  private headersTimer: NodeJS.Timeout | undefined;
  private readonly onAbort: () => void;

  constructor(
    private readonly conn: Connection,
    private readonly signal: AbortSignal | undefined,
    headersTimeoutMs: number,
    private readonly resolve: (r: DirectGetResponse) => void,
    private readonly reject: (e: Error) => void,
  ) {
    // An abort is the caller letting go: it fails the body at once, whatever is still queued.
    this.onAbort = () => this.fail(abortError(signal!), true);
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (headersTimeoutMs > 0) {
      this.headersTimer = setTimeout(() => this.fail(netError(`no response headers within ${headersTimeoutMs} ms`, 'ETIMEDOUT', 'TimeoutError')), headersTimeoutMs);
    }
  }

  /** The response head was read: decide the framing and hand the response out. */
  onHead(statusCode: number, reason: string, headers: Record<string, string>, http10: boolean, leftover: Buffer): void {
    clearTimeout(this.headersTimer);
    const connection = (headers['connection'] ?? '').toLowerCase();
    if (http10 ? !/\bkeep-alive\b/.test(connection) : /\bclose\b/.test(connection)) this.reusable = false;
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (statusCode === 204 || statusCode === 304) this.framing = { kind: 'none' };
    else if (te !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(te)) return this.fail(netError(`unsupported transfer-encoding "${te}"`, 'HPE_UNEXPECTED_CONTENT_LENGTH'));
      this.framing = { kind: 'chunked', state: 'size', line: '', left: 0 };
    } else if (cl !== undefined) {
      const values = new Set(cl.split(',').map((v) => v.trim()));
      const [only] = values;
      if (values.size !== 1 || !/^\d{1,15}$/.test(only!)) return this.fail(netError(`invalid content-length "${cl}"`, 'HPE_UNEXPECTED_CONTENT_LENGTH'));
      this.framing = { kind: 'length', remaining: Number(only) };
    } else {
      this.framing = { kind: 'close' };
      this.reusable = false;
    }
    this.phase = 'body';
    const body = new Readable({
      // One buffer per read(): a byte stream's read() joins what is buffered into a new copy.
      objectMode: true,
      highWaterMark: 1,
      read: () => this.pull(),
      destroy: (error, callback) => {
        // The consumer let go before the end: the rest of the body is still on the wire.
        if (this.phase !== 'done') this.finish(false);
        // As node:http does for a response: an error nobody listens for yet is not thrown at the
        // process; the stream keeps it (readableErrored), and whoever reads the body later gets it.
        process.nextTick(() => callback(body.listenerCount('error') > 0 ? error : null));
      },
    });
    this.body = body;
    this.settled = true;
    this.resolve({ statusCode, reason, headers, body });
    if (leftover.byteLength > 0) this.bodyBytes(leftover);
    if (this.framing.kind === 'none' || (this.framing.kind === 'length' && this.framing.remaining === 0 && this.phase === 'body')) this.end();
  }

  /** A buffer for the next socket read of a fixed-length body, sized to what is left of it. */
  bodyBuffer(): Buffer | undefined {
    if (this.framing.kind !== 'length') return undefined;
    if (!this.buffer) {
      const size = this.conn.bufferBytes;
      // Never more than is left: a body's last buffer is exactly its size, and nothing past the
      // body is read into it. Only whole buffers come from (and go back to) the pool, so a small
      // body never holds on to a large buffer.
      this.buffer = this.framing.remaining >= size && this.conn.buffers ? this.conn.buffers.take() : Buffer.allocUnsafeSlow(Math.max(1, Math.min(this.framing.remaining, size)));
      this.filled = 0;
    }
    return this.buffer.subarray(this.filled);
  }

  /** `n` bytes were read into {@link bodyBuffer}; false pauses the socket. */
  bodyRead(n: number): boolean {
    const framing = this.framing as { kind: 'length'; remaining: number };
    this.filled += n;
    framing.remaining -= n;
    let more = true;
    if (this.filled === this.buffer!.byteLength || framing.remaining === 0) {
      more = this.push(this.handOut());
    }
    if (framing.remaining === 0) this.end();
    return more;
  }

  /** The filled part of the current buffer, as a chunk of its own (releasable when the buffer is pooled). */
  private handOut(): Buffer {
    const buffer = this.buffer!;
    const chunk = buffer.subarray(0, this.filled);
    this.buffer = undefined;
    const pool = this.conn.buffers;
    if (pool && buffer.byteLength === this.conn.bufferBytes) releasableChunk(chunk, () => pool.give(buffer));
    return chunk;
  }

  /** Body bytes that were read somewhere else (after the head, or a chunked or until-close body): copied. */
  bodyBytes(bytes: Buffer): boolean {
    const f = this.framing;
    if (f.kind === 'length') {
      const take = Math.min(bytes.byteLength, f.remaining);
      // Bytes past the announced length: the server broke the framing; the connection is not reused.
      if (take < bytes.byteLength) this.reusable = false;
      let at = 0;
      let more = true;
      while (at < take) {
        const target = this.bodyBuffer()!;
        const n = Math.min(target.byteLength, take - at);
        bytes.copy(target, 0, at, at + n);
        at += n;
        more = this.bodyRead(n);
      }
      return more;
    }
    if (f.kind === 'close') return this.push(Buffer.from(bytes));
    if (f.kind === 'chunked') return this.chunked(f, bytes);
    // A body where none was announced (204, 304): the connection is not reused.
    this.reusable = false;
    return true;
  }

  private chunked(f: Extract<Framing, { kind: 'chunked' }>, bytes: Buffer): boolean {
    let more = true;
    let at = 0;
    while (at < bytes.byteLength && this.phase === 'body') {
      if (f.state === 'data') {
        const n = Math.min(f.left, bytes.byteLength - at);
        more = this.push(Buffer.from(bytes.subarray(at, at + n)));
        at += n;
        f.left -= n;
        if (f.left === 0) f.state = 'data-end';
        continue;
      }
      const nl = bytes.indexOf(10, at);
      const end = nl < 0 ? bytes.byteLength : nl;
      f.line += bytes.toString('latin1', at, end);
      at = nl < 0 ? bytes.byteLength : nl + 1;
      if (f.line.length > CHUNK_LINE_LIMIT) return this.fail(netError('a chunk-size line is too long', 'HPE_CHUNK_EXTENSIONS_OVERFLOW')), false;
      if (nl < 0) break;
      const line = f.line.replace(/\r$/, '');
      f.line = '';
      if (f.state === 'data-end') {
        if (line !== '') return this.fail(netError('a chunk does not end with CRLF', 'HPE_INVALID_CHUNK_SIZE')), false;
        f.state = 'size';
      } else if (f.state === 'size') {
        const m = /^([0-9a-fA-F]{1,12})\s*(;.*)?$/.exec(line);
        if (!m) return this.fail(netError(`invalid chunk size "${line.slice(0, 40)}"`, 'HPE_INVALID_CHUNK_SIZE')), false;
        f.left = parseInt(m[1]!, 16);
        f.state = f.left === 0 ? 'trailers' : 'data';
      } else if (line === '') {
        // The empty line after the trailers: the body is complete.
        if (at < bytes.byteLength) this.reusable = false;
        this.end();
      }
    }
    return more;
  }

  /** The exchange is over (its connection is released or closed). */
  get finished(): boolean {
    return this.phase === 'done';
  }

  /** Queues a body buffer; false when the queue is full (the socket pauses until the stream pulls). */
  private push(chunk: Buffer): boolean {
    if (chunk.byteLength === 0 || !this.body || this.body.destroyed) return true;
    this.queue.push(chunk);
    if (this.wanting) this.pull();
    const more = this.queue.length < QUEUE_LIMIT;
    if (!more) this.paused = true;
    return more;
  }

  /** Hands queued buffers to the stream while it takes them; then the end or the error, once the queue is empty. */
  private pull(): void {
    const body = this.body!;
    this.wanting = false;
    let pushed = false;
    while (this.queue.length > 0) {
      pushed = true;
      if (!body.push(this.queue.shift())) break;
    }
    if (this.queue.length === 0) {
      if (this.pendingError && !pushed) return void body.destroy(this.pendingError);
      if (this.ended) return void body.push(null);
      // The stream calls read() again only after a push: the next buffer that arrives is pushed at once.
      if (!pushed) this.wanting = true;
    }
    if (this.paused && this.queue.length < QUEUE_LIMIT && !this.conn.closed) {
      this.paused = false;
      this.conn.socket.resume();
    }
  }

  /** The connection closed (cleanly or not) while this exchange was under way. */
  onClose(): void {
    if (this.phase === 'head') this.fail(netError('socket hang up', 'ECONNRESET'));
    else if (this.phase === 'body') {
      if (this.framing.kind === 'close') {
        this.reusable = false;
        this.end();
      } else this.fail(netError('aborted: the connection closed before the end of the response body', 'ECONNRESET'));
    }
  }

  /** The body is complete. */
  end(): void {
    if (this.phase === 'done') return;
    this.finish(this.reusable);
    this.ended = true;
    if (this.wanting) this.pull();
  }

  /**
   * The exchange broke. Before the headers, the request fails. In a body, the stream fails after
   * every byte that arrived before the break (the part-filled buffer too), unless `now`.
   */
  fail(error: Error, now = false): void {
    if (this.phase === 'done') return;
    this.finish(false);
    if (!this.settled) {
      this.settled = true;
      this.reject(error);
      return;
    }
    const body = this.body;
    if (!body || body.destroyed) return;
    if (now) return void body.destroy(error);
    if (this.buffer && this.filled > 0) this.queue.push(this.handOut());
    this.buffer = undefined;
    this.pendingError = error;
    if (this.wanting) this.pull();
  }

  private finish(reusable: boolean): void {
    this.phase = 'done';
    clearTimeout(this.headersTimer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.conn.done(this, reusable);
  }
}

/**
 * Body buffers handed back by their consumers, read into again. Reuse is what keeps a long
 * download from allocating a new 1 MiB buffer per MiB, each one external memory that V8 answers
 * with full collections.
 */
export class BufferPool {
  /** Buffers kept for reuse at most: enough for 4 streams' read-ahead and writes in flight. */
  static readonly MAX_IDLE = 64;
  private readonly idle: Buffer[] = [];
  private lastTake = 0;
  private trimmer: NodeJS.Timeout | undefined;

  constructor(readonly size: number) {}

  take(): Buffer {
    this.lastTake = Date.now();
    return this.idle.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buffer: Buffer): void {
    if (this.idle.length >= BufferPool.MAX_IDLE) return;
    this.idle.push(buffer);
    // A pool nobody takes from lets its buffers go: an idle process does not keep 64 MiB.
    this.trimmer ??= setInterval(() => {
      if (Date.now() - this.lastTake < 2000) return;
      this.clear();
    }, 2000).unref();
  }

  /** Buffers waiting for reuse now. */
  get idleCount(): number {
    return this.idle.length;
  }

  clear(): void {
    this.idle.length = 0;
    clearInterval(this.trimmer);
    this.trimmer = undefined;
  }
}

/** One connection: a socket whose reads land in the current exchange's buffers. */
class Connection {
  readonly socket: net.Socket;
  exchange: Exchange | undefined;
  /** Where the head (and bodies of unknown length) are read; reused for every exchange. */
  private readonly scratch = Buffer.allocUnsafe(HEADER_LIMIT);
  private scratchUsed = 0;
  private connectTimer: NodeJS.Timeout | undefined;
  closed = false;

  constructor(
    readonly origin: string,
    request: DirectGetRequest,
    readonly bufferBytes: number,
    readonly buffers: BufferPool | undefined,
    private readonly pool: DirectGetClient,
    options: DirectGetOptions,
  ) {
    const host = request.hostname.startsWith('[') && request.hostname.endsWith(']') ? request.hostname.slice(1, -1) : request.hostname;
    const secure = request.protocol === 'https:';
    const port = request.port ?? (secure ? 443 : 80);
    const onread = { buffer: () => this.readBuffer(), callback: (n: number) => this.onRead(n) };
    this.socket = secure
      ? tls.connect({ ...options.tls, host, port, ALPNProtocols: ['http/1.1'], onread } as tls.ConnectionOptions)
      : net.connect({ host, port, onread });
    this.socket.setNoDelay(true);
    if (options.connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(() => {
        const error = netError(`no connection to ${host}:${port} within ${options.connectTimeoutMs} ms`, 'ETIMEDOUT', 'TimeoutError');
        this.exchange?.fail(error);
        this.close();
      }, options.connectTimeoutMs);
    }
    this.socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(this.connectTimer));
    this.socket.setTimeout(options.idleTimeoutMs);
    this.socket.on('timeout', () => {
      this.exchange?.fail(netError(`the connection was silent for ${options.idleTimeoutMs} ms`, 'ETIMEDOUT', 'TimeoutError'));
      this.close();
    });
    this.socket.on('error', (error) => {
      this.exchange?.fail(error);
      this.close();
    });
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => this.onEnd());
  }

  private readBuffer(): Uint8Array {
    const ex = this.exchange;
    if (ex?.phase === 'body') {
      const target = ex.bodyBuffer();
      if (target) return target;
    }
    return this.scratch.subarray(this.scratchUsed);
  }

  private onRead(n: number): boolean {
    const ex = this.exchange;
    if (!ex || ex.phase === 'done') {
      // Bytes nobody asked for (or after the end of a body): the connection cannot be trusted.
      this.close();
      return false;
    }
    ex.answered = true;
    if (ex.phase === 'body') {
      const more = ex.framing.kind === 'length' ? ex.bodyRead(n) : ex.bodyBytes(this.scratch.subarray(0, n));
      this.scratchUsed = 0;
      // Paused only while the body's reader is behind; a finished body pauses nothing.
      return more || ex.finished;
    }
    const before = this.scratchUsed;
    this.scratchUsed += n;
    this.parseHeads(ex, Math.max(0, before - 3));
    return !ex.paused || ex.finished;
  }

  /** Reads response heads from the scratch buffer (skipping interim 1xx responses). */
  private parseHeads(ex: Exchange, searchFrom: number): void {
    for (;;) {
      const end = this.scratch.subarray(0, this.scratchUsed).indexOf('\r\n\r\n', searchFrom, 'latin1');
      if (end < 0) {
        if (this.scratchUsed >= HEADER_LIMIT) ex.fail(netError(`the response headers exceed ${HEADER_LIMIT} bytes`, 'HPE_HEADER_OVERFLOW'));
        return;
      }
      const lines = this.scratch.toString('latin1', 0, end).split('\r\n');
      const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
      if (!status) return ex.fail(netError(`not an HTTP/1.x response: "${lines[0]!.slice(0, 40)}"`, 'HPE_INVALID_CONSTANT'));
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = colon > 0 ? line.slice(0, colon) : '';
        if (!TOKEN.test(name)) return ex.fail(netError(`invalid response header line "${line.slice(0, 40)}"`, 'HPE_INVALID_HEADER_TOKEN'));
        const key = name.toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
      }
      const code = Number(status[2]);
      const rest = Buffer.from(this.scratch.subarray(end + 4, this.scratchUsed));
      this.scratchUsed = 0;
      if (code >= 100 && code < 200) {
        // An interim response (100 Continue, 103 Early Hints): the real one follows.
        rest.copy(this.scratch, 0);
        this.scratchUsed = rest.byteLength;
        searchFrom = 0;
        continue;
      }
      ex.onHead(code, status[3] ?? '', headers, status[1] === '0', rest);
      return;
    }
  }

  /** Sends a request on this connection. */
  start(ex: Exchange, head: string): void {
    this.exchange = ex;
    this.scratchUsed = 0;
    this.socket.ref();
    this.socket.write(head, 'latin1');
  }

  /** An exchange ended: keep the connection for the next one, or close it. */
  done(ex: Exchange, reusable: boolean): void {
    if (this.exchange !== ex) return;
    this.exchange = undefined;
    if (reusable && !this.closed) {
      this.socket.unref();
      this.pool.release(this);
    } else this.close();
  }

  private onEnd(): void {
    this.closed = true;
    this.exchange?.onClose();
    this.pool.forget(this);
    if (!this.socket.destroyed) this.socket.destroy();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.connectTimer);
    this.pool.forget(this);
    this.socket.destroy();
  }
}

function requestHead(request: DirectGetRequest): string {
  if (/[\s\0]/.test(request.path) || !request.path.startsWith('/')) throw new TypeError(`invalid request path "${request.path.slice(0, 60)}"`);
  let head = `GET ${request.path} HTTP/1.1\r\n`;
  let host = false;
  for (const [name, value] of Object.entries(request.headers)) {
    if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) throw new TypeError(`invalid request header "${name}"`);
    if (name.toLowerCase() === 'host') host = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!host) head += `host: ${request.hostname}${request.port === undefined ? '' : `:${request.port}`}\r\n`;
  return `${head}\r\n`;
}

/**
 * Sends GETs over kept-alive HTTP/1.1 connections and streams each response body in buffers of up
 * to {@link DirectGetOptions.bufferBytes}. Errors carry Node's codes (`ECONNRESET`, `ETIMEDOUT`
 * with name `TimeoutError`, `AbortError`), so that callers map them as they map node:http's. A
 * request whose pooled connection turns out to be closed by the server is sent once more on a new
 * connection (before any byte of an answer, a GET is safe to repeat). Idle connections do not keep
 * the process alive.
 */
export class DirectGetClient {
  private readonly idle = new Map<string, Connection[]>();
  private readonly open = new Set<Connection>();
  private readonly bufferBytes: number;
  private readonly maxIdle: number;
  /** Whole body buffers handed back by consumers (undefined when reuse is off). */
  readonly buffers: BufferPool | undefined;

  constructor(private readonly options: DirectGetOptions) {
    this.bufferBytes = Math.max(4096, Math.floor(options.bufferBytes ?? 1024 * 1024));
    this.maxIdle = Math.max(0, Math.floor(options.maxIdlePerOrigin ?? 16));
    this.buffers = options.reuseBuffers === false ? undefined : new BufferPool(this.bufferBytes);
  }

  /** Sends `request`; resolves with the response once its headers are in (`headersTimeoutMs` overrides the option). */
  async get(request: DirectGetRequest, signal?: AbortSignal, headersTimeoutMs = this.options.headersTimeoutMs): Promise<DirectGetResponse> {
    if (request.protocol !== 'http:' && request.protocol !== 'https:') throw new TypeError(`unsupported protocol "${request.protocol}"`);
    const head = requestHead(request);
    const origin = `${request.protocol}//${request.hostname}:${request.port ?? ''}`;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const pooled = this.idle.get(origin)?.pop();
      const conn = pooled ?? this.connect(origin, request);
      let answered = false;
      try {
        return await new Promise<DirectGetResponse>((resolve, reject) => {
          const ex = new Exchange(conn, signal, headersTimeoutMs, resolve, (e) => {
            answered = ex.answered;
            reject(e);
          });
          conn.start(ex, head);
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const stale = pooled !== undefined && !answered && (code === 'ECONNRESET' || code === 'EPIPE');
        if (!stale) throw error;
      }
    }
  }

  private connect(origin: string, request: DirectGetRequest): Connection {
    const conn = new Connection(origin, request, this.bufferBytes, this.buffers, this, this.options);
    this.open.add(conn);
    return conn;
  }

  /** @internal A connection finished an exchange cleanly. */
  release(conn: Connection): void {
    const list = this.idle.get(conn.origin) ?? [];
    if (list.length >= this.maxIdle) return conn.close();
    list.push(conn);
    this.idle.set(conn.origin, list);
  }

  /** @internal A connection closed. */
  forget(conn: Connection): void {
    this.open.delete(conn);
    const list = this.idle.get(conn.origin);
    const i = list?.indexOf(conn) ?? -1;
    if (i >= 0) list!.splice(i, 1);
  }

  /** Connections open now (in use or idle), for tests and metrics. */
  get connections(): number {
    return this.open.size;
  }

  /** Closes every connection; requests under way fail with ECONNRESET. */
  destroy(): void {
    for (const conn of [...this.open]) conn.close();
    this.idle.clear();
    this.buffers?.clear();
  }
}
