/**
 * The exit-code and error contract of `ckpt`, written once: the exit codes with their meanings,
 * which error code gives which exit code, and which commands can end with each. `--help` (the
 * "Exit codes" epilog of every command), README.md and docs/cli.md are rendered from here
 * (contract-render.ts), and tests check that the documents hold what this module says.
 */
import { type ErrorCode, isCkptError } from '@ckptkit/gfile';

/** The exit codes of `ckpt`. */
export const EXIT = {
  OK: 0,
  NOTHING_FOUND: 1,
  USAGE: 2,
  INVALID_CHECKPOINT: 3,
  STORAGE: 4,
  PARTIAL: 5,
  /** 128 + SIGINT (2). */
  SIGINT: 130,
  /** 128 + SIGPIPE (13): stdout was closed under us (`ckpt find DIR | head -1`). */
  SIGPIPE: 141,
  /** 128 + SIGTERM (15). */
  SIGTERM: 143,
} as const;

export type ExitName = keyof typeof EXIT;
export type ExitCode = (typeof EXIT)[ExitName];

/**
 * The `code` of a `{"error":{...}}` line: the storage and checkpoint codes of `@ckptkit/gfile`, plus
 * USAGE (the command line itself is wrong) and INTERNAL (a bug: anything that is not a CkptError).
 */
export type CliErrorCode = ErrorCode | 'USAGE' | 'INTERNAL';

/**
 * The exit code of every error code. A record over the closed set: a new ErrorCode does not
 * compile until it is given its exit code here (and so in every document rendered from it).
 */
export const EXIT_FOR_ERROR: Readonly<Record<CliErrorCode, ExitCode>> = {
  USAGE: EXIT.USAGE,
  INVALID_CONFIG: EXIT.USAGE,
  CORRUPT: EXIT.INVALID_CHECKPOINT,
  NOT_FOUND: EXIT.STORAGE,
  NOT_A_DIRECTORY: EXIT.STORAGE,
  // A path a store refused (a name too long, "is a directory", an unsafe name in a listing). A
  // malformed URI on the command line is caught before any request and reported as USAGE.
  INVALID_PATH: EXIT.STORAGE,
  PERMISSION_DENIED: EXIT.STORAGE,
  UNAUTHENTICATED: EXIT.STORAGE,
  NO_SPACE: EXIT.STORAGE,
  READ_ONLY: EXIT.STORAGE,
  QUOTA_EXCEEDED: EXIT.STORAGE,
  ALREADY_EXISTS: EXIT.STORAGE,
  PRECONDITION_FAILED: EXIT.STORAGE,
  NOT_SUPPORTED: EXIT.STORAGE,
  RATE_LIMITED: EXIT.STORAGE,
  UNAVAILABLE: EXIT.STORAGE,
  TIMEOUT: EXIT.STORAGE,
  ABORTED: EXIT.STORAGE,
  INTERNAL: EXIT.STORAGE,
};

