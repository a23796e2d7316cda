import { type FileInfo, compareKeys, isCkptError } from '@ckptkit/gfile';
import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import type { GlobalArgs } from '../global-args.js';
import { fileJson, longLine } from '../output.js';

interface LsArgs extends GlobalArgs {
  uri: string;
  long: boolean;
  recursive: boolean;
}

/**
 * `ckpt ls <uri> [-l] [-R]`: the children of a directory (or everything below it), or one file.
 * Names that are not UTF-8 print with `\xFF` escapes (JSON: `file://` URIs with `%FF`); with `-R`
 * an unreadable subdirectory is listed, reported on stderr and marked with `error` in JSON, and
 * the command exits 5.
 */
export const lsCommand: CommandModule<GlobalArgs, LsArgs> = {
  command: 'ls <uri>',
  describe: 'List a directory: its files and subdirectories (-R: everything below it)',
  builder: (y) =>
    y
      .positional('uri', { type: 'string', demandOption: true, describe: 'Directory or file URI (./dir, s3://bucket/prefix, gs://..., memory://...)' })
      .option('long', { alias: 'l', type: 'boolean', default: false, describe: 'Show kind, size and modification time' })
      .option('recursive', { alias: 'R', type: 'boolean', default: false, describe: 'List every entry below the directory' }),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printJson, skipped, skippedUris }) => {
      let entries: FileInfo[];
      let base = argv.uri.replace(/\/+$/, '');
      try {
        if (argv.recursive) {
          entries = [];
          let any = false;
          // An unreadable subdirectory is reported and left out; the walk goes on (exit 5).
          for await (const dir of gfile.walk(argv.uri, { onSkipped: skipped })) {
            any = true;
            entries.push(...dir.dirs, ...dir.files);
          }
          if (!any) entries = [await gfile.stat(argv.uri)];
          entries.sort((a, b) => compareKeys(a.uri, b.uri));
        } else {
          entries = await gfile.listDir(argv.uri);
        }
      } catch (error) {
        // Not a directory: `ls` of a file shows the file, as ls(1) does.
        if (!isCkptError(error, 'NOT_FOUND')) throw error;
        const info = await gfile.stat(argv.uri);
        if (info.kind === 'directory') throw error;
        entries = [info];
        base = info.uri.slice(0, Math.max(0, info.uri.length - info.name.length - 1));
      }
      if (argv.json) {
        printJson(entries.map((e) => fileJson(e, skippedUris)));
        return;
      }
      for (const e of entries) {
        const rel = e.uri.startsWith(`${base}/`) ? e.uri.slice(base.length + 1) : e.name;
        const name = e.kind === 'directory' ? `${rel}/` : rel;
        print(argv.long ? longLine(e, name) : name);
      }
    }),
};
