/**
 * No account key, SAS signature, Shared Key signature or bearer token in any error, retry log line
 * or `--verbose` output, for Azure Blob (Azurite behind the fault proxy): with a fake key and a fake
 * SAS the server refuses, with the real (well-known) development key and every kind of fault, and
 * with a server that echoes the request's URL and Authorization header back in its error message.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCheckpoint, findCheckpoints, inspectCheckpoint, resolveLatestCheckpoint, verifyBundle, writeBundle } from '@ckptkit/core';
import { azureFactory, deleteAzureContainer, ensureAzureContainer, type AzureAdapterOptions } from '@ckptkit/azure';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { runCli } from '../helpers/cli.js';
import { azureServer, serverSuite } from '../helpers/servers.js';
import { cliEnv } from '../helpers/stores.js';
import { startProxy, type FaultRule, type RunningProxy } from '../proxy/proxy.js';
import { FAKE, leaksIn, renderings } from './leaks.js';

serverSuite('secrets: azure (Azurite)', azureServer(), (server) => {
  const container = `ckpt-secrets-${randomBytes(4).toString('hex')}`;
  const root = `az://${container}/run`;
  const direct: AzureAdapterOptions = { connectionString: server.connectionString, env: {} };
  const fakeSas = `sv=2026-06-06&ss=b&srt=sco&sp=rwdl&se=2030-01-01T00:00:00Z&spr=https,http&sig=${FAKE.azureSasSig}`;
  let proxy: RunningProxy;
  let seed: GFile;
  let tmp: string;
  /** The proxy in place of Azurite: the account is the endpoint's first path segment. */
  const viaProxy = () => `${proxy.url}/${server.account}`;
  const secrets = {
    'fake account key': FAKE.azureAccountKey,
    'fake SAS signature': FAKE.azureSasSig,
    'fake SAS signature, decoded': decodeURIComponent(FAKE.azureSasSig),
    'test account key': server.accountKey,
  };

  beforeAll(async () => {
    await ensureAzureContainer(container, direct);
    seed = createGFile({ registry: createRegistry().register('az', () => azureFactory(direct)) });
    await writeBundle(seed, `${root}/ckpt-3`, [{ key: 'w', dtype: 'DT_FLOAT', shape: [4], data: randomBytes(16) }]);
    await seed.writeText(`${root}/checkpoint`, 'model_checkpoint_path: "ckpt-3"\n');
    proxy = await startProxy({ target: server.endpoint.replace(/\/[^/]+$/, '') });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-secrets-az-'));
  });

  afterAll(async () => {
    await deleteAzureContainer(container, direct).catch(() => undefined);
    await seed?.close();
    await proxy?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  /** Runs every operation once through the proxy with `auth`, collecting errors and retry lines. */
  async function everything(auth: AzureAdapterOptions): Promise<string[]> {
    const texts: string[] = [];
    const options: AzureAdapterOptions = { endpoint: viaProxy(), env: {}, timeoutMs: 800, singleUploadThreshold: 1024, blockSize: 1024, ...auth };
    const g = createGFile({
      registry: createRegistry()
        .register('az', () => azureFactory(options))
        .register('file', () => localFactory()),
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, onRetry: (i) => texts.push(`retry ${i.operation} ${i.uri} (attempt ${i.attempt}): ${String(i.error)}`, ...renderings(i.error)) },
    });
    const ops: Array<() => Promise<unknown>> = [
      () => g.stat(`${root}/checkpoint`),
      () => g.readFile(`${root}/checkpoint`),
      () => g.listDir(root),
      () => g.glob(`${root}/ckpt-*`),
      () => g.writeText(`${root}/new.txt`, 'x'),
      // Over the single-upload threshold: staged blocks and a commit.
      () => g.writeFile(`${root}/big.bin`, randomBytes(4096)),
      () => g.copy(`${root}/checkpoint`, `${root}/copied`),
      () => g.remove(`${root}/new.txt`),
      () => g.copy(`${root}/checkpoint`, path.join(tmp, `c-${randomBytes(3).toString('hex')}`)),
      () => resolveLatestCheckpoint(root, { gfile: g }),
      () => findCheckpoints(root, { gfile: g }),
      () => verifyBundle(g, `${root}/ckpt-3`, { deep: true }),
      () => inspectCheckpoint(g, `${root}/ckpt-3`),
      () => copyCheckpoint(`${root}/ckpt-3`, path.join(tmp, `cp-${randomBytes(3).toString('hex')}`), { gfile: g }),
    ];
    for (const op of ops) {
      try {
        await op();
      } catch (error) {
        texts.push(...renderings(error));
      }
    }
    await g.close();
    return texts;
  }

  /** A server that quotes the request's URL (with any SAS) and Authorization header in its XML error. */
  const echo = (status: number, code: string): FaultRule => ({
    times: Infinity,
    action: {
      kind: 'status',
      status,
      headers: { 'content-type': 'application/xml', 'x-ms-error-code': code },
      body: (i) =>
        `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>denied ${i.method} ${i.url.replace(/&/g, '&amp;')} with ${String(i.headers.authorization)}</Message></Error>`,
    },
  });
  const faults: Array<[string, FaultRule[]]> = [
    ['no fault', []],
    ['503 ServerBusy on everything', [{ times: Infinity, action: { kind: 'status', status: 503, headers: { 'x-ms-error-code': 'ServerBusy' } } }]],
    ['resets', [{ times: Infinity, action: { kind: 'reset' } }]],
    ['bodies cut', [{ times: 12, action: { kind: 'cut', afterBytes: 3 } }]],
    ['a server echoing the request in 403 AuthenticationFailed', [echo(403, 'AuthenticationFailed')]],
    ['a server echoing the request in 500 InternalError', [echo(500, 'InternalError')]],
  ];
  const auths: Array<[string, AzureAdapterOptions]> = [
    ['the development account key', { account: server.account, accountKey: server.accountKey }],
    ['a fake account key', { account: server.account, accountKey: FAKE.azureAccountKey }],
    ['a fake SAS token', { sasToken: fakeSas }],
  ];

  describe('in-process: errors with their causes, and retry log lines', () => {
    for (const [what, rules] of faults) {
      for (const [kind, auth] of auths) {
        it(`${kind}, ${what}`, async () => {
          proxy.schedule.set(rules);
          const texts = await everything(auth);
          if (rules.length > 0 || kind !== 'the development account key') expect(texts.length).toBeGreaterThan(0);
          expect(leaksIn(texts, secrets)).toEqual([]);
        }, 60_000);
      }
    }
  });

  describe('the ckpt command line with --verbose', () => {
    const commands = (c: string) => [
      ['ls', `az://${c}/run`],
      ['stat', `az://${c}/run/checkpoint`, '--json'],
      ['latest', `az://${c}/run`],
      ['find', `az://${c}/run`, '--json'],
      ['cp', `az://${c}/run/ckpt-3`, path.join(tmp, 'cli-cp')],
    ];

    it('a fake SAS token, and a fake key in a connection string: neither is in any output', async () => {
      proxy.schedule.set([]);
      const out: string[] = [];
      const envs: NodeJS.ProcessEnv[] = [
        { AZURE_STORAGE_CONNECTION_STRING: '', AZURE_STORAGE_ACCOUNT: server.account, AZURE_STORAGE_SAS_TOKEN: `?${fakeSas}` },
        { AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=${server.account};AccountKey=${FAKE.azureAccountKey};BlobEndpoint=${viaProxy()};` },
      ];
      for (const extra of envs) {
        for (const args of commands(container)) {
          const r = await runCli([...args, '--verbose', '--azure-endpoint', viaProxy()], { env: { ...cliEnv(tmp), ...extra } });
          expect(r.code, r.stderr).not.toBe(0);
          out.push(r.stdout, r.stderr);
        }
      }
      expect(leaksIn(out, secrets)).toEqual([]);
    }, 120_000);

    it('a server echoing the request in its errors: no key, SAS or signature in the output', async () => {
      proxy.schedule.set([echo(403, 'AuthenticationFailed')]);
      const out: string[] = [];
      for (const args of commands(container)) {
        const r = await runCli([...args, '--verbose', '--json'], { env: cliEnv(tmp, undefined, { ...server, connectionString: server.connectionString.replace(server.endpoint, viaProxy()) }) });
        expect(r.code).toBe(4);
        expect(r.stderr).toContain('UNAUTHENTICATED');
        out.push(r.stdout, r.stderr);
      }
      expect(proxy.stats.requests.some((q) => /authorization/i.test(JSON.stringify(q)) || q.url.includes('comp=list'))).toBe(true);
      expect(leaksIn(out, secrets)).toEqual([]);
    }, 120_000);
  });
});
