import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import type { GlobalArgs } from '../global-args.js';
import { humanBytes } from '../output.js';

interface InspectArgs extends GlobalArgs {
  uri: string;
}

/**
 * `ckpt inspect <uri>`: the variables of a V2 bundle (a V1 file when no `.index` exists), of any
 * URI `latest`/`find` print (core's `inspectAny`: data shards, V1 patterns and SavedModel
 * directories resolve to their tensors, with a note). Exit 3 when the index is corrupt (an LFS
 * pointer, truncated, bad checksum), 4 when missing, 2 for a directory of several checkpoints.
 */
export const inspectCommand: CommandModule<GlobalArgs, InspectArgs> = {
  command: 'inspect <uri>',
  describe: 'List the variables of a TensorFlow checkpoint (prefix, .index, V1 file or pattern, SavedModel directory)',
  builder: (y) => y.positional('uri', { type: 'string', demandOption: true, describe: 'What `latest`/`find` print: a prefix (…/ckpt-5), its .index or a data shard, a V1 file or pattern, a SavedModel directory' }),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printJson, info }) => {
      const { inspectAny } = await import('@ckptkit/core');
      const { doc, notes } = await inspectAny(gfile, argv.uri);
      // With --json, stderr is for errors only (the contract).
      if (!argv.json) for (const n of notes) info(`note: ${n}`);
      if (argv.json) {
        printJson(doc);
        return;
      }
      const h = doc.header;
      const version = `producer ${h.version.producer}, min_consumer ${h.version.minConsumer}`;
      print(doc.format === 'tf-v2' ? `TensorFlow V2 bundle: ${h.numShards} shard(s), ${h.endianness} endian, ${version}` : `TensorFlow V1 checkpoint: ${version}`);
      const rows = doc.entries.map((e) => {
        const shape = e.unknownRank ? '<unknown rank>' : `[${e.shape.join(',')}]`;
        let where = '';
        if (e.slices) where = `${e.slices.length} slice(s): ${e.slices.map((s) => s.spec).join(' ')}`;
        else if (e.size !== undefined) where = `shard ${e.shardId} @${e.offset} ${humanBytes(e.size)}`;
        return [e.key, e.dtype, shape, where];
      });
      const widths = [0, 1, 2].map((c) => Math.max(0, ...rows.map((r) => (r[c] as string).length)));
      for (const r of rows) print(r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c] as number) : cell)).join('  ').trimEnd());
    }),
};
