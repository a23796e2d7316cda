/**
 * HTTP-level faults Azurite cannot show, against the Blob service's wire shapes (nock): throttling
 * (503 ServerBusy, then success), bodies cut short, an expired SAS (403 AuthenticationFailed),
 * permission and precondition refusals, a corrupted download, a listing whose XML is cut, and that
 * the SDK's own retries are off (one request per attempt: the facade's retry layer owns retries).
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGFile, createRegistry, isCkptError, type StorageAdapter } from '@ckptkit/gfile';
import { createAzureAdapter } from './azure-adapter.js';
import { createServiceClient } from './client.js';
import { azureFactory } from './index.js';
import { resolveAzureOptions, type AzureAdapterOptions } from './options.js';

const ORIGIN = 'http://azure.nock.test';
const ACCOUNT = 'acct1';
const BASE = `/${ACCOUNT}/box`;
const KEY = Buffer.alloc(64, 7).toString('base64');
const SAS_SIG = 'NockSasSignature000000000000000000000000SIG%3D';
const keyOptions: AzureAdapterOptions = { endpoint: `${ORIGIN}/${ACCOUNT}`, account: ACCOUNT, accountKey: KEY, env: {}, timeoutMs: 2000 };
const sasOptions: AzureAdapterOptions = { endpoint: `${ORIGIN}/${ACCOUNT}`, sasToken: `sv=2026-06-06&se=2020-01-01T00%3A00%3A00Z&sp=rl&sig=${SAS_SIG}`, env: {}, timeoutMs: 2000 };

async function adapter(options: AzureAdapterOptions = keyOptions): Promise<StorageAdapter> {
  const cfg = resolveAzureOptions(options);
  return createAzureAdapter('box', await createServiceClient(cfg), cfg);
}

function facade(options: AzureAdapterOptions = keyOptions) {
  return createGFile({ registry: createRegistry().register('az', () => azureFactory(options)), retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
}

const errorXml = (code: string, message = 'nope') => `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
const blobHeaders = (len: number, extra: Record<string, string> = {}) => ({
  'content-length': String(len),
  'last-modified': 'Mon, 07 Dec 2026 10:00:00 GMT',
  etag: '"0x8DC0000000000001"',
  'x-ms-blob-type': 'BlockBlob',
  ...extra,
});

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (error) {
    return error as Error & { code?: string; retryable?: boolean };
  }
  throw new Error('expected a failure');
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

describe('throttling and server errors', () => {
  it('503 ServerBusy: RATE_LIMITED after exactly one request (the SDK does not retry); the facade retries and succeeds', async () => {
    const scope = nock(ORIGIN).head(`${BASE}/a`).reply(503, undefined, { 'x-ms-error-code': 'ServerBusy' });
    const err = await failure((await adapter()).stat('a'));
    expect(err).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect(scope.isDone()).toBe(true);

    const again = nock(ORIGIN).head(`${BASE}/a`).reply(503, undefined, { 'x-ms-error-code': 'ServerBusy' }).head(`${BASE}/a`).reply(200, undefined, blobHeaders(5));
    const g = facade();
    expect((await g.stat('az://box/a')).size).toBe(5);
    expect(again.isDone()).toBe(true);
    expect(g.metrics.requests.head).toBe(2);
  });

  it('500 OperationTimedOut is a retryable TIMEOUT; 500 InternalError a retryable UNAVAILABLE', async () => {
    nock(ORIGIN).get(`${BASE}`).query(true).reply(500, errorXml('OperationTimedOut'), { 'content-type': 'application/xml', 'x-ms-error-code': 'OperationTimedOut' });
    expect(await failure((await adapter()).list(''))).toMatchObject({ code: 'TIMEOUT', retryable: true });
    nock(ORIGIN).get(`${BASE}`).query(true).reply(500, errorXml('InternalError'), { 'content-type': 'application/xml', 'x-ms-error-code': 'InternalError' });
    expect(await failure((await adapter()).list(''))).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
  });

  it('a connection reset is a retryable UNAVAILABLE after one attempt (a real socket: nock cannot reset one the SDK sees)', async () => {
    nock.enableNetConnect('127.0.0.1');
    let connections = 0;
    const server = net.createServer((sock) => {
      connections++;
      sock.once('data', () => sock.resetAndDestroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const a = await adapter({ ...keyOptions, endpoint: `http://127.0.0.1:${port}/${ACCOUNT}` });
      expect(await failure(a.stat('a'))).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
      expect(connections).toBe(1);
    } finally {
      server.close();
      nock.disableNetConnect();
    }
  });
});

describe('credentials and permissions', () => {
  it('an expired SAS (403 AuthenticationFailed) is UNAUTHENTICATED, not retried, and the signature is in no message', async () => {
    const scope = nock(ORIGIN)
      .get(`${BASE}/a`)
      .query(true)
      .reply(
        403,
        errorXml('AuthenticationFailed', `Server failed to authenticate the request. Signed expiry time [Wed, 01 Jan 2020] must be after signed start time. sig=${SAS_SIG}`),
        { 'content-type': 'application/xml', 'x-ms-error-code': 'AuthenticationFailed' },
      );
    const g = facade(sasOptions);
    const err = await failure(g.readFile('az://box/a'));
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', retryable: false });
    expect(scope.isDone()).toBe(true);
    expect(g.metrics.requests.get).toBe(1);
    const texts = [err.message, String(err.stack), JSON.stringify(err), String((err as { cause?: unknown }).cause)];
    for (const t of texts) {
      expect(t).not.toContain(SAS_SIG);
      expect(t).not.toContain(decodeURIComponent(SAS_SIG));
    }
  });

  it('the SAS token goes on every request URL', async () => {
    const scope = nock(ORIGIN)
      .head(`${BASE}/a`)
      .query((q) => q.sig === decodeURIComponent(SAS_SIG) && q.sp === 'rl')
      .reply(200, undefined, blobHeaders(1));
    expect((await (await adapter(sasOptions)).stat('a')).size).toBe(1);
    expect(scope.isDone()).toBe(true);
  });

  it('AuthorizationPermissionMismatch and AuthorizationFailure are PERMISSION_DENIED; a HEAD says so in x-ms-error-code only', async () => {
    nock(ORIGIN).head(`${BASE}/a`).reply(403, undefined, { 'x-ms-error-code': 'AuthorizationPermissionMismatch' });
    expect(await failure((await adapter()).stat('a'))).toMatchObject({ code: 'PERMISSION_DENIED', retryable: false });
    nock(ORIGIN).delete(`${BASE}/a`).reply(403, errorXml('AuthorizationFailure'), { 'content-type': 'application/xml', 'x-ms-error-code': 'AuthorizationFailure' });
    expect(await failure((await adapter()).delete('a'))).toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('BlobNotFound and ContainerNotFound are NOT_FOUND', async () => {
    nock(ORIGIN).head(`${BASE}/a`).reply(404, undefined, { 'x-ms-error-code': 'BlobNotFound' });
    expect(await failure((await adapter()).stat('a'))).toMatchObject({ code: 'NOT_FOUND' });
    nock(ORIGIN).get(BASE).query(true).reply(404, errorXml('ContainerNotFound'), { 'content-type': 'application/xml', 'x-ms-error-code': 'ContainerNotFound' });
    const err = await failure((await adapter()).list(''));
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect(err.message).toContain('ContainerNotFound');
  });
});

describe('conditional writes', () => {
  it('If-None-Match: * answered 409 BlobAlreadyExists is ALREADY_EXISTS', async () => {
    const scope = nock(ORIGIN)
      .put(`${BASE}/state`)
      .matchHeader('if-none-match', '*')
      .reply(409, errorXml('BlobAlreadyExists'), { 'content-type': 'application/xml', 'x-ms-error-code': 'BlobAlreadyExists' });
    expect(await failure((await adapter()).write('state', new TextEncoder().encode('x'), { ifNotExists: true }))).toMatchObject({ code: 'ALREADY_EXISTS', retryable: false });
    expect(scope.isDone()).toBe(true);
  });

  it('If-Match answered 412 ConditionNotMet is PRECONDITION_FAILED, and goes on the commit of a block upload', async () => {
    const scope = nock(ORIGIN)
      .put(`${BASE}/state`)
      .query((q) => q.comp === 'block')
      .times(3)
      .reply(201)
      .put(`${BASE}/state`)
      .query((q) => q.comp === 'blocklist')
      .matchHeader('if-match', '"0x8DC0000000000001"')
      .reply(412, errorXml('ConditionNotMet'), { 'content-type': 'application/xml', 'x-ms-error-code': 'ConditionNotMet' });
    const a = await adapter({ ...keyOptions, singleUploadThreshold: 4, blockSize: 4 });
    const err = await failure(a.write('state', new TextEncoder().encode('0123456789'), { ifMatch: '"0x8DC0000000000001"' }));
    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(scope.isDone()).toBe(true);
  });
});

describe('downloads', () => {
  it('a body cut short is a retryable UNAVAILABLE; the facade reads again and gets every byte', async () => {
    const body = Buffer.from('0123456789abcdef');
    nock(ORIGIN).get(`${BASE}/f`).reply(200, () => body.subarray(0, 5), blobHeaders(body.length));
    const first = await failure((await adapter()).read('f'));
    expect(first).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    nock.cleanAll();
    const g = facade();
    const scope = nock(ORIGIN).get(`${BASE}/f`).reply(200, () => body.subarray(0, 5), blobHeaders(body.length)).get(`${BASE}/f`).reply(200, body, blobHeaders(body.length));
    expect(Buffer.from(await g.readFile('az://box/f')).equals(body)).toBe(true);
    expect(g.metrics.requests.get).toBe(2);
    expect(scope.isDone()).toBe(true);
  });

  it('bytes that do not match the stored Content-MD5 are a retryable CORRUPT', async () => {
    const body = Buffer.from('hello world');
    const wrong = createHash('md5').update('something else').digest('base64');
    nock(ORIGIN).get(`${BASE}/f`).reply(200, body, blobHeaders(body.length, { 'content-md5': wrong }));
    expect(await failure((await adapter()).read('f'))).toMatchObject({ code: 'CORRUPT', retryable: true });
    const right = createHash('md5').update(body).digest('base64');
    nock(ORIGIN).get(`${BASE}/f`).reply(200, body, blobHeaders(body.length, { 'content-md5': right }));
    expect(Buffer.from(await (await adapter()).read('f')).equals(body)).toBe(true);
  });

  it('a range is one ranged GET; a range past the end (416 InvalidRange) is empty', async () => {
    nock(ORIGIN)
      .get(`${BASE}/f`)
      .matchHeader('x-ms-range', 'bytes=3-6')
      .reply(206, Buffer.from('3456'), blobHeaders(4, { 'content-range': 'bytes 3-6/16' }));
    expect(Buffer.from(await (await adapter()).read('f', { range: { offset: 3, length: 4 } })).toString()).toBe('3456');
    nock(ORIGIN).get(`${BASE}/f`).reply(416, errorXml('InvalidRange'), { 'content-type': 'application/xml', 'x-ms-error-code': 'InvalidRange' });
    expect((await (await adapter()).read('f', { range: { offset: 99 } })).byteLength).toBe(0);
  });
});

describe('listings', () => {
  const page = (names: string[], next?: string) =>
    `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="${ORIGIN}/${ACCOUNT}" ContainerName="box"><MaxResults>5000</MaxResults><Blobs>${names
      .map(
        (n) =>
          `<Blob><Name>${n}</Name><Properties><Last-Modified>Mon, 07 Dec 2026 10:00:00 GMT</Last-Modified><Etag>0x8DC1</Etag><Content-Length>3</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob>`,
      )
      .join('')}</Blobs><NextMarker>${next ?? ''}</NextMarker></EnumerationResults>`;

  it('asks for 5,000 a page and follows NextMarker', async () => {
    const scope = nock(ORIGIN)
      .get(BASE)
      .query((q) => q.comp === 'list' && q.maxresults === '5000' && q.prefix === 'p/' && q.marker === undefined)
      .reply(200, page(['p/a', 'p/b'], 'MARK1'), { 'content-type': 'application/xml' })
      .get(BASE)
      .query((q) => q.comp === 'list' && q.marker === 'MARK1')
      .reply(200, page(['p/c']), { 'content-type': 'application/xml' });
    const a = await adapter();
    const first = await a.list('p/');
    expect(first.entries.map((e) => e.key)).toEqual(['p/a', 'p/b']);
    expect(first.nextPageToken).toBe('MARK1');
    const second = await a.list('p/', { pageToken: 'MARK1' });
    expect(second.entries.map((e) => e.key)).toEqual(['p/c']);
    expect(second.nextPageToken).toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  it('a listing whose XML is cut is a retryable error, never an empty last page', async () => {
    const whole = page(['p/a', 'p/b'], 'MARK1');
    nock(ORIGIN).get(BASE).query(true).reply(200, whole.slice(0, 120), { 'content-type': 'application/xml' });
    const err = await failure((await adapter()).list('p/'));
    expect(isCkptError(err)).toBe(true);
    expect(err.retryable).toBe(true);
  });
});
