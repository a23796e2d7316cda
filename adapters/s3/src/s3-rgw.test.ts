/**
 * S3-specific behaviour against the real Ceph RGW that test/run.mjs starts: request counts of large
 * listings and batched deletes, multipart uploads, conditional creates, authentication and
 * permission errors, anonymous access. No nock in this file (it would patch node:http for the
 * worker); what a healthy server will not do is in s3-nock.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, PutBucketAclCommand, PutObjectAclCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGFile, createRegistry, isCkptError, type GFile } from '@ckptkit/gfile';
import { createS3Adapter, createS3Client, s3Factory, type S3AdapterOptions } from './index.js';
import { s3Server, serverSuite } from '../../../test/helpers/servers.js';
import { dropS3Bucket } from '../../../test/helpers/buckets.js';

const MiB = 1024 * 1024;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the operation succeeded');
}

async function* chunked(data: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let off = 0;
  let i = 0;
  while (off < data.byteLength) {
    const n = sizes[i++ % sizes.length]!;
    yield data.slice(off, off + n);
    off += n;
  }
}

serverSuite('s3 adapter on Ceph RGW', s3Server(), (server) => {
  const base: S3AdapterOptions = {
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  };
  const bucket = `ckpt-s3-${randomBytes(4).toString('hex')}`;
  const publicBucket = `ckpt-s3-public-${randomBytes(4).toString('hex')}`;
  const gfiles: GFile[] = [];
  const facade = (options: S3AdapterOptions = {}, extra: Parameters<typeof createGFile>[0] = {}) => {
    const g = createGFile({ registry: createRegistry().register('s3', () => s3Factory({ ...base, ...options })), ...extra });
    gfiles.push(g);
    return g;
  };
  let g: GFile;
  let root: string;

  beforeAll(async () => {
    const admin = createS3Client(base);
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    await admin.send(new CreateBucketCommand({ Bucket: publicBucket }));
    await admin.send(new PutBucketAclCommand({ Bucket: publicBucket, ACL: 'public-read' }));
    admin.destroy();
    g = facade();
    root = `s3://${bucket}/t-${randomBytes(4).toString('hex')}`;
  });

  afterAll(async () => {
    for (const b of [bucket, publicBucket]) await dropS3Bucket(b, base);
    await Promise.all(gfiles.map((f) => f.close()));
  });

  describe('request counts', () => {
    it('lists 10,000 keys in 10 ListObjectsV2 requests (plus at most one), and removes them in 10 DeleteObjects', async () => {
      const dir = `${root}/tenk`;
      const filler = facade({}, { concurrency: 64 });
      const names = Array.from({ length: 10_000 }, (_, i) => `k${String(i).padStart(5, '0')}`);
      await Promise.all(names.map((n) => filler.writeText(`${dir}/${n}`, 'x')));

      const counted = facade();
      const before = counted.metrics.snapshot();
      const flat = await collect(counted.list(dir, { recursive: true }));
      const lists = counted.metrics.requests.list - before.requests.list;
      expect(flat.map((f) => f.name)).toEqual(names);
      expect(lists).toBeGreaterThanOrEqual(10);
      expect(lists).toBeLessThanOrEqual(11);
      expect(counted.metrics.requests.head).toBe(0);

      const viaDir = counted.metrics.requests.list;
      expect((await counted.listDir(dir)).length).toBe(10_000);
      expect(counted.metrics.requests.list - viaDir).toBeLessThanOrEqual(11);

      const beforeRemove = counted.metrics.snapshot();
      await counted.removeTree(dir);
      expect(counted.metrics.requests.delete - beforeRemove.requests.delete).toBe(10);
      expect(counted.metrics.requests.list - beforeRemove.requests.list).toBeLessThanOrEqual(11);
      expect(await counted.exists(dir)).toBe(false);
    }, 300_000);

    it('removes keys XML cannot carry (control characters) with single DeleteObject requests, the rest batched', async () => {
      const dir = `${root}/xml-unsafe`;
      const names = ['ctl-\u0001-9.index', 'cr\rlf', 'del\u007f', 'plain-1', 'plain-2', 'tab\tname'];
      const w = facade();
      for (const n of names) await w.writeText(`${dir}/${n}`, 'x');
      expect((await collect(w.list(dir, { recursive: true }))).map((f) => f.name).sort()).toEqual([...names].sort());
      // One DeleteObjects naming U+0001 is a 400 for the whole batch (RGW, as S3): this failed before.
      const before = w.metrics.snapshot();
      await w.removeTree(dir);
      expect(await w.exists(dir)).toBe(false);
      // Each request counted once: 4 unsafe names alone (CR, tab, U+0001, U+007F), the 2 plain ones in one batch.
      expect(w.metrics.requests.delete - before.requests.delete).toBe(5);
    }, 60_000);
  });

  describe('multipart uploads', () => {
    const small = { multipartThreshold: 5 * MiB, partSize: 5 * MiB };

    it('uploads bytes over the threshold in parts and reads them back, also across part boundaries', async () => {
      const mp = facade(small);
      const data = randomBytes(12 * MiB + 7);
      await mp.writeFile(`${root}/mp/bytes.bin`, data);
      const st = await mp.stat(`${root}/mp/bytes.bin`);
      expect(st.size).toBe(data.byteLength);
      expect(st.etag).toMatch(/-3"?$/); // a multipart ETag names its part count
      expect(Buffer.from(await mp.readFile(`${root}/mp/bytes.bin`)).equals(data)).toBe(true);
      const across = await mp.readFile(`${root}/mp/bytes.bin`, { offset: 5 * MiB - 10, length: 20 });
      expect(Buffer.from(across).equals(data.subarray(5 * MiB - 10, 5 * MiB + 10))).toBe(true);
    }, 60_000);

    it('uploads a stream of unknown length in parts, and a short stream in one request', async () => {
      const mp = facade(small);
      const data = randomBytes(11 * MiB + 3);
      const before = mp.metrics.snapshot();
      await mp.writeFile(`${root}/mp/stream.bin`, chunked(data, [1, 65_536, 3 * MiB + 5, 1000]));
      expect(mp.metrics.requests.put - before.requests.put).toBe(1);
      expect((await mp.stat(`${root}/mp/stream.bin`)).etag).toMatch(/-3"?$/);
      expect(Buffer.from(await mp.readFile(`${root}/mp/stream.bin`)).equals(data)).toBe(true);

      const shortData = randomBytes(100_000);
      await mp.writeFile(`${root}/mp/short.bin`, chunked(shortData, [4096]));
      expect((await mp.stat(`${root}/mp/short.bin`)).etag).not.toMatch(/-\d+"?$/);
      expect(Buffer.from(await mp.readFile(`${root}/mp/short.bin`)).equals(shortData)).toBe(true);
    }, 60_000);

    it('refuses a stream whose length differs from the announced size, and leaves nothing behind', async () => {
      const mp = facade(small);
      const data = randomBytes(6 * MiB);
      const error = await rejection(mp.writeFile(`${root}/mp/liar.bin`, chunked(data, [MiB]), { size: 6 * MiB + 1 }));
      expect(isCkptError(error, 'PRECONDITION_FAILED')).toBe(true);
      expect(await mp.exists(`${root}/mp/liar.bin`)).toBe(false);
      const shortError = await rejection(mp.writeFile(`${root}/mp/liar2.bin`, chunked(randomBytes(10), [3]), { size: 11 }));
      expect(isCkptError(shortError, 'PRECONDITION_FAILED')).toBe(true);
      expect(await mp.exists(`${root}/mp/liar2.bin`)).toBe(false);
    }, 60_000);
  });

  describe('conditional create', () => {
    const small = { multipartThreshold: 5 * MiB, partSize: 5 * MiB };

    it('creates a body over the multipart threshold with one conditional PutObject', async () => {
      const c = facade(small);
      const first = randomBytes(6 * MiB);
      await c.writeFile(`${root}/cond/big`, first, { ifNotExists: true });
      const error = await rejection(c.writeFile(`${root}/cond/big`, randomBytes(6 * MiB), { ifNotExists: true }));
      expect(isCkptError(error, 'ALREADY_EXISTS')).toBe(true);
      const st = await c.stat(`${root}/cond/big`);
      expect(st.etag).not.toMatch(/-\d+"?$/);
      expect(Buffer.from(await c.readFile(`${root}/cond/big`)).equals(first)).toBe(true);
    }, 60_000);

    it('refuses a conditional streamed body that needs parts instead of risking a silent replace', async () => {
      const c = facade(small);
      const error = await rejection(c.writeFile(`${root}/cond/stream`, chunked(randomBytes(6 * MiB), [MiB]), { ifNotExists: true }));
      expect(isCkptError(error, 'NOT_SUPPORTED')).toBe(true);
      expect(await c.exists(`${root}/cond/stream`)).toBe(false);
      await c.writeFile(`${root}/cond/stream-small`, chunked(randomBytes(1000), [100]), { ifNotExists: true });
      expect(isCkptError(await rejection(c.writeFile(`${root}/cond/stream-small`, chunked(randomBytes(10), [5]), { ifNotExists: true })), 'ALREADY_EXISTS')).toBe(true);
    }, 60_000);

    it('RGW ignores If-None-Match on CompleteMultipartUpload (why conditionalMultipartWrites is off for custom endpoints)', async () => {
      // If this starts failing, the server began honouring it: the default can be reconsidered.
      const trusting = facade({ ...small, conditionalMultipartWrites: true });
      await trusting.writeFile(`${root}/cond/mpu`, chunked(randomBytes(6 * MiB), [MiB]), { ifNotExists: true });
      const second = randomBytes(6 * MiB);
      await trusting.writeFile(`${root}/cond/mpu`, chunked(second, [MiB]), { ifNotExists: true });
      expect(Buffer.from(await trusting.readFile(`${root}/cond/mpu`)).equals(second)).toBe(true);
    }, 60_000);
  });

  describe('ranges', () => {
    it('reads empty objects and offsets at or past the end as empty', async () => {
      await g.writeFile(`${root}/r/empty`, new Uint8Array(0));
      expect((await g.readFile(`${root}/r/empty`)).byteLength).toBe(0);
      expect((await g.readFile(`${root}/r/empty`, { offset: 0, length: 5 })).byteLength).toBe(0);
      expect(await collect(g.readStream(`${root}/r/empty`, { offset: 3 }))).toEqual([]);
      await g.writeText(`${root}/r/ten`, '0123456789');
      expect(await g.readText(`${root}/r/ten`, { offset: 10 })).toBe('');
      expect(await g.readText(`${root}/r/ten`, { offset: 99, length: 1 })).toBe('');
      expect(Buffer.concat(await collect(g.readStream(`${root}/r/ten`, { offset: 4, length: 3 }))).toString()).toBe('456');
    });
  });

  describe('direct GETs and the SDK', () => {
    // The adapter's own GET client (decision 0009) replaces the SDK's node:http handler for GetObject
    // only; the SDK still signs and deserializes. The SDK is a caret range (decision 0014): after any
    // upgrade both paths must still give the same bytes, metadata and errors from the same server.
    it('give the same bytes, ranges, empty reads and typed errors', async () => {
      const direct = facade({ directGets: true });
      const sdk = facade({ directGets: false });
      const big = randomBytes(3 * MiB + 17);
      await g.writeFile(`${root}/dg/big`, big);
      await g.writeFile(`${root}/dg/empty`, new Uint8Array(0));
      await g.writeText(`${root}/dg/ten`, '0123456789');
      const reads: Array<[string, { offset: number; length?: number } | undefined]> = [
        ['big', undefined],
        ['big', { offset: MiB - 1, length: MiB + 2 }],
        ['big', { offset: 3 * MiB }],
        ['ten', { offset: 9, length: 5 }],
        ['ten', { offset: 10 }],
        ['empty', undefined],
      ];
      for (const [name, range] of reads) {
        const uri = `${root}/dg/${name}`;
        const a = Buffer.from(await direct.readFile(uri, range));
        const b = Buffer.from(await sdk.readFile(uri, range));
        expect(a.equals(b), `${name} ${JSON.stringify(range)}`).toBe(true);
        expect(Buffer.concat(await collect(direct.readStream(uri, range))).equals(b)).toBe(true);
      }
      expect(Buffer.from(await direct.readFile(`${root}/dg/big`)).equals(big)).toBe(true);
      const missing = `${root}/dg/missing`;
      const [ea, eb] = [await rejection(direct.readFile(missing)), await rejection(sdk.readFile(missing))];
      if (!isCkptError(ea) || !isCkptError(eb)) throw new Error(`untyped errors: ${String(ea)} / ${String(eb)}`);
      expect([ea.code, ea.retryable, ea.uri]).toEqual([eb.code, eb.retryable, eb.uri]);
      expect(ea.code).toBe('NOT_FOUND');
    }, 60_000);
  });

  describe('errors from a real server', () => {
    it('a wrong secret key is UNAUTHENTICATED, not retried, and the secret is not in the message', async () => {
      const secret = 'wrong-secret-0123456789abcdef';
      let retries = 0;
      const bad = facade({ credentials: { accessKeyId: server.accessKeyId, secretAccessKey: secret } }, { retry: { onRetry: () => retries++, baseDelayMs: 1 } });
      const error = await rejection(bad.listDir(`s3://${bucket}/`));
      expect(isCkptError(error, 'UNAUTHENTICATED')).toBe(true);
      expect(retries).toBe(0);
      expect(JSON.stringify((error as Error).message)).not.toContain(secret);
      const unknownKey = facade({ credentials: { accessKeyId: 'NOSUCHKEY000000000', secretAccessKey: secret } });
      expect(isCkptError(await rejection(unknownKey.stat(`s3://${bucket}/x`)), 'UNAUTHENTICATED', 'PERMISSION_DENIED')).toBe(true);
      expect(isCkptError(await rejection(unknownKey.listDir(`s3://${bucket}/`)), 'UNAUTHENTICATED')).toBe(true);
    });

    it('a missing bucket is NOT_FOUND', async () => {
      const error = await rejection(g.listDir(`s3://no-such-bucket-${randomBytes(4).toString('hex')}/x`));
      expect(isCkptError(error, 'NOT_FOUND')).toBe(true);
      expect((error as Error).message).toMatch(/bucket/i);
    });

    it('anonymous requests: PERMISSION_DENIED on a private bucket (once), allowed on a public-read one', async () => {
      await g.writeText(`s3://${publicBucket}/open/hello.txt`, 'hello');
      await g.writeText(`s3://${publicBucket}/open/private.txt`, 'secret');
      // S3 ACLs are per object: the bucket's public-read lets anyone list, each object its own read.
      const admin = createS3Client(base);
      await admin.send(new PutObjectAclCommand({ Bucket: publicBucket, Key: 'open/hello.txt', ACL: 'public-read' }));
      admin.destroy();
      let retries = 0;
      const anon = facade({ anonymous: true, credentials: undefined }, { retry: { onRetry: () => retries++, baseDelayMs: 1 } });
      expect(isCkptError(await rejection(anon.listDir(`s3://${bucket}/`)), 'PERMISSION_DENIED')).toBe(true);
      expect(isCkptError(await rejection(anon.writeText(`s3://${publicBucket}/open/nope`, 'x')), 'PERMISSION_DENIED')).toBe(true);
      expect(retries).toBe(0);
      expect((await anon.listDir(`s3://${publicBucket}/open`)).map((f) => f.name)).toEqual(['hello.txt', 'private.txt']);
      expect(await anon.readText(`s3://${publicBucket}/open/hello.txt`)).toBe('hello');
      expect(isCkptError(await rejection(anon.readText(`s3://${publicBucket}/open/private.txt`)), 'PERMISSION_DENIED')).toBe(true);
      expect(retries).toBe(0);
    });

    it('a closed port is UNAVAILABLE and retryable', async () => {
      const adapter = createS3Adapter(bucket, { ...base, endpoint: 'http://127.0.0.1:9' });
      const error = await rejection(adapter.stat('x'));
      expect(isCkptError(error, 'UNAVAILABLE')).toBe(true);
      expect((error as { retryable: boolean }).retryable).toBe(true);
      await adapter.close?.();
    });

    it('aborting a stream mid-body fails with ABORTED', async () => {
      await g.writeFile(`${root}/abort/big`, randomBytes(8 * MiB));
      const controller = new AbortController();
      const error = await rejection(
        (async () => {
          for await (const _chunk of g.readStream(`${root}/abort/big`, { signal: controller.signal })) controller.abort();
        })(),
      );
      expect(isCkptError(error, 'ABORTED')).toBe(true);
    });
  });
});
