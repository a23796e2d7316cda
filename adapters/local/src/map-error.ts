import { CkptError, type ErrorCode, isCkptError, isProgrammingError } from '@ckptkit/gfile';

const CODES: Record<string, [ErrorCode, string, boolean?]> = {
  ENOENT: ['NOT_FOUND', 'no such file or directory'],
  // Reading `a/file/x`: there is nothing at that path, as for ENOENT, but say why. Writes, where
  // a file stands where a directory must be created, are NOT_A_DIRECTORY (see WRITE_CODES).
  ENOTDIR: ['NOT_FOUND', 'a component of this path is a file, not a directory'],
  EEXIST: ['ALREADY_EXISTS', 'already exists'],
  EACCES: ['PERMISSION_DENIED', 'permission denied'],
  EPERM: ['PERMISSION_DENIED', 'operation not permitted'],
  // Conditions a retry cannot cure and that are no network blip: codes of their own, not retried.
  EROFS: ['READ_ONLY', 'read-only file system'],
  ENOSPC: ['NO_SPACE', 'no space left on device'],
  EDQUOT: ['QUOTA_EXCEEDED', 'disk quota exceeded'],
  EFBIG: ['NO_SPACE', 'file too large for this file system'],
  EISDIR: ['INVALID_PATH', 'is a directory'],
  ENOTEMPTY: ['PRECONDITION_FAILED', 'directory not empty'],
  ENAMETOOLONG: ['INVALID_PATH', 'name too long'],
  EINVAL: ['INVALID_PATH', 'invalid argument'],
  ELOOP: ['INVALID_PATH', 'too many levels of symbolic links'],
  EXDEV: ['NOT_SUPPORTED', 'cross-device rename'],
  EMFILE: ['UNAVAILABLE', 'too many open files', true],
  ENFILE: ['UNAVAILABLE', 'too many open files in the system', true],
  EAGAIN: ['UNAVAILABLE', 'resource temporarily unavailable', true],
  EBUSY: ['UNAVAILABLE', 'resource busy', true],
  EIO: ['UNAVAILABLE', 'input/output error', true],
  ETIMEDOUT: ['TIMEOUT', 'timed out', true],
};

/** Operations that create files or directories: there ENOTDIR means a file is in the way. */
const WRITES = new Set(['write', 'copy', 'rename', 'mkdir']);

const WRITE_CODES: Record<string, [ErrorCode, string, boolean?]> = {
  ENOTDIR: ['NOT_A_DIRECTORY', 'a component of this path is a file, not a directory'],
};

/**
 * The only place that reads node:fs errors: turns one into a {@link CkptError} for `operation` on
 * `uri`. Errors that already are CkptErrors pass through; an AbortError becomes ABORTED. ENOSPC,
 * EFBIG, EROFS and EDQUOT become NO_SPACE, READ_ONLY and QUOTA_EXCEEDED (never retried); ENOTDIR is
 * NOT_FOUND for reads and NOT_A_DIRECTORY for writes (`write`, `copy`, `rename`, `mkdir`).
 * A fault of the program (a stack overflow, see gfile's `isProgrammingError`) is no condition of
 * the disk: it is thrown on as it is, never called UNAVAILABLE.
 */
export function mapFsError(error: unknown, operation: string, uri: string): CkptError {
  if (isCkptError(error)) return error;
  if (isProgrammingError(error)) throw error;
  const e = error as NodeJS.ErrnoException | undefined;
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') {
    return new CkptError('ABORTED', { operation, uri, message: 'aborted', retryable: false, cause: error });
  }
  const mapped = e?.code ? ((WRITES.has(operation) ? WRITE_CODES[e.code] : undefined) ?? CODES[e.code]) : undefined;
  if (mapped) {
    return new CkptError(mapped[0], { operation, uri, message: `${mapped[1]} (${e!.code})`, retryable: mapped[2], cause: error });
  }
  return new CkptError('UNAVAILABLE', { operation, uri, message: e?.message ?? String(error), retryable: false, cause: error });
}
