/**
 * The only module that reads errors thrown by `@aws-sdk/client-s3` (and the Node sockets under it):
 * it turns each into a {@link CkptError} with one of our codes. Messages carry the S3 error code, the
 * HTTP status and the server's short message, redacted; never a request URL, header or credential.
 */
import { CkptError, type ErrorCode, abortError, isCkptError, isProgrammingError, redact } from '@ckptkit/gfile';

/** What an SDK service error looks like, as far as this module reads it. */
interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  Code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown; attempts?: unknown } | undefined;
  $response?: { statusCode?: unknown } | undefined;
}

type Rule = readonly [ErrorCode, string, boolean?];

/** S3 error codes (the `<Code>` of an error body, or the SDK's name for a body-less HEAD error). */
const BY_S3_CODE: Record<string, Rule> = {
  NoSuchKey: ['NOT_FOUND', 'no such key'],
  NotFound: ['NOT_FOUND', 'not found'],
  NoSuchBucket: ['NOT_FOUND', 'no such bucket'],
  NoSuchUpload: ['NOT_FOUND', 'no such multipart upload'],
  NoSuchVersion: ['NOT_FOUND', 'no such version'],
  AccessDenied: ['PERMISSION_DENIED', 'access denied'],
  AllAccessDisabled: ['PERMISSION_DENIED', 'all access to this object has been disabled'],
  AccountProblem: ['PERMISSION_DENIED', 'a problem with the account prevents this operation'],
  InvalidObjectState: ['PERMISSION_DENIED', 'the object is archived (restore it first)'],
  // Storage that is full or over quota: no retry cures it, and it is no network blip.
  QuotaExceeded: ['QUOTA_EXCEEDED', 'storage quota exceeded (user or bucket quota)'],
  TooManyBuckets: ['QUOTA_EXCEEDED', 'bucket count quota exceeded'],
  XMinioAdminBucketQuotaExceeded: ['QUOTA_EXCEEDED', 'bucket quota exceeded'],
  XMinioStorageFull: ['NO_SPACE', 'the storage backend is full'],
  InsufficientStorage: ['NO_SPACE', 'the storage backend is full'],
  InsufficientCapacity: ['NO_SPACE', 'the storage backend is full'],
  InvalidAccessKeyId: ['UNAUTHENTICATED', 'the access key id does not exist'],
  SignatureDoesNotMatch: ['UNAUTHENTICATED', 'the request signature does not match (check the secret key)'],
  ExpiredToken: ['UNAUTHENTICATED', 'the session token has expired'],
  TokenRefreshRequired: ['UNAUTHENTICATED', 'the session token must be refreshed'],
  InvalidToken: ['UNAUTHENTICATED', 'the session token is invalid'],
  MissingSecurityHeader: ['UNAUTHENTICATED', 'the request is missing a security header'],
  RequestTimeTooSkewed: ['UNAUTHENTICATED', "the request time is too far from the server's (check the clock)"],
  AuthorizationHeaderMalformed: ['INVALID_CONFIG', 'the authorization header is malformed (check the region)'],
  PermanentRedirect: ['INVALID_CONFIG', 'the bucket is in another region or must be addressed through another endpoint'],
  TemporaryRedirect: ['UNAVAILABLE', 'temporary redirect', true],
  IllegalLocationConstraintException: ['INVALID_CONFIG', 'the bucket is in another region (check the region)'],
  InvalidBucketName: ['INVALID_PATH', 'invalid bucket name'],
  KeyTooLongError: ['INVALID_PATH', 'key too long'],
  InvalidObjectName: ['INVALID_PATH', 'invalid object name'],
  InvalidArgument: ['INVALID_PATH', 'invalid argument'],
  InvalidRange: ['INVALID_PATH', 'the requested range is not satisfiable'],
  EntityTooLarge: ['INVALID_PATH', 'the object is too large for one request'],
  EntityTooSmall: ['INVALID_PATH', 'a multipart part is too small'],
  PreconditionFailed: ['PRECONDITION_FAILED', 'precondition failed'],
  ConditionalRequestConflict: ['PRECONDITION_FAILED', 'a concurrent conditional request conflicted; try again', true],
  BucketAlreadyExists: ['ALREADY_EXISTS', 'the bucket name is taken (by another account)'],
  BucketAlreadyOwnedByYou: ['ALREADY_EXISTS', 'the bucket already exists'],
  BucketNotEmpty: ['PRECONDITION_FAILED', 'the bucket is not empty'],
  NotImplemented: ['NOT_SUPPORTED', 'not implemented by this server'],
  MethodNotAllowed: ['NOT_SUPPORTED', 'method not allowed'],
  SlowDown: ['RATE_LIMITED', 'slow down'],
  Throttling: ['RATE_LIMITED', 'throttled'],
  ThrottlingException: ['RATE_LIMITED', 'throttled'],
  TooManyRequests: ['RATE_LIMITED', 'too many requests'],
  RequestLimitExceeded: ['RATE_LIMITED', 'request limit exceeded'],
  ServiceUnavailable: ['UNAVAILABLE', 'service unavailable'],
  InternalError: ['UNAVAILABLE', 'internal server error'],
  RequestTimeout: ['TIMEOUT', 'the server timed out reading the request'],
  RequestTimeoutException: ['TIMEOUT', 'the server timed out'],
  IncompleteBody: ['UNAVAILABLE', 'the server received fewer bytes than announced', true],
  BadDigest: ['CORRUPT', 'the body does not match its checksum', true],
  InvalidDigest: ['CORRUPT', 'the body does not match its checksum', true],
  XAmzContentSHA256Mismatch: ['CORRUPT', 'the body does not match its checksum', true],
  CredentialsProviderError: ['UNAUTHENTICATED', 'no credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or use anonymous access for public buckets)'],
  TimeoutError: ['TIMEOUT', 'timed out'],
};

