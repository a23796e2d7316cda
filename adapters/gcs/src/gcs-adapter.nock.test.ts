/**
 * The GCS adapter against the real JSON API's wire shapes, recorded with nock: everything the
 * storage emulator cannot show (see test/conformance/gcs.test.ts, GAPS), plus failure modes no
 * server produces on demand. Each test states the requests it expects; `nock.isDone()` proves they
 * were all made, and `nock.disableNetConnect()` that nothing else went out.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGFile, createRegistry, isCkptError, withRetry, type StorageAdapter } from '@ckptkit/gfile';
import { CRC32C, Storage } from '@google-cloud/storage';
import { createGcsAdapter, ensureGcsBucket, gcsFactory, mapGcsError } from './index.js';

const EP = 'http://gcs.test';
const GOOGLE = 'https://storage.googleapis.com';
const BKT = 'bkt';

/** Requests no interceptor matched: an SDK retry or any request a test did not expect. */
const unexpected: string[] = [];
const onNoMatch = (req: { method?: string; path?: string; href?: string }) => unexpected.push(`${req.method} ${req.href ?? req.path}`);

beforeAll(() => {
  nock.disableNetConnect();
  nock.emitter.on('no match', onNoMatch);
});
afterEach(() => {
  const pending = nock.pendingMocks();
  const extra = unexpected.splice(0);
  nock.cleanAll();
  expect(pending, 'every expected request was made').toEqual([]);
  expect(extra, 'no request beyond the expected ones').toEqual([]);
});
afterAll(() => {
  nock.emitter.off('no match', onNoMatch);
  nock.enableNetConnect();
});

/** An adapter on a custom endpoint (no credentials, as the SDK does for emulators and proxies). */
function adapter(extra: Parameters<typeof createGcsAdapter>[1] = {}): StorageAdapter {
  return createGcsAdapter(BKT, { apiEndpoint: EP, projectId: 'proj', env: {}, ...extra });
}

/** The same adapter behind the retry layer, with no backoff delay. */
function retried(a: StorageAdapter, maxAttempts = 4): StorageAdapter {
  return withRetry(a, { baseDelayMs: 0, maxAttempts });
}

function object(name: string, size: number, extra: Record<string, unknown> = {}) {
  return {
    kind: 'storage#object',
    name,
    bucket: BKT,
    size: String(size),
    generation: '1700000000000001',
    metageneration: '1',
    updated: '2026-01-02T03:04:05.678Z',
    crc32c: 'yZRlqg==',
    md5Hash: 'XrY7u+Ae7tCTyyK7j1rNww==',
    etag: 'CIGAgICAgICAAQ==',
    ...extra,
  };
}

