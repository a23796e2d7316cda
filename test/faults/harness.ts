/**
 * What a fault test needs for one store: a facade that talks to the real server directly (to seed
 * trees and to know the right answer), a fault proxy in front of the same server, facades that go
 * through the proxy (fast retries, short timeouts), and matchers for the store's request shapes.
 *
 * This file and the fault tests must not import nock: it would intercept the proxy's traffic.
 */
import { randomBytes } from 'node:crypto';
import { createGFile, createRegistry, isCkptError, type GFile, type ErrorCode } from '@ckptkit/gfile';
import { gcsFactory, type GcsAdapterOptions } from '@ckptkit/gcs';
import { localFactory } from '@ckptkit/local';
import { createBucket, s3Factory, type S3AdapterOptions } from '@ckptkit/s3';
import type { GcsTestServer, S3TestServer } from '../helpers/servers.js';
import { startProxy, type FaultRule, type RequestMatch, type RunningProxy } from '../proxy/proxy.js';
import { dropS3Bucket } from '../helpers/buckets.js';

/** Client timeouts through the proxy: a stall of {@link STALL_MS} always outlasts them. */
export const CLIENT_TIMEOUT_MS = 1000;
export const STALL_MS = 3000;
/** Attempts of the retry layer in these tests (as in production: 4). */
export const ATTEMPTS = 4;

/** The codes a storage failure may end in after retries: typed, and about the store, not the data. */
export const STORAGE_FAILURE_CODES: ErrorCode[] = ['UNAVAILABLE', 'RATE_LIMITED', 'TIMEOUT'];

export interface FaultTarget {
  name: string;
  scheme: 's3' | 'gs';
  bucket: string;
  /** A fresh prefix for this run: `s3://bucket/faults-xxxx`. */
  root: string;
  /** Straight to the server: seeding, and the right answers. */
  direct: GFile;
  proxy: RunningProxy;
  /** A facade through the proxy (`file://` registered too, for copies to local disk). */
  through(options?: { pageSize?: number; attempts?: number }): GFile;
  /** The server endpoint as the CLI takes it (`--s3-endpoint` / `--gcs-endpoint`): the proxy's. */
  cliArgs(): string[];
  cliEnv: NodeJS.ProcessEnv;
  /** Requests that list (any prefix). */
  list: RequestMatch;
  /** Requests that list exactly the prefix `key`. */
  listOf(key: string): RequestMatch;
  /** Requests that read the bytes of `key` (a store key, without the bucket). */
  getObject(key?: string): RequestMatch;
  /** Requests for the metadata of `key` (S3 HEAD, GCS metadata GET). */
  statObject(key?: string): RequestMatch;
  /** Requests that upload `key`. */
  putObject(key?: string): RequestMatch;
  /** The request that carries the bytes of a large (S3 single PUT, GCS resumable) upload of `key`. */
  uploadBytes(key: string): RequestMatch;
  /** Every request that uploads bytes (any key). */
  anyUpload: RequestMatch;
  /** How to lose the answer to that request after the server stored the bytes. */
  loseUploadAnswer: FaultRule['action'];
  /** The store key of a URI under the bucket. */
  keyOf(uri: string): string;
  cleanup(): Promise<void>;
}

function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The `prefix` query parameter of a listing request. */
function prefixParam(url: string): string | null {
  return new URL(url, 'http://proxy').searchParams.get('prefix');
}

const s3KeyPath = (bucket: string, key: string) => `/${bucket}/${key.split('/').map((s) => encodeURIComponent(s)).join('/')}`;

