import type { Argv, CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import type { GlobalArgs } from '../global-args.js';
import { fileJson } from '../output.js';
import { commandHelp } from '../help.js';

interface StatArgs extends GlobalArgs {
  uris: string[];
}

/** `ckpt stat <uri...>`: metadata of files or directories; exit 4 when one is missing. */
export const statCommand: CommandModule<GlobalArgs, StatArgs> = {
  command: 'stat <uris..>',
  describe: 'Show the metadata of files or directories',
  builder: (y) =>
    commandHelp(
      // `default: undefined`: a variadic positional would otherwise show `[default: []]` next to `[required]`.
      y.positional('uris', { type: 'string', array: true, default: undefined, describe: 'One or more file or directory URIs' }) as unknown as Argv<StatArgs>,
      'stat',
      [
        ['$0 stat ./runs/42/checkpoint', 'size and modification time of a file'],
        ['$0 stat --json s3://bucket/run/ckpt-5.index s3://bucket/run/ckpt-5.data-00000-of-00001', 'several objects, with ETags, as JSON'],
        ['$0 stat gs://bucket/runs/42', 'a directory (a prefix on object stores)'],
      ],
    ),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printJson }) => {
      const infos = await Promise.all(argv.uris.map((u) => gfile.stat(u)));
      if (argv.json) {
        printJson(infos.map(fileJson));
        return;
      }
      for (const info of infos) {
        const j = fileJson(info);
        print(info.uri);
        for (const [k, v] of Object.entries(j)) if (k !== 'uri' && v !== null) print(`  ${k}: ${v}`);
      }
    }),
};