/** The crc32c and md5Hash GCS reports for these bytes (the SDK checks uploads against them). */
function hashes(data: string | Uint8Array): { crc32c: string; md5Hash: string } {
  const buf = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  const crc = new CRC32C();
  crc.update(buf);
  return { crc32c: crc.toString(), md5Hash: createHash('md5').update(buf).digest('base64') };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (isCkptError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (error) {
    if (isCkptError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts).toString();
}

const listPath = `/storage/v1/b/${BKT}/o`;

describe('stat', () => {
  it('reads size, mtime, crc32c, md5 and generation from the object resource', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/a%2Fhello.txt`).reply(200, object('a/hello.txt', 11));
    const meta = await adapter().stat('a/hello.txt');
    expect(meta).toEqual({
      key: 'a/hello.txt',
      kind: 'file',
      size: 11,
      mtime: new Date('2026-01-02T03:04:05.678Z'),
      etag: 'CIGAgICAgICAAQ==',
      crc32c: 'yZRlqg==',
      md5: 'XrY7u+Ae7tCTyyK7j1rNww==',
      generation: '1700000000000001',
    });
  });

  it('maps 404 to NOT_FOUND, not retryable, with the gs:// URI', async () => {
    nock(EP)
      .get(`/storage/v1/b/${BKT}/o/nope`)
      .reply(404, { error: { code: 404, message: 'No such object: bkt/nope', errors: [{ reason: 'notFound', message: 'No such object: bkt/nope' }] } });
    const e = await failure(adapter().stat('nope'));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.retryable).toBe(false);
    expect(e.uri).toBe('gs://bkt/nope');
    expect(e.operation).toBe('stat');
  });
});

describe('quota and full storage', () => {
  const gcsError = (status: number, reason: string, message: string) => ({ error: { code: status, message, errors: [{ reason, message, domain: 'usageLimits' }] } });

  it('a 403 quotaExceeded on an upload is QUOTA_EXCEEDED naming the object, not a retried rate limit', async () => {
    nock(EP)
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.name === 'run/ckpt-5.index')
      .reply(403, gcsError(403, 'quotaExceeded', 'The project exceeded its quota.'));
    const e = await failure(retried(adapter()).write('run/ckpt-5.index', new TextEncoder().encode('x')));
    expect(e.code).toBe('QUOTA_EXCEEDED');
    expect(e.retryable).toBe(false);
    expect(e.uri).toBe('gs://bkt/run/ckpt-5.index');
  });

  it('a 403 rateLimitExceeded stays RATE_LIMITED (retried); dailyLimitExceeded is QUOTA_EXCEEDED; 507 is NO_SPACE', () => {
    const as = (status: number, reason: string) => mapGcsError(Object.assign(new Error(reason), { code: status, errors: [{ reason }] }), 'write', 'gs://bkt/x');
    expect(as(403, 'rateLimitExceeded')).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect(as(403, 'dailyLimitExceeded')).toMatchObject({ code: 'QUOTA_EXCEEDED', retryable: false });
    expect(as(507, 'insufficientStorage')).toMatchObject({ code: 'NO_SPACE', retryable: false });
    expect(as(403, 'forbidden')).toMatchObject({ code: 'PERMISSION_DENIED', retryable: false });
  });
});

describe('ranged download', () => {
  it('sends one GET with a Range header and returns the 206 body', async () => {
    nock(EP)
      .get(`/storage/v1/b/${BKT}/o/a%2Fhello.txt`)
      .query({ alt: 'media' })
      .matchHeader('range', 'bytes=6-10')
      .reply(206, 'world', { 'Content-Range': 'bytes 6-10/11', 'Content-Length': '5' });
    expect(Buffer.from(await adapter().read('a/hello.txt', { range: { offset: 6, length: 5 } })).toString()).toBe('world');
  });

  it('an open-ended range asks for bytes=N-', async () => {
    nock(EP)
      .get(`/storage/v1/b/${BKT}/o/f`)
      .query({ alt: 'media' })
      .matchHeader('range', 'bytes=7-')
      .reply(206, '789', { 'Content-Range': 'bytes 7-9/10', 'Content-Length': '3' });
    expect(Buffer.from(await adapter().read('f', { range: { offset: 7 } })).toString()).toBe('789');
  });

  it('never returns more than the length asked for, even when the server sends more', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/f`).query({ alt: 'media' }).matchHeader('range', 'bytes=2-4').reply(206, '23456', { 'Content-Range': 'bytes 2-6/10', 'Content-Length': '5' });
    expect(Buffer.from(await adapter().read('f', { range: { offset: 2, length: 3 } })).toString()).toBe('234');
  });

  it('a range at or after the end is empty: 416 is not an error', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/f`).query({ alt: 'media' }).matchHeader('range', 'bytes=10-14').reply(416, 'Requested range not satisfiable');
    expect((await adapter().read('f', { range: { offset: 10, length: 5 } })).byteLength).toBe(0);
  });

  it('a server that ignores Range (200, whole body) is sliced to the range', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/f`).query({ alt: 'media' }).reply(200, '0123456789', { 'Content-Length': '10' });
    expect(Buffer.from(await adapter().read('f', { range: { offset: 2, length: 3 } })).toString()).toBe('234');
    nock(EP).get(`/storage/v1/b/${BKT}/o/f`).query({ alt: 'media' }).reply(200, '0123456789', { 'Content-Length': '10' });
    expect((await adapter().read('f', { range: { offset: 12, length: 3 } })).byteLength).toBe(0);
  });

  it('a zero-length read makes one metadata request, so a missing object is still NOT_FOUND', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/gone`).reply(404, { error: { code: 404, message: 'No such object: bkt/gone' } });
    expect(await code(adapter().read('gone', { range: { offset: 3, length: 0 } }))).toBe('NOT_FOUND');
  });

  it('a missing object is NOT_FOUND for reads and streams', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/gone`).query({ alt: 'media' }).times(2).reply(404, 'No such object: bkt/gone');
    expect(await code(adapter().read('gone'))).toBe('NOT_FOUND');
    expect(await code(collect(adapter().readStream!('gone')))).toBe('NOT_FOUND');
  });

  it('checks a whole-object read against the MD5 in x-goog-hash', async () => {
    const hash = { 'x-goog-hash': 'crc32c=yZRlqg==,md5=XrY7u+Ae7tCTyyK7j1rNww==', 'Content-Length': '11' };
    nock(EP).get(`/storage/v1/b/${BKT}/o/h`).query({ alt: 'media' }).reply(200, 'hello world', hash);
    expect(Buffer.from(await adapter().read('h')).toString()).toBe('hello world');
    nock(EP).get(`/storage/v1/b/${BKT}/o/h`).query({ alt: 'media' }).reply(200, 'hellO world', hash);
    const e = await failure(adapter().read('h'));
    expect(e.code).toBe('CORRUPT');
    expect(e.retryable).toBe(true);
  });

  it('checks CRC32C when there is no MD5 (composite objects)', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/h`).query({ alt: 'media' }).reply(200, 'hellO world', { 'x-goog-hash': 'crc32c=yZRlqg==', 'Content-Length': '11' });
    expect(await code(adapter().read('h'))).toBe('CORRUPT');
  });
});

describe('a body cut short', () => {
  it('is never returned short: UNAVAILABLE, retryable', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/big`).query({ alt: 'media' }).reply(200, 'only-part', { 'Content-Length': '100' });
    const e = await failure(adapter().read('big'));
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('9 of 100');
  });

  it('a ranged body cut short is detected from Content-Range', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/big`).query({ alt: 'media' }).reply(206, 'abc', { 'Content-Range': 'bytes 10-19/100', 'Content-Length': '10' });
    expect(await code(adapter().read('big', { range: { offset: 10, length: 10 } }))).toBe('UNAVAILABLE');
  });

  it('the retry layer re-reads and gets the whole body', async () => {
    nock(EP)
      .get(`/storage/v1/b/${BKT}/o/big`)
      .query({ alt: 'media' })
      .reply(200, '0123', { 'Content-Length': '10' })
      .get(`/storage/v1/b/${BKT}/o/big`)
      .query({ alt: 'media' })
      .reply(200, '0123456789', { 'Content-Length': '10' });
    expect(Buffer.from(await retried(adapter()).read('big')).toString()).toBe('0123456789');
  });

  it('a stream resumes at the first byte not yet delivered', async () => {
    nock(EP)
      .get(`/storage/v1/b/${BKT}/o/big`)
      .query({ alt: 'media' })
      .reply(200, '0123', { 'Content-Length': '10' })
      .get(`/storage/v1/b/${BKT}/o/big`)
      .query({ alt: 'media' })
      .matchHeader('range', 'bytes=4-')
      .reply(206, '456789', { 'Content-Range': 'bytes 4-9/10', 'Content-Length': '6' });
    expect(await collect(retried(adapter()).readStream!('big'))).toBe('0123456789');
  });
});

describe('a JSON answer cut short or mangled (a 2xx whose body is not the resource)', () => {
  it('a listing page that does not parse is a retryable UNAVAILABLE, never an empty last page', async () => {
    const cut = '{"items":[{"name":"a/1","size":"1"},{"na';
    nock(EP).get(listPath).query(true).reply(200, cut, { 'Content-Type': 'application/json', 'Content-Length': String(cut.length) });
    const e = await failure(adapter().list('a/', { delimiter: true }));
    expect([e.code, e.retryable]).toEqual(['UNAVAILABLE', true]);
  });

  it('a 200 HTML page (a captive portal or a misrouted proxy) is not an empty listing either', async () => {
    nock(EP).get(listPath).query(true).reply(200, '<html><body>Sign in to continue</body></html>', { 'Content-Type': 'text/html' });
    const e = await failure(adapter().list('a/', { delimiter: true }));
    expect([e.code, e.retryable]).toEqual(['UNAVAILABLE', true]);
    nock(EP).get(`/storage/v1/b/${BKT}/o/x`).reply(200, '<html></html>', { 'Content-Type': 'text/html' });
    expect(await code(adapter().stat('x'))).toBe('UNAVAILABLE');
  });

  it('the retry layer lists again and gets the whole page', async () => {
    nock(EP)
      .get(listPath)
      .query(true)
      .reply(200, '{"items":[', { 'Content-Type': 'application/json' })
      .get(listPath)
      .query(true)
      .reply(200, { kind: 'storage#objects', items: [object('a/1', 1)] });
    const page = await retried(adapter()).list('a/', { delimiter: true });
    expect(page.entries.map((e) => e.key)).toEqual(['a/1']);
  });

  it('object metadata that does not parse is a retryable UNAVAILABLE, never a size of 0', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/x`).reply(200, '{"name":"x","si', { 'Content-Type': 'application/json' });
    const e = await failure(adapter().stat('x'));
    expect([e.code, e.retryable]).toEqual(['UNAVAILABLE', true]);
  });

  it('a key file whose private key does not decode is UNAUTHENTICATED, not a retryable failure', () => {
    const e = mapGcsError(new Error('error:1E08010C:DECODER routines::unsupported'), 'list', 'gs://b/');
    expect([e.code, e.retryable]).toEqual(['UNAUTHENTICATED', false]);
  });

  it('a fault of the program (a stack overflow, a TypeError) is thrown on unchanged, never UNAVAILABLE', () => {
    const overflow = new RangeError('Maximum call stack size exceeded');
    expect(() => mapGcsError(overflow, 'list', 'gs://b/')).toThrow(overflow);
    const bug = new TypeError("Cannot read properties of undefined (reading 'name')");
    expect(() => mapGcsError(bug, 'list', 'gs://b/')).toThrow(bug);
    const fetchFailed = new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
    expect(mapGcsError(fetchFailed, 'list', 'gs://b/').code).toBe('UNAVAILABLE');
  });

  it('an error that carries a 2xx status is about the body, not an HTTP refusal: retryable', () => {
    const timeout = mapGcsError(Object.assign(new Error('Response timeout while trying to fetch http://x/storage/v1/b/b/o?q (over 1000ms)'), { type: 'body-timeout', response: { status: 200 } }), 'list', 'gs://b/');
    expect([timeout.code, timeout.retryable]).toEqual(['TIMEOUT', true]);
    const closed = mapGcsError(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE', response: { status: 200 } }), 'list', 'gs://b/');
    expect([closed.code, closed.retryable]).toEqual(['UNAVAILABLE', true]);
  });
});

