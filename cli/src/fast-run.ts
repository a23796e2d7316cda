import type { ArgumentsCamelCase, CommandModule } from 'yargs';
import { cpCommand } from './commands/cp.js';
import { findCommand } from './commands/find.js';
import { latestCommand } from './commands/latest.js';
import { reportError } from './context.js';
import { exitCodeFor } from './exit-codes.js';
import { processGuard } from './process-guard.js';
import type { FastCommand } from './fast-path.js';
import type { GlobalArgs } from './global-args.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const HANDLERS: Record<FastCommand['command'], CommandModule<GlobalArgs, any>> = { latest: latestCommand, find: findCommand, cp: cpCommand };

/**
 * Runs `ckpt latest|find|cp` with arguments read by the fast path (parseFast): the same handler
 * yargs would call, with the same argv, and the same treatment of what a handler lets through.
 */
export async function runFast(fast: FastCommand): Promise<void> {
  processGuard();
  try {
    await HANDLERS[fast.command].handler!(fast.argv as unknown as ArgumentsCamelCase<GlobalArgs>);
  } catch (error) {
    // As main() does for anything a handler lets through.
    reportError(error, fast.argv);
    process.exitCode = exitCodeFor(error);
  }
}
