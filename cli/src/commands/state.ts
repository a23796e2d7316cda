import type { CommandModule } from 'yargs';
import { reportError, runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp } from '../help.js';

interface StateArgs extends GlobalArgs {
  uri: string;
  repair: boolean;
  'dry-run': boolean;
  'state-file'?: string | undefined;
}

const WHERE: Record<string, string> = {
  relative: '',
  'absolute-inside': '  (absolute, into this directory)',
  outside: '  (OUTSIDE this directory)',
};

/** A recorded Unix time as ISO 8601, or as the number itself where no date has it (inf, nan, 1e300). */
function timestamp(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

/**
 * `ckpt state <dir-uri> [--repair]`: the parsed `checkpoint` state file and where each recorded
 * path points. `--repair` rewrites paths that point outside the directory (or absolutely into it)
 * to relative ones, atomically, after copying the old file to `checkpoint.bak-<time>`.
 * Exit 0; 4 (NOT_FOUND, naming the state file) when there is none; 3 (CORRUPT) when it does not
 * parse or lacks model_checkpoint_path, or when `--repair` left a path it could not resolve (the
 * report is printed, and the error line).
 */
export const stateCommand: CommandModule<GlobalArgs, StateArgs> = {
  command: 'state <uri>',
  describe: "Print a directory's checkpoint state file; --repair makes paths from another machine relative",
  builder: (y) =>
    commandHelp(
      y
        .positional('uri', { type: 'string', demandOption: true, describe: 'Checkpoint directory' })
        .option('repair', { type: 'boolean', default: false, describe: 'Rewrite absolute and outside paths to relative ones (atomic, with a backup)' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'With --repair: show the changes, write nothing' })
        .option('state-file', { type: 'string', describe: 'Name of the state file (default checkpoint)' }),
      'state',
      [
        ['$0 state ./runs/42', 'the recorded paths, and where each one points'],
        ['$0 state --repair --dry-run s3://bucket/moved/run42', 'what a repair would rewrite'],
        ['$0 state --repair ./moved/run42', 'make paths from another machine relative (the old file kept as a backup)'],
      ],
      ['repair', 'dry-run', 'state-file'],
    ),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printJson, info }) => {
      const { readStateReport, repairCheckpointState } = await import('@ckptkit/core');
      const options = { gfile, latestFilename: argv['state-file'] };
      const repair = argv.repair ? await repairCheckpointState(argv.uri, { ...options, dryRun: argv['dry-run'] }) : undefined;
      const report = repair?.report ?? (await readStateReport(argv.uri, options));
      const { CkptError } = await import('@ckptkit/gfile');
      // A state file is what this command is about: none is a missing path, one that does not
      // parse is an invalid one, reported as every command reports them (nothing on stdout).
      if (report.status === 'missing') {
        // A file given for the directory: say so, not "no state file" (one stat, on this path only).
        if ((await gfile.stat(argv.uri).catch(() => undefined))?.kind === 'file') {
          throw new CkptError('NOT_A_DIRECTORY', { operation: 'state', uri: argv.uri, message: 'is a file, not a directory (name the checkpoint directory)' });
        }
        throw new CkptError('NOT_FOUND', { operation: 'state', uri: report.uri, message: 'no state file here' });
      }
      if (report.status !== 'ok') throw new CkptError('CORRUPT', { operation: 'state', uri: report.uri, message: `the state file is ${report.status}${report.error ? `: ${report.error}` : ''}` });
      const unresolved = repair?.unresolved ?? [];
      const code = unresolved.length > 0 ? EXIT.INVALID_CHECKPOINT : EXIT.OK;
      if (unresolved.length > 0) {
        const first = unresolved[0]!;
        reportError(new CkptError('CORRUPT', { operation: 'state', uri: report.uri, message: `--repair left ${unresolved.length} path(s) it could not resolve: ${JSON.stringify(first.path)}: ${first.reason}` }), argv);
      }
      if (argv.json) {
        printJson({
          uri: report.uri,
          dir: report.dir,
          status: report.status,
          ...(report.error ? { error: report.error } : {}),
          ...(report.state ?? {}),
          paths: report.paths,
          ...(repair ? { repair: { changes: repair.changes, unresolved: repair.unresolved, written: repair.written, backup: repair.backup ?? null, dryRun: argv['dry-run'] } } : {}),
        });
        return code;
      }
      const where = new Map(report.paths.map((p) => [p.recorded, p.where]));
      const unstorable = new Map(report.paths.flatMap((p) => (p.unstorable ? [[p.recorded, p.unstorable] as const] : [])));
      // A path no store can hold is marked (and printed escaped, as every path here).
      const mark = (p: string) => `${WHERE[where.get(p) ?? 'relative']}${unstorable.has(p) ? `  (NO STORE CAN HOLD THIS PATH: ${unstorable.get(p)})` : ''}`;
      // After a repair, the state as written (rewritten paths are relative, so unannotated).
      const s = repair?.state ?? report.state!;
      print(`model_checkpoint_path: ${JSON.stringify(s.modelCheckpointPath)}${mark(s.modelCheckpointPath)}`);
      s.allModelCheckpointPaths.forEach((p, i) => {
        const ts = s.allModelCheckpointTimestamps[i];
        print(`all_model_checkpoint_paths: ${JSON.stringify(p)}${ts === undefined ? '' : `  @ ${timestamp(ts)}`}${mark(p)}`);
      });
      if (s.lastPreservedTimestamp !== 0) print(`last_preserved_timestamp: ${s.lastPreservedTimestamp}`);
      if (repair) {
        for (const c of repair.changes) info(`${argv['dry-run'] ? 'would rewrite' : 'rewrote'} ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}: ${c.reason}`);
        for (const u of repair.unresolved) info(`left ${JSON.stringify(u.path)}: ${u.reason}`);
        if (repair.written) info(`wrote ${report.uri} (the old one is ${repair.backup})`);
        else if (repair.changes.length === 0) info('nothing to repair');
      }
      return code;
    }),
};
