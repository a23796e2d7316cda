/**
 * Typed errors shared by every ckptkit package.
 *
 * A caller branches on `code`, never on the message. Messages name the operation and the URI and
 * never contain credentials or signed URLs (see {@link redact}).
 */

/**
 * The closed set of conditions a storage or checkpoint operation can fail with.
 *
 * Conditions a retry cannot cure have codes of their own, so that callers neither retry them nor
 * report them as a network blip: NO_SPACE (a full disk, ENOSPC), READ_ONLY (a read-only file system,
 * EROFS), QUOTA_EXCEEDED (a disk quota, EDQUOT, or a store's storage quota), NOT_A_DIRECTORY (a
 * file where a directory is needed, e.g. a destination path whose parent is a file).
 */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'NO_SPACE'
  | 'READ_ONLY'
  | 'QUOTA_EXCEEDED'
  | 'NOT_A_DIRECTORY'
  | 'PRECONDITION_FAILED'
  | 'NOT_SUPPORTED'
  | 'INVALID_PATH'
  | 'INVALID_CONFIG'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CORRUPT';

/** Every error code, for exhaustive checks and documentation. */
export const ERROR_CODES: readonly ErrorCode[] = [
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'NO_SPACE',
  'READ_ONLY',
  'QUOTA_EXCEEDED',
  'NOT_A_DIRECTORY',
  'PRECONDITION_FAILED',
  'NOT_SUPPORTED',
  'INVALID_PATH',
  'INVALID_CONFIG',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'TIMEOUT',
  'ABORTED',
  'CORRUPT',
];

const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['RATE_LIMITED', 'UNAVAILABLE', 'TIMEOUT']);

const BRAND = Symbol.for('@ckptkit/error');

/** What a {@link CkptError} is built from. */
export interface CkptErrorInit {
  /** The operation that failed, e.g. `stat`, `read`, `list`, `latest`. */
  operation: string;
  /** The URI the operation was about (never a signed URL). */
  uri?: string | undefined;
  /** Human detail; redacted before use. */
  message?: string | undefined;
  /** Overrides the default retryability of the code. */
  retryable?: boolean | undefined;
  /** The underlying error (SDK, node:fs, ...). Kept for debugging, never printed with secrets. */
  cause?: unknown;
}

/**
 * The one error class of ckptkit. Check it with {@link isCkptError} (a brand, so two copies of the
 * package in one process still recognise each other's errors).
 */
export class CkptError extends Error {
  readonly code: ErrorCode;
  readonly operation: string;
  readonly uri: string | undefined;
  readonly retryable: boolean;
  declare readonly cause: unknown;

