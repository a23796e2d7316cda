import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { CkptError, registerSecret, type UnfinishedWriteListener } from '@ckptkit/gfile';
import { S3RequestHandler } from './request-handler.js';

/** Static credentials (an access key pair, optionally with a session token). */
export interface S3StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/**
 * Options of the S3 adapter. Every field is optional: with none, the adapter talks to AWS with the
 * SDK's default credential chain (env, `AWS_PROFILE` and `~/.aws`, SSO, web identity, ECS/IMDS) and
 * the region from the environment or profile (else `us-east-1`, following region redirects).
 */
export interface S3AdapterOptions {
  /** Signing region. Default: `AWS_REGION`/`AWS_DEFAULT_REGION`, the profile's region, else `us-east-1`. */
  region?: string | undefined;
  /** An S3-compatible endpoint (Ceph RGW, MinIO, R2, ...), e.g. `http://127.0.0.1:7480`. */
  endpoint?: string | undefined;
  /** Path-style addressing (`endpoint/bucket/key`). Default: true with a custom `endpoint`, else false. */
  forcePathStyle?: boolean | undefined;
  /** Static credentials. Default: the SDK's default credential chain. */
  credentials?: S3StaticCredentials | undefined;
  /** Named profile of `~/.aws/config` for the default chain (as `AWS_PROFILE`). */
  profile?: string | undefined;
  /** Unsigned requests, for public buckets; no credentials are looked up. */
  anonymous?: boolean | undefined;
  /**
   * Request checksums. `when-required`: only where S3 requires one (DeleteObjects); what S3-compatible
   * servers need (with the SDK's default streaming checksums RGW answers 411, others store the chunk
   * framing as data). `when-supported`: CRC32 on every upload, as the SDK does for AWS.
   * Default: `when-required` with a custom `endpoint`, else `when-supported`.
   */
  checksums?: 'when-required' | 'when-supported' | undefined;
  /**
   * Attempts the SDK itself makes per request (default 1: ckptkit's retry layer retries, and the two
   * would multiply). Raise it only when using the adapter without the facade's retry layer.
   */
  sdkMaxAttempts?: number | undefined;
  /** Time for sending a request and receiving the response headers, in ms (default 120,000). */
  requestTimeoutMs?: number | undefined;
  /** Time a socket may stay silent, also in the middle of a body, in ms (default 60,000). */
  idleTimeoutMs?: number | undefined;
  /** Time to establish a connection, in ms (default 10,000). */
  connectTimeoutMs?: number | undefined;
  /**
   * `Expect: 100-continue` on uploads: true, false, or from this many bytes (default: the SDK's,
   * 2 MiB). Turn it off for proxies or mocks that never answer the interim 100.
   */
  expectContinueHeader?: boolean | number | undefined;
  /** Sockets kept per host (default 64). */
  maxSockets?: number | undefined;
  /** Bodies larger than this are uploaded in parts (default 16 MiB; at least {@link partSize}). */
  multipartThreshold?: number | undefined;
  /** Size of one multipart part (default 8 MiB, at least 5 MiB; raised for bodies over 10,000 parts). */
  partSize?: number | undefined;
  /** Parts uploaded at once within one write (default 4). Memory use is up to this many parts. */
  partConcurrency?: number | undefined;
  /**
   * The server honours `If-None-Match: *` on PutObject and CompleteMultipartUpload (AWS since 2024,
   * Ceph RGW, MinIO, R2). Default true; set false for servers that ignore it, and `ifNotExists`
   * writes then fail with NOT_SUPPORTED instead of silently replacing.
   */
  conditionalWrites?: boolean | undefined;
  /**
   * The server also honours `If-None-Match: *` on CompleteMultipartUpload (AWS does; Ceph RGW 16
   * ignores it and replaces the object). Default: true on AWS, false with a custom `endpoint`. When
   * false, `ifNotExists` writes go up as one PutObject (bytes up to 5 GiB, streams up to
   * {@link multipartThreshold}); a larger one fails with NOT_SUPPORTED rather than replace silently.
   */
  conditionalMultipartWrites?: boolean | undefined;
  /** Largest page a list request asks for (default and maximum 1,000). */
  maxPageSize?: number | undefined;
  /**
   * Read listing answers with the adapter's own ListBucketResult parser (default true); false
   * leaves them to the SDK's XML parser, which costs about 30 ms of CPU per 1,000 keys in a
   * fresh process. A body the adapter's parser is not sure of always goes to the SDK.
   */
  fastListParser?: boolean | undefined;
  /**
   * Receive GetObject bodies with the adapter's own HTTP/1.1 reader, which reads the socket straight
   * into 1 MiB buffers (default true; decision 0009). A body cut partway still hands out every byte
   * that arrived before the error. false sends them through node:http, as every other request is
   * (nock, for one, intercepts only node:http).
   */
  directGets?: boolean | undefined;
  /** A client you configured yourself; the connection options above are then ignored. */
  /** Told when a multipart upload starts and ends (its id abandons it if this process dies first). */
  onUnfinishedWrite?: UnfinishedWriteListener | undefined;
  client?: S3Client | undefined;
}

export const MiB = 1024 * 1024;
/** S3's smallest part (except the last). */
export const MIN_PART_SIZE = 5 * MiB;
/** S3's largest number of parts in one upload. */
export const MAX_PARTS = 10_000;

