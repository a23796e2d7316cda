import type { Argv, CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import type { GlobalArgs } from '../global-args.js';
import type { GFile } from '@ckptkit/gfile';
import { commandHelp } from '../help.js';
import { fileJson, type FileJson } from '../output.js';

interface StatArgs extends GlobalArgs {
  uris: string[];
}

/**
 * `ckpt stat <uri...>`: metadata of files or directories; a URI that is neither but names a
 * TensorFlow checkpoint (`…/ckpt-5`, a V1 pattern `…/export-?????-of-00001`, as `latest` and
 * `find` print them) shows as `kind: prefix` with its files' total size and newest mtime. Exit 4
 * when one is missing.
 */
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
      const docs = await Promise.all(argv.uris.map((u) => statOrPrefix(gfile, u)));
      if (argv.json) {
        printJson(docs);
        return;
      }
      for (const j of docs) {
        print(j.uri);
        for (const [k, v] of Object.entries(j)) if (k !== 'uri' && v !== null) print(`  ${k}: ${Array.isArray(v) ? `${v.length} (${v.join(', ')})` : v}`);
      }
    }),
};

/** The metadata of a file or directory, or else of the TensorFlow prefix the URI names (one more listing, only then). */
async function statOrPrefix(gfile: GFile, uri: string): Promise<FileJson> {
  const { isCkptError } = await import('@ckptkit/gfile');
  try {
    return fileJson(await gfile.stat(uri));
  } catch (error) {
    if (!isCkptError(error, 'NOT_FOUND')) throw error;
    const { resolveCheckpoint } = await import('@ckptkit/core');
    let resolved;
    try {
      resolved = await resolveCheckpoint(uri, { gfile, contentChecks: false, operation: 'stat' });
    } catch {
      throw error;
    }
    if (resolved.kind !== 'prefix' && resolved.kind !== 'pattern') throw error;
    const files = resolved.found.files;
    let mtime: Date | undefined;
    for (const f of files) if (f.mtime && (!mtime || f.mtime > mtime)) mtime = f.mtime;
    return { uri: resolved.found.prefix, kind: 'prefix', size: files.reduce((n, f) => n + f.size, 0), mtime: mtime ? mtime.toISOString() : null, format: resolved.found.format, files: files.map((f) => f.uri) };
  }
}
