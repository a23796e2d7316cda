import type { InspectEntryJson } from '@ckptkit/core';
import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { UsageError } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp } from '../help.js';
import { alignColumns, humanBytes } from '../output.js';
import { terminalSafeLine } from '../terminal-safe.js';

interface InspectArgs extends GlobalArgs {
  uri: string;
  filter?: string | undefined;
}

/** One variable as `ckpt inspect` prints it: the fields of the core's InspectEntryJson used here. */
type Entry = Pick<InspectEntryJson, 'key' | 'dtype' | 'shape' | 'unknownRank' | 'shardId' | 'offset' | 'size' | 'slices'>;

/** Totals over the variables listed. */
export interface InspectTotals {
  tensors: number;
  /** Elements of every tensor of known shape (a scalar counts one; slices count as their whole tensor). */
  parameters: number;
  /** Tensors of unknown rank, whose elements are not in `parameters`. */
  unknownShapes: number;
  /** Bytes of their data as stored (every slice of a partitioned tensor). */
  bytes: number;
}

/** Totals of `entries` (see {@link InspectTotals}). */
export function inspectTotals(entries: readonly Entry[]): InspectTotals {
  const t: InspectTotals = { tensors: entries.length, parameters: 0, unknownShapes: 0, bytes: 0 };
  for (const e of entries) {
    if (e.unknownRank) t.unknownShapes++;
    else t.parameters += e.shape.reduce((n, d) => n * Math.max(0, d), 1);
    t.bytes += e.slices ? e.slices.reduce((n, s) => n + (s.size ?? 0), 0) : (e.size ?? 0);
  }
  return t;
}

/**
 * The matcher of `--filter`: a pattern written `/RE/` or `/RE/FLAGS` is a JavaScript regular
 * expression searched anywhere in the key; anything else is a glob over the whole key, in the
 * language of `ckpt glob` (`*`, `?`, `[...]` within one `/`-separated segment, `**` across
 * segments): `'**\/kernel*'`, `'encoder/**'`. A bad regular expression is a usage error.
 */
export async function keyFilter(pattern: string): Promise<(key: string) => boolean> {
  const re = /^\/(.+)\/([a-z]*)$/s.exec(pattern);
  if (re) {
    try {
      const compiled = new RegExp(re[1]!, re[2]!.replace(/[gy]/g, ''));
      return (key) => compiled.test(key);
    } catch (error) {
      // The command line is wrong: USAGE, as for any flag value that does not parse (INVALID_CONFIG is a store's refusal).
      throw new UsageError(`--filter: not a valid regular expression: ${(error as Error).message}`);
    }
  }
  const { keyMatcher } = await import('@ckptkit/gfile');
  return keyMatcher(pattern);
}

/**
 * `ckpt inspect <uri> [--filter PATTERN]`: the variables of a V2 bundle (a V1 file when no
 * `.index` exists), of any URI `latest`/`find` print (core's `inspectAny`: data shards, V1 patterns
 * and SavedModel directories resolve to their tensors, with a note), as a table with a header row (KEY, DTYPE, SHAPE, LOCATION; columns as
 * wide as their widest cell), then the totals: tensors, parameters, bytes. `--json` adds `totals`
 * to the document; `--filter` keeps the variables whose key matches, totals included. Exit 3 when
 * the index is corrupt (an LFS pointer, truncated, bad checksum), 4 when missing, 2 for a directory
 * of several checkpoints.
 */
export const inspectCommand: CommandModule<GlobalArgs, InspectArgs> = {
  command: 'inspect <uri>',
  describe: 'List the variables of a TensorFlow checkpoint (prefix, .index, V1 file or pattern, SavedModel directory), with totals',
  builder: (y) =>
    commandHelp(
      y
        .positional('uri', { type: 'string', demandOption: true, describe: 'What `latest`/`find` print: a prefix (…/ckpt-5), its .index or a data shard, a V1 file or pattern, a SavedModel directory' })
        .option('filter', {
          type: 'string',
          requiresArg: true,
          describe: "Only variables whose key matches: a glob as in `ckpt glob` ('**/kernel*', 'encoder/**'), or /REGEX/ searched in the key",
        }),
      'inspect',
      [
        ['$0 inspect ./runs/42/ckpt-1000', 'every variable: name, dtype, shape, shard and size, then totals'],
        ['$0 inspect --filter \'**/kernel*\' ./runs/42/ckpt-1000', 'only the kernels, with their totals'],
        ['$0 inspect --json s3://bucket/runs/42/ckpt-1000.index', 'the index as JSON (header, entries and totals)'],
        ['$0 inspect "$($0 latest gs://bucket/runs/42)"', 'the variables of the latest checkpoint'],
      ],
      ['filter'],
    ),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printEscaped, printJson, paint, info }) => {
      const { inspectAny } = await import('@ckptkit/core');
      const matches = argv.filter === undefined ? undefined : await keyFilter(argv.filter);
      const { doc, notes } = await inspectAny(gfile, argv.uri);
      // With --json, stderr is for errors only (the contract).
      if (!argv.json) for (const n of notes) info(`note: ${n}`);
      const entries = matches ? doc.entries.filter((e) => matches(e.key)) : doc.entries;
      const totals = inspectTotals(entries);
      if (argv.json) {
        printJson({ ...doc, entries, totals });
        return;
      }
      const h = doc.header;
      const version = `producer ${h.version.producer}, min_consumer ${h.version.minConsumer}`;
      print(doc.format === 'tf-v2' ? `TensorFlow V2 bundle: ${h.numShards} shard(s), ${h.endianness} endian, ${version}` : `TensorFlow V1 checkpoint: ${version}`);
      const rows = entries.map((e) => {
        const shape = e.unknownRank ? '<unknown rank>' : `[${e.shape.join(',')}]`;
        let where = '';
        if (e.slices) where = `${e.slices.length} slice(s): ${e.slices.map((s) => s.spec).join(' ')}`;
        else if (e.size !== undefined) where = `shard ${e.shardId} @${e.offset} ${humanBytes(e.size)}`;
        return [e.key, e.dtype, shape, where].map(terminalSafeLine);
      });
      if (rows.length > 0) {
        const lines = alignColumns([['KEY', 'DTYPE', 'SHAPE', 'LOCATION'], ...rows], [], (_c, row, cell) => (row === 0 ? paint('bold', cell) : cell));
        for (const line of lines) printEscaped(line);
      }
      const of = matches ? ` (of ${doc.entries.length}, matching ${argv.filter})` : '';
      const unknown = totals.unknownShapes > 0 ? ` (${totals.unknownShapes} of unknown shape not counted)` : '';
      print(`${totals.tensors} tensor(s)${of}, ${totals.parameters.toLocaleString('en-US')} parameter(s)${unknown}, ${humanBytes(totals.bytes)} (${totals.bytes} bytes)`);
    }),
};
