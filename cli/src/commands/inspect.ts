import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp } from '../help.js';
import { humanBytes } from '../output.js';

interface InspectArgs extends GlobalArgs {
  uri: string;
}

/**
 * `ckpt inspect <prefix-or-index-uri>`: the variables of a V2 bundle (a V1 file when no `.index`
 * exists). Exit 3 when the index is corrupt (an LFS pointer, truncated, bad checksum), 4 when missing.
 */
export const inspectCommand: CommandModule<GlobalArgs, InspectArgs> = {
  command: 'inspect <uri>',
  describe: 'List the variables of a TensorFlow checkpoint (prefix or .index; V1 files too)',
  builder: (y) =>
    commandHelp(y.positional('uri', { type: 'string', demandOption: true, describe: 'Checkpoint prefix (…/ckpt-5) or its .index file' }), 'inspect', [
      ['$0 inspect ./runs/42/ckpt-1000', 'every variable: name, dtype, shape, shard and size'],
      ['$0 inspect --json s3://bucket/runs/42/ckpt-1000.index', 'the index as JSON (header and entries)'],
      ['$0 inspect "$($0 latest gs://bucket/runs/42)"', 'the variables of the latest checkpoint'],
    ]),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printJson }) => {
      const { inspectCheckpoint } = await import('@ckptkit/core');
      const doc = await inspectCheckpoint(gfile, argv.uri);
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
