import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '@ckptkit/gfile';
import { mapFsError } from './map-error.js';

const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });

describe('mapFsError', () => {
  const cases: Array<[string, string, ErrorCode, boolean]> = [
    ['ENOENT', 'read', 'NOT_FOUND', false],
    ['ENOTDIR', 'read', 'NOT_FOUND', false],
    ['ENOTDIR', 'stat', 'NOT_FOUND', false],
    ['ENOTDIR', 'write', 'NOT_A_DIRECTORY', false],
    ['ENOTDIR', 'copy', 'NOT_A_DIRECTORY', false],
    ['EACCES', 'read', 'PERMISSION_DENIED', false],
    ['EPERM', 'write', 'PERMISSION_DENIED', false],
    ['EROFS', 'write', 'READ_ONLY', false],
    ['ENOSPC', 'write', 'NO_SPACE', false],
    ['EFBIG', 'write', 'NO_SPACE', false],
    ['EDQUOT', 'write', 'QUOTA_EXCEEDED', false],
    ['EIO', 'read', 'UNAVAILABLE', true],
    ['EMFILE', 'read', 'UNAVAILABLE', true],
  ];
  for (const [code, operation, expected, retryable] of cases) {
    it(`${code} on ${operation} -> ${expected}${retryable ? ' (retryable)' : ''}`, () => {
      const e = mapFsError(errno(code), operation, 'file:///x/y');
      expect(e).toMatchObject({ code: expected, retryable, operation, uri: 'file:///x/y' });
      expect(e.message).toContain(`(${code})`);
    });
  }
  it('says why a path through a file is not found', () => {
    expect(mapFsError(errno('ENOTDIR'), 'read', 'file:///f/x').message).toMatch(/is a file, not a directory/);
  });
  it('throws a fault of the program on unchanged: never UNAVAILABLE', () => {
    const overflow = new RangeError('Maximum call stack size exceeded');
    expect(() => mapFsError(overflow, 'list', 'file:///x')).toThrow(overflow);
    const bug = new TypeError("Cannot read properties of undefined (reading 'key')");
    expect(() => mapFsError(bug, 'list', 'file:///x')).toThrow(bug);
    expect(mapFsError(new Error('something odd'), 'list', 'file:///x').code).toBe('UNAVAILABLE');
  });
});
