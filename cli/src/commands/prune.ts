import { portableUri } from '@ckptkit/gfile';
import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { EXIT, UsageError } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp, numberOption } from '../help.js';
import { alignColumns, humanBytes } from '../output.js';
import { pruneProgress, showProgress } from '../progress.js';
import { terminalSafeLine } from '../terminal-safe.js';

interface PruneArgs extends GlobalArgs {
  uri: string;
  'keep-last'?: number | undefined;
  'keep-every-steps'?: string | undefined;
  'keep-every-hours'?: string | undefined;
  keep?: Array<string | number> | string | number | undefined;
  'older-than'?: string | undefined;
  'state-file'?: string | undefined;
  yes: boolean;
}

const DIGITS = /^\d+$/;

// A step as core reports steps: a number while exact, beyond 2^53 its digits.
function asStep(digits: string): number | string {
  const canonical = digits.replace(/^0+(?=\d)/, '');
  const n = Number(canonical);
  return Number.isSafeInteger(n) ? n : canonical;
}

function once(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new UsageError(`--${name} was given ${value.length} times; give it once`);
  return String(value);
}

/** The keep rules of the command line, checked (a usage error quoting what was typed). */
async function rulesOf(argv: PruneArgs) {
  const { parseDuration } = await import('@ckptkit/core/retention');
  const everySteps = once('keep-every-steps', argv['keep-every-steps']);
  if (everySteps !== undefined && (!DIGITS.test(everySteps) || /^0+$/.test(everySteps))) throw new UsageError(`--keep-every-steps must be a positive integer, got '${everySteps}'`);
  const everyHours = once('keep-every-hours', argv['keep-every-hours']);
  const hours = everyHours === undefined ? undefined : Number(everyHours);
  if (hours !== undefined && !(everyHours!.trim() !== '' && Number.isFinite(hours) && hours > 0)) throw new UsageError(`--keep-every-hours must be a positive number of hours, got '${everyHours}'`);
  const keep = [argv.keep ?? []].flat().flatMap((k) => String(k).split(',')).filter((k) => k !== '');
  for (const k of keep) if (!DIGITS.test(k)) throw new UsageError(`--keep takes a step (a non-negative integer), got '${k}'`);
  const olderThan = once('older-than', argv['older-than']);
  const olderThanMs = olderThan === undefined ? undefined : parseDuration(olderThan);
  if (olderThan !== undefined && olderThanMs === undefined) throw new UsageError(`--older-than must be a duration such as 7d, 36h, 90m, 1d12h (units ms, s, m, h, d, w), got '${olderThan}'`);
  const rules = {
    keepLast: argv['keep-last'],
    keepEverySteps: everySteps === undefined ? undefined : asStep(everySteps),
    keepEveryHours: hours,
    keep: keep.map(asStep),
    olderThanMs,
  };
  if (rules.keepLast === undefined && everySteps === undefined && hours === undefined && keep.length === 0 && olderThanMs === undefined) {
    throw new UsageError('give at least one keep rule: --keep-last N, --keep-every-steps K, --keep-every-hours H, --keep STEP or --older-than DURATION');
  }
  return rules;
}

/**
 * `ckpt prune <dir> --keep-last N | --keep-every-steps K | --keep-every-hours H | --keep STEP |
 * --older-than D [--yes]`: retention for one directory of checkpoints. A dry run unless `--yes`:
 * every checkpoint with KEEP or DELETE and why, its files and bytes, and the bytes freed. With
 * `--yes` the plan is carried out in the crash-safe order of docs/decisions/0017-retention.md.
 */
