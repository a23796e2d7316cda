/**
 * What a healthy server will not do, replayed with nock: throttling, a failure in the middle of a
 * listing, permission errors, bodies cut short, keys that need escaping, an empty bucket, and the
 * wire details (unsigned requests, checksum headers, SDK attempts) that the real-server tests cannot
 * observe. This file patches node:http for its worker: no real server is contacted here.
 */
import { randomBytes } from 'node:crypto';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGFile, createRegistry, isCkptError, redact, type GFile, type GFileOptions, type StorageAdapter } from '@ckptkit/gfile';
import { createS3Adapter, s3Factory, type S3AdapterOptions } from './index.js';

const EP = 'http://s3.nock.test:9000';
const SECRET = 'nock-secret-key-must-never-be-printed';
const creds = { accessKeyId: 'AKIANOCKTEST00000000', secretAccessKey: SECRET };
// nock patches node:http; GetObject bodies go through node:http only with directGets off (the
// direct client has its own wire tests in direct-get.test.ts).
const base: S3AdapterOptions = { endpoint: EP, region: 'us-east-1', credentials: creds, directGets: false };

const xmlError = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>r1</RequestId></Error>`;

interface ListXml {
  prefix?: string;
  keys?: Array<{ key: string; size?: number }>;
  prefixes?: string[];
  next?: string;
  encoded?: boolean;
}

function listXml(o: ListXml): string {
  const contents = (o.keys ?? [])
    .map((k) => `<Contents><Key>${k.key}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;etag&quot;</ETag><Size>${k.size ?? 1}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
    .join('');
  const prefixes = (o.prefixes ?? []).map((p) => `<CommonPrefixes><Prefix>${p}</Prefix></CommonPrefixes>`).join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Name>bkt</Name><Prefix>${o.prefix ?? ''}</Prefix><KeyCount>${(o.keys ?? []).length + (o.prefixes ?? []).length}</KeyCount><MaxKeys>1000</MaxKeys>` +
    `<IsTruncated>${o.next ? 'true' : 'false'}</IsTruncated>${o.next ? `<NextContinuationToken>${o.next}</NextContinuationToken>` : ''}` +
    `${o.encoded ? '<EncodingType>url</EncodingType>' : ''}${contents}${prefixes}</ListBucketResult>`
  );
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function rejection(p: Promise<unknown> | (() => Promise<unknown>)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the operation succeeded');
}

const retries: Array<{ operation: string; code: string }> = [];
function facade(options: S3AdapterOptions = {}, extra: GFileOptions = {}): GFile {
  return createGFile({
    registry: createRegistry().register('s3', () => s3Factory({ ...base, ...options })),
    retry: { baseDelayMs: 1, maxDelayMs: 2, onRetry: (i) => retries.push({ operation: i.operation, code: (i.error as { code: string }).code }) },
    ...extra,
  });
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  retries.length = 0;
});
afterAll(() => {
  nock.enableNetConnect();
});

describe('s3 adapter against nock: what healthy servers will not do', () => {
  it('retries 503 SlowDown and then succeeds; the SDK itself makes one attempt per request', async () => {
    const g = facade();
    const scope = nock(EP)
      .get('/bkt/run/ckpt-1.index')
      .query(true)
      .matchHeader('amz-sdk-request', 'attempt=1; max=1')
      .reply(503, xmlError('SlowDown', 'Please reduce your request rate.'))
      .get('/bkt/run/ckpt-1.index')
      .query(true)
      .matchHeader('amz-sdk-request', 'attempt=1; max=1')
      .reply(200, 'payload', { 'Content-Length': '7' })
      .put('/bkt/run/new')
      .query(true)
      .reply(503, xmlError('SlowDown', 'Please reduce your request rate.'))
      .put('/bkt/run/new')
      .query(true)
      .reply(200, '', { ETag: '"e1"' });
    expect(await g.readText('s3://bkt/run/ckpt-1.index')).toBe('payload');
    expect(g.metrics.requests.get).toBe(2);
    await g.writeText('s3://bkt/run/new', 'x');
    expect(g.metrics.requests.put).toBe(2);
    expect(retries).toEqual([
      { operation: 'read', code: 'RATE_LIMITED' },
      { operation: 'write', code: 'RATE_LIMITED' },
    ]);
    expect(scope.isDone()).toBe(true);
  });

  it('a 500 on page 3 of a listing is retried, and the listing completes without loss or duplicates', async () => {
    const g = facade({}, { pageSize: 2 });
    const page = (token: string | undefined) => (q: Record<string, string>) => q['continuation-token'] === token && q['max-keys'] === '2' && q.prefix === 'run/' && q['list-type'] === '2';
    const scope = nock(EP)
      .get('/bkt/')
      .query(page(undefined))
      .reply(200, listXml({ prefix: 'run/', keys: [{ key: 'run/a' }, { key: 'run/b' }], next: 't2' }))
      .get('/bkt/')
      .query(page('t2'))
      .reply(200, listXml({ prefix: 'run/', keys: [{ key: 'run/c' }, { key: 'run/d' }], next: 't3' }))
      .get('/bkt/')
      .query(page('t3'))
      .reply(500, xmlError('InternalError', 'We encountered an internal error. Please try again.'))
      .get('/bkt/')
      .query(page('t3'))
      .reply(200, listXml({ prefix: 'run/', keys: [{ key: 'run/e' }] }));
    const names = (await collect(g.list('s3://bkt/run', { recursive: true }))).map((f) => f.name);
    expect(names).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(g.metrics.requests.list).toBe(4);
    expect(retries).toEqual([{ operation: 'list', code: 'UNAVAILABLE' }]);
    expect(scope.isDone()).toBe(true);
  });

  it('a page that keeps failing fails the listing instead of returning a partial result', async () => {
    const g = facade({}, { pageSize: 2 });
    nock(EP)
      .get('/bkt/')
      .query((q) => q['continuation-token'] === undefined)
      .reply(200, listXml({ prefix: 'run/', keys: [{ key: 'run/a' }, { key: 'run/b' }], next: 't2' }))
      .get('/bkt/')
      .query((q) => q['continuation-token'] === 't2')
      .times(4)
      .reply(500, xmlError('InternalError', 'We encountered an internal error.'));
    const error = await rejection(g.listDir('s3://bkt/run'));
    expect(isCkptError(error, 'UNAVAILABLE')).toBe(true);
    expect(g.metrics.requests.list).toBe(1 + 4);
  });

  it('403 is PERMISSION_DENIED and is not retried', async () => {
    const g = facade();
    const scope = nock(EP)
      .get('/bkt/secret/ckpt.index')
      .query(true)
      .reply(403, xmlError('AccessDenied', 'Access Denied'))
      .get('/bkt/secret/ckpt.index')
      .query(true)
      .reply(200, 'must not be requested');
    const error = await rejection(g.readFile('s3://bkt/secret/ckpt.index'));
    expect(isCkptError(error, 'PERMISSION_DENIED')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(false);
    expect((error as Error).message).toContain('s3://bkt/secret/ckpt.index');
    expect(scope.pendingMocks()).toHaveLength(1);
    expect(retries).toEqual([]);
    // A HEAD has no body: the status alone decides.
    nock(EP).head('/bkt/secret/x').query(true).reply(403);
    expect(isCkptError(await rejection(g.stat('s3://bkt/secret/x')), 'PERMISSION_DENIED')).toBe(true);
  });

  it('a write over quota (RGW QuotaExceeded, 403) is QUOTA_EXCEEDED, a full backend (507) NO_SPACE: named, not retried', async () => {
    const g = facade();
    const scope = nock(EP)
      .put('/bkt/run/ckpt-5.index')
      .query(true)
      .reply(403, xmlError('QuotaExceeded', 'Quota exceeded'))
      .put('/bkt/run/ckpt-5.data-00000-of-00001')
      .query(true)
      .reply(507, xmlError('XMinioStorageFull', 'Storage backend has reached its minimum free drive threshold.'))
      .put('/bkt/run/ckpt-5.index')
      .query(true)
      .reply(200, 'must not be requested');
    const quota = await rejection(g.writeText('s3://bkt/run/ckpt-5.index', 'x'));
    expect(isCkptError(quota, 'QUOTA_EXCEEDED')).toBe(true);
    expect((quota as { uri: string; retryable: boolean }).uri).toBe('s3://bkt/run/ckpt-5.index');
    expect((quota as { retryable: boolean }).retryable).toBe(false);
    const full = await rejection(g.writeText('s3://bkt/run/ckpt-5.data-00000-of-00001', 'x'));
    expect(isCkptError(full, 'NO_SPACE')).toBe(true);
    expect((full as Error).message).toContain('s3://bkt/run/ckpt-5.data-00000-of-00001');
    expect(scope.pendingMocks()).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('a server-side copy refused for quota names the destination, not the source', async () => {
    const g = facade();
    nock(EP)
      .put('/bkt/mirror/ckpt-5.index')
      .query(true)
      .matchHeader('x-amz-copy-source', /run\/ckpt-5\.index/)
      .reply(403, xmlError('QuotaExceeded', 'Quota exceeded'));
    const error = await rejection(g.copy('s3://bkt/run/ckpt-5.index', 's3://bkt/mirror/ckpt-5.index', { overwrite: true }));
    expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED', uri: 's3://bkt/mirror/ckpt-5.index', retryable: false });
    expect(retries).toEqual([]);
  });

  describe('a body cut short mid-read', () => {
    const data = randomBytes(100);

    it('is a retryable UNAVAILABLE from the adapter, never a short result', async () => {
      const adapter = createS3Adapter('bkt', base);
      nock(EP).get('/bkt/cut').query(true).reply(200, data.subarray(0, 50), { 'Content-Length': '100' });
      const error = await rejection(adapter.read('cut'));
      expect(isCkptError(error, 'UNAVAILABLE')).toBe(true);
      expect((error as { retryable: boolean }).retryable).toBe(true);
    });

    it('is read again whole by the retry layer', async () => {
      const g = facade();
      nock(EP)
        .get('/bkt/cut')
        .query(true)
        .reply(200, data.subarray(0, 50), { 'Content-Length': '100' })
        .get('/bkt/cut')
        .query(true)
        .reply(200, data, { 'Content-Length': '100' });
      expect(Buffer.from(await g.readFile('s3://bkt/cut')).equals(data)).toBe(true);
      expect(g.metrics.requests.get).toBe(2);
    });

    it('is resumed by a stream from the first byte not delivered', async () => {
      const g = facade();
      const ranges: string[] = [];
      nock(EP)
        .get('/bkt/cut')
        .query(true)
        .reply(200, data.subarray(0, 60), { 'Content-Length': '100' })
        .get('/bkt/cut')
        .query(true)
        .reply(function () {
          const range = String(this.req.headers.range);
          ranges.push(range);
          const start = Number(/^bytes=(\d+)-$/.exec(range)?.[1]);
          return [206, data.subarray(start), { 'Content-Length': String(100 - start), 'Content-Range': `bytes ${start}-99/100` }];
        });
      const streamed = Buffer.concat(await collect(g.readStream('s3://bkt/cut')));
      expect(streamed.equals(data)).toBe(true);
      expect(ranges).toHaveLength(1);
      expect(ranges[0]).toMatch(/^bytes=[1-9]\d*-$/); // resumed, not restarted
    });

    it('fails with a typed error when every attempt is cut short', async () => {
      const g = facade();
      nock(EP).get('/bkt/cut').query(true).times(4).reply(200, data.subarray(0, 10), { 'Content-Length': '100' });
      expect(isCkptError(await rejection(g.readFile('s3://bkt/cut')), 'UNAVAILABLE')).toBe(true);
    });
  });

  describe('keys with XML-special and non-ASCII characters', () => {
    const special = `p/a&b<c>"'.txt`;
    const unicode = 'p/日本 ü🙂';

    it('decodes url-encoded listings (encoding-type=url is always asked for)', async () => {
      const g = facade();
      nock(EP)
        .get('/bkt/')
        .query((q) => q['encoding-type'] === 'url' && q.prefix === 'p/' && q.delimiter === '/')
        .reply(
          200,
          listXml({
            prefix: 'p%2F',
            encoded: true,
            keys: [{ key: encodeURIComponent(special) }, { key: 'p%2Fa+b' }, { key: 'p%2Fx%2By' }, { key: 'p%2F100%25' }, { key: 'p%2Fctl%01' }, { key: encodeURIComponent(unicode) }],
            prefixes: ['p%2Fd%C3%BCr%2F'],
          }),
        );
      const listed = await g.listDir('s3://bkt/p');
      expect(listed.map((f) => [f.name, f.kind])).toEqual([
        ['100%', 'file'],
        ['a b', 'file'],
        [`a&b<c>"'.txt`, 'file'],
        ['ctl\u0001', 'file'],
        ['dür', 'directory'],
        ['x+y', 'file'],
        ['日本 ü🙂', 'file'],
      ]);
      expect(listed.find((f) => f.name === 'dür')!.uri).toBe('s3://bkt/p/dür');
    });

    it('reads XML-escaped listings verbatim when the server ignores encoding-type', async () => {
      const g = facade();
      nock(EP)
        .get('/bkt/')
        .query(true)
        .reply(200, listXml({ prefix: 'p/', keys: [{ key: 'p/%41+b' }, { key: 'p/a&amp;b&lt;c&gt;&quot;&apos;.txt' }, { key: unicode }] }));
      expect((await g.listDir('s3://bkt/p')).map((f) => f.name)).toEqual(['%41+b', `a&b<c>"'.txt`, '日本 ü🙂']);
    });

    it('addresses such keys correctly in paths, copy sources and delete batches', async () => {
      const g = facade();
      const seen: Record<string, string> = {};
      nock(EP)
        .get((uri) => decodeURIComponent(uri.split('?')[0]!) === `/bkt/${special}`)
        .query(true)
        .reply(200, 'special', { 'Content-Length': '7' })
        .get((uri) => decodeURIComponent(uri.split('?')[0]!) === `/bkt/${unicode}`)
        .query(true)
        .reply(200, 'unicode', { 'Content-Length': '7' })
        // copy: the destination must not exist (HEAD), then CopyObject with an encoded source
        .head((uri) => decodeURIComponent(uri.split('?')[0]!) === `/bkt/${unicode}.bak`)
        .query(true)
        .reply(404)
        .get('/bkt/')
        .query((q) => q.prefix === `${unicode}.bak/`)
        .reply(200, listXml({}))
        .put((uri) => decodeURIComponent(uri.split('?')[0]!) === `/bkt/${unicode}.bak`)
        .query(true)
        .reply(function () {
          seen.copySource = String(this.req.headers['x-amz-copy-source']);
          return [200, '<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><ETag>"e"</ETag><LastModified>2026-01-02T03:04:05.000Z</LastModified></CopyObjectResult>'];
        })
        .post('/bkt/')
        .query((q) => 'delete' in q)
        .reply(function (_uri, body) {
          seen.deleteBody = String(body);
          return [200, '<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>'];
        });
      expect(await g.readText(`s3://bkt/${special}`)).toBe('special');
      expect(await g.readText(`s3://bkt/${unicode}`)).toBe('unicode');
      await g.copy(`s3://bkt/${unicode}`, `s3://bkt/${unicode}.bak`);
      expect(seen.copySource).toBe(`bkt/p/${encodeURIComponent('日本 ü🙂')}`);
      const adapter = (await g.locate('s3://bkt/')).adapter;
      await adapter.deleteMany!([special, unicode]);
      expect(seen.deleteBody).toContain('<Key>p/a&amp;b&lt;c&gt;');
      expect(seen.deleteBody).toContain(`<Key>${unicode}</Key>`);
    });
  });

  describe('an empty bucket', () => {
    it('lists, globs and walks as empty, and a key in it is NOT_FOUND', async () => {
      const g = facade();
      nock(EP)
        .get('/bkt/')
        .query(true)
        .times(6)
        .reply(200, listXml({}))
        .head('/bkt/x')
        .query(true)
        .reply(404)
        // isDir and listDir of an empty prefix ask once whether a Hadoop `x_$folder$` placeholder stands for it.
        .head(/^\/bkt\/x_(?:\$|%24)folder(?:\$|%24)$/)
        .query(true)
        .times(2)
        .reply(404);
      expect(await g.listDir('s3://bkt/')).toEqual([]);
      expect(await g.glob('s3://bkt/*')).toEqual([]);
      expect(await collect(g.walk('s3://bkt/'))).toEqual([{ uri: 's3://bkt', dirs: [], files: [] }]);
      expect(await g.isDir('s3://bkt/x')).toBe(false);
      expect(isCkptError(await rejection(g.stat('s3://bkt/x')), 'NOT_FOUND')).toBe(true);
      expect(isCkptError(await rejection(g.listDir('s3://bkt/x')), 'NOT_FOUND')).toBe(true);
    });
  });

  describe('wire details', () => {
    it('anonymous requests carry no signature; others are SigV4-signed', async () => {
      const anon = createS3Adapter('bkt', { endpoint: EP, anonymous: true, directGets: false });
      nock(EP, { badheaders: ['authorization', 'x-amz-security-token'] }).get('/bkt/pub').query(true).reply(200, 'pub', { 'Content-Length': '3' });
      expect(Buffer.from(await anon.read('pub')).toString()).toBe('pub');
      const signed = createS3Adapter('bkt', base);
      nock(EP, { reqheaders: { authorization: /^AWS4-HMAC-SHA256 Credential=AKIANOCKTEST00000000\/\d{8}\/us-east-1\/s3\/aws4_request/ } })
        .get('/bkt/priv')
        .query(true)
        .reply(200, 'priv', { 'Content-Length': '4' });
      expect(Buffer.from(await signed.read('priv')).toString()).toBe('priv');
    });

    it('custom endpoints get no streaming or flexible checksums by default; AWS-style "when-supported" sends CRC32', async () => {
      const headers: Array<Record<string, unknown>> = [];
      nock(EP)
        .put('/bkt/a')
        .query(true)
        .times(2)
        .reply(function () {
          headers.push({ ...this.req.headers });
          return [200, '', { ETag: '"e"' }];
        });
      await createS3Adapter('bkt', base).write('a', new TextEncoder().encode('hello'));
      await createS3Adapter('bkt', { ...base, checksums: 'when-supported' }).write('a', new TextEncoder().encode('hello'));
      expect(Object.keys(headers[0]!).filter((h) => h.startsWith('x-amz-checksum') || h === 'content-encoding' || h === 'x-amz-decoded-content-length')).toEqual([]);
      expect(headers[0]!['content-length']).toBe('5');
      expect(headers[1]!['x-amz-checksum-crc32']).toBe('NhCmhg==');
    });

    it('a 416 is an empty read, and a server that ignores Range is sliced locally', async () => {
      const adapter = createS3Adapter('bkt', base);
      nock(EP)
        .get('/bkt/f')
        .query(true)
        .matchHeader('range', 'bytes=10-')
        .reply(416, xmlError('InvalidRange', 'The requested range is not satisfiable'))
        .get('/bkt/f')
        .query(true)
        .matchHeader('range', 'bytes=2-4')
        .reply(200, '0123456789', { 'Content-Length': '10' });
      expect((await adapter.read('f', { range: { offset: 10 } })).byteLength).toBe(0);
      expect(Buffer.from(await adapter.read('f', { range: { offset: 2, length: 3 } })).toString()).toBe('234');
    });

    it('conditional create sends If-None-Match: * and maps 412 to ALREADY_EXISTS, 409 to a retryable conflict', async () => {
      const adapter = createS3Adapter('bkt', base);
      nock(EP)
        .put('/bkt/lock')
        .query(true)
        .matchHeader('if-none-match', '*')
        .reply(412, xmlError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'))
        .put('/bkt/lock')
        .query(true)
        .matchHeader('if-none-match', '*')
        .reply(409, xmlError('ConditionalRequestConflict', 'A conflicting conditional operation is currently in progress'));
      expect(isCkptError(await rejection(adapter.write('lock', new Uint8Array([1]), { ifNotExists: true })), 'ALREADY_EXISTS')).toBe(true);
      const conflict = await rejection(adapter.write('lock', new Uint8Array([1]), { ifNotExists: true }));
      expect(isCkptError(conflict, 'PRECONDITION_FAILED')).toBe(true);
      expect((conflict as { retryable: boolean }).retryable).toBe(true);
      const off = createS3Adapter('bkt', { ...base, conditionalWrites: false });
      expect(off.capabilities.conditionalWrite).toBe(false);
      expect(isCkptError(await rejection(off.write('lock', new Uint8Array([1]), { ifNotExists: true })), 'NOT_SUPPORTED')).toBe(true);
    });

    it('ifMatch (compare-and-swap) sends If-Match with the etag; a 412 on a changed object is PRECONDITION_FAILED', async () => {
      const adapter = createS3Adapter('bkt', base);
      nock(EP)
        .put('/bkt/run/checkpoint')
        .query(true)
        .matchHeader('if-match', '"abc"')
        .reply(200, '', { ETag: '"def"' })
        .put('/bkt/run/checkpoint')
        .query(true)
        .matchHeader('if-match', '"abc"')
        .reply(412, xmlError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'))
        .head('/bkt/run/checkpoint')
        .query(true)
        .reply(200, '', { ETag: '"def"', 'Content-Length': '5' });
      await adapter.write('run/checkpoint', new Uint8Array([1]), { ifMatch: '"abc"' });
      expect(isCkptError(await rejection(adapter.write('run/checkpoint', new Uint8Array([2]), { ifMatch: '"abc"' })), 'PRECONDITION_FAILED')).toBe(true);
    });

    it('ifMatch on a server that compares unquoted etags (Ceph RGW 16): the unchanged object is replaced', async () => {
      const adapter = createS3Adapter('bkt', base);
      nock(EP)
        .put('/bkt/run/checkpoint')
        .query(true)
        .matchHeader('if-match', '"abc"')
        .reply(412, xmlError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'))
        .head('/bkt/run/checkpoint')
        .query(true)
        .reply(200, '', { ETag: '"abc"', 'Content-Length': '5' })
        .put('/bkt/run/checkpoint')
        .query(true)
        .matchHeader('if-match', 'abc')
        .reply(200, '', { ETag: '"def"' });
      await adapter.write('run/checkpoint', new Uint8Array([1]), { ifMatch: '"abc"' });
    });

    it('copies objects over the single-request limit with UploadPartCopy ranges of one version', async () => {
      const adapter = createS3Adapter('bkt', base);
      const size = 6 * 1024 ** 3 + 5;
      const ranges: string[] = [];
      let completed = '';
      nock(EP)
        .put('/bkt/big.copy')
        .query((q) => q['x-id'] === 'CopyObject')
        .reply(400, xmlError('InvalidRequest', 'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120'))
        .head('/bkt/big')
        .query(true)
        .reply(200, '', { 'Content-Length': String(size), ETag: '"v1"' })
        .post('/bkt/big.copy')
        .query((q) => 'uploads' in q)
        .reply(200, '<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>big.copy</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>')
        .put('/bkt/big.copy')
        .query((q) => q.uploadId === 'u1' && q.partNumber !== undefined)
        .times(13)
        .reply(function () {
          expect(this.req.headers['x-amz-copy-source']).toBe('bkt/big');
          expect(this.req.headers['x-amz-copy-source-if-match']).toBe('"v1"');
          ranges.push(String(this.req.headers['x-amz-copy-source-range']));
          return [200, `<?xml version="1.0" encoding="UTF-8"?><CopyPartResult><ETag>"p${ranges.length}"</ETag></CopyPartResult>`];
        })
        .post('/bkt/big.copy')
        .query((q) => q.uploadId === 'u1')
        .reply(function (_uri, body) {
          completed = String(body);
          return [200, '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><ETag>"x-13"</ETag></CompleteMultipartUploadResult>'];
        });
      await adapter.copy('big', 'big.copy');
      const spans = ranges.map((r) => /^bytes=(\d+)-(\d+)$/.exec(r)!.slice(1).map(Number) as [number, number]).sort((a, b) => a[0] - b[0]);
      expect(spans[0]![0]).toBe(0);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBe(spans[i - 1]![1] + 1);
      expect(spans.at(-1)![1]).toBe(size - 1);
      expect(spans).toHaveLength(13); // 6 GiB + 5 bytes in 512 MiB parts
      expect(completed.match(/<PartNumber>/g)).toHaveLength(13);
    });

    it('a failed multipart upload is aborted', async () => {
      // nock never answers `Expect: 100-continue`, which the SDK sends for bodies over 2 MiB.
      const adapter = createS3Adapter('bkt', { ...base, multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024, partConcurrency: 1, expectContinueHeader: false });
      const scope = nock(EP)
        .post('/bkt/big')
        .query((q) => 'uploads' in q)
        .reply(200, '<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><UploadId>u9</UploadId></InitiateMultipartUploadResult>')
        .put('/bkt/big')
        .query((q) => q.uploadId === 'u9' && q.partNumber === '1')
        .reply(200, '', { ETag: '"p1"' })
        .put('/bkt/big')
        .query((q) => q.uploadId === 'u9' && q.partNumber === '2')
        .reply(403, xmlError('AccessDenied', 'Access Denied'))
        .delete('/bkt/big')
        .query((q) => q.uploadId === 'u9')
        .reply(204);
      const error = await rejection(adapter.write('big', new Uint8Array(11 * 1024 * 1024)));
      expect(isCkptError(error, 'PERMISSION_DENIED')).toBe(true);
      expect(scope.isDone()).toBe(true);
    });

    it('on AWS a large conditional create sends If-None-Match on CompleteMultipartUpload; a 412 there aborts the upload', async () => {
      const adapter = createS3Adapter('bkt', { ...base, multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024, conditionalMultipartWrites: true, expectContinueHeader: false });
      const scope = nock(EP)
        .post('/bkt/big')
        .query((q) => 'uploads' in q)
        .reply(200, '<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><UploadId>u7</UploadId></InitiateMultipartUploadResult>')
        .put('/bkt/big')
        .query((q) => q.uploadId === 'u7')
        .times(2)
        .reply(200, '', { ETag: '"p"' })
        .post('/bkt/big')
        .query((q) => q.uploadId === 'u7')
        .matchHeader('if-none-match', '*')
        .reply(412, xmlError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'))
        .delete('/bkt/big')
        .query((q) => q.uploadId === 'u7')
        .reply(204);
      const error = await rejection(adapter.write('big', new Uint8Array(6 * 1024 * 1024), { ifNotExists: true }));
      expect(isCkptError(error, 'ALREADY_EXISTS')).toBe(true);
      expect(scope.isDone()).toBe(true);
    });

    it('a part of a streamed upload that fails with a retryable error is sent again (a stream cannot be replayed whole)', async () => {
      const adapter = createS3Adapter('bkt', { ...base, multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024, partConcurrency: 1, expectContinueHeader: false });
      const sizes: number[] = [];
      let parts = '';
      const scope = nock(EP)
        .post('/bkt/s')
        .query((q) => 'uploads' in q)
        .reply(200, '<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><UploadId>u8</UploadId></InitiateMultipartUploadResult>')
        .put('/bkt/s')
        .query((q) => q.uploadId === 'u8' && q.partNumber === '1')
        .reply(200, '', { ETag: '"p1"' })
        .put('/bkt/s')
        .query((q) => q.uploadId === 'u8' && q.partNumber === '2')
        .reply(500, xmlError('InternalError', 'try again'))
        .put('/bkt/s')
        .query((q) => q.uploadId === 'u8' && q.partNumber === '2')
        .reply(function () {
          sizes.push(Number(this.req.headers['content-length']));
          return [200, '', { ETag: '"p2"' }];
        })
        .post('/bkt/s')
        .query((q) => q.uploadId === 'u8')
        .reply(function (_uri, body) {
          parts = String(body);
          return [200, '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><ETag>"s-2"</ETag></CompleteMultipartUploadResult>'];
        });
      async function* body() {
        for (let i = 0; i < 7; i++) yield new Uint8Array(1024 * 1024);
      }
      const meta = await adapter.write('s', body());
      expect(meta).toMatchObject({ key: 's', size: 7 * 1024 * 1024, etag: '"s-2"' });
      expect(sizes).toEqual([2 * 1024 * 1024]); // the rest of the stream after the first 5 MiB part
      expect(parts).toContain('<Part><ETag>&quot;p1&quot;</ETag><PartNumber>1</PartNumber></Part><Part><ETag>&quot;p2&quot;</ETag><PartNumber>2</PartNumber></Part>');
      expect(scope.isDone()).toBe(true);
    });

    it('DeleteObjects: missing keys are ignored, other per-key failures are typed errors', async () => {
      const adapter = createS3Adapter('bkt', base);
      nock(EP)
        .post('/bkt/')
        .query((q) => 'delete' in q)
        .reply(200, '<?xml version="1.0" encoding="UTF-8"?><DeleteResult><Error><Key>gone</Key><Code>NoSuchKey</Code><Message>nope</Message></Error></DeleteResult>')
        .post('/bkt/')
        .query((q) => 'delete' in q)
        .reply(200, '<?xml version="1.0" encoding="UTF-8"?><DeleteResult><Error><Key>locked</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>');
      await adapter.deleteMany!(['gone', 'fine']);
      const error = await rejection(adapter.deleteMany!(['locked', 'fine']));
      expect(isCkptError(error, 'PERMISSION_DENIED')).toBe(true);
      expect((error as { uri: string }).uri).toBe('s3://bkt/locked');
    });

    it('delete of a missing key is NOT_FOUND (HEAD first; S3 itself would answer 204)', async () => {
      const adapter = createS3Adapter('bkt', base);
      const scope = nock(EP).head('/bkt/nope').query(true).reply(404).head('/bkt/yes').query(true).reply(200, '', { 'Content-Length': '1' }).delete('/bkt/yes').query(true).reply(204);
      expect(isCkptError(await rejection(adapter.delete('nope')), 'NOT_FOUND')).toBe(true);
      await adapter.delete('yes');
      expect(scope.isDone()).toBe(true);
    });

    it('a truncated listing without a continuation token fails instead of ending early', async () => {
      const adapter = createS3Adapter('bkt', base);
      nock(EP)
        .get('/bkt/')
        .query(true)
        .reply(200, listXml({ keys: [{ key: 'a' }] }).replace('<IsTruncated>false</IsTruncated>', '<IsTruncated>true</IsTruncated>'));
      expect(isCkptError(await rejection(adapter.list('')), 'UNAVAILABLE')).toBe(true);
    });

    it('a 200 that is not a ListBucketResult (an HTML page from a proxy) is a retryable failure, not an empty last page', async () => {
      const adapter = createS3Adapter('bkt', base);
      nock(EP).get('/bkt/').query(true).reply(200, '<html><body>Sign in to continue</body></html>', { 'Content-Type': 'text/html' });
      const error = await rejection(adapter.list(''));
      expect(isCkptError(error, 'UNAVAILABLE') && error.retryable).toBe(true);
    });

    it('aborts a request in flight through the signal handed to send', async () => {
      const adapter = createS3Adapter('bkt', base);
      nock(EP).get('/bkt/slow').query(true).delay(5_000).reply(200, 'late').head('/bkt/slow').query(true).delay(5_000).reply(200, '', { 'Content-Length': '4' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const t0 = Date.now();
      const error = await rejection(adapter.read('slow', { signal: controller.signal }));
      expect(isCkptError(error, 'ABORTED')).toBe(true);
      expect(Date.now() - t0).toBeLessThan(2_000);
      const timedOut = await rejection(adapter.stat('slow', { signal: AbortSignal.timeout(30) }));
      expect(isCkptError(timedOut, 'TIMEOUT')).toBe(true);
      expect((timedOut as { retryable: boolean }).retryable).toBe(false);
    });

    it('never puts credentials or presigned URLs in messages', async () => {
      const adapter: StorageAdapter = createS3Adapter('bkt', base);
      nock(EP)
        .get('/bkt/leak')
        .query(true)
        .reply(400, xmlError('InvalidArgument', `bad request for https://bkt.s3.amazonaws.com/k?X-Amz-Signature=abcdef0123&amp;X-Amz-Credential=AKIANOCKTEST00000000 secret=${SECRET}`));
      const error = await rejection(adapter.read('leak'));
      expect(isCkptError(error, 'INVALID_PATH')).toBe(true);
      const text = `${(error as Error).message} ${JSON.stringify(error)}`;
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('abcdef0123');
      expect(text).not.toContain('AKIANOCKTEST00000000');
      expect(redact(`x ${SECRET} y`)).toBe('x <redacted> y');
    });
  });
});
