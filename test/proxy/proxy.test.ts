/**
 * The proxy itself, against small local servers: large streams come through byte for byte (with
 * latency, concurrently, under backpressure), the delay is what was asked for, and each scheduled
 * fault does exactly what it says to exactly the request it names.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from './proxy.js';

const MiB = 1024 * 1024;
const BLOB = randomBytes(32 * MiB);

interface Local {
  url: string;
  /** Requests the server received (method and url). */
  seen: string[];
  close(): Promise<void>;
}

/** GET /blob/N: the first N bytes of BLOB (Content-Length). GET /chunked/N: the same, chunked. PUT: sha256 and length of the body. */
async function startHttpServer(): Promise<Local> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const m = /^\/(blob|chunked)\/(\d+)/.exec(req.url ?? '');
    if (req.method === 'GET' && m) {
      const body = BLOB.subarray(0, Number(m[2]));
      if (m[1] === 'blob') res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
      else res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // Many small writes, so the proxy sees many chunks.
      let off = 0;
      const pump = () => {
        while (off < body.length) {
          const n = Math.min(body.length - off, 1 + Math.floor(Math.random() * 200_000));
          const ok = res.write(body.subarray(off, off + n));
          off += n;
          if (!ok) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    if (req.method === 'PUT' || req.method === 'POST') {
      const hash = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        hash.update(c);
        n += c.length;
      });
      req.on('end', () => {
        const out = JSON.stringify({ sha256: hash.digest('hex'), length: n, host: req.headers.host });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
        res.end(out);
      });
      return;
    }
    res.writeHead(404, { 'content-length': 0 });
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Got {
  status: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
  error?: string;
}

const agent = new http.Agent({ keepAlive: true });

/** One HTTP request; a connection error or a body that ends early is reported, not thrown. */
function request(base: string, method: string, path: string, options: { body?: Buffer; timeoutMs?: number; readSlowly?: boolean } = {}): Promise<Got> {
  return new Promise((resolve) => {
    const url = new URL(path, base);
    const req = http.request(url, { method, agent, headers: options.body ? { 'content-length': options.body.length } : {} }, (res) => {
      const parts: Buffer[] = [];
      const finish = (error?: string) => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), headers: res.headers, ...(error ? { error } : {}) });
      res.on('data', (c: Buffer) => {
        parts.push(c);
        if (options.readSlowly) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on('end', () => finish());
      res.on('error', (e) => finish(e.message));
      res.on('aborted', () => finish('aborted'));
    });
    if (options.timeoutMs) req.setTimeout(options.timeoutMs, () => req.destroy(new Error('client timeout')));
    req.on('error', (e) => resolve({ status: 0, body: Buffer.alloc(0), headers: {}, error: `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}` }));
    req.end(options.body);
  });
}

