import { describe, expect, it } from 'vitest';
import { isCkptError, type ErrorCode } from '@ckptkit/gfile';
import { isCopySourceTooLarge, isPreconditionFailed, isRangeNotSatisfiable, mapDeleteObjectsFailures, mapS3Error, s3StatusOf } from './map-error.js';

/** An SDK service error as @aws-sdk/client-s3 throws it. */
function sdkError(name: string, status: number, message = 'UnknownError', extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), { name, Code: name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, ...extra });
}

function netError(code: string, message = code) {
  return Object.assign(new Error(message), { code });
}

describe('mapS3Error', () => {
  const cases: Array<[string, unknown, ErrorCode, boolean]> = [
    ['NoSuchKey', sdkError('NoSuchKey', 404, 'The specified key does not exist.'), 'NOT_FOUND', false],
    ['HEAD 404 (no body)', sdkError('NotFound', 404), 'NOT_FOUND', false],
    ['NoSuchBucket', sdkError('NoSuchBucket', 404), 'NOT_FOUND', false],
    ['AccessDenied', sdkError('AccessDenied', 403, 'Access Denied'), 'PERMISSION_DENIED', false],
    ['HEAD 403 (no body)', sdkError('403', 403), 'PERMISSION_DENIED', false],
    ['SignatureDoesNotMatch', sdkError('SignatureDoesNotMatch', 403), 'UNAUTHENTICATED', false],
    ['InvalidAccessKeyId', sdkError('InvalidAccessKeyId', 403), 'UNAUTHENTICATED', false],
    ['ExpiredToken', sdkError('ExpiredToken', 400), 'UNAUTHENTICATED', false],
    ['PermanentRedirect', sdkError('PermanentRedirect', 301), 'INVALID_CONFIG', false],
    ['PreconditionFailed', sdkError('PreconditionFailed', 412), 'PRECONDITION_FAILED', false],
    ['ConditionalRequestConflict', sdkError('ConditionalRequestConflict', 409), 'PRECONDITION_FAILED', true],
    ['SlowDown', sdkError('SlowDown', 503), 'RATE_LIMITED', true],
    ['429', sdkError('TooManyRequests', 429), 'RATE_LIMITED', true],
    ['InternalError', sdkError('InternalError', 500), 'UNAVAILABLE', true],
    ['502 without a body', sdkError('Unknown', 502), 'UNAVAILABLE', true],
    ['504 without a body', sdkError('UnknownError', 504), 'UNAVAILABLE', true],
    ['RequestTimeout (400)', sdkError('RequestTimeout', 400), 'TIMEOUT', true],
    ['NotImplemented', sdkError('NotImplemented', 501), 'NOT_SUPPORTED', false],
    ['KeyTooLongError', sdkError('KeyTooLongError', 400), 'INVALID_PATH', false],
    // Full or over quota: codes of their own, never retried, never UNAVAILABLE.
    ['QuotaExceeded (RGW user/bucket quota, 403)', sdkError('QuotaExceeded', 403), 'QUOTA_EXCEEDED', false],
    ['TooManyBuckets', sdkError('TooManyBuckets', 400), 'QUOTA_EXCEEDED', false],
    ['XMinioAdminBucketQuotaExceeded', sdkError('XMinioAdminBucketQuotaExceeded', 400), 'QUOTA_EXCEEDED', false],
    ['XMinioStorageFull (507)', sdkError('XMinioStorageFull', 507), 'NO_SPACE', false],
    ['507 without a body', sdkError('Unknown', 507), 'NO_SPACE', false],
    ['an unknown 400', sdkError('WeirdThing', 400), 'INVALID_CONFIG', false],
    ['ECONNRESET', netError('ECONNRESET', 'socket hang up'), 'UNAVAILABLE', true],
    ['ECONNREFUSED', netError('ECONNREFUSED'), 'UNAVAILABLE', true],
    ['ENOTFOUND', netError('ENOTFOUND'), 'UNAVAILABLE', true],
    ['ETIMEDOUT', netError('ETIMEDOUT'), 'TIMEOUT', true],
    ['SDK TimeoutError', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), 'TIMEOUT', true],
    // The SDK's NodeHttpHandler renames ECONNRESET and EPIPE errors "TimeoutError": the code tells what happened.
    ['EPIPE renamed TimeoutError', Object.assign(netError('EPIPE', 'write EPIPE'), { name: 'TimeoutError' }), 'UNAVAILABLE', true],
    ['ECONNRESET renamed TimeoutError', Object.assign(netError('ECONNRESET', 'read ECONNRESET'), { name: 'TimeoutError' }), 'UNAVAILABLE', true],
    ['CredentialsProviderError', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'UNAUTHENTICATED', false],
    ['a plain unknown error', new Error('something odd'), 'UNAVAILABLE', false],
    ['a thrown string', 'weird', 'UNAVAILABLE', false],
  ];
  for (const [label, error, code, retryable] of cases) {
    it(`${label} -> ${code}${retryable ? ' (retryable)' : ''}`, () => {
      const mapped = mapS3Error(error, 'read', 's3://b/k');
      expect(mapped.code).toBe(code);
      expect(mapped.retryable).toBe(retryable);
      expect(mapped.operation).toBe('read');
      expect(mapped.uri).toBe('s3://b/k');
      // The cause keeps what matters for debugging and for the adapter's own checks, not the SDK
      // error itself (its hidden $response holds the signed request).
      const cause = mapped.cause as Record<string, unknown> & Error;
      expect(cause).toBeInstanceOf(Error);
      expect(cause.message).toBe(typeof error === 'string' ? error : (error as Error).message);
      expect(Object.getOwnPropertyNames(cause)).not.toContain('$response');
      if (typeof error === 'object' && error !== null && 'Code' in error) expect(cause.Code).toBe((error as { Code: unknown }).Code);
      expect(s3StatusOf(cause)).toBe(s3StatusOf(error));
    });
  }

  it('an AbortError is ABORTED, or TIMEOUT when the signal timed out', async () => {
    const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(mapS3Error(abort, 'list', 's3://b/', AbortSignal.abort()).code).toBe('ABORTED');
    const timeout = AbortSignal.timeout(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(mapS3Error(abort, 'list', 's3://b/', timeout).code).toBe('TIMEOUT');
    expect(mapS3Error(abort, 'list', 's3://b/').code).toBe('ABORTED');
  });

  it('keeps CkptErrors as they are', () => {
    const inner = mapS3Error(sdkError('NoSuchKey', 404), 'read', 's3://b/k');
    expect(mapS3Error(inner, 'other', 's3://x/y')).toBe(inner);
  });

  it('names the S3 code and status, keeps the server message, and redacts secrets and signatures', () => {
    const e = sdkError('AccessDenied', 403, 'denied for https://b.s3.amazonaws.com/k?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIAABCDEFGHIJKLMNOP secretAccessKey=hunter2hunter2');
    const m = mapS3Error(e, 'read', 's3://b/k');
    expect(m.message).toMatch(/^read s3:\/\/b\/k: access denied \(AccessDenied, HTTP 403\): denied for/);
    expect(m.message).not.toMatch(/deadbeef|AKIAABCDEFGHIJKLMNOP|hunter2/);
  });

  it('leaves out the SDK text for an unreadable error body', () => {
    const e = sdkError('Error', 500, 'Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.');
    expect(mapS3Error(e, 'list', 's3://b/').message).toBe('list s3://b/: server error (HTTP 500)');
  });
});

