import { portableUri } from '@ckptkit/gfile';
import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { type FileJson, fileJson } from '../output.js';
import { commandHelp } from '../help.js';

interface GlobArgs extends GlobalArgs {
  pattern: string;
  jsonl: boolean;
}

/**
 * `ckpt glob <pattern>`: files and directories matching `*`, `?`, `[...]`, `**`; exit 1 on no
 * match, 5 when an unreadable subdirectory was left out (reported on stderr).
 */
export const globCommand: CommandModule<GlobalArgs, GlobArgs> = {
  command: 'glob <pattern>',
  describe: 'List files and directories matching a pattern (quote it: "s3://b/run/*/ckpt-*.index")',
  builder: (y) =>
    commandHelp(
      y
        .positional('pattern', { type: 'string', demandOption: true, describe: '* ? [..] within a path segment, ** across segments' })
        .option('jsonl', { type: 'boolean', default: false, describe: 'One JSON object per line, printed as the matches come, instead of one array' }),
      'glob',
      [
        ["$0 glob 's3://bucket/runs/*/ckpt-*.index'", 'every index one directory down (quote the pattern)'],
        ["$0 glob --json './runs/**/checkpoint'", 'every state file below ./runs, as JSON'],
        ["$0 glob 'gs://bucket/run/ckpt-[0-9]*.index' && echo found", 'branch on a match (exit 1: none)'],
      ],
      ['jsonl'],
    ),
  // --jsonl is machine output too: errors and skipped parts as JSON lines on stderr, as with --json.
  handler: (argv) =>
    runCommand(argv.jsonl ? { ...argv, json: true } : argv, async ({ gfile, stream, printJsonArray, signal, skipped, skippedUris }) => {
      // Printed as the matches come, in order (see gfile's globEntries); --json holds each match's JSON text only.
      const document: FileJson[] = [];
      const out = stream();
      let n = 0;
      try {
        for await (const m of gfile.globEntries(argv.pattern, { onSkipped: skipped, signal })) {
          if (argv.jsonl) out.json(fileJson(m, skippedUris));
          else if (argv.json) document.push(fileJson(m, skippedUris));
          else out.line(m.kind === 'directory' ? `${portableUri(m.uri)}/` : portableUri(m.uri));
          if (++n % 256 === 0) await out.flush();
        }
      } finally {
        // What was printed so far goes out before an error is reported.
        await out.flush();
      }
      if (argv.json && !argv.jsonl) await printJsonArray(document);
      return n === 0 ? EXIT.NOTHING_FOUND : EXIT.OK;
    }),
};
