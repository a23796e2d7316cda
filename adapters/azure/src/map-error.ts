import { CkptError, type ErrorCode, isCkptError, redact } from '@ckptkit/gfile';

/** What {@link mapAzureError} needs to know about the call that failed. */
export interface AzureErrorContext {
  /** A write with `If-None-Match: *`: a 409/412 means the blob already exists. */
  ifNotExists?: boolean | undefined;
  /** A write with `If-Match`: a 404 means the version asked for is gone (PRECONDITION_FAILED). */
  ifMatch?: boolean | undefined;
}

/** Network-level error codes (node:net, undici, the SDK's own) that a retry can cure. */
const TRANSIENT_NET = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_NET = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Blob service error codes (x-ms-error-code) that decide the answer whatever the status:
 * https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes and
 * .../common-rest-api-error-codes.
 */
const BY_CODE: Record<string, [ErrorCode, string, boolean?]> = {
  AuthenticationFailed: ['UNAUTHENTICATED', 'authentication failed (403 AuthenticationFailed): a wrong account key, or a SAS token that expired, was revoked or is malformed', false],
  NoAuthenticationInformation: ['UNAUTHENTICATED', 'no credentials (401 NoAuthenticationInformation): set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, log in for Entra ID, or use --anonymous for a public container', false],
  InvalidAuthenticationInfo: ['UNAUTHENTICATED', 'invalid credentials (InvalidAuthenticationInfo)', false],
  AuthorizationFailure: ['PERMISSION_DENIED', 'permission denied (403 AuthorizationFailure)', false],
  AuthorizationPermissionMismatch: ['PERMISSION_DENIED', 'permission denied (403 AuthorizationPermissionMismatch: the SAS or role does not grant this operation)', false],
  PermissionMismatch: ['PERMISSION_DENIED', 'permission denied (PermissionMismatch)', false],
  AuthorizationSourceIPMismatch: ['PERMISSION_DENIED', 'permission denied (403 AuthorizationSourceIPMismatch: not from this address)', false],
  AuthorizationProtocolMismatch: ['PERMISSION_DENIED', 'permission denied (403 AuthorizationProtocolMismatch: the SAS requires https)', false],
  AuthorizationServiceMismatch: ['PERMISSION_DENIED', 'permission denied (403 AuthorizationServiceMismatch)', false],
  AuthorizationResourceTypeMismatch: ['PERMISSION_DENIED', 'permission denied (403 AuthorizationResourceTypeMismatch)', false],
  InsufficientAccountPermissions: ['PERMISSION_DENIED', 'permission denied (403 InsufficientAccountPermissions)', false],
  AccountIsDisabled: ['PERMISSION_DENIED', 'the storage account is disabled (403 AccountIsDisabled)', false],
  PublicAccessNotPermitted: ['PERMISSION_DENIED', 'public access is not permitted on this account (409 PublicAccessNotPermitted): anonymous requests cannot read it', false],
  ContainerNotFound: ['NOT_FOUND', 'container not found (404 ContainerNotFound)'],
  BlobNotFound: ['NOT_FOUND', 'not found (404 BlobNotFound)'],
  ResourceNotFound: ['NOT_FOUND', 'not found (404 ResourceNotFound)'],
  CannotVerifyCopySource: ['NOT_FOUND', 'the copy source is not there or not readable (CannotVerifyCopySource)'],
  BlobAlreadyExists: ['ALREADY_EXISTS', 'already exists (409 BlobAlreadyExists)'],
  ContainerAlreadyExists: ['ALREADY_EXISTS', 'the container already exists (409 ContainerAlreadyExists)'],
  ConditionNotMet: ['PRECONDITION_FAILED', 'precondition failed (412 ConditionNotMet)'],
  TargetConditionNotMet: ['PRECONDITION_FAILED', 'precondition failed (412 TargetConditionNotMet)'],
  LeaseIdMissing: ['PRECONDITION_FAILED', 'the blob is leased by someone else (412 LeaseIdMissing)', false],
  LeaseAlreadyPresent: ['PRECONDITION_FAILED', 'the blob is leased by someone else (409 LeaseAlreadyPresent)', false],
  ServerBusy: ['RATE_LIMITED', 'the server is busy (503 ServerBusy): throttled'],
  OperationTimedOut: ['TIMEOUT', 'the server timed out the operation (500 OperationTimedOut)', true],
  InternalError: ['UNAVAILABLE', 'server error (500 InternalError)', true],
  ContainerBeingDeleted: ['UNAVAILABLE', 'the container is being deleted (409 ContainerBeingDeleted)', true],
  BlobArchived: ['NOT_SUPPORTED', 'the blob is in the archive tier and must be rehydrated before it can be read (409 BlobArchived)', false],
  BlobBeingRehydrated: ['NOT_SUPPORTED', 'the blob is being rehydrated from the archive tier (409 BlobBeingRehydrated)', false],
  InvalidResourceName: ['INVALID_PATH', 'not a valid container or blob name (400 InvalidResourceName)', false],
  InvalidUri: ['INVALID_PATH', 'not a valid blob URI (400 InvalidUri)', false],
  InvalidBlobOrBlock: ['INVALID_PATH', 'invalid blob or block (400 InvalidBlobOrBlock)', false],
  RequestBodyTooLarge: ['INVALID_CONFIG', 'the request body is too large for one request (413 RequestBodyTooLarge)', false],
  AccountIsFull: ['QUOTA_EXCEEDED', 'the storage account is full (AccountIsFull)', false],
  InvalidHeaderValue: [
    'INVALID_CONFIG',
    "the server refuses a header (400 InvalidHeaderValue); for Azurite older than the SDK's service version, start it with --skipApiVersionCheck",
    false,
  ],
};

