import { describe, expect, it } from 'vitest';
import { isCkptError } from '@ckptkit/gfile';
import { destinationUri, destinationUris, directoryBase, unsafeReason } from './safe-paths.js';

describe('destination paths from listed names', () => {
  it('accepts plain relative paths, names with odd but harmless characters included', () => {
    for (const rel of ['ckpt-5.index', 'model/checkpoint/ckpt-0.data-00000-of-00001', 'epoch=3-step=1000.ckpt', 'a b+c@d:e', '%2e%2e', '...', '..a', 'x..']) {
      expect(unsafeReason(rel), rel).toBeUndefined();
    }
  });

  it.each([
    ['', /empty/],
    ['../evil', /\.\./],
    ['a/../../evil', /\.\./],
    ['a/..', /\.\./],
    ['./a', /`\.` segment/],
    ['/etc/passwd', /absolute/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['..\\..\\evil', /backslash/],
    ['a\\b', /backslash/],
    ['C:/Windows/evil', /drive letter/],
    ['c:evil', /drive letter/],
    ['s3://other/x', /URI|empty segment/],
    ['a\0b', /NUL/],
  ])('refuses %j', (rel, reason) => {
    expect(unsafeReason(rel)).toMatch(reason);
    let error: unknown;
    try {
      destinationUri('s3://bucket/dst', rel, { operation: 'cp', source: 's3://hostile/run/ckpt-1' });
    } catch (e) {
      error = e;
    }
    expect(isCkptError(error, 'INVALID_PATH')).toBe(true);
    expect((error as Error).message).toMatch(/refusing to write .* below s3:\/\/bucket\/dst: .*nothing was written/);
    expect((error as { uri: string }).uri).toBe('s3://hostile/run/ckpt-1');
    expect((error as { operation: string }).operation).toBe('cp');
  });

  it('joins safe paths below the directory on every kind of store, a trailing slash or not', () => {
    expect(destinationUri('s3://b/dst/', 'ckpt-1.index', { operation: 'cp' })).toBe('s3://b/dst/ckpt-1.index');
    expect(destinationUri('gs://b', 'm/ckpt-1.index', { operation: 'cp' })).toBe('gs://b/m/ckpt-1.index');
    expect(destinationUri('./dst', 'x/y', { operation: 'cp' })).toBe('./dst/x/y');
    expect(destinationUri('/tmp/dst', 'y', { operation: 'cp' })).toBe('/tmp/dst/y');
  });

  it('checks all paths before returning any', () => {
    expect(() => destinationUris('/tmp/dst', ['a', 'b', '../c'], { operation: 'cp' })).toThrow(/"\.\.\/c"/);
  });
});

describe('directoryBase: a root stays a root', () => {
  it('keeps / and file:/// as the root, never the empty string of the working directory', () => {
    expect(directoryBase('/')).toBe('/');
    expect(directoryBase('//')).toBe('/');
    expect(directoryBase('file:///')).toBe('file:///');
    expect(directoryBase('s3://b/')).toBe('s3://b');
    expect(directoryBase('./out/')).toBe('./out');
    expect(directoryBase('')).toBe('');
    expect(destinationUri('/', 'ckpt-5.index', { operation: 'cp' })).toBe('/ckpt-5.index');
    expect(destinationUri('file:///', 'ckpt-5.index', { operation: 'cp' })).toBe('file:///ckpt-5.index');
  });
});
