import { type FileInfo, compareKeys, isCkptError } from '@ckptkit/gfile';
import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp } from '../help.js';
import { fileJson, longLine } from '../output.js';

interface LsArgs extends GlobalArgs {
  uri: string;
  long: boolean;
  recursive: boolean;
  'human-readable': boolean;
  all: boolean;
}

/**
 * ckptkit's own temporary files (`.NAME.ckpt-tmp-…`, the local adapter's unfinished writes):
 * not part of what a directory holds. `ls` leaves them out unless `--all`, which shows them
 * marked. (The same pattern as the local adapter's parseTempName, kept here so that `ls` loads
 * no adapter code for it.)
 */
const OWN_TEMP = /^\..+\.ckpt-tmp-(?:[0-9a-f]{8}-[1-9][0-9]{0,9}-)?[0-9a-f]{12}$/s;

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
    commandHelp(
      y
        .positional('uri', { type: 'string', demandOption: true, describe: 'Directory or file URI (./dir, s3://bucket/prefix, gs://..., memory://...)' })
        .option('long', { alias: 'l', type: 'boolean', default: false, describe: 'Show kind, size and modification time' })
        .option('recursive', { alias: 'R', type: 'boolean', default: false, describe: 'List every entry below the directory' })
        .option('human-readable', { type: 'boolean', default: false, describe: 'With -l: sizes in KiB, MiB, GiB (-h after ls, as in ls -lh)' })
        .option('all', { alias: 'a', type: 'boolean', default: false, describe: "Also ckptkit's temporary files of unfinished writes, marked" }),
      'ls',
      [
        ['$0 ls ./runs/42', 'the files and subdirectories of a directory'],
        ['$0 ls -lh -R s3://bucket/runs/42', 'everything below a prefix, with human sizes and times'],
        ['$0 ls --json gs://bucket/model/checkpoint', 'one file, as JSON'],
      ],
      ['long', 'recursive', 'human-readable', 'all'],
    ),
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
      const temporary = (e: FileInfo) => e.kind === 'file' && OWN_TEMP.test(e.name);
      if (!argv.all) entries = entries.filter((e) => !temporary(e));
      if (argv.json) {
        printJson(entries.map((e) => (temporary(e) ? { ...fileJson(e, skippedUris), unfinishedWrite: true } : fileJson(e, skippedUris))));
        return;
      }
      for (const e of entries) {
        const rel = e.uri.startsWith(`${base}/`) ? e.uri.slice(base.length + 1) : e.name;
        const name = (e.kind === 'directory' ? `${rel}/` : rel) + (temporary(e) ? '  (unfinished write of ckpt)' : '');
        print(argv.long ? longLine(e, name, argv['human-readable']) : name);
      }
    }),
};
