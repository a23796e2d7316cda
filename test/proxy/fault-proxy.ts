/**
 * An HTTP proxy that breaks requests on a schedule ({@link FaultSchedule}) between a client (the
 * S3 or GCS SDK) and a real server (Ceph RGW, the GCS emulator): error statuses, connection
 * resets, bodies cut short, stalls past the client's timeouts.
 *
 * It forwards each request as it came (method, path and query byte for byte, headers in their
 * order and spelling, `Host` included), so SigV4 signatures made for the proxy's address stay
 * valid. Only hop-by-hop headers are dropped, and `Expect: 100-continue` (answered here; SigV4
 * does not sign it). Bodies are streamed both ways with backpressure.
 */
import http from 'node:http';
import type net from 'node:net';
import { once } from 'node:events';
import { FaultSchedule, type FaultAction, type RequestInfo } from './fault-schedule.js';
import { parseTarget } from './latency-proxy.js';

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Where to forward: `http://host:port`. */
  target: string;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
}

/** One request the proxy saw. */
export interface RequestRecord {
  seq: number;
  method: string;
  url: string;
  /** The request's Range header, if any (to see where a resumed read started). */
  range?: string;
  /** Status sent to the client, when a response was started. */
  status?: number;
  /** The fault applied, if any. */
  fault?: FaultAction['kind'];
  /** True when a body fault's offset lay beyond the end of the body (nothing was broken). */
  faultNotReached?: boolean;
}

/** Counters and the request log of a fault proxy. */
export interface FaultProxyStats {
  connections: number;
  requests: RequestRecord[];
}

/** A running fault proxy. */
export interface RunningFaultProxy {
  url: string;
  port: number;
  stats: FaultProxyStats;
  schedule: FaultSchedule;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'expect']);