describe('latency-only proxy (TCP)', () => {
  let echo: net.Server;
  let echoPort = 0;
  beforeAll(async () => {
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    echoPort = (echo.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => echo.close(() => r())));

  /** Sends `data` through an echo server in irregular pieces and returns what came back. */
  function echoThrough(port: number, data: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      const back: Buffer[] = [];
      let got = 0;
      s.on('data', (c: Buffer) => {
        back.push(c);
        got += c.length;
        if (got >= data.length) {
          s.end();
          resolve(Buffer.concat(back));
        }
      });
      s.on('error', reject);
      let off = 0;
      // Irregular pieces with pauses between them, so chunks arrive on different clock ticks
      // (what reordered bytes in a proxy with one timer per chunk).
      const next = () => {
        if (off >= data.length) return;
        const n = Math.min(data.length - off, 1 + Math.floor(Math.random() * 100_000));
        const ok = s.write(data.subarray(off, off + n));
        off += n;
        if (!ok) s.once('drain', next);
        else if (Math.random() < 0.3) setTimeout(next, Math.random() * 3);
        else setImmediate(next);
      };
      next();
    });
  }

  it('four concurrent 16 MiB streams come back byte for byte through 5 ms each way', async () => {
    const proxy = await startProxy({ target: `127.0.0.1:${echoPort}`, latencyMs: 5, faults: false });
    try {
      const inputs = [0, 1, 2, 3].map((i) => BLOB.subarray(i * 4 * MiB, i * 4 * MiB + 16 * MiB));
      const port = Number(new URL(proxy.url).port);
      const outputs = await Promise.all(inputs.map((d) => echoThrough(port, d)));
      for (let i = 0; i < inputs.length; i++) expect(outputs[i]!.equals(inputs[i]!)).toBe(true);
      expect(proxy.stats.connections).toBe(4);
      expect(proxy.stats.bytesUp).toBe(64 * MiB);
      expect(proxy.stats.bytesDown).toBe(64 * MiB);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('adds the one-way delay to each direction: a round trip takes at least twice the latency', async () => {
    const proxy = await startProxy({ target: `127.0.0.1:${echoPort}`, latencyMs: 40, faults: false });
    try {
      const port = Number(new URL(proxy.url).port);
      const t0 = performance.now();
      const back = await echoThrough(port, Buffer.from('ping'));
      const rtt = performance.now() - t0;
      expect(back.toString()).toBe('ping');
      expect(rtt).toBeGreaterThanOrEqual(79);
      expect(rtt).toBeLessThan(400);
    } finally {
      await proxy.close();
    }
  });

  it('an HTTP body read slowly (backpressure on the client side) arrives whole, and in order', async () => {
    const server = await startHttpServer();
    const proxy = await startProxy({ target: server.url, latencyMs: 2, faults: false });
    try {
      const got = await request(proxy.url, 'GET', `/blob/${12 * MiB}`, { readSlowly: true });
      expect(got.error).toBeUndefined();
      expect(got.body.equals(BLOB.subarray(0, 12 * MiB))).toBe(true);
    } finally {
      await proxy.close();
      await server.close();
    }
  }, 60_000);

  it('refuses fault rules (it does not parse HTTP)', async () => {
    const proxy = await startProxy({ target: `127.0.0.1:${echoPort}`, faults: false });
    try {
      expect(() => proxy.schedule.set([{ action: { kind: 'reset' } }])).toThrow(/latency only/);
    } finally {
      await proxy.close();
    }
  });
});

describe('fault proxy (HTTP)', () => {
  let server: Local;
  let proxy: RunningProxy;
  beforeAll(async () => {
    server = await startHttpServer();
    proxy = await startProxy({ target: server.url, latencyMs: 1 });
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('forwards large bodies both ways byte for byte (Content-Length and chunked), Host unchanged', async () => {
    proxy.schedule.clear();
    const [a, b, c] = await Promise.all([
      request(proxy.url, 'GET', `/blob/${30 * MiB}`),
      request(proxy.url, 'GET', `/chunked/${20 * MiB}`),
      request(proxy.url, 'PUT', '/upload', { body: BLOB.subarray(MiB, 21 * MiB) }),
    ]);
    expect(a.body.equals(BLOB.subarray(0, 30 * MiB))).toBe(true);
    expect(b.body.equals(BLOB.subarray(0, 20 * MiB))).toBe(true);
    const echoed = JSON.parse(c.body.toString()) as { sha256: string; length: number; host: string };
    expect(echoed).toEqual({ sha256: createHash('sha256').update(BLOB.subarray(MiB, 21 * MiB)).digest('hex'), length: 20 * MiB, host: new URL(proxy.url).host });
  }, 60_000);

  it('answers the nth matching request with a status, counting only matching requests', async () => {
    proxy.schedule.set([{ match: { url: /^\/blob\/10\b/ }, nth: 2, action: { kind: 'status', status: 503 } }]);
    const before = server.seen.length;
    const r1 = await request(proxy.url, 'GET', '/blob/10');
    const other = await request(proxy.url, 'GET', '/blob/11');
    const r2 = await request(proxy.url, 'GET', '/blob/10');
    const r3 = await request(proxy.url, 'GET', '/blob/10');
    expect([r1.status, other.status, r2.status, r3.status]).toEqual([200, 200, 503, 200]);
    expect(r2.body.toString()).toContain('<Code>SlowDown</Code>');
    // The faulted request never reached the server.
    expect(server.seen.length - before).toBe(3);
    expect(proxy.schedule.pending()).toEqual([]);
  });

  it('shapes error bodies like GCS for GCS API paths, and honours an explicit body', async () => {
    proxy.schedule.set([
      { match: { url: '/storage/v1/' }, action: { kind: 'status', status: 429 } },
      { match: { url: '/custom' }, action: { kind: 'status', status: 500, body: 'nope' } },
    ]);
    const g = await request(proxy.url, 'GET', '/storage/v1/b/bkt/o?prefix=a');
    expect(g.status).toBe(429);
    expect(JSON.parse(g.body.toString())).toMatchObject({ error: { code: 429, errors: [{ reason: 'rateLimitExceeded' }] } });
    const c = await request(proxy.url, 'GET', '/custom');
    expect([c.status, c.body.toString()]).toEqual([500, 'nope']);
  });

  it('with forward, the server does the work and the client gets the fault', async () => {
    proxy.schedule.set([{ match: { method: 'PUT' }, action: { kind: 'status', status: 500, forward: true } }]);
    const before = server.seen.length;
    const r = await request(proxy.url, 'PUT', '/landed', { body: Buffer.from('x') });
    expect(r.status).toBe(500);
    expect(server.seen.slice(before)).toEqual(['PUT /landed']);
  });

  it('resets the connection: the client sees ECONNRESET and no response', async () => {
    proxy.schedule.set([{ match: { url: '/blob/5' }, action: { kind: 'reset' } }]);
    const r = await request(proxy.url, 'GET', '/blob/5');
    expect(r.status).toBe(0);
    expect(r.error).toMatch(/ECONNRESET|socket hang up/);
    // The next request is served normally (a new connection).
    expect((await request(proxy.url, 'GET', '/blob/5')).body.equals(BLOB.subarray(0, 5))).toBe(true);
  });

  it('cuts a body after N bytes: the declared length stays, fewer bytes arrive', async () => {
    proxy.schedule.set([{ match: { url: '/blob/' }, action: { kind: 'cut', afterBytes: 100_000 } }]);
    const r = await request(proxy.url, 'GET', `/blob/${2 * MiB}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(2 * MiB));
    expect(r.error).toBeDefined();
    expect(r.body.length).toBe(100_000);
    expect(r.body.equals(BLOB.subarray(0, 100_000))).toBe(true);
  });

  it('cuts a chunked body too, and a cut at byte 0 sends headers only', async () => {
    proxy.schedule.set([
      { match: { url: '/chunked/' }, action: { kind: 'cut', afterBytes: 1234, how: 'reset' } },
      { match: { url: '/blob/' }, action: { kind: 'cut', afterBytes: 0 } },
    ]);
    const a = await request(proxy.url, 'GET', `/chunked/${MiB}`);
    expect(a.error).toBeDefined();
    expect(a.body.length).toBeLessThanOrEqual(1234);
    const b = await request(proxy.url, 'GET', '/blob/1000');
    expect(b.status).toBe(200);
    expect(b.error).toBeDefined();
    expect(b.body.length).toBe(0);
  });

  it('stalls a request past the client timeout, then serves the next one', async () => {
    proxy.schedule.set([{ match: { url: '/blob/7' }, action: { kind: 'stall', ms: 1500 } }]);
    const t0 = performance.now();
    const r = await request(proxy.url, 'GET', '/blob/7', { timeoutMs: 300 });
    expect(r.error).toMatch(/client timeout/);
    expect(performance.now() - t0).toBeLessThan(1400);
    const ok = await request(proxy.url, 'GET', '/blob/7');
    expect(ok.body.equals(BLOB.subarray(0, 7))).toBe(true);
  });

  it('stalls mid-body and carries on: the whole body arrives, late', async () => {
    proxy.schedule.set([{ match: { url: '/blob/' }, action: { kind: 'stall', ms: 400, afterBytes: 50_000 } }]);
    const t0 = performance.now();
    const r = await request(proxy.url, 'GET', `/blob/${MiB}`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    expect(r.error).toBeUndefined();
    expect(r.body.equals(BLOB.subarray(0, MiB))).toBe(true);
  });

  it('reports rules that never fired, and offsets beyond the body', async () => {
    proxy.schedule.set([
      { match: { url: '/never' }, action: { kind: 'reset' }, label: 'never matched' },
      { match: { url: '/blob/10' }, action: { kind: 'cut', afterBytes: 50 } },
    ]);
    const r = await request(proxy.url, 'GET', '/blob/10');
    expect(r.body.length).toBe(10);
    expect(proxy.schedule.pending()).toEqual(['never matched']);
    expect(proxy.stats.requests.at(-1)).toMatchObject({ fault: 'cut', faultNotReached: true });
  });
});