describe('upload', () => {
  it('a small body is one multipart upload', async () => {
    let body = '';
    nock(EP)
      .post(`/upload/storage/v1/b/${BKT}/o`, (b: unknown) => {
        body = typeof b === 'string' ? b : JSON.stringify(b);
        return true;
      })
      .query((q) => q.uploadType === 'multipart' && q.name === 'a/hello.txt' && q.ifGenerationMatch === undefined)
      .reply(200, object('a/hello.txt', 11, hashes('hello world')));
    const meta = await adapter().write('a/hello.txt', new TextEncoder().encode('hello world'));
    expect(body).toContain('hello world');
    expect(meta).toMatchObject({ key: 'a/hello.txt', size: 11, generation: '1700000000000001' });
  });

  it('a large body goes up resumable: a session, then the bytes', async () => {
    const data = Buffer.alloc(64 * 1024, 'a');
    let received = 0;
    nock(EP)
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.uploadType === 'resumable' && q.name === 'big.bin')
      .reply(200, '', { Location: `${EP}/upload/storage/v1/b/${BKT}/o?uploadType=resumable&name=big.bin&upload_id=SESSION1` })
      .put(`/upload/storage/v1/b/${BKT}/o`, (b: unknown) => {
        received = String(b) === data.toString() ? data.length : -1;
        return true;
      })
      .query((q) => q.upload_id === 'SESSION1')
      .reply(200, object('big.bin', data.length, hashes(data)));
    const meta = await adapter({ resumableThreshold: 32 * 1024 }).write('big.bin', data);
    expect(received).toBe(data.length);
    expect(meta?.size).toBe(data.length);
  });

  it('a stream of unknown size goes up resumable', async () => {
    nock(EP)
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.uploadType === 'resumable' && q.name === 's')
      .reply(200, '', { Location: `${EP}/upload/storage/v1/b/${BKT}/o?uploadType=resumable&name=s&upload_id=S2` })
      .put(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.upload_id === 'S2')
      .reply(200, object('s', 6, hashes('abcdef')));
    async function* body() {
      yield new TextEncoder().encode('abc');
      yield new TextEncoder().encode('def');
    }
    expect((await adapter().write('s', body()))?.size).toBe(6);
  });

  it('bytes stored differently from the bytes sent: the SDK deletes the object, and the write is a retryable CORRUPT', async () => {
    nock(EP)
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query(true)
      .reply(200, object('bad', 5, hashes('other')))
      .delete(`/storage/v1/b/${BKT}/o/bad`)
      .reply(204);
    const e = await failure(adapter().write('bad', new TextEncoder().encode('bytes')));
    expect([e.code, e.retryable]).toEqual(['CORRUPT', true]);
  });

  it('a stream shorter than its declared size stores nothing', async () => {
    // The multipart request is started and then destroyed before it is finished.
    nock(EP).post(`/upload/storage/v1/b/${BKT}/o`).query(true).optionally().reply(200, object('s', 3));
    async function* body() {
      yield new TextEncoder().encode('abc');
    }
    const e = await failure(adapter().write('s', body(), { size: 10 }));
    expect(e.code).toBe('CORRUPT');
  });
});