/** HTTP status codes, for errors whose S3 code is missing or unknown. */
function byStatus(status: number): Rule | undefined {
  if (status === 404) return ['NOT_FOUND', 'not found'];
  if (status === 401) return ['UNAUTHENTICATED', 'not authenticated'];
  if (status === 403) return ['PERMISSION_DENIED', 'permission denied'];
  if (status === 409) return ['PRECONDITION_FAILED', 'conflict'];
  if (status === 412) return ['PRECONDITION_FAILED', 'precondition failed'];
  if (status === 416) return ['INVALID_PATH', 'the requested range is not satisfiable'];
  if (status === 408) return ['TIMEOUT', 'request timeout'];
  if (status === 429) return ['RATE_LIMITED', 'too many requests'];
  if (status === 501) return ['NOT_SUPPORTED', 'not implemented by this server'];
  if (status === 507) return ['NO_SPACE', 'the storage backend is full (HTTP 507 Insufficient Storage)'];
  if (status === 503) return ['UNAVAILABLE', 'service unavailable'];
  if (status >= 500) return ['UNAVAILABLE', `server error`, true];
  if (status === 301 || status === 307) return ['INVALID_CONFIG', 'redirected: the bucket is in another region or must be addressed through another endpoint'];
  if (status >= 400) return ['INVALID_CONFIG', 'request rejected'];
  return undefined;
}

/** Node socket and DNS error codes: the request may not have reached S3 or its answer was lost. */
const NETWORK: Record<string, Rule> = {
  ECONNRESET: ['UNAVAILABLE', 'connection reset', true],
  ECONNREFUSED: ['UNAVAILABLE', 'connection refused', true],
  ECONNABORTED: ['UNAVAILABLE', 'connection aborted', true],
  EPIPE: ['UNAVAILABLE', 'connection closed while sending', true],
  EHOSTUNREACH: ['UNAVAILABLE', 'host unreachable', true],
  ENETUNREACH: ['UNAVAILABLE', 'network unreachable', true],
  ENETDOWN: ['UNAVAILABLE', 'network down', true],
  EAI_AGAIN: ['UNAVAILABLE', 'temporary DNS failure', true],
  ENOTFOUND: ['UNAVAILABLE', 'host not found (check the endpoint)', true],
  ETIMEDOUT: ['TIMEOUT', 'timed out', true],
  ESOCKETTIMEDOUT: ['TIMEOUT', 'socket timed out', true],
  UND_ERR_SOCKET: ['UNAVAILABLE', 'socket error', true],
  ERR_STREAM_PREMATURE_CLOSE: ['UNAVAILABLE', 'the response ended early', true],
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function statusOf(e: SdkErrorShape): number | undefined {
  const s = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return typeof s === 'number' && s > 0 ? s : undefined;
}

/** The HTTP status of an SDK error, if it came from a response (for adapter-level special cases). */
export function s3StatusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? statusOf(error as SdkErrorShape) : undefined;
}