/** The commands of `ckpt`, for the per-command view of the contract. */
export const COMMAND_NAMES = ['ls', 'stat', 'glob', 'latest', 'find', 'inspect', 'verify', 'watch', 'cp', 'state', 'prune', 'completion'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** One exit code as documented. */
export interface ExitCodeDoc {
  code: ExitCode;
  name: ExitName;
  /** What it means, in a few words (the `--help` line). */
  summary: string;
  /** What it means in full (docs/cli.md, README). */
  detail: string;
  /** The commands that can end with it (all when absent). */
  commands?: readonly CommandName[];
  /** The `--help` line of a command, where it says more than `summary`. */
  perCommand?: Partial<Record<CommandName, string>>;
}

const STORAGE_COMMANDS = ['ls', 'stat', 'glob', 'latest', 'find', 'inspect', 'verify', 'watch', 'cp', 'state', 'prune'] as const;

/** The exit codes of `ckpt`, in order: the one table every document is rendered from. */
export const EXIT_CODES: readonly ExitCodeDoc[] = [
  { code: EXIT.OK, name: 'OK', summary: 'success', detail: 'success' },
  {
    code: EXIT.NOTHING_FOUND,
    name: 'NOTHING_FOUND',
    summary: 'nothing found',
    detail:
      'the answer is "none", only where a script branches on it: no complete checkpoint (`latest`), no match (`find`, `glob`), none before the timeout (`watch`), also when the directory is empty or missing. With `--json` stdout holds `null` (`latest`) or `[]` (`find`, `glob`) and stderr nothing. Never for an error',
    commands: ['latest', 'find', 'glob', 'watch'],
    perCommand: {
      latest: 'no complete checkpoint: the directory is empty or missing (--json: null)',
      find: 'no checkpoint below the URI, which is empty or missing (--json: [])',
      glob: 'no match, also when the root is missing (--json: [])',
      watch: 'no checkpoint appeared before --timeout',
    },
  },
  {
    code: EXIT.USAGE,
    name: 'USAGE',
    summary: 'wrong command line: flag, value, URI syntax, unknown scheme',
    detail:
      'the command line is wrong: an unknown flag, a bad value (`--concurrency abc`), a malformed URI, an unknown scheme; or a configuration the store refused (region, endpoint). Never for a property of stored data',
  },
  {
    code: EXIT.INVALID_CHECKPOINT,
    name: 'INVALID_CHECKPOINT',
    summary: 'a checkpoint or state file is invalid, corrupt or incomplete',
    detail:
      'a checkpoint or state file is there but invalid, corrupt or incomplete: `verify` found problems, an index or a state file that does not parse, an incomplete source for `cp`',
    commands: ['latest', 'inspect', 'verify', 'cp', 'state'],
    perCommand: {
      latest: '--verify found problems in every candidate; --tf-compat: where TensorFlow raises',
      verify: 'problems found: the report on stdout, a CORRUPT error line on stderr',
      cp: 'the source checkpoint is incomplete (see --allow-incomplete) or corrupt',
      state: 'the state file does not parse; --repair left a path unresolved',
    },
  },
  {
    code: EXIT.STORAGE,
    name: 'STORAGE',
    summary: 'storage error: not found, permission, disk full, read-only, unavailable...',
    detail:
      'a storage error: a path that must exist does not (NOT_FOUND: `ls`, `stat`, `inspect`, `verify`, `cp`, `state` of a missing path), a file where a directory is needed, permission denied, bad credentials, disk full, read-only, quota exceeded, unavailable after retries, timed out. The error names the object at fault: for `cp`, the destination when the destination is',
    commands: STORAGE_COMMANDS,
  },
  {
    code: EXIT.PARTIAL,
    name: 'PARTIAL',
    summary: 'partial result: some objects were skipped (each reported on stderr)',
    detail:
      'a result was produced but part of the work failed: an unreadable subdirectory skipped during a walk (`ls -R`, `find`, `glob`), an `--exec` run of `watch` that failed. Each failure is an error line on stderr, with its own URI',
    commands: ['ls', 'find', 'glob', 'watch'],
  },
  {
    code: EXIT.SIGINT,
    name: 'SIGINT',
    summary: 'interrupted (Ctrl-C)',
    detail: 'interrupted (SIGINT, Ctrl-C): the terminal is restored and temporary files of unfinished writes removed before exit',
    commands: STORAGE_COMMANDS,
  },
  {
    code: EXIT.SIGPIPE,
    name: 'SIGPIPE',
    summary: 'stdout closed (| head)',
    detail: 'stdout was closed under the command (`ckpt find DIR | head -1`): it stops at once and prints nothing more',
    commands: STORAGE_COMMANDS,
  },
  {
    code: EXIT.SIGTERM,
    name: 'SIGTERM',
    summary: 'terminated (SIGTERM)',
    detail: 'terminated (SIGTERM), cleaned up as for SIGINT',
    commands: STORAGE_COMMANDS,
  },
];

/** The error codes that give `exit`, in the order of the closed set. */
export function errorCodesFor(exit: ExitCode): CliErrorCode[] {
  return (Object.keys(EXIT_FOR_ERROR) as CliErrorCode[]).filter((c) => EXIT_FOR_ERROR[c] === exit);
}

/** The exit codes `command` can end with. */
export function exitCodesOf(command: CommandName): ExitCodeDoc[] {
  return EXIT_CODES.filter((d) => d.commands === undefined || d.commands.includes(command));
}

/** The `code` of the error line for `error`: its CkptError code, USAGE, or INTERNAL for anything else. */
export function errorCodeOf(error: unknown): CliErrorCode {
  if (error instanceof UsageError) return 'USAGE';
  return isCkptError(error) ? error.code : 'INTERNAL';
}

/** The exit code for an error (see {@link EXIT_FOR_ERROR}). */
export function exitCodeFor(error: unknown): ExitCode {
  return EXIT_FOR_ERROR[errorCodeOf(error)];
}

/**
 * The command line is wrong (yargs refused it, a value does not parse, a URI is malformed or of an
 * unknown scheme): exit 2, error code USAGE. `uri` when the fault is one argument.
 */
export class UsageError extends Error {
  readonly uri: string | undefined;
  constructor(message: string, uri?: string) {
    super(message);
    this.name = 'UsageError';
    this.uri = uri;
  }
}