describe('preconditions (412): conditional create with ifGenerationMatch=0', () => {
  it('the simple upload carries ifGenerationMatch=0 and a 412 is ALREADY_EXISTS', async () => {
    nock(EP)
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.uploadType === 'multipart' && q.name === 'x' && q.ifGenerationMatch === '0')
      .reply(200, object('x', 5, hashes('first')))
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.uploadType === 'multipart' && q.name === 'x' && q.ifGenerationMatch === '0')
      .reply(412, { error: { code: 412, message: 'At least one of the pre-conditions you specified did not hold.', errors: [{ reason: 'conditionNotMet' }] } });
    const a = adapter();
    await a.write('x', new TextEncoder().encode('first'), { ifNotExists: true });
    const e = await failure(a.write('x', new TextEncoder().encode('second'), { ifNotExists: true }));
    expect(e.code).toBe('ALREADY_EXISTS');
    expect(e.retryable).toBe(false);
  });

  it('the resumable session carries ifGenerationMatch=0 too', async () => {
    nock(EP)
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.uploadType === 'resumable' && q.ifGenerationMatch === '0')
      .reply(412, { error: { code: 412, message: 'At least one of the pre-conditions you specified did not hold.' } });
    expect(await code(adapter({ resumableThreshold: 1 }).write('x', new TextEncoder().encode('data'), { ifNotExists: true }))).toBe('ALREADY_EXISTS');
  });

  it('through the facade: the second create fails and the first version stays', async () => {
    nock(EP)
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.ifGenerationMatch === '0')
      .reply(412, { error: { code: 412, message: 'conditionNotMet' } });
    const g = createGFile({ registry: createRegistry().register('gs', () => gcsFactory({ apiEndpoint: EP, env: {} })), retry: { baseDelayMs: 0 } });
    expect(await code(g.writeText('gs://bkt/x', 'again', { ifNotExists: true }))).toBe('ALREADY_EXISTS');
    // Not retried: a conditional write is not idempotent (one request, asserted by afterEach).
  });

  it('ifMatch (compare-and-swap) is ifGenerationMatch=<generation>; a 412 is PRECONDITION_FAILED, not retried', async () => {
    nock(EP)
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.uploadType === 'multipart' && q.name === 'run/checkpoint' && q.ifGenerationMatch === '1700000000000001')
      .reply(200, object('run/checkpoint', 5, hashes('state')))
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.ifGenerationMatch === '1700000000000001')
      .reply(412, { error: { code: 412, message: 'At least one of the pre-conditions you specified did not hold.', errors: [{ reason: 'conditionNotMet' }] } });
    const g = createGFile({ registry: createRegistry().register('gs', () => gcsFactory({ apiEndpoint: EP, env: {} })), retry: { baseDelayMs: 0 } });
    await g.writeText('gs://bkt/run/checkpoint', 'state', { ifMatch: '1700000000000001' });
    expect(await code(g.writeText('gs://bkt/run/checkpoint', 'stale', { ifMatch: '1700000000000001' }))).toBe('PRECONDITION_FAILED');
  });

  it('any other 412 is PRECONDITION_FAILED', () => {
    expect(mapGcsError({ code: 412, message: 'conditionNotMet' }, 'copy', 'gs://bkt/k').code).toBe('PRECONDITION_FAILED');
  });
});