/** The S3 error code (`NoSuchKey`, `PreconditionFailed`, ...) of an SDK error, if any. */
export function s3CodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as SdkErrorShape;
  const code = str(e.Code) ?? (statusOf(e) !== undefined || e.$fault !== undefined ? str(e.name) : undefined);
  // What the SDK calls an error whose body it could not read: no S3 code at all.
  return code === undefined || GENERIC.has(code) ? undefined : code;
}

const GENERIC = new Set(['Error', 'Unknown', 'UnknownError', 'S3ServiceException']);

const MAX_DETAIL = 300;

/**
 * Maps an error from the SDK (or a socket under it) to a {@link CkptError} for `operation` on `uri`.
 * CkptErrors pass through; an aborted signal gives ABORTED (or TIMEOUT for `AbortSignal.timeout`).
 * A fault of the program (a stack overflow, see gfile's `isProgrammingError`) is thrown on as it
 * is: it is no condition of the store, and called UNAVAILABLE it was retried and reported as an outage.
 */
export function mapS3Error(error: unknown, operation: string, uri: string, signal?: AbortSignal): CkptError {
  if (isCkptError(error)) return error;
  if (isProgrammingError(error)) throw error;
  if (signal?.aborted) return abortError(operation, uri, signal);
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as SdkErrorShape;
  const name = str(e.name);
  if (name === 'AbortError') return abortError(operation, uri, signal);

  const status = statusOf(e);
  const s3Code = s3CodeOf(error);
  const netCode = str(e.code);
  let rule: Rule | undefined;
  if (s3Code !== undefined) rule = BY_S3_CODE[s3Code];
  if (!rule && status !== undefined) rule = byStatus(status);
  // A socket's code before the error's name: the SDK's NodeHttpHandler renames ECONNRESET and
  // EPIPE errors "TimeoutError", and a peer closing the connection is no timeout.
  if (!rule && status === undefined && netCode !== undefined) rule = NETWORK[netCode];
  if (!rule && name !== undefined && status === undefined) rule = BY_S3_CODE[name];
  if (!rule && typeof e.message === 'string' && /socket hang up|aborted|premature close/i.test(e.message)) {
    rule = ['UNAVAILABLE', 'the connection closed early', true];
  }

  // The SDK's text for an unreadable error body is about its own internals: leave it out.
  const raw = str(e.message)?.includes('Deserialization error') ? undefined : str(e.message);
  const label = [s3Code ?? netCode, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean).join(', ');
  if (!rule) {
    // Unknown: a server-side fault is worth retrying, anything else is not.
    const serverFault = e.$fault === 'server';
    const detail = `${raw ?? 'unexpected error'}${label ? ` (${label})` : ''}`;
    return new CkptError('UNAVAILABLE', { operation, uri, message: clip(detail), retryable: serverFault, cause: safeCause(error) });
  }
  const [code, summary, retryable] = rule;
  // The server's own message adds detail (e.g. which precondition), unless it only repeats the code.
  const extra = raw && raw !== s3Code && raw !== name && !/^UnknownError$/i.test(raw) && raw.toLowerCase() !== summary ? `: ${raw}` : '';
  const detail = `${summary}${label ? ` (${label})` : ''}${extra}`;
  return new CkptError(code, { operation, uri, message: clip(detail), retryable, cause: safeCause(error) });
}

