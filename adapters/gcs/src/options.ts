import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { CkptError, registerSecret, type UnfinishedWriteListener } from '@ckptkit/gfile';
import { Storage, type StorageOptions } from '@google-cloud/storage';

/** Options of the GCS adapter. Every field is optional; the defaults talk to real GCS with ADC. */
export interface GcsAdapterOptions {
  /**
   * Told when a resumable upload session starts and ends: its id (the session URI, a bearer
   * capability: keep records of it private) cancels it if this process dies first.
   */
  onUnfinishedWrite?: UnfinishedWriteListener | undefined;
  /** Google Cloud project (only bucket-level calls need it). Default: GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT. */
  projectId?: string | undefined;
  /**
   * Where the JSON API lives, as an origin: `http://127.0.0.1:9199` for an emulator, a proxy, or
   * another universe. Requests go to `<apiEndpoint>/storage/v1/...` and uploads to
   * `<apiEndpoint>/upload/storage/v1/...`, as on storage.googleapis.com. A trailing `/storage/v1`
   * is accepted and dropped; a bare `host:port` means `http://host:port`.
   * Default: STORAGE_EMULATOR_HOST (read the same way), else https://storage.googleapis.com.
   * A custom endpoint is called without credentials unless {@link authWithCustomEndpoint}.
   */
  apiEndpoint?: string | undefined;
  /** Send credentials to a custom endpoint too (an authenticating proxy). Default false. */
  authWithCustomEndpoint?: boolean | undefined;
  /** Service-account key file (JSON). Default: application default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, metadata server). */
  keyFilename?: string | undefined;
  /** Inline service-account credentials; the private key is registered for redaction. */
  credentials?: { client_email?: string | undefined; private_key?: string | undefined } | undefined;
  /** Unsigned requests, for public buckets (model-zoo mirrors): no credentials are looked up at all. */
  anonymous?: boolean | undefined;
  /** Per-request timeout in ms (default 60,000). For downloads it bounds the wait for headers and for each chunk. */
  timeoutMs?: number | undefined;
  /** Bodies of at least this many bytes go up as a resumable upload (default 8 MiB); streams of unknown size always do. */
  resumableThreshold?: number | undefined;
  /** Largest page of a listing (default and GCS maximum 1,000). */
  maxPageSize?: number | undefined;
  /**
   * Whether the server honours `startOffset` (real GCS does; the firebase storage emulator ignores
   * it). Default: true for the Google endpoint, false for a custom one. The adapter also turns it
   * off when it sees a listing that ignored it.
   */
  startAfter?: boolean | undefined;
  /** Bill requests to this project (requester-pays buckets). */
  userProject?: string | undefined;
  /** Environment to read STORAGE_EMULATOR_HOST and the project from (default `process.env`). */
  env?: NodeJS.ProcessEnv | undefined;
  /** A client to use instead of making one (tests, custom auth). The options above that configure a client are then ignored. */
  storage?: Storage | undefined;
}

/** What the adapter runs with after the options and the environment are resolved. */
export interface ResolvedGcsOptions {
  /** `https://storage.googleapis.com` or the custom origin. */
  apiEndpoint: string;
  /** The JSON API base: `<apiEndpoint>/storage/v1`. */
  baseUrl: string;
  customEndpoint: boolean;
  projectId: string | undefined;
  timeoutMs: number;
  resumableThreshold: number;
  maxPageSize: number;
  startAfter: boolean;
  userProject: string | undefined;
  onUnfinishedWrite: UnfinishedWriteListener | undefined;
}

export const GOOGLE_ENDPOINT = 'https://storage.googleapis.com';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_RESUMABLE_THRESHOLD = 8 * 1024 * 1024;
const MAX_PAGE = 1000;

/**
 * Normalises an endpoint as users and tools spell it: `host:port` (the STORAGE_EMULATOR_HOST
 * convention of the Go and Python clients) means `http://host:port`; a trailing `/` or
 * `/storage/v1` (the Node client's reading of STORAGE_EMULATOR_HOST as the JSON API base) is
 * dropped. INVALID_CONFIG when it is not a URL.
 */
export function normalizeEndpoint(raw: string, source = 'apiEndpoint'): string {
  let s = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = `http://${s}`;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new CkptError('INVALID_CONFIG', { operation: 'configure', message: `${source} is not a URL: ${JSON.stringify(raw)}` });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CkptError('INVALID_CONFIG', { operation: 'configure', message: `${source} must be http:// or https://, got ${url.protocol}//` });
  }
  if (url.search || url.hash) {
    throw new CkptError('INVALID_CONFIG', { operation: 'configure', message: `${source} must not carry a query or fragment` });
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/storage/v1')) path = path.slice(0, -'/storage/v1'.length);
  return `${url.origin}${path}`;
}

function positive(v: number | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new CkptError('INVALID_CONFIG', { operation: 'configure', message: `${name} must be a positive number, got ${v}` });
  return v;
}

