import { isCkptError } from '@ckptkit/gfile';

/** The exit codes of the `ckpt` contract (docs: cli.md). */
export const EXIT = {
  OK: 0,
  NOTHING_FOUND: 1,
  USAGE: 2,
  INVALID_CHECKPOINT: 3,
  STORAGE: 4,
  PARTIAL: 5,
} as const;

/** The exit code for an error: usage/config 2, corrupt or incomplete data 3, storage 4. */
export function exitCodeFor(error: unknown): number {
  if (!isCkptError(error)) return EXIT.STORAGE;
  switch (error.code) {
    case 'INVALID_PATH':
    case 'INVALID_CONFIG':
      return EXIT.USAGE;
    case 'CORRUPT':
      return EXIT.INVALID_CHECKPOINT;
    default:
      return EXIT.STORAGE;
  }
}