describe('pagination with repeated prefixes', () => {
  it('one request per page; maxResults, delimiter, pageToken and fields on the wire', async () => {
    nock(EP)
      .get(listPath)
      .query((q) => q.prefix === 'a/' && q.delimiter === '/' && q.maxResults === '2' && q.pageToken === undefined && typeof q.fields === 'string')
      .reply(200, { kind: 'storage#objects', prefixes: ['a/sub/'], items: [object('a/hello.txt', 11)], nextPageToken: 'T1' })
      .get(listPath)
      .query((q) => q.prefix === 'a/' && q.pageToken === 'T1' && q.maxResults === '2')
      .reply(200, { kind: 'storage#objects', items: [object('a/world.txt', 5)] });
    const a = adapter();
    const p1 = await a.list('a/', { delimiter: true, pageSize: 2 });
    expect(p1.entries.map((e) => [e.key, e.kind, e.size])).toEqual([
      ['a/hello.txt', 'file', 11],
      ['a/sub/', 'directory', 0],
    ]);
    expect(p1.nextPageToken).toBe('T1');
    const p2 = await a.list('a/', { delimiter: true, pageSize: 2, pageToken: 'T1' });
    expect(p2.entries.map((e) => e.key)).toEqual(['a/world.txt']);
    expect(p2.nextPageToken).toBeUndefined();
  });

  it('prefixes repeated on every page (the emulator) are listed once, and every page is one request', async () => {
    const page = (items: string[], token?: string) => ({
      kind: 'storage#objects',
      prefixes: ['r/d1/', 'r/d2/'],
      items: items.map((n) => object(n, 1)),
      ...(token ? { nextPageToken: token } : {}),
    });
    nock(EP)
      .get(listPath)
      .query((q) => q.prefix === 'r/' && q.pageToken === undefined)
      .reply(200, page(['r/f0', 'r/f1'], 'P2'))
      .get(listPath)
      .query((q) => q.pageToken === 'P2')
      .reply(200, page(['r/f2', 'r/f3'], 'P3'))
      .get(listPath)
      .query((q) => q.pageToken === 'P3')
      .reply(200, page(['r/f4']));
    const g = createGFile({ registry: createRegistry().register('gs', () => gcsFactory({ apiEndpoint: EP, env: {} })), pageSize: 2 });
    const names = (await g.listDir('gs://bkt/r')).map((f) => `${f.name}:${f.kind}`);
    expect(names).toEqual(['d1:directory', 'd2:directory', 'f0:file', 'f1:file', 'f2:file', 'f3:file', 'f4:file']);
    expect(g.metrics.requests.list).toBe(3);
  });

  it('a marker object named like a prefix is one directory entry, with its mtime', async () => {
    nock(EP)
      .get(listPath)
      .query(true)
      .reply(200, { prefixes: ['m/d/'], items: [object('m/', 0), object('m/d/', 0)] });
    const { entries } = await adapter().list('m/', { delimiter: true });
    expect(entries.map((e) => [e.key, e.kind])).toEqual([
      ['m/', 'directory'],
      ['m/d/', 'directory'],
    ]);
    expect(entries[1]!.mtime).toBeInstanceOf(Date);
  });

  it('startAfter is sent as startOffset; a server that ignores it is detected and filtered', async () => {
    nock(EP)
      .get(listPath)
      .query((q) => q.startOffset === 'k/b')
      .reply(200, { items: [object('k/a', 1), object('k/b', 1), object('k/c', 1)] });
    const a = adapter({ startAfter: true });
    expect(a.capabilities.startAfter).toBe(true);
    const { entries } = await a.list('k/', { startAfter: 'k/b' });
    expect(entries.map((e) => e.key)).toEqual(['k/c']);
    expect(a.capabilities.startAfter).toBe(false);
  });

  it('defaults: startAfter declared for the Google endpoint, not for a custom one', () => {
    expect(createGcsAdapter(BKT, { env: {}, anonymous: true }).capabilities.startAfter).toBe(true);
    expect(adapter().capabilities.startAfter).toBe(false);
  });
});

describe('copy and delete', () => {
  it('copy is rewriteTo, following rewrite tokens until done', async () => {
    nock(EP)
      .post(`/storage/v1/b/${BKT}/o/src/rewriteTo/b/${BKT}/o/dir%2Fdst`)
      .query((q) => q.rewriteToken === undefined)
      .reply(200, { kind: 'storage#rewriteResponse', totalBytesRewritten: '1048576', objectSize: '3145728', done: false, rewriteToken: 'RW1' })
      .post(`/storage/v1/b/${BKT}/o/src/rewriteTo/b/${BKT}/o/dir%2Fdst`)
      .query((q) => q.rewriteToken === 'RW1')
      .reply(200, { kind: 'storage#rewriteResponse', totalBytesRewritten: '3145728', objectSize: '3145728', done: true, resource: object('dir/dst', 3145728) });
    await adapter().copy('src', 'dir/dst');
  });

  it('copy of a missing source is NOT_FOUND about the source', async () => {
    nock(EP).post(`/storage/v1/b/${BKT}/o/nope/rewriteTo/b/${BKT}/o/dst`).reply(404, { error: { code: 404, message: 'No such object: bkt/nope' } });
    const e = await failure(adapter().copy('nope', 'dst'));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.uri).toBe('gs://bkt/nope');
  });

  it('delete is one DELETE; a missing object is NOT_FOUND', async () => {
    nock(EP).delete(`/storage/v1/b/${BKT}/o/a%2Fsub%2Fx`).reply(204).delete(`/storage/v1/b/${BKT}/o/gone`).reply(404, { error: { code: 404, message: 'No such object' } });
    await adapter().delete('a/sub/x');
    expect(await code(adapter().delete('gone'))).toBe('NOT_FOUND');
  });
});

