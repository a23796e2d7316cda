/**
 * The storage conformance suite against Azurite, the official Azure Storage emulator (blob service
 * only, in memory), which test/run.mjs starts (test/servers/azurite.sh). One new container per
 * run, deleted afterwards. No nock here: nock patches node:http for the whole worker (the HTTP
 * fault tests are in adapters/azure/src/*.nock.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { azureFactory, createAzureAdapter, createServiceClient, deleteAzureContainer, ensureAzureContainer, resolveAzureOptions, type AzureAdapterOptions } from '@ckptkit/azure';
import { azureServer, serverSuite } from '../helpers/servers.js';
import { defineConformanceSuite } from './suite.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

serverSuite('storage conformance: azure (Azurite)', azureServer(), (server) => {
  const options: AzureAdapterOptions = { connectionString: server.connectionString, env: {} };
  const container = `ckpt-conf-${randomBytes(5).toString('hex')}`;
  const facade = (extra: AzureAdapterOptions = {}, pageSize?: number): GFile =>
    createGFile({ registry: createRegistry().register('az', () => azureFactory({ ...options, ...extra })), ...(pageSize ? { pageSize } : {}) });

  defineConformanceSuite({
    name: `azure (Azurite ${server.endpoint})`,
    async setup() {
      await ensureAzureContainer(container, options);
      const gfile = facade();
      const smallPages = facade({}, 3);
      const root = `az://${container}/run-${randomBytes(6).toString('hex')}`;
      return {
        gfile,
        smallPages,
        root,
        cleanup: async () => {
          await deleteAzureContainer(container, options);
          await gfile.close();
          await smallPages.close();
        },
      };
    },
  });

  describe('the adapter on Azurite', () => {
    const box = `ckpt-az-${randomBytes(5).toString('hex')}`;
    const root = `az://${box}/t`;
    const g = facade({ singleUploadThreshold: 256 * 1024, blockSize: 256 * 1024 });

    it('setup', async () => {
      expect(await ensureAzureContainer(box, options)).toBe('created');
      expect(await ensureAzureContainer(box, options)).toBe('exists');
    });

    it('a body over the threshold and a stream of unknown size go up as blocks and read back whole, with an MD5', async () => {
      const big = randomBytes(3 * 1024 * 1024 + 17);
      await g.writeFile(`${root}/big.bin`, big);
      expect(Buffer.from(await g.readFile(`${root}/big.bin`)).equals(big)).toBe(true);
      async function* body() {
        for (let i = 0; i < big.length; i += 100_000) yield big.subarray(i, i + 100_000);
      }
      await g.writeFile(`${root}/streamed.bin`, body());
      const st = await g.stat(`${root}/streamed.bin`);
      expect(st.size).toBe(big.length);
      expect(st.md5).toBe(
        (await import('node:crypto')).createHash('md5').update(big).digest('base64'),
      );
      expect(Buffer.concat(await collect(g.readStream(`${root}/streamed.bin`))).equals(big)).toBe(true);
      expect(Buffer.from(await g.readFile(`${root}/streamed.bin`, { offset: 1_000_000, length: 300_000 })).equals(big.subarray(1_000_000, 1_300_000))).toBe(true);
    }, 60_000);

    it('a block upload aborted half way leaves nothing visible', async () => {
      const ac = new AbortController();
      let n = 0;
      async function* body() {
        for (;;) {
          if (++n === 6) ac.abort();
          yield randomBytes(200_000);
        }
      }
      await expect(g.writeFile(`${root}/aborted.bin`, body(), { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
      expect(await g.exists(`${root}/aborted.bin`)).toBe(false);
      expect((await g.listDir(root)).map((f) => f.name)).not.toContain('aborted.bin');
    }, 60_000);

    it('a stream that ends short of its declared size stores nothing', async () => {
      async function* body() {
        yield randomBytes(600_000);
      }
      await expect(g.writeFile(`${root}/short.bin`, body(), { size: 700_000 })).rejects.toMatchObject({ code: 'CORRUPT' });
      expect(await g.exists(`${root}/short.bin`)).toBe(false);
    });

    it('conditional writes: If-None-Match * and If-Match with the etag, also for block uploads', async () => {
      await g.writeText(`${root}/cond/state`, 'one', { ifNotExists: true });
      await expect(g.writeText(`${root}/cond/state`, 'two', { ifNotExists: true })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      const big = randomBytes(600_000);
      await expect(g.writeFile(`${root}/cond/state`, big, { ifNotExists: true })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      const st = await g.stat(`${root}/cond/state`);
      expect(await g.readText(`${root}/cond/state`)).toBe('one');
      const a = createAzureAdapter(box, await createServiceClient(resolveAzureOptions(options)), resolveAzureOptions(options));
      await a.write('t/cond/state', new TextEncoder().encode('three'), { ifMatch: st.etag! });
      await expect(a.write('t/cond/state', new TextEncoder().encode('four'), { ifMatch: st.etag! })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
      await expect(a.write('t/cond/gone', new TextEncoder().encode('x'), { ifMatch: st.etag! })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
      expect(await g.readText(`${root}/cond/state`)).toBe('three');
    });

    it('a server-side copy is one copy request', async () => {
      const c = facade();
      await c.writeText(`${root}/copy/src`, 'payload');
      await c.copy(`${root}/copy/src`, `${root}/copy/dst`);
      expect(await c.readText(`${root}/copy/dst`)).toBe('payload');
      expect(c.metrics.requests.copy).toBe(1);
      await expect(c.copy(`${root}/copy/missing`, `${root}/copy/dst2`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    // 5,000 a page by default (e2e/azure-cli.test.ts lists 5,003 blobs in 2 requests); here a
    // smaller page keeps Azurite's load down (it slows down badly after tens of thousands of blobs).
    it('listings follow the continuation token page by page: 450 blobs at 200 a page in 3 list requests', async () => {
      const names = Array.from({ length: 450 }, (_, i) => `k${String(i).padStart(5, '0')}`);
      const w = facade();
      const base = `${root}/many`;
      await Promise.all(names.map((n) => w.writeText(`${base}/${n}`, '')));
      const l = facade({ maxPageSize: 200 });
      const listed = await collect(l.list(base, { recursive: true }));
      expect(listed.map((f) => f.name)).toEqual(names);
      expect(l.metrics.requests.list).toBe(3);
    }, 120_000);

    it('startfrom (Azurite >= 3.37) with the startFrom option: exact, the capability stays on', async () => {
      await Promise.all(['a', 'b', 'c', 'd'].map((n) => g.writeText(`${root}/so/${n}`, n)));
      const cfg = resolveAzureOptions({ ...options, startFrom: true });
      const a = createAzureAdapter(box, await createServiceClient(cfg), cfg);
      const page = await a.list('t/so/', { startAfter: 't/so/b' });
      expect(page.entries.map((e) => e.key)).toEqual(['t/so/c', 't/so/d']);
      expect(a.capabilities.startAfter).toBe(true);
    });

    it('a missing container is NOT_FOUND; a bad container name INVALID_PATH', async () => {
      const m = facade();
      await expect(m.stat(`az://no-such-${randomBytes(3).toString('hex')}/x`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(m.stat('az://Bad_Name/x')).rejects.toMatchObject({ code: 'INVALID_PATH' });
    });

    // Azure answers a wrong key with 403 AuthenticationFailed (UNAUTHENTICATED; nock test
    // "expired SAS"); Azurite 3.37 answers 403 AuthorizationFailure, which maps to PERMISSION_DENIED.
    it('a wrong account key is refused (Azurite: 403 AuthorizationFailure) and the key is in no message', async () => {
      const wrong = Buffer.from(`wrong-key-${randomBytes(16).toString('hex')}`).toString('base64');
      const m = facade({ connectionString: server.connectionString.replace(server.accountKey, wrong) });
      const err = await m.stat(`${root}/cond/state`).catch((e: unknown) => e as Error);
      expect(err).toMatchObject({ code: 'PERMISSION_DENIED', retryable: false });
      expect(String((err as Error).message)).toContain('AuthorizationFailure');
      expect(String((err as Error).message)).not.toContain(wrong);
    });

    it('abfs:// URLs reach the same blobs through an explicit endpoint', async () => {
      const { abfsFactory } = await import('@ckptkit/azure');
      const a = createGFile({ registry: createRegistry().register('abfss', () => abfsFactory('abfss', options)) });
      const url = `abfss://${box}@${server.account}.dfs.core.windows.net/t/cond/state`;
      expect(await a.readText(url)).toBe('three');
      const listed = await a.listDir(`abfss://${box}@${server.account}.dfs.core.windows.net/t/cond`);
      expect(listed.map((f) => f.uri)).toContain(url);
    });

    it('cleanup', async () => {
      await deleteAzureContainer(box, options);
      await g.close();
    });
  });
});