describe('predicates on SDK errors', () => {
  it('recognise 416, 412 and the copy size limit', () => {
    expect(isRangeNotSatisfiable(sdkError('InvalidRange', 416))).toBe(true);
    expect(isRangeNotSatisfiable(sdkError('NoSuchKey', 404))).toBe(false);
    expect(isPreconditionFailed(sdkError('PreconditionFailed', 412))).toBe(true);
    expect(isPreconditionFailed(sdkError('ConditionalRequestConflict', 409))).toBe(false);
    expect(isCopySourceTooLarge(sdkError('InvalidRequest', 400, 'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120'))).toBe(true);
    expect(isCopySourceTooLarge(sdkError('InvalidRequest', 400, 'something else'))).toBe(false);
  });
});

describe('mapDeleteObjectsFailures', () => {
  const uriOf = (k: string) => `s3://b/${k}`;
  it('ignores NoSuchKey and reports the first real failure with a count', () => {
    expect(mapDeleteObjectsFailures(undefined, uriOf)).toBeUndefined();
    expect(mapDeleteObjectsFailures([{ Key: 'a', Code: 'NoSuchKey' }], uriOf)).toBeUndefined();
    const e = mapDeleteObjectsFailures(
      [
        { Key: 'a', Code: 'NoSuchKey' },
        { Key: 'b', Code: 'AccessDenied', Message: 'Access Denied' },
        { Key: 'c', Code: 'InternalError', Message: 'oops' },
      ],
      uriOf,
    );
    expect(isCkptError(e, 'PERMISSION_DENIED')).toBe(true);
    expect(e!.uri).toBe('s3://b/b');
    expect(e!.message).toContain('and 1 more');
    expect(e!.retryable).toBe(true);
  });
});

describe('what an error keeps of the SDK error', () => {
  it('never the raw response with the signed request, even in hidden fields', async () => {
    const { inspect } = await import('node:util');
    const sdk = Object.assign(new Error('Service Unavailable'), {
      name: 'ServiceUnavailable',
      Code: 'ServiceUnavailable',
      $fault: 'server',
      $metadata: { httpStatusCode: 503, requestId: 'req-1', attempts: 1 },
    });
    Object.defineProperty(sdk, '$response', {
      enumerable: false,
      value: { statusCode: 503, headers: {}, request: { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDSECRETLOOKING/20260101/us-east-1/s3/aws4_request, Signature=deadbeef' } } },
    });
    const mapped = mapS3Error(sdk, 'read', 's3://b/k');
    expect([mapped.code, mapped.retryable]).toEqual(['UNAVAILABLE', true]);
    const shown = inspect(mapped, { depth: 20, showHidden: true });
    expect(shown).not.toContain('Signature=');
    expect(shown).not.toContain('AKIDSECRETLOOKING');
    expect(shown).toContain('ServiceUnavailable');
    expect(shown).toContain('req-1');
  });
});

describe('mapS3Error: faults of the program', () => {
  it('throws a stack overflow or a TypeError on unchanged, never as UNAVAILABLE', () => {
    const overflow = new RangeError('Maximum call stack size exceeded');
    expect(() => mapS3Error(overflow, 'list', 's3://b/p/')).toThrow(overflow);
    const bug = new TypeError("Cannot read properties of undefined (reading 'Key')");
    expect(() => mapS3Error(bug, 'list', 's3://b/p/')).toThrow(bug);
  });
  it('still maps a failed request carried by a TypeError (fetch failed, with its cause)', () => {
    const fetchFailed = new TypeError('fetch failed', { cause: netError('ECONNRESET') });
    expect(() => mapS3Error(fetchFailed, 'list', 's3://b/p/')).not.toThrow();
    expect(mapS3Error(fetchFailed, 'list', 's3://b/p/').code).toBe('UNAVAILABLE');
  });
});
