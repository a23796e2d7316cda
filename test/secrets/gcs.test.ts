/**
 * No OAuth token, private key or resumable-upload session URL in any error, retry log line or
 * `--verbose` output, for GCS (the storage emulator behind the fault proxy). The emulator ignores
 * credentials, so a client that sends a recognisable bearer token to it (as to an authenticating
 * proxy) stands in for real GCS; the fault proxy plays a server that echoes the token back.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCheckpoint, findCheckpoints, inspectCheckpoint, resolveLatestCheckpoint, verifyBundle, writeBundle } from '@ckptkit/core';
import { gcsFactory, type GcsAdapterOptions } from '@ckptkit/gcs';
import type * as GcsSdk from '@google-cloud/storage';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { REPO, runCli } from '../helpers/cli.js';
import { gcsServer, serverSuite } from '../helpers/servers.js';
import { startProxy, type FaultRule, type RunningProxy } from '../proxy/proxy.js';
import { FAKE, leaksIn, renderings } from './leaks.js';

interface TokenClient {
  setCredentials(c: { access_token: string; expiry_date: number; token_type: string }): void;
}

// The SDK and google-auth-library as the GCS adapter loads them (test/ does not depend on them).
const fromGcs = createRequire(path.join(REPO, 'adapters', 'gcs', 'package.json'));
const sdkEntry = fromGcs.resolve('@google-cloud/storage');
const { Storage } = fromGcs(sdkEntry) as typeof GcsSdk;

/** google-auth-library's OAuth2Client, from the copy the storage SDK uses (so its instanceof checks hold). */
function oauthClient(token: string): TokenClient {
  const auth = createRequire(sdkEntry)('google-auth-library') as { OAuth2Client: new () => TokenClient };
  const client = new auth.OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000, token_type: 'Bearer' });
  return client;
}