describe('createBucket', () => {
  const bucketPost = () => nock(EP).post('/storage/v1/b', (b: { name?: string }) => b.name === 'newbkt').query({ project: 'proj' });

  it('creates the bucket in the project', async () => {
    bucketPost().reply(200, { kind: 'storage#bucket', name: 'newbkt', id: 'newbkt' });
    expect(await ensureGcsBucket('newbkt', { apiEndpoint: EP, projectId: 'proj', env: {} })).toBe('created');
  });

  it('a bucket the caller already owns is fine (409 "you already own it")', async () => {
    bucketPost().reply(409, { error: { code: 409, message: 'Your previous request to create the named bucket succeeded and you already own it.', errors: [{ reason: 'conflict' }] } });
    expect(await ensureGcsBucket('newbkt', { apiEndpoint: EP, projectId: 'proj', env: {} })).toBe('exists');
  });

  it('a name someone else owns is ALREADY_EXISTS; 403 is PERMISSION_DENIED', async () => {
    bucketPost().reply(409, { error: { code: 409, message: 'The requested bucket name is not available.', errors: [{ reason: 'conflict' }] } });
    expect(await code(ensureGcsBucket('newbkt', { apiEndpoint: EP, projectId: 'proj', env: {} }))).toBe('ALREADY_EXISTS');
    bucketPost().reply(403, { error: { code: 403, message: 'caller does not have storage.buckets.create access', errors: [{ reason: 'forbidden' }] } });
    expect(await code(ensureGcsBucket('newbkt', { apiEndpoint: EP, projectId: 'proj', env: {} }))).toBe('PERMISSION_DENIED');
  });

  it('501 (the firebase emulator) means buckets are made on first write', async () => {
    bucketPost().reply(501);
    expect(await ensureGcsBucket('newbkt', { apiEndpoint: EP, projectId: 'proj', env: {} })).toBe('implicit');
  });

  it('needs a project', async () => {
    expect(await code(ensureGcsBucket('newbkt', { apiEndpoint: EP, env: {} }))).toBe('INVALID_CONFIG');
  });
});

