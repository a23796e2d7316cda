import { CkptError, type ErrorCode, isCkptError } from '@ckptkit/gfile';

const CODES: Record<string, [ErrorCode, string, boolean?]> = {
  ENOENT: ['NOT_FOUND', 'no such file or directory'],
  ENOTDIR: ['NOT_FOUND', 'a parent of this path is not a directory'],
  EEXIST: ['ALREADY_EXISTS', 'already exists'],
  EACCES: ['PERMISSION_DENIED', 'permission denied'],
  EPERM: ['PERMISSION_DENIED', 'operation not permitted'],
  EROFS: ['PERMISSION_DENIED', 'read-only file system'],
  EISDIR: ['INVALID_PATH', 'is a directory'],
  ENOTEMPTY: ['PRECONDITION_FAILED', 'directory not empty'],
  ENAMETOOLONG: ['INVALID_PATH', 'name too long'],
  EINVAL: ['INVALID_PATH', 'invalid argument'],
  ELOOP: ['INVALID_PATH', 'too many levels of symbolic links'],
  EXDEV: ['NOT_SUPPORTED', 'cross-device rename'],
  ENOSPC: ['UNAVAILABLE', 'no space left on device', false],
  EDQUOT: ['UNAVAILABLE', 'disk quota exceeded', false],
  EMFILE: ['UNAVAILABLE', 'too many open files', true],
  ENFILE: ['UNAVAILABLE', 'too many open files in the system', true],
  EAGAIN: ['UNAVAILABLE', 'resource temporarily unavailable', true],
  EBUSY: ['UNAVAILABLE', 'resource busy', true],
  EIO: ['UNAVAILABLE', 'input/output error', true],
  ETIMEDOUT: ['TIMEOUT', 'timed out', true],
};

/**
 * The only place that reads node:fs errors: turns one into a {@link CkptError} for `operation` on
 * `uri`. Errors that already are CkptErrors pass through; an AbortError becomes ABORTED.
 */
export function mapFsError(error: unknown, operation: string, uri: string): CkptError {
  if (isCkptError(error)) return error;
  const e = error as NodeJS.ErrnoException | undefined;
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') {
    return new CkptError('ABORTED', { operation, uri, message: 'aborted', retryable: false, cause: error });
  }
  const mapped = e?.code ? CODES[e.code] : undefined;
  if (mapped) {
    return new CkptError(mapped[0], { operation, uri, message: `${mapped[1]} (${e!.code})`, retryable: mapped[2], cause: error });
  }
  return new CkptError('UNAVAILABLE', { operation, uri, message: e?.message ?? String(error), retryable: false, cause: error });
}
