import type { ArgumentsCamelCase } from 'yargs';
import { latestCommand } from './commands/latest.js';
import { reportError } from './context.js';
import { exitCodeFor } from './exit-codes.js';
import { processGuard } from './process-guard.js';
import type { FastLatestArgs } from './fast-path.js';

/** Runs `ckpt latest` with arguments read by the fast path: the same handler yargs would call. */
export async function runFastLatest(argv: FastLatestArgs): Promise<void> {
  processGuard();
  try {
    await latestCommand.handler(argv as unknown as ArgumentsCamelCase<Parameters<typeof latestCommand.handler>[0]>);
  } catch (error) {
    // As main() does for anything a handler lets through.
    reportError(error, argv);
    process.exitCode = exitCodeFor(error);
  }
}
