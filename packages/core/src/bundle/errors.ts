/**
 * Errors raised by the bundle code. They are ordinary {@link CkptError}s with code `CORRUPT`; the
 * finer reason (an LFS pointer, a truncated file, a bad block checksum, ...) is attached so callers
 * and the verifier can branch on it without parsing messages.
 */
import { CkptError, isCkptError } from '@ckptkit/gfile';

/** Why a checkpoint file could not be parsed. */
export type CorruptReason =
  /** The file is a Git LFS pointer, not the object it points to. */
  | 'LFS_POINTER'
  /** The file (or a read of it) ends before the bytes its structure needs. */
  | 'TRUNCATED'
  /** The SSTable footer does not end with TensorFlow's table magic number. */
  | 'BAD_MAGIC'
  /** The footer's padding is not zero (TensorFlow ignores it; only `verify` reports it). */
  | 'BAD_FOOTER'
  /** A block's masked crc32c does not match its bytes. */
  | 'BLOCK_CHECKSUM'
  /** A block's contents or entries are malformed (bad restarts, overrunning entries, bad type). */
  | 'BAD_BLOCK'
  /** A snappy-compressed block does not decompress. */
  | 'BAD_COMPRESSION'
  /** A length or count claims more bytes than the file holds. */
  | 'BAD_LENGTH'
  /** A protobuf message is malformed or has values out of range. */
  | 'BAD_PROTO'
  /** The header entry is missing, unparsable or from an incompatible version. */
  | 'BAD_HEADER'
  /** Keys are not strictly increasing, or an entry is inconsistent with the header. */
  | 'BAD_ENTRY';

const REASON = Symbol.for('@ckptkit/core/corrupt-reason');

/** Creates a `CORRUPT` {@link CkptError} carrying a {@link CorruptReason}. */
export function corruptError(
  reason: CorruptReason,
  message: string,
  context: { operation?: string; uri?: string | undefined; cause?: unknown } = {},
): CkptError {
  const err = new CkptError('CORRUPT', {
    operation: context.operation ?? 'read',
    uri: context.uri,
    message,
    cause: context.cause,
  });
  Object.defineProperty(err, REASON, { value: reason, enumerable: false });
  return err;
}

/** The {@link CorruptReason} of an error made by {@link corruptError}, else `undefined`. */
export function corruptReason(e: unknown): CorruptReason | undefined {
  if (!isCkptError(e, 'CORRUPT')) return undefined;
  return (e as unknown as Record<symbol, CorruptReason | undefined>)[REASON];
}

/** The detail part of a CkptError message (without the `operation uri: ` prefix). */
export function errorDetail(e: unknown): string {
  if (isCkptError(e)) {
    const at = e.message.indexOf(': ');
    return at >= 0 ? e.message.slice(at + 2) : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * Re-raises a CORRUPT error raised by the pure parsers (which do not know where their bytes came
 * from) with the operation and URI of the file; other errors pass through unchanged.
 */
export function withUri(e: unknown, operation: string, uri: string): unknown {
  const reason = corruptReason(e);
  if (reason === undefined || (e as CkptError).uri !== undefined) return e;
  return corruptError(reason, errorDetail(e), { operation, uri, cause: (e as CkptError).cause });
}