export const pruneCommand: CommandModule<GlobalArgs, PruneArgs> = {
  command: 'prune <uri>',
  describe: 'Delete old checkpoints of a directory by keep rules, safely (a dry run unless --yes)',
  builder: (y) =>
    commandHelp(
      y
        .positional('uri', { type: 'string', demandOption: true, describe: 'Checkpoint directory (./run, s3://bucket/run, gs://...)' })
        .option('keep-last', numberOption('keep-last', 'positive-integer', 'Keep the N newest complete checkpoints'))
        .option('keep-every-steps', { type: 'string', requiresArg: true, describe: 'Keep checkpoints whose step is a multiple of K' })
        .option('keep-every-hours', { type: 'string', requiresArg: true, describe: "Keep one checkpoint per H hours of their times (TensorFlow's keep_checkpoint_every_n_hours)" })
        .option('keep', { type: 'string', requiresArg: true, describe: 'Keep the checkpoint of this step (repeatable or comma-separated)' })
        .option('older-than', { type: 'string', requiresArg: true, describe: 'Delete only checkpoints older than this (7d, 36h, 90m, 1d12h)' })
        .option('state-file', { type: 'string', requiresArg: true, describe: 'Name of the TensorFlow state file in the directory (default checkpoint)' })
        .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Delete: carry the plan out (without it: a dry run that deletes nothing)' }),
      'prune',
      [
        ['$0 prune --keep-last 3 ./runs/42', 'the plan: what would be kept and deleted, and why (deletes nothing)'],
        ['$0 prune --keep-last 3 --keep-every-steps 10000 --yes s3://bucket/runs/42', 'keep the 3 newest and every 10,000th step, delete the rest'],
        ['$0 prune --keep-every-hours 6 --older-than 7d --yes gs://bucket/run', 'past a week old, one checkpoint per 6 hours'],
        ['$0 prune --json --keep-last 1 ./run | jq .delete.bytes', 'the plan as one JSON document'],
      ],
      ['keep-last', 'keep-every-steps', 'keep-every-hours', 'keep', 'older-than', 'state-file', 'yes'],
    ),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printEscaped, printJson, info, paint, stderrIsTTY, signal }) => {
      const rules = await rulesOf(argv);
      const { pruneCheckpoints } = await import('@ckptkit/core/retention');
      const progress = argv.yes && showProgress(argv, stderrIsTTY) ? await pruneProgress() : undefined;
      let result: Awaited<ReturnType<typeof pruneCheckpoints>>;
      try {
        result = await pruneCheckpoints(argv.uri, { gfile, rules, execute: argv.yes, stateFileName: argv['state-file'], signal, onProgress: progress?.update });
      } finally {
        progress?.stop();
      }
      if (argv.json) {
        printJson({ ...result, stateFile: result.stateFile ?? null, dryRun: !argv.yes });
        return EXIT.OK;
      }
      const rows = result.checkpoints.map((c) => [
        c.action === 'keep' ? 'keep' : argv.yes ? 'deleted' : 'delete',
        String(c.step ?? '-'),
        humanBytes(c.bytes),
        `${c.files.length} file${c.files.length === 1 ? '' : 's'}`,
        portableUri(c.prefix),
      ]);
      const lines = alignColumns(rows.map((r) => r.map(terminalSafeLine)), ['left', 'right', 'right', 'right', 'left'], (column, _row, cell) =>
        column !== 0 ? cell : paint(cell === 'keep' ? 'green' : 'red', cell),
      );
      result.checkpoints.forEach((c, i) => {
        printEscaped(lines[i]!);
        for (const r of c.reasons) print(`    ${r}`);
      });
      for (const n of result.notes) info(n);
      const d = result.delete;
      const what = `${d.checkpoints} checkpoint${d.checkpoints === 1 ? '' : 's'} (${d.files} file${d.files === 1 ? '' : 's'})`;
      const kept = `${result.keep.checkpoints} kept, ${result.otherFiles} other file${result.otherFiles === 1 ? '' : 's'} untouched`;
      const state = result.stateFile ? `; the state file ${result.stateRewritten ? 'no longer lists' : 'will no longer list'} ${result.stateFile.removes.length} of them` : '';
      if (argv.yes) print(`deleted ${what}, freed ${humanBytes(d.bytes)}; ${kept}${state}`);
      else print(`would delete ${what}, freeing ${humanBytes(d.bytes)}; ${kept}${state}. Dry run: nothing deleted (--yes deletes)`);
      return EXIT.OK;
    }),
};
