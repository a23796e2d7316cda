/**
 * The direct GET client against scripted TCP servers: what it reads (whole buffers, framings,
 * interim responses), what it keeps (connections), and every way a server or a caller can break an
 * exchange. No nock: the client does not go through node:http.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { releaseChunk } from '@ckptkit/gfile';
import { BufferPool, DirectGetClient, type DirectGetOptions } from './direct-get.js';

type Script = (socket: net.Socket, head: string, index: number) => void;

interface Scripted {
  port: number;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

const servers: Scripted[] = [];
const clients: DirectGetClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await s.close();
});

/** A server that hands each request head (all requests, on any connection, numbered) to `script`. */
async function scripted(script: Script, secure?: { key: Buffer; cert: Buffer }): Promise<Scripted> {
  const sockets = new Set<net.Socket>();
  const state: Scripted = { port: 0, connections: 0, requests: [], close: async () => undefined };
  const onSocket = (socket: net.Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = '';
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        state.requests.push(head);
        script(socket, head, state.requests.length - 1);
      }
    });
  };
  const server = secure ? tls.createServer(secure, onSocket) : net.createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  servers.push(state);
  return state;
}

function client(options: Partial<DirectGetOptions> = {}): DirectGetClient {
  const c = new DirectGetClient({ connectTimeoutMs: 2000, headersTimeoutMs: 2000, idleTimeoutMs: 2000, ...options });
  clients.push(c);
  return c;
}

const get = (c: DirectGetClient, port: number, pathname = '/bkt/key', signal?: AbortSignal, protocol = 'http:') =>
  c.get({ protocol, hostname: '127.0.0.1', port, path: pathname, headers: { host: `127.0.0.1:${port}`, authorization: 'AWS4-HMAC-SHA256 x' } }, signal);

async function chunksOf(body: AsyncIterable<Buffer>, delayMs = 0): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of body) {
    out.push(c);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
  }
  return out;
}

async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

/** Writes `data` in pieces of `piece` bytes, one per event-loop turn (many small socket reads). */
async function trickle(socket: net.Socket, data: Buffer, piece: number): Promise<void> {
  for (let at = 0; at < data.byteLength; at += piece) {
    socket.write(data.subarray(at, at + piece));
    await new Promise((r) => setImmediate(r));
  }
}

