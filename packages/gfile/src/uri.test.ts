import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCkptError } from './errors.js';
import { joinUri, parseUri, schemeOf, uriForKey } from './uri.js';

describe('parseUri', () => {
  it('splits cloud and memory URIs verbatim', () => {
    expect(parseUri('s3://bucket/run 42/ckpt-1.index')).toMatchObject({ scheme: 's3', store: 'bucket', key: 'run 42/ckpt-1.index', trailingSlash: false });
    expect(parseUri('gs://b/a%2Fb')).toMatchObject({ scheme: 'gs', store: 'b', key: 'a%2Fb' });
    expect(parseUri('memory://mem/x/')).toMatchObject({ scheme: 'memory', store: 'mem', key: 'x', trailingSlash: true, base: 'memory://mem/x' });
    expect(parseUri('S3://bucket')).toMatchObject({ scheme: 's3', store: 'bucket', key: '' });
    expect(parseUri('s3://bucket/')).toMatchObject({ key: '', trailingSlash: true, base: 's3://bucket' });
  });

  it('resolves bare paths and file:// against the filesystem', () => {
    expect(parseUri('/tmp/x')).toMatchObject({ scheme: 'file', store: '', key: 'tmp/x', base: '/tmp/x' });
    expect(parseUri('file:///tmp/x/')).toMatchObject({ scheme: 'file', key: 'tmp/x', trailingSlash: true, base: 'file:///tmp/x' });
    expect(parseUri('file://localhost/tmp/x')).toMatchObject({ key: 'tmp/x' });
    expect(parseUri('./rel/dir').key).toBe(path.resolve('rel/dir').slice(1));
    expect(parseUri('/')).toMatchObject({ key: '', base: '/' });
    expect(parseUri('epoch=3-step=1000.ckpt').key).toBe(path.resolve('epoch=3-step=1000.ckpt').slice(1));
  });

  it('rejects what cannot name a store with INVALID_PATH', () => {
    for (const bad of ['', 's3://', 's3:///key', 'memory://', 'file://otherhost/x', 'a\0b']) {
      let error: unknown;
      try {
        parseUri(bad);
      } catch (e) {
        error = e;
      }
      expect(isCkptError(error, 'INVALID_PATH'), bad).toBe(true);
    }
  });

  it('knows the scheme of bare paths', () => {
    expect(schemeOf('./x')).toBe('file');
    expect(schemeOf('gs://b')).toBe('gs');
  });
});

describe('uriForKey', () => {
  const fallback = (k: string) => `file:///${k}`;
  it('keeps the user spelling for keys under the parsed key', () => {
    const p = parseUri('./runs');
    expect(uriForKey(p, `${p.key}/ckpt-1.index`, fallback)).toBe('./runs/ckpt-1.index');
    expect(uriForKey(p, p.key, fallback)).toBe('./runs');
    const s3 = parseUri('s3://b');
    expect(uriForKey(s3, 'a/b', fallback)).toBe('s3://b/a/b');
    const prefix = parseUri('s3://b/run/ckpt-1');
    expect(uriForKey(prefix, 'run/ckpt-10.index', fallback)).toBe('s3://b/run/ckpt-10.index');
  });
  it('falls back to the store URI elsewhere', () => {
    expect(uriForKey(parseUri('/tmp/a'), 'etc/x', fallback)).toBe('file:///etc/x');
  });
});

describe('joinUri', () => {
  it('joins with single slashes and restarts at absolute parts', () => {
    expect(joinUri('s3://b/run', 'ckpt-1.index')).toBe('s3://b/run/ckpt-1.index');
    expect(joinUri('s3://b/run/', 'x', '', 'y')).toBe('s3://b/run/x/y');
    expect(joinUri('./a', '/abs/b')).toBe('/abs/b');
    expect(joinUri('./a', 'gs://other/x')).toBe('gs://other/x');
    expect(joinUri('memory://m', 'a b+c@d:e')).toBe('memory://m/a b+c@d:e');
  });
});
