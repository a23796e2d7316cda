import yargs from 'yargs';
import { commands } from './commands/index.js';
import { reportError } from './context.js';
import { UsageError, exitCodeFor } from './exit-codes.js';
import { withGlobalOptions } from './global-args.js';

/**
 * Runs `ckpt` with the given arguments. Sets `process.exitCode` per the contract of exit-codes.ts:
 * 0 success, 1 nothing found, 2 usage, 3 invalid checkpoint, 4 storage error, 5 partial result.
 */
export async function main(argsIn: string[]): Promise<void> {
  const args = lsShortFlags(argsIn);
  let y = withGlobalOptions(yargs(args))
    .scriptName('ckpt')
    .usage('$0 <command> [options]\n\nFind, resolve and verify ML checkpoints on local disks, S3, GCS and Azure Blob Storage, and inside archives.')
    .strict()
    .demandCommand(1, 'Name a command.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    // Help and version are printed, then the run ends as any other: a closed stdout is noticed
    // (exit 141, process-guard.ts) instead of being cut short by yargs' own process.exit(0).
    .exitProcess(false)
    .version()
    .group(['help', 'version'], 'Global options:')
    .epilog('Run `ckpt <command> --help` for its examples and exit codes; the whole contract is in docs/cli.md.')
    // Sized to a terminal; unwrapped into a pipe or a file, where lines are grepped, not read.
    .wrap(process.stdout.isTTY ? Math.min(110, process.stdout.columns || 100) : null)
    .fail((msg, err) => {
      // Throwing stops yargs: a handler must never run after a validation failure. What yargs
      // refused (msg), or a UsageError from an option's check, is a usage error.
      if (err instanceof UsageError) throw err;
      // One line, as every error: yargs writes some messages on several ("Invalid values:\n  Argument: ...").
      if (!err || err.name === 'YError') throw new UsageError((err?.message ?? msg).replace(/:?\n\s*/g, ': '));
      throw err;
    });
  for (const command of commands) y = y.command(command);
  try {
    await y.parseAsync();
  } catch (error) {
    reportError(error, { json: args.includes('--json'), verbose: args.includes('--verbose') });
    process.exitCode = exitCodeFor(error);
  }
}

/**
 * `ckpt ls -lh`: after `ls`, `-h` means human-readable sizes, as in ls(1), not help (`--help`
 * still is). yargs gives `-h` to help everywhere, so the flag is respelled before parsing:
 * `-h` becomes `--human-readable`, `-lh` becomes `-l --human-readable`.
 */
export function lsShortFlags(args: string[]): string[] {
  if (args[0] !== 'ls') return args;
  const out: string[] = [];
  let rest = false;
  for (const a of args) {
    if (a === '--') rest = true;
    if (rest || !/^-[a-zA-Z]*h[a-zA-Z]*$/.test(a)) {
      out.push(a);
      continue;
    }
    const others = a.slice(1).replaceAll('h', '');
    if (others !== '') out.push(`-${others}`);
    out.push('--human-readable');
  }
  return out;
}