/** A flat raw header list without hop-by-hop headers. */
function forwardable(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

const S3_CODES: Record<number, string> = { 500: 'InternalError', 503: 'SlowDown', 429: 'SlowDown', 408: 'RequestTimeout', 403: 'AccessDenied', 404: 'NoSuchKey' };

/** An error body shaped like the store's own: GCS JSON for GCS API paths, S3 XML otherwise. */
export function errorBody(url: string, status: number): { body: string; contentType: string } {
  const message = `injected by the ckptkit fault proxy (HTTP ${status})`;
  if (/^\/(?:upload\/)?storage\/v1\//.test(url)) {
    const reason = status === 429 ? 'rateLimitExceeded' : status >= 500 ? 'backendError' : 'injected';
    return { body: JSON.stringify({ error: { code: status, message, errors: [{ reason, message }] } }), contentType: 'application/json; charset=UTF-8' };
  }
  const code = S3_CODES[status] ?? (status >= 500 ? 'InternalError' : 'InvalidRequest');
  return {
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`,
    contentType: 'application/xml',
  };
}

function sleepUnlessClosed(ms: number, socket: net.Socket): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve(false);
      return;
    }
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      socket.off('close', onClose);
      resolve(!socket.destroyed);
    }, ms);
    socket.once('close', onClose);
  });
}

/**
 * Writes a chunk to the client, waiting for `drain` under backpressure (or, with `flush`, until the
 * bytes left for the socket). False when the client went away first.
 */
function write(res: http.ServerResponse, chunk: Buffer, flush: boolean): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let waiting = true;
    const done = (ok: boolean) => {
      if (!waiting) return;
      waiting = false;
      res.off('close', onClose);
      res.off('drain', onDrain);
      resolve(ok);
    };
    const onClose = () => done(false);
    const onDrain = () => done(true);
    res.once('close', onClose);
    const flushed = res.write(chunk, () => {
      if (flush) done(true);
    });
    if (!flush) {
      if (flushed) done(true);
      else res.once('drain', onDrain);
    }
  });
}

/** Starts an HTTP fault-injecting proxy in front of `options.target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<RunningFaultProxy> {
  const { host, port } = parseTarget(options.target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const schedule = new FaultSchedule();
  const stats: FaultProxyStats = { connections: 0, requests: [] };
  let seq = 0;

  const respondWith = (req: http.IncomingMessage, res: http.ServerResponse, action: Extract<FaultAction, { kind: 'status' }>, record: RequestRecord, info: RequestInfo) => {
    const shaped = errorBody(req.url ?? '/', action.status);
    const body = typeof action.body === 'function' ? action.body(info) : (action.body ?? shaped.body);
    record.status = action.status;
    res.writeHead(action.status, { 'content-type': shaped.contentType, 'content-length': Buffer.byteLength(body), ...(action.headers ?? {}) });
    res.end(body);
  };

  const reset = (req: http.IncomingMessage) => {
    req.socket.resetAndDestroy();
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const info: RequestInfo = { seq: ++seq, method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    const action = schedule.decide(info);
    const record: RequestRecord = { seq: info.seq, method: info.method, url: info.url, ...(action ? { fault: action.kind } : {}) };
    if (typeof req.headers.range === 'string') record.range = req.headers.range;
    stats.requests.push(record);

    if (action?.kind === 'reset' && !action.forward) {
      reset(req);
      return;
    }
    if (action?.kind === 'status' && !action.forward) {
      // Read (and drop) the body first, as a server that refuses a request still reads it.
      req.resume();
      respondWith(req, res, action, record, info);
      return;
    }
    if (action?.kind === 'stall' && action.afterBytes === undefined) {
      if (!(await sleepUnlessClosed(action.ms, req.socket))) return;
    }

    const upstream = http.request({ host, port, method: req.method, path: req.url, headers: forwardable(req.rawHeaders), agent, setHost: false });
    const abandon = () => upstream.destroy();
    res.on('close', abandon);
    upstream.on('error', () => {
      // The server dropped the connection: pass that on as a reset, as it would reach the client.
      if (!res.headersSent) reset(req);
      else res.destroy();
    });
    req.pipe(upstream);
    const [upRes] = (await once(upstream, 'response').catch(() => [undefined])) as [http.IncomingMessage | undefined];
    if (!upRes) return;

    if (action?.kind === 'status' || action?.kind === 'reset') {
      // `forward`: the server did the work; the client never hears about it.
      upRes.resume();
      if (action.kind === 'status') respondWith(req, res, action, record, info);
      else reset(req);
      return;
    }

    record.status = upRes.statusCode ?? 502;
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, forwardable(upRes.rawHeaders));
    res.flushHeaders();
    const limit = action?.kind === 'cut' ? action.afterBytes : action?.kind === 'stall' && action.afterBytes !== undefined ? action.afterBytes : undefined;
    let sent = 0;
    /** Applies the body fault at its offset; false when the response is over (cut, or the client left). */
    const atOffset = async (): Promise<boolean> => {
      if (action?.kind === 'cut') {
        upRes.destroy();
        if (action.how === 'reset') reset(req);
        else req.socket.destroySoon(); // a FIN after the bytes already written
        return false;
      }
      if (action?.kind === 'stall' && !(await sleepUnlessClosed(action.ms, req.socket))) {
        upRes.destroy();
        return false;
      }
      return true;
    };
    try {
      let pending = limit !== undefined;
      if (pending && limit === 0) {
        pending = false;
        if (!(await atOffset())) return;
      }
      for await (const raw of upRes) {
        let chunk = raw as Buffer;
        if (pending && sent + chunk.byteLength >= limit!) {
          const head = chunk.subarray(0, limit! - sent);
          if (!(await write(res, head, true))) return;
          sent += head.byteLength;
          pending = false;
          if (!(await atOffset())) return;
          chunk = chunk.subarray(head.byteLength);
        }
        if (chunk.byteLength === 0) continue;
        sent += chunk.byteLength;
        if (!(await write(res, chunk, false))) return;
      }
      if (pending) record.faultNotReached = true;
      res.end();
    } catch {
      res.destroy();
    }
  }

  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', () => stats.connections++);
  // A client that resets its connection mid-request must not take the proxy down.
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    port: address.port,
    stats,
    schedule,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
