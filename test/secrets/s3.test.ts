/**
 * No access key id, secret key, session token or request signature in any error, retry log line
 * or `--verbose` output, for S3 (Ceph RGW behind the fault proxy): with fake credentials the
 * server refuses, with the real test credentials and every kind of fault, and with a server that
 * echoes the request's Authorization header back in its error message.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCheckpoint, findCheckpoints, inspectCheckpoint, resolveLatestCheckpoint, verifyBundle, writeBundle } from '@ckptkit/core';
import { createGFile, createRegistry, type GFile } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { createBucket, s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import { runCli } from '../helpers/cli.js';
import { s3Server, serverSuite } from '../helpers/servers.js';
import { startProxy, type FaultRule, type RunningProxy } from '../proxy/proxy.js';
import { FAKE, leaksIn, renderings } from './leaks.js';
import { dropS3Bucket } from '../helpers/buckets.js';

serverSuite('secrets: s3 (Ceph RGW)', s3Server(), (server) => {
  const bucket = `ckpt-secrets-${randomBytes(4).toString('hex')}`;
  const real = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
  const direct: S3AdapterOptions = { endpoint: server.endpoint, region: server.region, credentials: real };
  let proxy: RunningProxy;
  let seed: GFile;
  let tmp: string;
  const root = `s3://${bucket}/run`;
  const secrets = {
    'fake access key id': FAKE.accessKeyId,
    'fake secret key': FAKE.secretAccessKey,
    'fake session token': FAKE.sessionToken,
    'test access key id': server.accessKeyId,
    'test secret key': server.secretAccessKey,
  };

  beforeAll(async () => {
    await createBucket(bucket, direct);
    seed = createGFile({ registry: createRegistry().register('s3', () => s3Factory(direct)) });
    await writeBundle(seed, `${root}/ckpt-3`, [{ key: 'w', dtype: 'DT_FLOAT', shape: [4], data: randomBytes(16) }]);
    await seed.writeText(`${root}/checkpoint`, 'model_checkpoint_path: "ckpt-3"\n');
    proxy = await startProxy({ target: server.endpoint });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-secrets-'));
  });

  afterAll(async () => {
    await dropS3Bucket(bucket, direct);
    await seed?.close();
    await proxy?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  /** Runs every operation once through the proxy with `credentials`, collecting errors and retry lines. */
  async function everything(credentials: S3AdapterOptions['credentials']): Promise<string[]> {
    const texts: string[] = [];
    const options: S3AdapterOptions = { endpoint: proxy.url, region: server.region, credentials, requestTimeoutMs: 800, idleTimeoutMs: 800 };
    const g = createGFile({
      registry: createRegistry()
        .register('s3', () => s3Factory(options))
        .register('file', () => localFactory()),
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, onRetry: (i) => texts.push(`retry ${i.operation} ${i.uri} (attempt ${i.attempt}): ${String(i.error)}`, ...renderings(i.error)) },
    });
    const ops: Array<() => Promise<unknown>> = [
      () => g.stat(`${root}/checkpoint`),
      () => g.readFile(`${root}/checkpoint`),
      () => g.listDir(root),
      () => g.glob(`${root}/ckpt-*`),
      () => g.writeText(`${root}/new.txt`, 'x'),
      () => g.writeFile(`${root}/streamed.bin`, (async function* () {
        yield new Uint8Array(10);
      })(), { size: 10 }),
      () => g.remove(`${root}/checkpoint`),
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

  const faults: Array<[string, FaultRule[]]> = [
    ['no fault', []],
    ['503 on everything', [{ times: Infinity, action: { kind: 'status', status: 503 } }]],
    ['resets', [{ times: Infinity, action: { kind: 'reset' } }]],
    ['bodies cut', [{ times: Infinity, action: { kind: 'cut', afterBytes: 5 } }]],
    ['stalls past the timeout', [{ match: { method: 'GET' }, times: 3, action: { kind: 'stall', ms: 1500 } }]],
    [
      'a server that echoes the Authorization header and the URL in its errors',
      [
        {
          times: Infinity,
          action: {
            kind: 'status',
            status: 400,
            body: (i) =>
              `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRequest</Code><Message>bad request ${i.method} ${i.url} authorization: ${String(i.headers.authorization)} token ${String(i.headers['x-amz-security-token'])}</Message></Error>`,
          },
        },
      ],
    ],
  ];

  describe('in-process: errors, their causes as util.inspect prints them, and retry log lines', () => {
    for (const [what, rules] of faults) {
      it(`fake credentials with a session token, ${what}`, async () => {
        proxy.schedule.set(rules);
        const texts = await everything({ accessKeyId: FAKE.accessKeyId, secretAccessKey: FAKE.secretAccessKey, sessionToken: FAKE.sessionToken });
        expect(texts.length).toBeGreaterThan(0);
        expect(leaksIn(texts, secrets)).toEqual([]);
      }, 60_000);

      it(`the real test credentials, ${what}`, async () => {
        proxy.schedule.set(rules);
        const texts = await everything(real);
        if (rules.length > 0) expect(texts.length).toBeGreaterThan(0);
        expect(leaksIn(texts, secrets)).toEqual([]);
      }, 60_000);
    }
  });

  describe('the ckpt command line with --verbose, stdout and stderr', () => {
    const commands = (dst: string): string[][] => [
      ['ls', '-l', root],
      ['stat', `${root}/checkpoint`],
      ['glob', `${root}/ckpt-*`],
      ['latest', root],
      ['latest', '--verify', root],
      ['find', root],
      ['inspect', `${root}/ckpt-3`],
      ['verify', '--deep', `${root}/ckpt-3`],
      ['cp', `${root}/ckpt-3`, dst],
      ['state', root],
    ];
    const env = (c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => ({
      AWS_ACCESS_KEY_ID: c.accessKeyId,
      AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
      AWS_SESSION_TOKEN: c.sessionToken ?? '',
      AWS_REGION: server.region,
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: '/nonexistent/ckpt-secrets-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/ckpt-secrets-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    });

    for (const [label, creds, rules] of [
      ['fake credentials (the server refuses them)', { accessKeyId: FAKE.accessKeyId, secretAccessKey: FAKE.secretAccessKey, sessionToken: FAKE.sessionToken }, []],
      ['the real credentials and a store answering 503 (retry lines)', real, [{ times: Infinity, action: { kind: 'status', status: 503 } }]],
      ['the real credentials and a server echoing the Authorization header', real, faults[faults.length - 1]![1]],
    ] as Array<[string, { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, FaultRule[]]>) {
      it(label, async () => {
        proxy.schedule.set(rules);
        const out: string[] = [];
        const runs = commands(path.join(tmp, `cli-${randomBytes(3).toString('hex')}`)).map((args, i) => [...args, ...(i % 2 === 1 ? ['--json'] : [])]);
        // A few at a time: each is a process that loads the SDK.
        for (let i = 0; i < runs.length; i += 4) {
          await Promise.all(
            runs.slice(i, i + 4).map(async (args) => {
              const r = await runCli([...args, '--verbose', '--stats', '--s3-endpoint', proxy.url], { env: env(creds) });
              expect(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
              out.push(`$ ckpt ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
            }),
          );
        }
        if (rules.length > 0) expect(out.join('\n')).toMatch(/retry|InvalidRequest|bad request/);
        expect(leaksIn(out, secrets)).toEqual([]);
      }, 180_000);
    }
  });
});