interface Shape {
  status: number | undefined;
  code: string | undefined;
  netCode: string | undefined;
  message: string;
  name: string | undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

/** The few fields that matter of a RestError (core-rest-pipeline), an identity error, undici or node:net error. */
function shapeOf(error: unknown): Shape {
  const e = rec(error);
  const details = rec(e.details);
  const response = rec(e.response);
  const cause = rec(e.cause);
  const status = typeof e.statusCode === 'number' ? e.statusCode : typeof response.status === 'number' ? response.status : undefined;
  // x-ms-error-code: in the body's <Code> (the SDK's `code`) or, for HEAD requests without a body, in `details.errorCode`.
  const code = str(details.errorCode) ?? (typeof e.code === 'string' && /^[A-Z][A-Za-z]+$/.test(e.code) ? e.code : undefined);
  const netCode = [e.code, e.errno, cause.code].map(str).find((c) => c !== undefined && /^[A-Z_]+$/.test(c) && c !== 'REQUEST_SEND_ERROR' && c !== 'PARSE_ERROR');
  const message = str(e.message) ?? (typeof error === 'string' ? error : '');
  return { status, code, netCode: netCode ?? (str(e.code) === 'PARSE_ERROR' ? 'PARSE_ERROR' : undefined), message, name: str(e.name) };
}

/**
 * SDK messages can quote request URLs (a SAS lives in their query strings) or whole XML answers:
 * keep the first line, drop query strings and XML, then redact registered keys and tokens.
 */
export function sanitizeMessage(message: string): string {
  const firstLine = (message.split('\n', 1)[0] ?? '').replace(/<\?xml.*$/s, '').trim();
  const noQuery = firstLine
    .replace(/(\bhttps?:\/\/[^\s"'?<>]*)\?[^\s"'<>]*/gi, '$1?<query>')
    // A SAS's fields wherever they appear (a server may quote the request's path and query).
    .replace(/\b(sig|se|sv|sp|skoid|sktid|skt|ske|sks|skv|st|spr|srt|ss|sr)=[^&\s"'<>]+/gi, '$1=<redacted>')
    // An Authorization header a server quotes back: Shared Key signatures and bearer tokens.
    .replace(/\b(SharedKey(?:Lite)?\s+[^:\s]+:)\S+/g, '$1<redacted>')
    .replace(/\b(Bearer\s+)[^\s"'<>]+/gi, '$1<redacted>');
  const clipped = noQuery.length > 300 ? `${noQuery.slice(0, 300)}...` : noQuery;
  return redact(clipped);
}

function byStatus(status: number, ctx: AzureErrorContext): [ErrorCode, string, boolean?] {
  switch (status) {
    case 400:
      return ['INVALID_PATH', 'bad request (400)', false];
    case 401:
      return ['UNAUTHENTICATED', 'not authenticated (401)', false];
    case 403:
      return ['PERMISSION_DENIED', 'permission denied (403)', false];
    case 404:
      return ctx.ifMatch ? ['PRECONDITION_FAILED', 'precondition failed: the blob is gone (404)'] : ['NOT_FOUND', 'not found (404)'];
    case 408:
      return ['TIMEOUT', 'request timeout (408)', true];
    case 409:
      return ['ALREADY_EXISTS', 'conflict (409)', false];
    case 412:
      return ['PRECONDITION_FAILED', 'precondition failed (412)'];
    case 416:
      return ['INVALID_PATH', 'range not satisfiable (416)', false];
    case 429:
      return ['RATE_LIMITED', 'rate limited (429)'];
    case 501:
      return ['NOT_SUPPORTED', 'not implemented by this server (501)', false];
    case 503:
      return ['RATE_LIMITED', 'service unavailable (503): throttled or overloaded'];
  }
  if (status >= 500) return ['UNAVAILABLE', `server error (${status})`, true];
  return ['UNAVAILABLE', `unexpected HTTP status ${status}`, false];
}

/**
 * The only place that reads errors of `@azure/storage-blob` (RestError), `@azure/identity`,
 * undici and node:net: turns one into a {@link CkptError} for `operation` on `uri`. The Blob
 * service's error code decides first (AuthenticationFailed is UNAUTHENTICATED although its status
 * is 403; ServerBusy is RATE_LIMITED), then the HTTP status; transient network failures are
 * retryable UNAVAILABLE or TIMEOUT. CkptErrors pass through.
 *
 * RestErrors carry the request (with its Authorization header and SAS URL): they are never kept
 * as the cause; the cause is a plain Error with the sanitized message.
 */
export function mapAzureError(error: unknown, operation: string, uri: string, ctx: AzureErrorContext = {}): CkptError {
  if (isCkptError(error)) return error;
  const s = shapeOf(error);
  const detail = s.message ? sanitizeMessage(s.message) : '';
  const cause = Object.assign(new Error(detail || 'Azure error'), {
    name: s.name ?? 'AzureError',
    ...(s.status === undefined ? {} : { status: s.status }),
    ...(s.code === undefined ? {} : { errorCode: s.code }),
    ...(s.netCode === undefined ? {} : { code: s.netCode }),
  });
  const make = (code: ErrorCode, what: string, retryable?: boolean) =>
    new CkptError(code, { operation, uri, message: detail && !detail.startsWith(what) && !what.includes(detail) ? `${what}: ${detail}` : what, retryable, cause });

  if (s.name === 'AbortError' || s.netCode === 'ABORT_ERR') return new CkptError('ABORTED', { operation, uri, message: 'aborted', retryable: false, cause });
  if (s.name === 'TimeoutError') return make('TIMEOUT', 'timed out', true);
  if (s.status !== undefined && s.status >= 300) {
    if (s.code !== undefined && (s.code === 'BlobAlreadyExists' || s.code === 'ConditionNotMet') && ctx.ifNotExists) {
      return make('ALREADY_EXISTS', `already exists (${s.status} ${s.code} on If-None-Match: *)`, false);
    }
    if (s.code === 'BlobNotFound' && ctx.ifMatch) return make('PRECONDITION_FAILED', 'precondition failed: the blob is gone (404 BlobNotFound)');
    const known = s.code === undefined ? undefined : BY_CODE[s.code];
    if (known) return make(...known);
    if (s.status === 412 && ctx.ifNotExists) return make('ALREADY_EXISTS', 'already exists (412 on If-None-Match: *)', false);
    const [code, what, retryable] = byStatus(s.status, ctx);
    return make(code, s.code ? `${what.replace(/\)$/, '')} ${s.code})` : what, retryable);
  }
  // The SDK's download stream ended before Content-Length (a body cut short).
  if (/Data corruption failure|received less data than required/i.test(s.message)) return make('UNAVAILABLE', 'body cut short', true);
  // The XML answer did not parse (cut short or mangled): worth asking again.
  if (s.netCode === 'PARSE_ERROR' || /Error (?:parsing|occurred while parsing)|Unexpected end|Non-whitespace before first tag|Unclosed root tag|XML/i.test(s.message)) {
    return make('UNAVAILABLE', 'the response body is not valid XML (cut short or mangled)', true);
  }
  if (s.netCode !== undefined && TIMEOUT_NET.has(s.netCode)) return make('TIMEOUT', 'timed out', true);
  if (s.netCode === 'ENOTFOUND') return make('UNAVAILABLE', 'host not found (check the account name or endpoint)', false);
  if ((s.netCode !== undefined && TRANSIENT_NET.has(s.netCode)) || /premature close|socket hang up|other side closed|terminated|ECONNRESET|ECONNREFUSED/i.test(s.message)) {
    return make('UNAVAILABLE', `connection failed${s.netCode ? ` (${s.netCode})` : ''}`, true);
  }
  // @azure/identity: no credential in the chain worked, or a token request was refused.
  if (s.name === 'CredentialUnavailableError' || s.name === 'AggregateAuthenticationError' || s.name === 'AuthenticationRequiredError' || s.name === 'AuthenticationError') {
    return make(
      'UNAUTHENTICATED',
      'no usable Azure credentials (set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, log in with `az login` for Entra ID, or use --anonymous for a public container)',
      false,
    );
  }
  if (/Bearer token authentication is not permitted for non-TLS/i.test(s.message)) {
    return make('INVALID_CONFIG', 'Entra ID tokens are sent over https only: give an https endpoint, or a key or SAS for an http emulator', false);
  }
  return make('UNAVAILABLE', 'Azure request failed', false);
}
