/** @ckptkit/cli: the `ckpt` command line. `main(args)` runs it in-process (exit code in process.exitCode). */
export { main } from './main.js';
export { EXIT, EXIT_CODES, EXIT_FOR_ERROR, UsageError, errorCodeOf, exitCodeFor } from './exit-codes.js';
export type { CliErrorCode, CommandName, ExitCode, ExitCodeDoc, ExitName } from './exit-codes.js';