/** An S3 target on the Ceph RGW of this run. */
export async function s3Target(server: S3TestServer): Promise<FaultTarget> {
  const bucket = `ckpt-faults-${randomBytes(4).toString('hex')}`;
  const credentials = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
  const direct: S3AdapterOptions = { endpoint: server.endpoint, region: server.region, credentials };
  await createBucket(bucket, direct);
  const proxy = await startProxy({ target: server.endpoint });
  const proxied: S3AdapterOptions = { ...direct, endpoint: proxy.url, requestTimeoutMs: CLIENT_TIMEOUT_MS, idleTimeoutMs: CLIENT_TIMEOUT_MS, connectTimeoutMs: CLIENT_TIMEOUT_MS };
  const directGFile = createGFile({ registry: createRegistry().register('s3', () => s3Factory(direct)), concurrency: 32 });
  const made: GFile[] = [];
  const isObject = (key: string | undefined, i: { url: string }) => key === undefined || pathOnly(i.url) === s3KeyPath(bucket, key);
  return {
    name: 's3 (Ceph RGW)',
    scheme: 's3',
    bucket,
    root: `s3://${bucket}/faults-${randomBytes(4).toString('hex')}`,
    direct: directGFile,
    proxy,
    through(options = {}) {
      const g = createGFile({
        registry: createRegistry()
          .register('s3', () => s3Factory(proxied))
          .register('file', () => localFactory()),
        retry: { maxAttempts: options.attempts ?? ATTEMPTS, baseDelayMs: 5, maxDelayMs: 20 },
        ...(options.pageSize ? { pageSize: options.pageSize } : {}),
      });
      made.push(g);
      return g;
    },
    cliArgs: () => ['--s3-endpoint', proxy.url],
    cliEnv: {
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_REGION: server.region,
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: '/nonexistent/ckpt-faults-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/ckpt-faults-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    list: { method: 'GET', url: /[?&]list-type=2/ },
    listOf: (key) => ({ method: 'GET', url: /[?&]list-type=2/, when: (i) => prefixParam(i.url) === key }),
    getObject: (key) => ({ method: 'GET', url: /[?&]x-id=GetObject/, when: (i) => isObject(key, i) }),
    statObject: (key) => ({ method: 'HEAD', when: (i) => isObject(key, i) }),
    putObject: (key) => ({ method: 'PUT', when: (i) => isObject(key, i) && !/[?&]uploadId=/.test(i.url) }),
    uploadBytes: (key) => ({ method: 'PUT', when: (i) => isObject(key, i) && !/[?&]uploadId=/.test(i.url) }),
    anyUpload: { method: /^(PUT|POST)$/ },
    // A PutObject answer has no body to cut: reset the connection once RGW has stored the object.
    loseUploadAnswer: { kind: 'reset', forward: true },
    keyOf: (uri) => uri.slice(`s3://${bucket}/`.length),
    async cleanup() {
      await dropS3Bucket(bucket, direct);
      await Promise.all([directGFile, ...made].map((g) => g.close()));
      await proxy.close();
    },
  };
}

/** A GCS target on the storage emulator of this run. */
export async function gcsTarget(server: GcsTestServer): Promise<FaultTarget> {
  const bucket = `ckpt-faults-${randomBytes(4).toString('hex')}`;
  const direct: GcsAdapterOptions = { apiEndpoint: server.endpoint, projectId: server.projectId, env: {} };
  const proxy = await startProxy({ target: server.endpoint });
  const proxied: GcsAdapterOptions = { ...direct, apiEndpoint: proxy.url, timeoutMs: CLIENT_TIMEOUT_MS };
  const directGFile = createGFile({ registry: createRegistry().register('gs', () => gcsFactory(direct)), concurrency: 32 });
  const made: GFile[] = [];
  const objectPath = (key: string) => `/storage/v1/b/${bucket}/o/${encodeURIComponent(key)}`;
  const isObject = (key: string | undefined, i: { url: string }) => (key === undefined ? pathOnly(i.url).startsWith(`/storage/v1/b/${bucket}/o/`) : pathOnly(i.url) === objectPath(key));
  return {
    name: 'gcs (storage emulator)',
    scheme: 'gs',
    bucket,
    root: `gs://${bucket}/faults-${randomBytes(4).toString('hex')}`,
    direct: directGFile,
    proxy,
    through(options = {}) {
      const g = createGFile({
        registry: createRegistry()
          .register('gs', () => gcsFactory(proxied))
          .register('file', () => localFactory()),
        retry: { maxAttempts: options.attempts ?? ATTEMPTS, baseDelayMs: 5, maxDelayMs: 20 },
        ...(options.pageSize ? { pageSize: options.pageSize } : {}),
      });
      made.push(g);
      return g;
    },
    cliArgs: () => ['--gcs-endpoint', proxy.url],
    cliEnv: { STORAGE_EMULATOR_HOST: '', GOOGLE_CLOUD_PROJECT: server.projectId },
    list: { method: 'GET', when: (i) => pathOnly(i.url) === `/storage/v1/b/${bucket}/o` },
    listOf: (key) => ({ method: 'GET', when: (i) => pathOnly(i.url) === `/storage/v1/b/${bucket}/o` && prefixParam(i.url) === key }),
    getObject: (key) => ({ method: 'GET', url: /[?&]alt=media/, when: (i) => isObject(key, i) }),
    statObject: (key) => ({ method: 'GET', when: (i) => isObject(key, i) && !/[?&]alt=media/.test(i.url) }),
    putObject: (key) => ({
      method: 'POST',
      when: (i) => pathOnly(i.url) === `/upload/storage/v1/b/${bucket}/o` && (key === undefined || i.url.includes(`name=${encodeURIComponent(key)}`)),
    }),
    uploadBytes: (key) => ({ method: 'PUT', when: (i) => pathOnly(i.url) === `/upload/storage/v1/b/${bucket}/o` && /[?&]upload_id=/.test(i.url) && i.url.includes(`name=${encodeURIComponent(key)}`) }),
    anyUpload: { method: /^(PUT|POST)$/, url: /^\/upload\// },
    // The answer (the object's JSON) is cut after 3 bytes: the SDK's resumable upload waited forever for the rest.
    loseUploadAnswer: { kind: 'cut', afterBytes: 3 },
    keyOf: (uri) => uri.slice(`gs://${bucket}/`.length),
    async cleanup() {
      await directGFile.removeTree(`gs://${bucket}/`).catch(() => undefined);
      await Promise.all([directGFile, ...made].map((g) => g.close()));
      await proxy.close();
    },
  };
}

/** Runs `fn` and returns its error (failing the test when it does not throw). */
export async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure, but the operation succeeded');
}

/** True for a typed storage failure (what "fail with a typed error" means in these tests). */
export function isStorageFailure(error: unknown): boolean {
  return isCkptError(error, ...STORAGE_FAILURE_CODES);
}

/** Every item of an async iterable, and the error that ended it early (if any). */
export async function drain<T>(it: AsyncIterable<T>): Promise<{ items: T[]; error?: unknown }> {
  const items: T[] = [];
  try {
    for await (const x of it) items.push(x);
  } catch (error) {
    return { items, error };
  }
  return { items };
}
