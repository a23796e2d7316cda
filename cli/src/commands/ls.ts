import { type FileInfo, isCkptError } from '@ckptkit/gfile';
import type { CommandModule } from 'yargs';
import { type CommandContext, runCommand } from '../context.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp } from '../help.js';
import { type FileJson, fileJson, longLine } from '../output.js';

interface LsArgs extends GlobalArgs {
  uri: string;
  long: boolean;
  recursive: boolean;
  'human-readable': boolean;
  all: boolean;
  jsonl: boolean;
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
        .option('all', { alias: 'a', type: 'boolean', default: false, describe: "Also ckptkit's temporary files of unfinished writes, marked" })
        .option('jsonl', { type: 'boolean', default: false, describe: 'One JSON object per line, printed as the listing goes, instead of one array' }),
      'ls',
      [
        ['$0 ls ./runs/42', 'the files and subdirectories of a directory'],
        ['$0 ls -lh -R s3://bucket/runs/42', 'everything below a prefix, with human sizes and times'],
        ['$0 ls --json gs://bucket/model/checkpoint', 'one file, as JSON'],
      ],
      ['long', 'recursive', 'human-readable', 'all', 'jsonl'],
    ),
  // --jsonl is machine output too: errors and skipped parts as JSON lines on stderr, as with --json.
  handler: (argv) =>
    runCommand(argv.jsonl ? { ...argv, json: true } : argv, async (ctx) => {
      const { gfile, skipped, signal } = ctx;
      const render = lsRenderer(argv, ctx);
      // -R: printed as the listing goes, in path order (see gfile's walkEntries), nothing kept; an
      // unreadable subdirectory is reported and left out, and the walk goes on (exit 5). Without
      // it: the children in the order of the store's listing, printed page by page as they come.
      // A batch at a time (a page of the listing): a step per entry through the layers below costs more than printing it.
      const batches = argv.recursive ? gfile.walkEntryBatches(argv.uri, { onSkipped: skipped, signal }) : singles(gfile.list(argv.uri, { signal }));
      const base = argv.uri.replace(/\/+$/, '');
      let any = false;
      try {
        for await (const batch of batches) {
          for (const entry of batch) {
            any = true;
            const flushing = render.add(entry, base);
            if (flushing) await flushing;
          }
        }
      } catch (error) {
        // Not a directory: `ls` of a file shows the file, as ls(1) does.
        if (any || !isCkptError(error, 'NOT_FOUND')) {
          await render.abandon();
          throw error;
        }
        await render.add(...(await fileItself(gfile, argv.uri, error)));
      }
      await render.end();
    }),
};

async function* singles<T>(items: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const item of items) yield [item];
}

/** `ls` of what is not a directory: the file itself, named from its parent (NOT_FOUND stands otherwise). */
async function fileItself(gfile: CommandContext['gfile'], uri: string, notFound: unknown): Promise<[FileInfo, string]> {
  const info = await gfile.stat(uri);
  if (info.kind === 'directory') throw notFound;
  return [info, info.uri.slice(0, Math.max(0, info.uri.length - info.name.length - 1))];
}

/** How `ls` prints entries, one at a time: text lines, `-l` lines, JSON lines, or one JSON document. */
export interface LsRenderOptions {
  long: boolean;
  'human-readable': boolean;
  all: boolean;
  json: boolean;
  jsonl: boolean;
}

/** Prints entries as they come (see {@link lsRenderer}). */
export interface LsRenderer {
  /**
   * One entry; its text name is its URI relative to `base` (the directory listed). Every few
   * hundred entries, the promise of stdout's backlog (await it before the next); else undefined.
   */
  add(entry: FileInfo, base: string): Promise<void> | undefined;
  /** After the last entry. */
  end(): Promise<void>;
  /** The listing failed: the lines printed so far are written out (no `--json` document). */
  abandon(): Promise<void>;
}

/**
 * The output of `ls` (and `ls -R`), printed entry by entry as the listing gives them: text, `-l`
 * and `--jsonl` hold nothing; `--json` is one document, so it holds each entry's JSON text (not
 * the entries) until the end, and writes it piece by piece. Stdout's backlog is awaited every few
 * hundred entries, so a slow reader slows the listing down instead of filling memory.
 */
export function lsRenderer(how: LsRenderOptions, ctx: Pick<CommandContext, 'stream' | 'printJsonArray' | 'skippedUris'>): LsRenderer {
  const out = { ...ctx, ...ctx.stream() };
  const temporary = (e: FileInfo) => e.kind === 'file' && OWN_TEMP.test(e.name);
  const json = (e: FileInfo) => (temporary(e) ? { ...fileJson(e, out.skippedUris), unfinishedWrite: true } : fileJson(e, out.skippedUris));
  const document: FileJson[] = [];
  let n = 0;
  return {
    add(e, base) {
      if (!how.all && temporary(e)) return undefined;
      if (how.json && !how.jsonl) document.push(json(e));
      else if (how.jsonl) out.json(json(e));
      else {
        const rel = e.uri.startsWith(`${base}/`) ? e.uri.slice(base.length + 1) : e.name;
        const name = (e.kind === 'directory' ? `${rel}/` : rel) + (temporary(e) ? '  (unfinished write of ckpt)' : '');
        out.line(how.long ? longLine(e, name, how['human-readable']) : name);
      }
      return ++n % 256 === 0 ? out.flush() : undefined;
    },
    abandon: () => out.flush(),
    async end() {
      await out.flush();
      if (how.json && !how.jsonl) await out.printJsonArray(document);
    },
  };
}
