import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import type { GlobalArgs } from '../global-args.js';
import { fileJson, type FileJson } from '../output.js';
import type { GFile } from '@ckptkit/gfile';

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
  builder: (y) => y.positional('uris', { type: 'string', array: true, demandOption: true, describe: 'One or more URIs' }),
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
