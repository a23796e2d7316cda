import { describe, expect, it } from 'vitest';
import { CkptError, ERROR_CODES, abortError, isCkptError, redact, registerSecret } from './errors.js';

describe('CkptError', () => {
  it('carries code, operation, uri and retryability', () => {
    const e = new CkptError('RATE_LIMITED', { operation: 'list', uri: 's3://b/x' });
    expect(e).toMatchObject({ code: 'RATE_LIMITED', operation: 'list', uri: 's3://b/x', retryable: true });
    expect(new CkptError('NOT_FOUND', { operation: 'stat' }).retryable).toBe(false);
    expect(new CkptError('UNAVAILABLE', { operation: 'stat', retryable: false }).retryable).toBe(false);
    expect(e.toJSON()).toEqual({ code: 'RATE_LIMITED', message: 'list s3://b/x: rate limited', uri: 's3://b/x' });
  });
  it('is recognised by its brand, also from another copy of the class', () => {
    const foreign = Object.assign(new Error('x'), { code: 'NOT_FOUND' });
    expect(isCkptError(foreign)).toBe(false);
    const e = new CkptError('NOT_FOUND', { operation: 'stat' });
    const clone = Object.create(Object.getPrototypeOf(e)) as object;
    expect(isCkptError(clone)).toBe(false);
    expect(isCkptError(e, 'NOT_FOUND', 'TIMEOUT')).toBe(true);
    expect(isCkptError(e, 'TIMEOUT')).toBe(false);
  });
  it('maps an abort to ABORTED and a timeout signal to TIMEOUT, never retryable', () => {
    expect(abortError('read', 'x', AbortSignal.abort()).code).toBe('ABORTED');
    const timeout = new AbortController();
    timeout.abort(new DOMException('t', 'TimeoutError'));
    const e = abortError('read', 'x', timeout.signal);
    expect(e.code).toBe('TIMEOUT');
    expect(e.retryable).toBe(false);
  });
  it('lists every code once', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });
});

describe('redact', () => {
  it('removes signatures, tokens and keys from messages', () => {
    const signed = 'GET https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F2026&X-Amz-Signature=deadbeef00';
    const out = redact(signed);
    expect(out).not.toContain('deadbeef00');
    expect(out).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(redact('Authorization: Bearer ya29.a0AfH6SMBsecretsecret')).not.toContain('ya29.a0AfH6SMBsecretsecret');
    expect(redact('{"secretAccessKey":"wJalrXUtnFEMI/K7MDENG"}')).not.toContain('wJalrXUtnFEMI');
    expect(redact('https://user:hunter2@host/x')).not.toContain('hunter2');
  });
  it('removes the key id and the signature of a SigV4 header a server echoed without its name', () => {
    const echoed = 'bad request: AWS4-HMAC-SHA256 Credential=CKPTKEYID0001/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0123456789abcdef0123456789abcdef';
    const out = redact(echoed);
    expect(out).not.toContain('CKPTKEYID0001');
    expect(out).not.toContain('0123456789abcdef0123456789abcdef');
    expect(out).toContain('us-east-1');
  });
  it('removes registered literal secrets, and messages built by CkptError are redacted', () => {
    registerSecret('my-very-secret-value');
    expect(redact('failed with my-very-secret-value inside')).toBe('failed with <redacted> inside');
    const e = new CkptError('UNAUTHENTICATED', { operation: 'stat', uri: 's3://b/k', message: 'bad key my-very-secret-value' });
    expect(e.message).not.toContain('my-very-secret-value');
  });
});