/** Options with defaults applied (connection options are folded into the client). */
export interface ResolvedS3Options {
  multipartThreshold: number;
  partSize: number;
  partConcurrency: number;
  conditionalWrites: boolean;
  conditionalMultipartWrites: boolean;
  maxPageSize: number;
  fastListParser: boolean;
  checksums: 'when-required' | 'when-supported';
}

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) {
    throw new CkptError('INVALID_CONFIG', { operation: 'configure', uri: 's3://', message: `${name} must be a number >= ${min}, got ${value}` });
  }
  return Math.floor(value);
}

export function resolveOptions(options: S3AdapterOptions): ResolvedS3Options {
  const partSize = positive('partSize', options.partSize, 8 * MiB, MIN_PART_SIZE);
  return {
    partSize,
    multipartThreshold: Math.max(partSize, positive('multipartThreshold', options.multipartThreshold, 16 * MiB)),
    partConcurrency: positive('partConcurrency', options.partConcurrency, 4),
    conditionalWrites: options.conditionalWrites ?? true,
    conditionalMultipartWrites: (options.conditionalWrites ?? true) && (options.conditionalMultipartWrites ?? options.endpoint === undefined),
    maxPageSize: Math.min(1000, positive('maxPageSize', options.maxPageSize, 1000)),
    fastListParser: options.fastListParser ?? true,
    checksums: options.checksums ?? (options.endpoint ? 'when-required' : 'when-supported'),
  };
}

const NO_AUTH = 'smithy.api#noAuth';

/** The S3 client for these options: a new one, or the caller's own (`options.client`). */
export function createS3Client(options: S3AdapterOptions): S3Client {
  if (options.client) return options.client;
  if (options.endpoint !== undefined) {
    try {
      const u = new URL(options.endpoint);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new CkptError('INVALID_CONFIG', { operation: 'configure', uri: 's3://', message: `the S3 endpoint must be an http(s) URL, got "${options.endpoint}"` });
    }
  }
  const resolved = resolveOptions(options);
  const checksum = resolved.checksums === 'when-required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  const maxSockets = positive('maxSockets', options.maxSockets, 64);
  const region = options.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined);
  const http = {
    connectionTimeout: positive('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    requestTimeout: positive('requestTimeoutMs', options.requestTimeoutMs, 120_000),
    throwOnRequestTimeout: true,
    socketTimeout: positive('idleTimeoutMs', options.idleTimeoutMs, 60_000),
    httpAgent: { keepAlive: true, maxSockets },
    httpsAgent: { keepAlive: true, maxSockets },
  };
  const config: S3ClientConfig = {
    maxAttempts: positive('sdkMaxAttempts', options.sdkMaxAttempts, 1),
    requestChecksumCalculation: checksum,
    responseChecksumValidation: checksum,
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    // Without an explicit region (and on AWS) a bucket in another region still works.
    followRegionRedirects: options.endpoint === undefined,
    requestHandler: options.directGets === false ? http : new S3RequestHandler(http, { connectTimeoutMs: http.connectionTimeout, headersTimeoutMs: http.requestTimeout, idleTimeoutMs: http.socketTimeout, maxIdlePerOrigin: maxSockets }),
  };
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.expectContinueHeader !== undefined) config.expectContinueHeader = options.expectContinueHeader;
  if (options.profile !== undefined) config.profile = options.profile;
  if (options.anonymous) {
    // Unsigned requests: a no-auth scheme that signs nothing, chosen for every operation.
    config.httpAuthSchemes = [{ schemeId: NO_AUTH, identityProvider: () => async () => ({}), signer: { sign: async (request) => request } }];
    config.httpAuthSchemeProvider = () => [{ schemeId: NO_AUTH }];
  } else if (options.credentials) {
    const c = options.credentials;
    // The key id too: AWS echoes it in some error bodies and the SigV4 header names it.
    registerSecret(c.accessKeyId);
    registerSecret(c.secretAccessKey);
    registerSecret(c.sessionToken);
    config.credentials = c.sessionToken === undefined ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } : { ...c, sessionToken: c.sessionToken };
  } else {
    // The default chain may read these from the environment; make sure no message can carry them.
    registerSecret(process.env.AWS_ACCESS_KEY_ID);
    registerSecret(process.env.AWS_SECRET_ACCESS_KEY);
    registerSecret(process.env.AWS_SESSION_TOKEN);
  }
  // A client made only to reach the SDK's default loaders (region from env/profile, the default
  // credential chain); it never sends a request itself.
  const probe = new S3Client(options.profile === undefined ? {} : { profile: options.profile });
  // No region in the options or the environment: the SDK may still find one in the profile. When it
  // cannot, us-east-1 (with region redirects followed) instead of failing every request with
  // "Region is missing".
  config.region = region ?? defaultRegion(probe);
  if (!options.anonymous && !options.credentials) config.credentials = registeringChain(probe);
  return new S3Client(config);
}

function defaultRegion(probe: S3Client): () => Promise<string> {
  let cached: Promise<string> | undefined;
  return () =>
    (cached ??= probe.config.region().then(
      (r) => r || 'us-east-1',
      () => 'us-east-1',
    ));
}

type CredentialProvider = (o?: Record<string, unknown>) => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }>;

/** The SDK's default credential chain, registering what it resolves so that {@link redact} scrubs it. */
function registeringChain(probe: S3Client): CredentialProvider {
  const chain = (probe.config as unknown as { credentials: CredentialProvider }).credentials;
  return async (o) => {
    const c = await chain(o);
    registerSecret(c.accessKeyId);
    registerSecret(c.secretAccessKey);
    registerSecret(c.sessionToken);
    return c;
  };
}