/** Applies the defaults and the environment to {@link GcsAdapterOptions}. */
export function resolveGcsOptions(options: GcsAdapterOptions = {}): ResolvedGcsOptions {
  const env = options.env ?? process.env;
  const fromEnv = env.STORAGE_EMULATOR_HOST;
  const apiEndpoint =
    options.apiEndpoint !== undefined && options.apiEndpoint !== ''
      ? normalizeEndpoint(options.apiEndpoint)
      : fromEnv !== undefined && fromEnv !== ''
        ? normalizeEndpoint(fromEnv, 'STORAGE_EMULATOR_HOST')
        : GOOGLE_ENDPOINT;
  const customEndpoint = apiEndpoint !== GOOGLE_ENDPOINT;
  const maxPageSize = Math.min(MAX_PAGE, Math.floor(positive(options.maxPageSize, 'maxPageSize', MAX_PAGE)));
  return {
    apiEndpoint,
    baseUrl: `${apiEndpoint}/storage/v1`,
    customEndpoint,
    projectId: options.projectId || env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT || undefined,
    timeoutMs: positive(options.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS),
    resumableThreshold: positive(options.resumableThreshold, 'resumableThreshold', DEFAULT_RESUMABLE_THRESHOLD),
    maxPageSize,
    startAfter: options.startAfter ?? !customEndpoint,
    userProject: options.userProject || undefined,
    onUnfinishedWrite: options.onUnfinishedWrite,
  };
}

interface PassThroughClientCtor {
  new (): object;
}

/**
 * google-auth-library's PassThroughClient: an auth client that adds no credentials. Loaded from
 * the copy @google-cloud/storage itself depends on, so the SDK's `instanceof` checks hold and no
 * second copy is installed.
 */
function passThroughClient(): object {
  const require = createRequire(import.meta.url);
  const storageEntry = require.resolve('@google-cloud/storage');
  const auth = createRequire(storageEntry)('google-auth-library') as { PassThroughClient?: PassThroughClientCtor };
  if (!auth.PassThroughClient) {
    throw new CkptError('INVALID_CONFIG', { operation: 'configure', message: 'anonymous access needs google-auth-library >= 9.3 (PassThroughClient)' });
  }
  return new auth.PassThroughClient();
}

/**
 * Makes the `Storage` client for resolved options.
 *
 * Retries: the client's own are OFF (`autoRetry: false`; `maxRetries: 0` alone is not enough, the
 * SDK treats 0 as "use the default of 3"). ckptkit's retry layer already retries the idempotent
 * operations; two retrying layers would multiply attempts (4 x 4 = 16 requests for one read against
 * a failing server) and hide them from the request metrics.
 */
export function createStorageClient(options: GcsAdapterOptions, resolved: ResolvedGcsOptions): Storage {
  if (options.credentials?.private_key) registerSecret(options.credentials.private_key);
  const storageOptions: StorageOptions = {
    apiEndpoint: resolved.apiEndpoint,
    retryOptions: { autoRetry: false, maxRetries: 0, retryableErrorFn: () => false },
    timeout: resolved.timeoutMs,
  };
  if (resolved.projectId) storageOptions.projectId = resolved.projectId;
  if (options.authWithCustomEndpoint) storageOptions.useAuthWithCustomEndpoint = true;
  if (options.anonymous) {
    storageOptions.authClient = passThroughClient() as NonNullable<StorageOptions['authClient']>;
  } else {
    if (options.keyFilename) storageOptions.keyFilename = options.keyFilename;
    if (options.credentials) storageOptions.credentials = options.credentials as NonNullable<StorageOptions['credentials']>;
  }
  // The SDK reads process.env.STORAGE_EMULATOR_HOST in its constructor and then uses it verbatim as
  // the JSON API base (no /storage/v1), overriding apiEndpoint and skipping credentials even for an
  // explicit Google endpoint. The endpoint was already resolved above (including from that
  // variable, normalised), so hide it from the constructor. The constructor is synchronous.
  const saved = process.env.STORAGE_EMULATOR_HOST;
  if (saved !== undefined) delete process.env.STORAGE_EMULATOR_HOST;
  let storage: Storage;
  try {
    storage = new Storage(storageOptions);
  } finally {
    if (saved !== undefined) process.env.STORAGE_EMULATOR_HOST = saved;
  }
  ownAgents(storage);
  return storage;
}

const agentsOf = new WeakMap<Storage, { http: http.Agent; https: https.Agent }>();

/**
 * Gives a client made here its own connection pools (through the SDK's request interceptors, which
 * also reach resumable uploads), so that {@link closeStorageClient} can close its sockets. The SDK
 * leaves a resumable upload's request open when the server answers before the body is sent (an
 * early 503): its socket then kept the process alive until the server hung up (30 s and more).
 */
function ownAgents(storage: Storage): void {
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  agentsOf.set(storage, agents);
  // node-fetch (under gaxios) takes an agent chooser: requests built without a URL yet (resumable
  // uploads) get the pool for whatever URL they end up with.
  const agent = (url: URL) => (url.protocol === 'http:' ? agents.http : agents.https);
  type Interceptor = Storage['interceptors'][number];
  const request = (reqOpts: object) => Object.assign(reqOpts, { agent });
  storage.interceptors.push({ request: request as unknown as Interceptor['request'] });
}

/** Closes the sockets of a client made by {@link createStorageClient} (a no-op for any other client). */
export function closeStorageClient(storage: Storage): void {
  const agents = agentsOf.get(storage);
  if (!agents) return;
  agents.http.destroy();
  agents.https.destroy();
}
