import yargs from 'yargs';
import { commands } from './commands/index.js';
import { reportError } from './context.js';
import { EXIT } from './exit-codes.js';
import { withGlobalOptions } from './global-args.js';

/**
 * Runs `ckpt` with the given arguments. Sets `process.exitCode` per the contract: 0 success,
 * 1 nothing found, 2 usage or configuration error, 3 invalid checkpoint, 4 storage error.
 */
export async function main(args: string[]): Promise<void> {
  let y = withGlobalOptions(yargs(args))
    .scriptName('ckpt')
    .usage('$0 <command> [options]\n\nFind, resolve and verify ML checkpoints on local disks, S3 and GCS.')
    .strict()
    .demandCommand(1, 'Name a command.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // Throwing stops yargs: a handler must never run after a validation failure.
      throw err ?? new UsageError(msg);
    });
  for (const command of commands) y = y.command(command);
  try {
    await y.parseAsync();
  } catch (error) {
    const json = args.includes('--json');
    if (error instanceof UsageError) {
      if (json) process.stderr.write(`${JSON.stringify({ error: { code: 'USAGE', message: error.message } })}\n`);
      else process.stderr.write(`ckpt: ${error.message}\nRun \`ckpt --help\` for usage.\n`);
    } else {
      reportError(error, { json, verbose: args.includes('--verbose') });
    }
    process.exitCode = EXIT.USAGE;
  }
}

/** A command line yargs rejected (unknown flag, missing argument). */
class UsageError extends Error {}