describe('429 and 503, then success: one attempt per request, retried only by our layer', () => {
  const rate = { error: { code: 429, message: 'The rate of change requests to the object is too high.', errors: [{ reason: 'rateLimitExceeded' }] } };

  it('the adapter alone makes exactly one request and reports RATE_LIMITED / UNAVAILABLE as retryable', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/k`).reply(429, rate).get(`/storage/v1/b/${BKT}/o/k`).reply(503, 'Service Unavailable');
    const a = adapter();
    const e1 = await failure(a.stat('k'));
    expect([e1.code, e1.retryable]).toEqual(['RATE_LIMITED', true]);
    const e2 = await failure(a.stat('k'));
    expect([e2.code, e2.retryable]).toEqual(['UNAVAILABLE', true]);
  });

  it('stat: 429, 503, then 200 is three requests in all', async () => {
    nock(EP)
      .get(`/storage/v1/b/${BKT}/o/k`)
      .reply(429, rate)
      .get(`/storage/v1/b/${BKT}/o/k`)
      .reply(503, 'Service Unavailable')
      .get(`/storage/v1/b/${BKT}/o/k`)
      .reply(200, object('k', 4));
    expect((await retried(adapter()).stat('k')).size).toBe(4);
  });

  it('a resumable upload answered 503 is one session and one PUT: the SDK neither retries nor probes; the session is cancelled', async () => {
    const session = `${EP}/upload/storage/v1/b/${BKT}/o?uploadType=resumable&name=r&upload_id=S3`;
    nock(EP)
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.uploadType === 'resumable')
      .reply(200, '', { Location: session })
      .put(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.upload_id === 'S3')
      .reply(503, 'backend error')
      // The failed upload's session is cancelled (nothing of it lingers for a week).
      .delete(`/upload/storage/v1/b/${BKT}/o`)
      .query((q) => q.upload_id === 'S3')
      .reply(499);
    const events: unknown[] = [];
    const e = await failure(adapter({ resumableThreshold: 1, onUnfinishedWrite: (ev) => events.push(ev) }).write('r', new TextEncoder().encode('data')));
    expect([e.code, e.retryable]).toEqual(['UNAVAILABLE', true]);
    expect(events).toEqual([
      { phase: 'started', uri: `gs://${BKT}/r`, id: session },
      { phase: 'ended', uri: `gs://${BKT}/r`, id: session },
    ]);
  });

  it('list, read and a simple upload recover the same way', async () => {
    nock(EP)
      .get(listPath)
      .query(true)
      .reply(503, 'backend error')
      .get(listPath)
      .query(true)
      .reply(200, { items: [object('l/a', 1)] })
      .get(`/storage/v1/b/${BKT}/o/r`)
      .query({ alt: 'media' })
      .reply(429, rate)
      .get(`/storage/v1/b/${BKT}/o/r`)
      .query({ alt: 'media' })
      .reply(200, 'data', { 'Content-Length': '4' })
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query(true)
      .reply(503, 'backend error')
      .post(`/upload/storage/v1/b/${BKT}/o`)
      .query(true)
      .reply(200, object('w', 4, hashes('data')));
    const a = retried(adapter());
    expect((await a.list('l/')).entries.map((e) => e.key)).toEqual(['l/a']);
    expect(Buffer.from(await a.read('r')).toString()).toBe('data');
    expect((await a.write('w', new TextEncoder().encode('data')))?.size).toBe(4);
  });

  it('a 403 with reason rateLimitExceeded is RATE_LIMITED; 500, 502 and 504 are retryable UNAVAILABLE; 501 is NOT_SUPPORTED', () => {
    expect(mapGcsError({ code: 403, message: 'x', errors: [{ reason: 'rateLimitExceeded' }] }, 'list', 'gs://b/').code).toBe('RATE_LIMITED');
    for (const status of [500, 502, 504]) {
      const e = mapGcsError({ code: status, message: 'x' }, 'list', 'gs://b/');
      expect([e.code, e.retryable]).toEqual(['UNAVAILABLE', true]);
    }
    const e = mapGcsError({ code: 501, message: 'x' }, 'copy', 'gs://b/k');
    expect([e.code, e.retryable]).toEqual(['NOT_SUPPORTED', false]);
  });

  it('a connection reset is retryable UNAVAILABLE', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/k`).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).get(`/storage/v1/b/${BKT}/o/k`).reply(200, object('k', 2));
    expect((await retried(adapter()).stat('k')).size).toBe(2);
  });
});

describe('401 and 403, and no tokens in messages', () => {
  const TOKEN = 'ya29.a0AfB_byC-secret-access-token-value';
  const OPAQUE = 'opaque-bearer-0123456789abcdef';

  /** A client on the Google endpoint that sends `Bearer <token>` (an OAuth2 client with a cached token). */
  function authed(token: string): Storage {
    const require = createRequire(createRequire(import.meta.url).resolve('@google-cloud/storage'));
    const { OAuth2Client } = require('google-auth-library') as { OAuth2Client: new () => { setCredentials(c: object): void } };
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000, token_type: 'Bearer' });
    return new Storage({ authClient: client as never, projectId: 'proj', retryOptions: { autoRetry: false } });
  }

  for (const token of [TOKEN, OPAQUE]) {
    it(`401 is UNAUTHENTICATED and the token is nowhere in the error (${token.slice(0, 5)}...)`, async () => {
      nock(GOOGLE)
        .get(`/storage/v1/b/${BKT}/o/k`)
        .matchHeader('authorization', `Bearer ${token}`)
        .reply(401, { error: { code: 401, message: `Invalid Credentials: Bearer ${token}`, errors: [{ reason: 'authError' }] } })
        .get(`/storage/v1/b/${BKT}/o/k`)
        .query({ alt: 'media' })
        .matchHeader('authorization', `Bearer ${token}`)
        .reply(401, `Invalid Credentials: ${token}`); // the bare token: only the registered secret can catch it
      const a = createGcsAdapter(BKT, { storage: authed(token), env: {} });
      for (const op of [() => a.stat('k'), () => a.read('k')]) {
        const e = await failure(op());
        expect(e.code).toBe('UNAUTHENTICATED');
        expect(e.retryable).toBe(false);
        for (const text of [e.message, JSON.stringify(e), inspect(e, { depth: 8 }), String(e.cause)]) expect(text).not.toContain(token);
      }
    });
  }

  it('403 is PERMISSION_DENIED, not retryable', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/k`).reply(403, { error: { code: 403, message: 'anonymous caller does not have storage.objects.get access', errors: [{ reason: 'forbidden' }] } });
    const e = await failure(adapter().stat('k'));
    expect([e.code, e.retryable]).toEqual(['PERMISSION_DENIED', false]);
    nock(EP).get(`/storage/v1/b/${BKT}/o/k`).query({ alt: 'media' }).reply(403, 'Forbidden');
    expect(await code(adapter().read('k'))).toBe('PERMISSION_DENIED');
  });

  it('anonymous access sends no Authorization header, even to the Google endpoint', async () => {
    nock(GOOGLE, { badheaders: ['authorization'] })
      .get(`/storage/v1/b/${BKT}/o/pub`)
      .reply(200, object('pub', 3))
      .get(`/storage/v1/b/${BKT}/o/pub`)
      .query({ alt: 'media' })
      .reply(200, 'pub', { 'Content-Length': '3' });
    const a = createGcsAdapter(BKT, { anonymous: true, env: {} });
    expect((await a.stat('pub')).size).toBe(3);
    expect(Buffer.from(await a.read('pub')).toString()).toBe('pub');
  });

  it('query strings (resumable upload ids, signatures) are dropped from messages', () => {
    const e = mapGcsError(
      { message: `request to ${EP}/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=SECRET-SESSION failed, reason: socket hang up`, code: 'ECONNRESET' },
      'write',
      'gs://bkt/k',
    );
    expect(e.message).not.toContain('SECRET-SESSION');
    expect([e.code, e.retryable]).toEqual(['UNAVAILABLE', true]);
  });
});

