import { portableUri } from '@ckptkit/gfile';
import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { fileJson } from '../output.js';
import { commandHelp } from '../help.js';

interface GlobArgs extends GlobalArgs {
  pattern: string;
}

/**
 * `ckpt glob <pattern>`: files and directories matching `*`, `?`, `[...]`, `**`; exit 1 on no
 * match, 5 when an unreadable subdirectory was left out (reported on stderr).
 */
export const globCommand: CommandModule<GlobalArgs, GlobArgs> = {
  command: 'glob <pattern>',
  describe: 'List files and directories matching a pattern (quote it: "s3://b/run/*/ckpt-*.index")',
  builder: (y) =>
    commandHelp(y.positional('pattern', { type: 'string', demandOption: true, describe: '* ? [..] within a path segment, ** across segments' }), 'glob', [
      ["$0 glob 's3://bucket/runs/*/ckpt-*.index'", 'every index one directory down (quote the pattern)'],
      ["$0 glob --json './runs/**/checkpoint'", 'every state file below ./runs, as JSON'],
      ["$0 glob 'gs://bucket/run/ckpt-[0-9]*.index' && echo found", 'branch on a match (exit 1: none)'],
    ]),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printJson, skipped, skippedUris }) => {
      const matches = await gfile.glob(argv.pattern, { onSkipped: skipped });
      if (argv.json) printJson(matches.map((m) => fileJson(m, skippedUris)));
      else for (const m of matches) print(m.kind === 'directory' ? `${portableUri(m.uri)}/` : portableUri(m.uri));
      return matches.length === 0 ? EXIT.NOTHING_FOUND : EXIT.OK;
    }),
};
