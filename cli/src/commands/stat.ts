import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import type { GlobalArgs } from '../global-args.js';
import { fileJson } from '../output.js';

interface StatArgs extends GlobalArgs {
  uris: string[];
}

/** `ckpt stat <uri...>`: metadata of files or directories; exit 4 when one is missing. */
export const statCommand: CommandModule<GlobalArgs, StatArgs> = {
  command: 'stat <uris..>',
  describe: 'Show the metadata of files or directories',
  builder: (y) => y.positional('uris', { type: 'string', array: true, demandOption: true, describe: 'One or more URIs' }),
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