describe('timeouts and AbortSignal', () => {
  it('a slow metadata response is a retryable TIMEOUT after timeoutMs', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/slow`).delay(2_000).reply(200, object('slow', 1));
    const e = await failure(adapter({ timeoutMs: 100 }).stat('slow'));
    expect([e.code, e.retryable]).toEqual(['TIMEOUT', true]);
  });

  it('a download that stalls is a retryable TIMEOUT', async () => {
    nock(EP).get(`/storage/v1/b/${BKT}/o/slow`).query({ alt: 'media' }).delay(2_000).reply(200, 'x', { 'Content-Length': '1' });
    const e = await failure(adapter({ timeoutMs: 100 }).read('slow'));
    expect([e.code, e.retryable]).toEqual(['TIMEOUT', true]);
  });

  it('the download timeout measures the server, not a consumer that is slow with a chunk', { timeout: 20_000 }, async () => {
    nock(EP)
      .get(`/storage/v1/b/${BKT}/o/paced`)
      .query({ alt: 'media' })
      .reply(
        200,
        () =>
          new Readable({
            read() {
              if (this.readableLength > 0) return;
              this.push('abc');
              // The next chunk comes while the consumer is still busy with the first one.
              setTimeout(() => {
                this.push('def');
                this.push(null);
              }, 1_500);
            },
          }),
        { 'Content-Length': '6' },
      );
    const chunks: string[] = [];
    // Margins of a second, so a loaded 2-core CI machine cannot starve the first chunk past the timeout.
    for await (const c of adapter({ timeoutMs: 1_000 }).readStream!('paced')) {
      chunks.push(Buffer.from(c).toString());
      await new Promise((r) => setTimeout(r, 2_000));
    }
    expect(chunks.join('')).toBe('abcdef');
  });

  it('aborting stops waiting at once, for SDK calls and downloads', async () => {
    nock(EP)
      .get(`/storage/v1/b/${BKT}/o/slow`)
      .delay(2_000)
      .reply(200, object('slow', 1))
      .get(`/storage/v1/b/${BKT}/o/slow`)
      .query({ alt: 'media' })
      .delay(2_000)
      .reply(200, 'x', { 'Content-Length': '1' });
    const a = adapter();
    for (const op of [(signal: AbortSignal) => a.stat('slow', { signal }), (signal: AbortSignal) => a.read('slow', { signal })]) {
      const t0 = Date.now();
      const e = await failure(op(AbortSignal.timeout(50)));
      expect(e.code).toBe('TIMEOUT'); // a TimeoutError reason; a plain abort() is ABORTED
      expect(Date.now() - t0).toBeLessThan(1_000);
    }
    const c = new AbortController();
    setTimeout(() => c.abort(), 20);
    nock(EP).get(`/storage/v1/b/${BKT}/o/slow`).delay(2_000).reply(200, object('slow', 1));
    expect(await code(a.stat('slow', { signal: c.signal }))).toBe('ABORTED');
  });
});

describe('endpoint and environment', () => {
  it('STORAGE_EMULATOR_HOST as host:port is http://host:port/storage/v1, not the bare host', async () => {
    const saved = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = 'emu.test:9199';
    try {
      nock('http://emu.test:9199').get(`/storage/v1/b/${BKT}/o/k`).reply(200, object('k', 1));
      expect((await createGcsAdapter(BKT).stat('k')).size).toBe(1);
      // An explicit apiEndpoint wins over the variable, which the SDK would otherwise use verbatim.
      nock(EP).get(`/storage/v1/b/${BKT}/o/k`).reply(200, object('k', 2));
      expect((await createGcsAdapter(BKT, { apiEndpoint: EP }).stat('k')).size).toBe(2);
    } finally {
      if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = saved;
    }
  });

  it('STORAGE_EMULATOR_HOST spelled as the JSON API base works the same', async () => {
    nock('http://emu.test:9199').get(`/storage/v1/b/${BKT}/o/k`).reply(200, object('k', 1));
    expect((await createGcsAdapter(BKT, { env: { STORAGE_EMULATOR_HOST: 'http://emu.test:9199/storage/v1/' } }).stat('k')).size).toBe(1);
  });

  it('rejects invalid bucket names and endpoints as configuration errors', () => {
    expect(() => createGcsAdapter('Not_A_Bucket!', { env: {} })).toThrow(/bucket name/);
    expect(() => createGcsAdapter(BKT, { apiEndpoint: 'ftp://x', env: {} })).toThrow(/http/);
  });
});

describe('abandonWrite: cancelling a resumable upload session', () => {
  const session = `${EP}/upload/storage/v1/b/${BKT}/o?name=a%2Fb&uploadType=resumable&upload_id=xyz`;
  const events: unknown[] = [];
  const a = () => adapter({ onUnfinishedWrite: (e) => events.push(e) });

  it('sends one DELETE to the session URI; 499 (cancelled) resolves and ends the record', async () => {
    events.length = 0;
    nock(EP).delete(`/upload/storage/v1/b/${BKT}/o`).query({ name: 'a/b', uploadType: 'resumable', upload_id: 'xyz' }).reply(499);
    await a().abandonWrite!('a/b', session);
    expect(events).toEqual([{ phase: 'ended', uri: `gs://${BKT}/a/b`, id: session }]);
  });

  it('a session already gone (404) is no error', async () => {
    nock(EP).delete(`/upload/storage/v1/b/${BKT}/o`).query(true).reply(404);
    await expect(a().abandonWrite!('a/b', session)).resolves.toBeUndefined();
  });

  it('a server without session cancel (501) gives NOT_SUPPORTED, not retryable', async () => {
    nock(EP).delete(`/upload/storage/v1/b/${BKT}/o`).query(true).reply(501);
    const error: unknown = await a().abandonWrite!('a/b', session).catch((e: unknown) => e);
    expect(isCkptError(error, 'NOT_SUPPORTED')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(false);
  });

  it('never sends a recorded session URI to another endpoint', async () => {
    const error: unknown = await a().abandonWrite!('a/b', 'https://elsewhere.example/upload?upload_id=1').catch((e: unknown) => e);
    expect(isCkptError(error, 'INVALID_PATH')).toBe(true);
  });
});