/**
 * What is kept of an SDK error as the cause: its name, message and stack (redacted), S3 code, HTTP
 * status, request id and fault side, which is all the adapter and a human debugging need. Never the
 * error itself: the SDK hides the raw response in it (`$response`), and with it the signed request,
 * whose Authorization header carries the access key id and a signature; `console.error(err)` with
 * hidden fields, or any logger that walks an error's properties, would print them.
 */
function safeCause(error: unknown): Error {
  if (typeof error !== 'object' || error === null) return new Error(redact(String(error)));
  const e = error as SdkErrorShape & { stack?: unknown };
  const out = new Error(redact(str(e.message) ?? 'S3 error'));
  out.name = str(e.name) ?? 'S3Error';
  const stack = str(e.stack);
  if (stack) out.stack = redact(stack);
  const status = statusOf(e);
  const meta: Record<string, unknown> = {};
  if (status !== undefined) meta.httpStatusCode = status;
  if (typeof e.$metadata?.requestId === 'string') meta.requestId = e.$metadata.requestId;
  if (typeof e.$metadata?.attempts === 'number') meta.attempts = e.$metadata.attempts;
  Object.assign(out, {
    ...(str(e.Code) === undefined ? {} : { Code: e.Code }),
    ...(str(e.code) === undefined ? {} : { code: e.code }),
    ...(e.$fault === undefined ? {} : { $fault: e.$fault }),
    $metadata: meta,
  });
  return out;
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_DETAIL ? `${oneLine.slice(0, MAX_DETAIL)}…` : oneLine;
}

/** True when a ranged GET was refused because the range starts at or after the end (HTTP 416). */
export function isRangeNotSatisfiable(error: unknown): boolean {
  return s3StatusOf(error) === 416 || s3CodeOf(error) === 'InvalidRange';
}

/** True when a conditional write (`If-None-Match: *`) found the object already there (HTTP 412). */
export function isPreconditionFailed(error: unknown): boolean {
  return s3StatusOf(error) === 412 || s3CodeOf(error) === 'PreconditionFailed';
}

/** True when CopyObject refused a source over its single-request limit (5 GiB on AWS). */
export function isCopySourceTooLarge(error: unknown): boolean {
  if (s3CodeOf(error) !== 'InvalidRequest' && s3CodeOf(error) !== 'EntityTooLarge') return false;
  const message = (error as { message?: unknown }).message;
  return s3CodeOf(error) === 'EntityTooLarge' || (typeof message === 'string' && /copy source is larger than the maximum allowable size/i.test(message));
}

/** One failed key of a DeleteObjects response (`<Error><Key/><Code/><Message/></Error>`). */
export interface DeleteObjectsFailure {
  Key?: string | undefined;
  Code?: string | undefined;
  Message?: string | undefined;
}

/**
 * The error for the per-key failures of a DeleteObjects response, or undefined when every key was
 * deleted or already absent (NoSuchKey counts as done: the batch is "missing keys are ignored").
 */
export function mapDeleteObjectsFailures(failures: readonly DeleteObjectsFailure[] | undefined, uriOf: (key: string) => string): CkptError | undefined {
  const real = (failures ?? []).filter((f) => f.Code !== 'NoSuchKey');
  const first = real[0];
  if (!first) return undefined;
  const mapped = mapS3Error({ name: first.Code ?? 'Unknown', Code: first.Code, message: first.Message, $fault: 'client' }, 'delete', uriOf(first.Key ?? ''));
  const more = real.length > 1 ? ` (and ${real.length - 1} more keys failed)` : '';
  return new CkptError(mapped.code, {
    operation: 'delete',
    uri: uriOf(first.Key ?? ''),
    message: `${mapped.message.slice(mapped.message.indexOf(': ') + 2)}${more}`,
    retryable: mapped.retryable || real.some((f) => f.Code === 'InternalError' || f.Code === 'SlowDown' || f.Code === 'ServiceUnavailable'),
    cause: failures,
  });
}

/** True when CreateBucket failed only because the bucket exists and is already the caller's. */
export function isOwnBucketAlreadyThere(error: unknown): boolean {
  return s3CodeOf(error) === 'BucketAlreadyOwnedByYou';
}