  constructor(code: ErrorCode, init: CkptErrorInit) {
    const detail = init.message ? redact(init.message) : defaultDetail(code);
    const where = init.uri ? ` ${redact(init.uri)}` : '';
    super(`${init.operation}${where}: ${detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'CkptError';
    this.code = code;
    this.operation = init.operation;
    this.uri = init.uri === undefined ? undefined : redact(init.uri);
    this.retryable = init.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A copy of this error about another operation or URI (the cause is kept). */
  withContext(operation: string, uri: string | undefined): CkptError {
    return new CkptError(this.code, {
      operation,
      uri,
      message: this.message.slice(this.message.indexOf(': ') + 2),
      retryable: this.retryable,
      cause: this.cause ?? this,
    });
  }

  /** The JSON shape the CLI prints: `{code, message, uri}`. */
  toJSON(): { code: ErrorCode; message: string; uri?: string } {
    return this.uri === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, uri: this.uri };
  }
}

function defaultDetail(code: ErrorCode): string {
  switch (code) {
    case 'NOT_FOUND':
      return 'not found';
    case 'ALREADY_EXISTS':
      return 'already exists';
    case 'PERMISSION_DENIED':
      return 'permission denied';
    case 'UNAUTHENTICATED':
      return 'not authenticated (missing or invalid credentials)';
    case 'NO_SPACE':
      return 'no space left on the device';
    case 'READ_ONLY':
      return 'the store is read-only';
    case 'QUOTA_EXCEEDED':
      return 'storage quota exceeded';
    case 'NOT_A_DIRECTORY':
      return 'is a file, not a directory';
    case 'PRECONDITION_FAILED':
      return 'precondition failed';
    case 'NOT_SUPPORTED':
      return 'not supported by this store';
    case 'INVALID_PATH':
      return 'invalid path';
    case 'INVALID_CONFIG':
      return 'invalid configuration';
    case 'RATE_LIMITED':
      return 'rate limited';
    case 'UNAVAILABLE':
      return 'service unavailable';
    case 'TIMEOUT':
      return 'timed out';
    case 'ABORTED':
      return 'aborted';
    case 'CORRUPT':
      return 'corrupt data';
  }
}

/** True when `e` is a ckptkit error, optionally of one of the given codes. */
export function isCkptError(e: unknown, ...codes: ErrorCode[]): e is CkptError {
  if (typeof e !== 'object' || e === null || (e as Record<symbol, unknown>)[BRAND] !== true) return false;
  return codes.length === 0 || codes.includes((e as CkptError).code);
}

/**
 * True for an error that is a fault of the program, not a condition of a store: a stack overflow or
 * an array too long (RangeError), a TypeError not caused by a failed request (`fetch failed` carries
 * its network error as `cause`), a ReferenceError. Such an error is never mapped to a storage code:
 * called UNAVAILABLE it would be retried and reported as an outage, where it is a bug (the CLI's
 * INTERNAL). The error mappers of the adapters throw it on unchanged.
 */
export function isProgrammingError(error: unknown): error is Error {
  if (error instanceof RangeError || error instanceof ReferenceError || error instanceof EvalError) return true;
  return error instanceof TypeError && (error as { cause?: unknown }).cause === undefined;
}

/** Builds a {@link CkptError}; a shorthand used by adapters. */
export function ckptError(code: ErrorCode, operation: string, uri: string | undefined, message?: string, cause?: unknown): CkptError {
  return new CkptError(code, { operation, uri, message, cause });
}

/** The error thrown when an AbortSignal fires: code ABORTED, not retryable. */
export function abortError(operation: string, uri: string | undefined, signal?: AbortSignal): CkptError {
  const reason = signal?.reason as unknown;
  const detail = reason instanceof Error && reason.name === 'TimeoutError' ? 'timed out (signal)' : 'aborted';
  return new CkptError(reason instanceof Error && reason.name === 'TimeoutError' ? 'TIMEOUT' : 'ABORTED', {
    operation,
    uri,
    message: detail,
    retryable: false,
    cause: reason,
  });
}

/** Throws {@link abortError} when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, operation: string, uri?: string): void {
  if (signal?.aborted) throw abortError(operation, uri, signal);
}

const SECRET_PATTERNS: Array<[RegExp, string]> = [
  // Query parameters of presigned S3 and GCS URLs, OAuth tokens in URLs.
  [/([?&](?:X-Amz-[A-Za-z-]+|X-Goog-[A-Za-z-]+|Signature|AWSAccessKeyId|GoogleAccessId|access_token|token|sig|key)=)[^&\s"']*/gi, '$1<redacted>'],
  // Authorization headers (SigV4, Bearer, Basic).
  [/(authorization["']?\s*[:=]\s*["']?)(?:AWS4-HMAC-SHA256\s+)?[^"'\n]*/gi, '$1<redacted>'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 <redacted>'],
  // SigV4 pieces quoted outside an Authorization header (a server echoing the request).
  [/\b(Credential=)[^/\s,"']+\//g, '$1<redacted>/'],
  [/\b(Signature=)[0-9a-fA-F]{16,}/g, '$1<redacted>'],
  // AWS access key ids and Google OAuth access tokens.
  [/\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b/g, '<redacted-key-id>'],
  [/\bya29\.[A-Za-z0-9._-]+/g, '<redacted-token>'],
  // Named secrets in JSON or key=value text.
  [/((?:secret_?access_?key|secretAccessKey|session_?token|sessionToken|private_key|client_secret|password|refresh_token)["']?\s*[:=]\s*["']?)[^"'\s,}]+/gi, '$1<redacted>'],
  // Credentials embedded in URLs: scheme://user:pass@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1<redacted>@'],
];

const registeredSecrets = new Set<string>();

/**
 * Registers a literal secret (an access key, a token) so that {@link redact} removes it from every
 * message. Adapters call this with the credentials they are configured with.
 */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) registeredSecrets.add(secret);
}

/** Removes credentials, signatures and tokens from text meant for a human or a log. */
export function redact(text: string): string {
  let out = text;
  for (const secret of registeredSecrets) {
    if (out.includes(secret)) out = out.split(secret).join('<redacted>');
  }
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
