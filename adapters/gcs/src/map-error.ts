import { CkptError, type ErrorCode, isCkptError, isProgrammingError, redact } from '@ckptkit/gfile';

/** What {@link mapGcsError} needs to know about the call that failed. */
export interface GcsErrorContext {
  /** A write with `ifGenerationMatch: 0`: a 412 means the object already exists. */
  ifNotExists?: boolean | undefined;
}

/** Error reasons in a GCS JSON error body that mean "slow down" even when the status is 403. */
const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);
/**
 * Error reasons of a quota that waiting seconds does not restore (a project's quota, a daily
 * limit): QUOTA_EXCEEDED, not retried, instead of a rate limit retried until the attempts run out.
 */
const QUOTA_REASONS = new Set(['quotaExceeded', 'dailyLimitExceeded', 'storageQuotaExceeded']);

/** Network-level error codes (node:net, node-fetch, undici) that a retry can cure. */
const TRANSIENT_NET = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const TIMEOUT_NET = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

interface Shape {
  status: number | undefined;
  reason: string | undefined;
  netCode: string | undefined;
  message: string;
  type: string | undefined;
  name: string | undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function httpStatus(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{3}$/.test(v) ? Number(v) : undefined;
  return n !== undefined && n >= 100 && n <= 599 ? n : undefined;
}

/** Reads the few fields that matter from the SDK's errors (ApiError, gaxios, node-fetch, undici, node:net). */
function shapeOf(error: unknown): Shape {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const response = (typeof e.response === 'object' && e.response !== null ? e.response : {}) as Record<string, unknown>;
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as Record<string, unknown>;
  const status = httpStatus(e.code) ?? httpStatus(e.status) ?? httpStatus(response.status) ?? httpStatus(response.statusCode);
  const errors = Array.isArray(e.errors) ? (e.errors as Array<Record<string, unknown>>) : [];
  const reason = errors.map((x) => str(x?.reason)).find((r) => r !== undefined);
  const netCode = [e.code, e.errno, cause.code].map(str).find((c) => c !== undefined && !/^\d+$/.test(c));
  const message = str(e.message) ?? (typeof error === 'string' ? error : '');
  return { status, reason, netCode, message, type: str(e.type), name: str(e.name) };
}

/**
 * SDK messages can quote request URLs (resumable upload ids and signatures live in their query
 * strings) or whole response bodies: keep the first line, drop query strings, then redact.
 */
export function sanitizeMessage(message: string): string {
  const firstLine = message.split('\n', 1)[0] ?? '';
  const noQuery = firstLine.replace(/(\bhttps?:\/\/[^\s"'?<>]*)\?[^\s"'<>]*/gi, '$1?<query>');
  const clipped = noQuery.length > 300 ? `${noQuery.slice(0, 300)}...` : noQuery;
  return redact(clipped);
}

function byStatus(status: number, reason: string | undefined, ctx: GcsErrorContext): [ErrorCode, string, boolean?] {
  if (reason && RATE_REASONS.has(reason)) return ['RATE_LIMITED', `rate limited (${status} ${reason})`];
  if (reason && QUOTA_REASONS.has(reason)) return ['QUOTA_EXCEEDED', `quota exceeded (${status} ${reason})`, false];
  switch (status) {
    case 400:
      return ['INVALID_PATH', 'bad request (400)'];
    case 401:
      return [
        'UNAUTHENTICATED',
        'not authenticated (401): missing, expired or invalid credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, or anonymous access for public buckets)',
      ];
    case 403:
      return ['PERMISSION_DENIED', 'permission denied (403)'];
    case 404:
      return ['NOT_FOUND', 'not found (404)'];
    case 408:
      return ['TIMEOUT', 'request timeout (408)'];
    case 409:
      return ['ALREADY_EXISTS', 'conflict (409)'];
    case 412:
      return ctx.ifNotExists ? ['ALREADY_EXISTS', 'already exists (412 on ifGenerationMatch=0)'] : ['PRECONDITION_FAILED', 'precondition failed (412)'];
    case 416:
      return ['INVALID_PATH', 'range not satisfiable (416)'];
    case 429:
      return ['RATE_LIMITED', 'rate limited (429)'];
    case 501:
      return ['NOT_SUPPORTED', 'not implemented by this server (501)'];
    case 507:
      return ['NO_SPACE', 'the storage backend is full (507)', false];
  }
  if (status >= 500) return ['UNAVAILABLE', `server error (${status})`, true];
  return ['UNAVAILABLE', `unexpected HTTP status ${status}`, false];
}

/**
 * The only place that reads errors of `@google-cloud/storage` (ApiError), google-auth-library,
 * gaxios, node-fetch, undici and node:net: turns one into a {@link CkptError} for `operation` on
 * `uri`. HTTP 404/403/401/412/429/5xx become NOT_FOUND/PERMISSION_DENIED/UNAUTHENTICATED/
 * PRECONDITION_FAILED (ALREADY_EXISTS for a conditional create)/RATE_LIMITED/UNAVAILABLE; transient
 * network failures are retryable UNAVAILABLE or TIMEOUT. CkptErrors pass through.
 *
 * The SDK's error objects carry the request (with its Authorization header) in `response.request`,
 * so they are never kept as the cause: the cause is a plain Error with the sanitized message.
 */
export function mapGcsError(error: unknown, operation: string, uri: string, ctx: GcsErrorContext = {}): CkptError {
  if (isCkptError(error)) return error;
  // A fault of the program (a stack overflow): thrown on as it is, never called UNAVAILABLE.
  if (isProgrammingError(error)) throw error;
  const s = shapeOf(error);
  const detail = s.message ? sanitizeMessage(s.message) : '';
  const cause = Object.assign(new Error(detail || 'GCS error'), {
    name: s.name ?? 'GcsError',
    ...(s.status === undefined ? {} : { status: s.status }),
    ...(s.reason === undefined ? {} : { reason: s.reason }),
    ...(s.netCode === undefined ? {} : { code: s.netCode }),
  });
  const make = (code: ErrorCode, what: string, retryable?: boolean) =>
    new CkptError(code, { operation, uri, message: detail && !detail.startsWith(what) ? `${what}: ${detail}` : what, retryable, cause });

  if (s.name === 'AbortError' || s.netCode === 'ABORT_ERR') {
    return new CkptError('ABORTED', { operation, uri, message: 'aborted', retryable: false, cause });
  }
  if (s.name === 'TimeoutError') return make('TIMEOUT', 'timed out', true);
  // A 2xx status on an error means the answer started well and its body then failed (cut short,
  // timed out): a transport failure, classified below, not an HTTP refusal. Taking it for one made
  // a listing page whose body was cut a final "unexpected HTTP status 200".
  if (s.status !== undefined && s.status >= 300) {
    const [code, what, retryable] = byStatus(s.status, s.reason, ctx);
    return make(code, what, retryable);
  }
  // Integrity checks of the SDK (uploads) and of our own downloads.
  if (s.netCode === 'CONTENT_DOWNLOAD_MISMATCH' || s.netCode === 'FILE_NO_UPLOAD' || s.netCode === 'FILE_NO_UPLOAD_DELETE') {
    return make('CORRUPT', 'checksum mismatch between the bytes sent and the bytes stored', true);
  }
  // node-fetch could not parse a JSON body (cut short, or mangled on the way): worth reading again.
  // SDK 8 parses JSON bodies itself and lets JSON.parse's SyntaxError through.
  if (s.type === 'invalid-json' || (s.name === 'SyntaxError' && /JSON/.test(s.message))) return make('UNAVAILABLE', 'the response body is not valid JSON (cut short or mangled)', true);
  if (s.type === 'request-timeout' || s.type === 'body-timeout' || (s.netCode !== undefined && TIMEOUT_NET.has(s.netCode))) {
    return make('TIMEOUT', 'timed out', true);
  }
  if (s.netCode === 'ENOTFOUND') return make('UNAVAILABLE', 'host not found (check the endpoint)', false);
  if ((s.netCode !== undefined && TRANSIENT_NET.has(s.netCode)) || /premature close|socket hang up|other side closed|terminated/i.test(s.message)) {
    return make('UNAVAILABLE', `connection failed${s.netCode ? ` (${s.netCode})` : ''}`, true);
  }
  // google-auth-library: no application default credentials, bad key file, refused token exchange.
  // (OpenSSL's "DECODER routines" / "PEM routines": the key file's private_key does not decode.)
  if (/default credentials|could not load the default|invalid_grant|invalid_client|unauthorized_client|GOOGLE_APPLICATION_CREDENTIALS|private key|client_email|DECODER routines|PEM routines/i.test(s.message)) {
    return make(
      'UNAUTHENTICATED',
      'no usable Google credentials (set GOOGLE_APPLICATION_CREDENTIALS to a key file, run `gcloud auth application-default login`, or use anonymous access for public buckets)',
      false,
    );
  }
  return make('UNAVAILABLE', 'GCS request failed', false);
}