serverSuite('secrets: gcs (storage emulator)', gcsServer(), (server) => {
  const bucket = `ckpt-secrets-${randomBytes(4).toString('hex')}`;
  const root = `gs://${bucket}/run`;
  const direct: GcsAdapterOptions = { apiEndpoint: server.endpoint, projectId: server.projectId, env: {} };
  let proxy: RunningProxy;
  let seed: GFile;
  let tmp: string;
  const secrets = { 'OAuth token': FAKE.oauthToken, 'opaque token': FAKE.opaqueToken, 'private key': FAKE.privateKeyBody };

  beforeAll(async () => {
    seed = createGFile({ registry: createRegistry().register('gs', () => gcsFactory(direct)) });
    await writeBundle(seed, `${root}/ckpt-3`, [{ key: 'w', dtype: 'DT_FLOAT', shape: [4], data: randomBytes(16) }]);
    await seed.writeText(`${root}/checkpoint`, 'model_checkpoint_path: "ckpt-3"\n');
    proxy = await startProxy({ target: server.endpoint });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-secrets-gcs-'));
  });

  afterAll(async () => {
    await seed?.removeTree(`gs://${bucket}/`).catch(() => undefined);
    await seed?.close();
    await proxy?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  async function everything(token: string): Promise<string[]> {
    const texts: string[] = [];
    const storage = new Storage({
      apiEndpoint: proxy.url,
      projectId: server.projectId,
      useAuthWithCustomEndpoint: true,
      authClient: oauthClient(token) as unknown as NonNullable<ConstructorParameters<typeof Storage>[0]>['authClient'],
      retryOptions: { autoRetry: false, maxRetries: 0 },
      timeout: 800,
    });
    const options: GcsAdapterOptions = { ...direct, apiEndpoint: proxy.url, storage, timeoutMs: 800, resumableThreshold: 1024 };
    const g = createGFile({
      registry: createRegistry()
        .register('gs', () => gcsFactory(options))
        .register('file', () => localFactory()),
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, onRetry: (i) => texts.push(`retry ${i.operation} ${i.uri} (attempt ${i.attempt}): ${String(i.error)}`, ...renderings(i.error)) },
    });
    const ops: Array<() => Promise<unknown>> = [
      () => g.stat(`${root}/checkpoint`),
      () => g.readFile(`${root}/checkpoint`),
      () => g.listDir(root),
      () => g.glob(`${root}/ckpt-*`),
      () => g.writeText(`${root}/new.txt`, 'x'),
      // Over the resumable threshold: a session URL (with its upload_id) is made.
      () => g.writeFile(`${root}/big.bin`, randomBytes(64 * 1024)),
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

  const echo = (status: number): FaultRule => ({
    times: Infinity,
    action: {
      kind: 'status',
      status,
      body: (i) => JSON.stringify({ error: { code: status, message: `denied ${i.method} ${i.url} with ${String(i.headers.authorization)}`, errors: [{ reason: 'required', message: `token ${String(i.headers.authorization)}` }] } }),
    },
  });
  const faults: Array<[string, FaultRule[]]> = [
    ['no fault', []],
    ['503 on everything', [{ times: Infinity, action: { kind: 'status', status: 503 } }]],
    ['resets', [{ times: Infinity, action: { kind: 'reset' } }]],
    // Each cut GCS JSON answer costs the client its timeout: a dozen of them cover every kind of request.
    ['bodies cut', [{ times: 12, action: { kind: 'cut', afterBytes: 3 } }]],
    ['resumable uploads refused after the session was made', [{ match: { method: 'PUT', url: /upload_id=/ }, times: Infinity, action: { kind: 'status', status: 503 } }]],
    ['a server echoing the token in 401 errors', [echo(401)]],
    ['a server echoing the token in 500 errors', [echo(500)]],
  ];

  describe('in-process: errors with their causes, and retry log lines', () => {
    for (const [what, rules] of faults) {
      for (const [kind, token] of [['a Google OAuth token', FAKE.oauthToken], ['an opaque bearer token', FAKE.opaqueToken]] as const) {
        it(`${kind}, ${what}`, async () => {
          proxy.schedule.set(rules);
          const texts = await everything(token);
          if (rules.length > 0) expect(texts.length).toBeGreaterThan(0);
          expect(leaksIn(texts, secrets)).toEqual([]);
        }, 60_000);
      }
    }
  });

  describe('the ckpt command line with --verbose', () => {
    it('a service-account key file that does not work: the private key is in no output', async () => {
      const keyFile = path.join(tmp, 'key.json');
      await fs.writeFile(
        keyFile,
        JSON.stringify({
          type: 'service_account',
          project_id: 'p',
          private_key_id: 'k1',
          private_key: `-----BEGIN PRIVATE KEY-----\n${FAKE.privateKeyBody}\n-----END PRIVATE KEY-----\n`,
          client_email: 'leak-test@p.iam.gserviceaccount.com',
          token_uri: 'https://oauth2.googleapis.com/token',
        }),
      );
      const out: string[] = [];
      for (const args of [['ls', `gs://${bucket}/run`], ['stat', `gs://${bucket}/run/checkpoint`, '--json'], ['latest', `gs://${bucket}/run`], ['find', `gs://${bucket}/run`, '--json']]) {
        const r = await runCli([...args, '--verbose'], { env: { GOOGLE_APPLICATION_CREDENTIALS: keyFile, STORAGE_EMULATOR_HOST: '' } });
        expect(r.code, r.stderr).not.toBe(0);
        out.push(r.stdout, r.stderr);
      }
      expect(leaksIn(out, secrets)).toEqual([]);
    }, 60_000);

    it('uploads refused after their session was made: no upload_id in the output', async () => {
      proxy.schedule.set([{ match: { method: 'PUT', url: /upload_id=/ }, times: Infinity, action: { kind: 'status', status: 503 } }]);
      const local = path.join(tmp, 'upload-src');
      // A shard over the 8 MiB resumable threshold.
      const localFs = createGFile({ registry: createRegistry().register('file', () => localFactory()) });
      await writeBundle(localFs, `${local}/ckpt-1`, [{ key: 'w', dtype: 'DT_FLOAT', shape: [9 * 256 * 1024], data: randomBytes(9 * 1024 * 1024) }]);
      const r = await runCli(['cp', `${local}/ckpt-1`, `gs://${bucket}/uploads`, '--verbose', '--gcs-endpoint', proxy.url], { env: { STORAGE_EMULATOR_HOST: '' } });
      expect(r.code).not.toBe(0);
      expect(proxy.stats.requests.some((q) => /upload_id=/.test(q.url))).toBe(true);
      expect(leaksIn([r.stdout, r.stderr], secrets)).toEqual([]);
    }, 60_000);
  });
});