describe('DirectGetClient', () => {
  it('hands a body out in whole buffers, however small the socket reads, and sends the request as given', async () => {
    const body = randomBytes(50_000);
    const s = await scripted((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.byteLength}\r\nETag: "e"\r\nX-Amz-Meta-A: 1\r\nx-amz-meta-a: 2\r\n\r\n`);
      void trickle(socket, body, 1000);
    });
    const res = await get(client({ bufferBytes: 8192 }), s.port, '/bkt/a%20b?x-id=GetObject');
    expect(res.statusCode).toBe(200);
    expect(res.reason).toBe('OK');
    expect(res.headers).toMatchObject({ 'content-length': '50000', etag: '"e"', 'x-amz-meta-a': '1, 2' });
    const chunks = await chunksOf(res.body);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    // 50 reads of 1,000 bytes, handed out as 6 buffers of 8 KiB and one of the 848 left.
    expect(chunks.map((c) => c.byteLength)).toEqual([8192, 8192, 8192, 8192, 8192, 8192, 848]);
    expect(s.requests[0]!.split('\r\n')).toEqual(['GET /bkt/a%20b?x-id=GetObject HTTP/1.1', `host: 127.0.0.1:${s.port}`, 'authorization: AWS4-HMAC-SHA256 x']);
  });

  it('keeps a connection alive across requests, and opens a new one when the server has closed it', async () => {
    const s = await scripted((socket, _head, i) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc');
      // After the second answer the server drops the connection without saying so.
      if (i === 1) setTimeout(() => socket.destroy(), 20);
    });
    const c = client();
    for (let i = 0; i < 2; i++) expect(Buffer.concat(await chunksOf((await get(c, s.port)).body)).toString()).toBe('abc');
    expect(s.connections).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(Buffer.concat(await chunksOf((await get(c, s.port)).body)).toString()).toBe('abc');
    expect(s.connections).toBe(2);
    expect(c.connections).toBe(1);
  });

  it('sends a request again on a new connection when a pooled one turns out dead before any answer', async () => {
    const s = await scripted((socket, _head, i) => {
      // The server's side of a keep-alive race: the second request lands on a connection it is closing.
      if (i === 1) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const c = client();
    await chunksOf((await get(c, s.port)).body);
    expect(Buffer.concat(await chunksOf((await get(c, s.port)).body)).toString()).toBe('ok');
    expect(s.requests).toHaveLength(3);
    expect(s.connections).toBe(2);
  });

  it('fails a body that ends early with ECONNRESET, and does not reuse the connection', async () => {
    const s = await scripted((socket, _head, i) => {
      if (i === 0) {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(500)}`);
        setTimeout(() => socket.destroy(), 20);
      } else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ny');
    });
    const c = client();
    const res = await get(c, s.port);
    // The 500 bytes that arrived sit in a part-filled buffer when the connection breaks: they are
    // handed out before the error, so a caller resuming after what it saw makes progress.
    const seen: Buffer[] = [];
    const error = await failure((async () => {
      for await (const chunk of res.body) seen.push(chunk as Buffer);
    })());
    expect(error.code).toBe('ECONNRESET');
    expect(error.message).toMatch(/before the end of the response body/);
    expect(Buffer.concat(seen).toString()).toBe('x'.repeat(500));
    expect(Buffer.concat(await chunksOf((await get(c, s.port)).body)).toString()).toBe('y');
    expect(s.connections).toBe(2);
  });

  it('decodes a chunked error body (copied) and keeps the connection', async () => {
    const xml = '<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>';
    const s = await scripted((socket, _head, i) => {
      if (i > 0) return void socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz');
      const wire = `HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nContent-Type: application/xml\r\n\r\n${(10).toString(16)};ext=1\r\n${xml.slice(0, 10)}\r\n${(xml.length - 10).toString(16)}\r\n${xml.slice(10)}\r\n0\r\nX-Trailer: t\r\n\r\n`;
      void trickle(socket, Buffer.from(wire), 7);
    });
    const c = client();
    const res = await get(c, s.port);
    expect(res.statusCode).toBe(404);
    expect(Buffer.concat(await chunksOf(res.body)).toString()).toBe(xml);
    expect(Buffer.concat(await chunksOf((await get(c, s.port)).body)).toString()).toBe('z');
    expect(s.connections).toBe(1);
  });

  it('reads a body without a length to the end of the connection; skips interim 1xx responses; 204 has no body', async () => {
    const s = await scripted((socket, _head, i) => {
      if (i === 0) {
        socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil');
        setTimeout(() => socket.end(' close'), 20);
      } else socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n');
    });
    const c = client();
    const res = await get(c, s.port);
    expect(res.statusCode).toBe(200);
    expect(Buffer.concat(await chunksOf(res.body)).toString()).toBe('until close');
    const empty = await get(c, s.port);
    expect(empty.statusCode).toBe(204);
    expect(await chunksOf(empty.body)).toEqual([]);
  });

  it('times out waiting for headers, and when a body goes silent', async () => {
    const s = await scripted((socket, _head, i) => {
      if (i === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf');
    });
    const c = client({ headersTimeoutMs: 150, idleTimeoutMs: 300 });
    const t0 = performance.now();
    const noHead = await failure(get(c, s.port));
    expect(noHead).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(performance.now() - t0).toBeLessThan(1500);
    const res = await get(c, s.port);
    const silent = await failure(chunksOf(res.body));
    expect(silent).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(silent.message).toMatch(/silent for 300 ms/);
  });

  it('fails a refused connection with ECONNREFUSED, and times out a handshake that never completes', async () => {
    const closed = await scripted(() => undefined);
    await closed.close();
    expect((await failure(get(client(), closed.port))).code).toBe('ECONNREFUSED');
    // A TCP listener that never speaks TLS: the connection is up, the handshake never ends.
    const mute = await scripted(() => undefined);
    const t0 = performance.now();
    const error = await failure(get(client({ connectTimeoutMs: 150 }), mute.port, '/k', undefined, 'https:'));
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(error.message).toMatch(/no connection to 127.0.0.1:\d+ within 150 ms/);
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('honours an abort before the headers and in the middle of a body, closing the connection', async () => {
    const s = await scripted((socket, _head, i) => {
      if (i === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc');
    });
    const c = client();
    const before = new AbortController();
    const pending = get(c, s.port, '/k', before.signal);
    setTimeout(() => before.abort(), 30);
    expect(await failure(pending)).toMatchObject({ name: 'AbortError' });
    const during = new AbortController();
    const res = await get(c, s.port, '/k', during.signal);
    setTimeout(() => during.abort(), 30);
    expect(await failure(chunksOf(res.body))).toMatchObject({ name: 'AbortError' });
    expect(c.connections).toBe(0);
    const already = new AbortController();
    already.abort();
    expect(await failure(get(c, s.port, '/k', already.signal))).toMatchObject({ name: 'AbortError' });
    expect(s.requests).toHaveLength(2);
  });

  it('stops reading while the consumer is behind, and delivers every byte in order', async () => {
    const body = randomBytes(6 * 1024 * 1024);
    let flushedAt = 0;
    const s = await scripted((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.byteLength}\r\n\r\n`);
      socket.write(body, () => (flushedAt = performance.now()));
    });
    const res = await get(client({ bufferBytes: 64 * 1024 }), s.port);
    const t0 = performance.now();
    const chunks = await chunksOf(res.body, 2);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    expect(chunks.length).toBe(96);
    // With the reader paused, the server could not hand the last bytes to the kernel right away.
    expect(flushedAt - t0).toBeGreaterThan(20);
  });

  it('hands out every byte that arrived before a break, in order, even with a slow reader', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 123_457);
    const s = await scripted((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.byteLength + 1000}\r\n\r\n`);
      socket.write(body, () => setTimeout(() => socket.destroy(), 20));
    });
    const res = await get(client(), s.port);
    const seen: Buffer[] = [];
    const error = await failure((async () => {
      for await (const chunk of res.body) {
        seen.push(chunk as Buffer);
        await new Promise((r) => setTimeout(r, 15));
      }
    })());
    expect(error.code).toBe('ECONNRESET');
    expect(Buffer.concat(seen).equals(body)).toBe(true);
    // Whole 1 MiB buffers, then the part-filled one.
    expect(seen.map((c) => c.byteLength)).toEqual([1 << 20, 1 << 20, 1 << 20, 123_457]);
  });

  it('reads into whole buffers again once their consumer hands them back, and never into a small last one', async () => {
    const size = 64 * 1024;
    const bodies = [randomBytes(3 * size + 100), randomBytes(3 * size + 100)];
    const s = await scripted((socket, _head, i) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${bodies[i % 2]!.byteLength}\r\n\r\n`);
      socket.write(bodies[i % 2]!);
    });
    const c = client({ bufferBytes: size });
    const memory = new Set<ArrayBufferLike>();
    const first: Buffer[] = [];
    for await (const chunk of (await get(c, s.port)).body) {
      first.push(Buffer.from(chunk as Buffer));
      memory.add((chunk as Buffer).buffer);
      releaseChunk(chunk as Buffer);
    }
    expect(Buffer.concat(first).equals(bodies[0]!)).toBe(true);
    // Three whole buffers went back to the pool (released as they arrived, so fewer were needed); the 100-byte tail is not pooled.
    expect(c.buffers!.idleCount).toBeGreaterThan(0);
    expect(c.buffers!.idleCount).toBeLessThanOrEqual(3);
    // Kept, not handed back: these chunks stay the consumer's, whatever is read next.
    const kept: Buffer[] = [];
    let reused = 0;
    for await (const chunk of (await get(c, s.port)).body) {
      kept.push(chunk as Buffer);
      if (memory.has((chunk as Buffer).buffer)) reused++;
    }
    expect(Buffer.concat(kept).equals(bodies[1]!)).toBe(true);
    expect(reused).toBeGreaterThan(0);
    const third = await get(c, s.port, '/again');
    for await (const chunk of third.body) releaseChunk(chunk as Buffer);
    expect(Buffer.concat(kept).equals(bodies[1]!)).toBe(true);
  });

  it('lets idle pooled buffers go after 2 s, and never keeps more than its limit', async () => {
    const pool = new BufferPool(4096);
    const buffers = Array.from({ length: BufferPool.MAX_IDLE + 5 }, () => pool.take());
    for (const b of buffers) pool.give(b);
    expect(pool.idleCount).toBe(BufferPool.MAX_IDLE);
    expect(pool.take()).toBe(buffers[BufferPool.MAX_IDLE - 1]);
    const t0 = Date.now();
    while (pool.idleCount > 0 && Date.now() - t0 < 6000) await new Promise((r) => setTimeout(r, 100));
    expect(pool.idleCount).toBe(0);
  });

  it('closes the connection when the consumer stops early', async () => {
    const s = await scripted((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${1 << 20}\r\n\r\n`);
      socket.write(Buffer.alloc(1 << 20));
    });
    const c = client({ bufferBytes: 64 * 1024 });
    const res = await get(c, s.port);
    for await (const _ of res.body) break;
    await new Promise((r) => setTimeout(r, 20));
    expect(c.connections).toBe(0);
    await get(c, s.port).then((r) => r.body.destroy());
    expect(s.connections).toBe(2);
  });

  it('refuses broken responses with typed errors', async () => {
    const answers = [
      'FTP/9 200 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
      'HTTP/1.1 200 OK\r\nBad Header\r\n\r\n',
      `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
    ];
    const s = await scripted((socket, _head, i) => socket.write(answers[i]!));
    const c = client();
    const codes = [];
    for (let i = 0; i < answers.length; i++) codes.push((await failure(get(c, s.port))).code);
    expect(codes).toEqual(['HPE_INVALID_CONSTANT', 'HPE_UNEXPECTED_CONTENT_LENGTH', 'HPE_UNEXPECTED_CONTENT_LENGTH', 'HPE_UNEXPECTED_CONTENT_LENGTH', 'HPE_INVALID_HEADER_TOKEN', 'HPE_HEADER_OVERFLOW']);
    const chunkedBad = await scripted((socket) => socket.write('HTTP/1.1 500 x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'));
    const read = await get(c, chunkedBad.port);
    expect((await failure(chunksOf(read.body))).code).toBe('HPE_INVALID_CHUNK_SIZE');
    // Nobody reading the body when it breaks: as node:http does, no error is thrown at the process
    // (vitest would report it); whoever reads the body later gets the error.
    const unread = await get(c, chunkedBad.port);
    await new Promise((r) => setTimeout(r, 30));
    expect((await failure(chunksOf(unread.body))).code).toBe('HPE_INVALID_CHUNK_SIZE');
    const later = await scripted((socket) => {
      socket.write('HTTP/1.1 500 x\r\nTransfer-Encoding: chunked\r\n\r\n');
      setTimeout(() => socket.write('zz\r\n'), 30);
    });
    const listened = await get(c, later.port);
    expect((await failure(chunksOf(listened.body))).code).toBe('HPE_INVALID_CHUNK_SIZE');
  });

  it('does not reuse a connection whose server sent more than the announced length', async () => {
    const s = await scripted((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA'));
    const c = client();
    expect(Buffer.concat(await chunksOf((await get(c, s.port)).body)).toString()).toBe('ok');
    expect(Buffer.concat(await chunksOf((await get(c, s.port)).body)).toString()).toBe('ok');
    expect(s.connections).toBe(2);
  });

  it('refuses header values and paths that would split the request, sending nothing', async () => {
    const s = await scripted(() => undefined);
    const c = client();
    await expect(c.get({ protocol: 'http:', hostname: '127.0.0.1', port: s.port, path: '/k', headers: { 'x-a': 'v\r\nx-b: injected' } })).rejects.toThrow(TypeError);
    await expect(c.get({ protocol: 'http:', hostname: '127.0.0.1', port: s.port, path: '/k HTTP/1.1\r\n', headers: {} })).rejects.toThrow(TypeError);
    await expect(c.get({ protocol: 'ftp:', hostname: '127.0.0.1', port: s.port, path: '/k', headers: {} })).rejects.toThrow(/unsupported protocol/);
    expect(s.connections).toBe(0);
  });

  it('speaks TLS, checking the certificate', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'direct-get-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      const key = fs.readFileSync(path.join(dir, 'k.pem'));
      const cert = fs.readFileSync(path.join(dir, 'c.pem'));
      const body = randomBytes(300_000);
      const s = await scripted((socket) => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.byteLength}\r\n\r\n`);
        socket.write(body);
      }, { key, cert });
      const trusted = await get(client({ tls: { ca: cert } }), s.port, '/k', undefined, 'https:');
      expect(Buffer.concat(await chunksOf(trusted.body)).equals(body)).toBe(true);
      const untrusted = await failure(get(client(), s.port, '/k', undefined, 'https:'));
      expect(untrusted.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
