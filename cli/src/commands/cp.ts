import { portableUri } from '@ckptkit/gfile';
import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp, numberOption, parseNumberOption } from '../help.js';
import { humanBytes } from '../output.js';
import { processGuard } from '../process-guard.js';
import { copyProgress, showProgress } from '../progress.js';

interface CpArgs extends GlobalArgs {
  src: string;
  dst: string;
  'update-state': boolean;
  'state-file'?: string | undefined;
  'allow-incomplete': boolean;
  parallel: number;
  streams: number;
}

/**
 * `ckpt cp <src-prefix-uri> <dst-dir-uri>`: every file of one checkpoint into a directory of any
 * store, data before the `.index`, each file atomic, files already identical skipped (so an
 * interrupted copy is finished by running it again). Prints the destination prefix (`--json`: the
 * whole report); exit 3 for an incomplete source, 4 for storage errors (the destination named when
 * it is at fault) and for a destination path that is unsafe to write. Before copying, the leftovers
 * of killed earlier copies under the checkpoint's destination name are removed (decision 0013). A
 * progress bar in binary units on a terminal (never with `--json`/`--quiet`); Ctrl-C / SIGTERM
 * abandon the unfinished writes and exit 130 / 143.
 */
export const cpCommand: CommandModule<GlobalArgs, CpArgs> = {
  command: 'cp <src> <dst>',
  describe: 'Copy one checkpoint (every file, the .index last) into a directory on any store; resumable',
  builder: (y) =>
    commandHelp(
      y
        .positional('src', { type: 'string', demandOption: true, describe: 'Checkpoint prefix (…/ckpt-5), its .index, a checkpoint directory or file' })
        .positional('dst', { type: 'string', demandOption: true, describe: 'Destination directory (created as needed)' })
        .option('update-state', { type: 'boolean', default: false, describe: "Record the copy in the destination's checkpoint state file" })
        .option('state-file', { type: 'string', describe: 'Name of the state file (default checkpoint)' })
        .option('allow-incomplete', { type: 'boolean', default: false, describe: 'Copy what there is of an incomplete checkpoint instead of refusing' })
        .option('parallel', numberOption('parallel', 'positive-integer', 'Files in flight at once', 4))
        .option('streams', numberOption('streams', 'positive-integer', 'Byte ranges of a large file fetched side by side into a local disk (1: one stream per file)', 4)),
      'cp',
      [
        ['$0 cp s3://bucket/runs/42/ckpt-1000 ./serving', 'one checkpoint into a local directory; run again to resume'],
        ['$0 cp --update-state "$($0 latest s3://bucket/runs/42)" gs://serving/resnet', 'the latest one, recorded in the destination\'s state file'],
        ['$0 cp --json ./runs/42/ckpt-1000.index s3://bucket/mirror', 'the report as JSON (files copied and skipped)'],
      ],
      ['update-state', 'state-file', 'allow-incomplete', 'parallel', 'streams'],
    ),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printJson, info, debug, stderrIsTTY, signal }) => {
      // The copy pipeline's own entry point: not the bundle reader, writer and verifier (snappy).
      const { copyCheckpoint } = await import('@ckptkit/core/copy');
      for (const flag of ['parallel', 'streams'] as const) parseNumberOption(flag, 'positive-integer', argv[flag]);
      // Uploads a killed earlier run recorded and never finished (unfinished-journal.ts).
      const [{ readDeadRecords }, { hostTag }] = await Promise.all([import('../unfinished-journal.js'), import('@ckptkit/local')]);
      const records = readDeadRecords(hostTag());
      const bar = showProgress(argv, stderrIsTTY) ? await copyProgress() : undefined;
      // An interrupted copy abandons its unfinished writes itself (temporary files, uploads): the
      // process waits for that (process-guard.ts).
      const release = processGuard().hold();
      const t0 = performance.now();
      let result;
      try {
        result = await copyCheckpoint(argv.src, argv.dst, {
          gfile,
          concurrency: argv.parallel,
          rangeStreams: argv.streams,
          updateState: argv['update-state'],
          latestFilename: argv['state-file'],
          allowIncomplete: argv['allow-incomplete'],
          removeLeftovers: { deadWrites: records.writes },
          signal,
          onProgress: bar?.update,
          onFile: (f) => debug(f.action === 'skipped' ? `skipped ${f.dst} (identical: ${f.identicalBy})` : `copied ${f.src} -> ${f.dst} (${f.how}${f.replacedBecause ? `, replaced: ${f.replacedBecause}` : ''})`),
        });
      } finally {
        bar?.stop();
        release();
      }
      const removed = result.leftovers?.removed ?? [];
      const kept = result.leftovers?.kept ?? [];
      // A record is done with once its upload is gone, or once the store said it never can be.
      records.settle([...removed.map((l) => l.id), ...kept.filter((k) => k.permanent).map((k) => k.id)]);
      const secs = (performance.now() - t0) / 1000;
      if (!argv.json) for (const n of result.notes) info(`note: ${n}`);
      if (argv.json) {
        printJson(result);
      } else {
        print(portableUri(result.prefix));
        if (removed.length > 0) info(`removed ${removed.length} leftover(s) of an earlier copy that did not finish`);
        for (const l of removed) debug(`  removed unfinished write of ${l.uri} (${LEFTOVER_WHY[l.why]})`);
        for (const k of kept) debug(`  could not remove an unfinished write of ${k.uri}${k.permanent ? ' (left to expire)' : ''}: ${k.reason}`);
        info(
          `${result.files.length} file(s): ${result.filesCopied} copied (${humanBytes(result.bytesCopied)}), ${result.filesSkipped} already there (${humanBytes(result.bytesSkipped)}) in ${secs.toFixed(1)} s` +
            (result.state ? `; ${result.state.uri} ${result.state.latest ? 'names it as the latest' : 'lists it'}` : ''),
        );
        if (!result.source.complete) info(`the source was incomplete: ${result.source.problems.join('; ')}`);
        if (result.extraneous.length > 0) info(`the destination also holds ${result.extraneous.length} file(s) under this name that are not part of the checkpoint (left in place): ${result.extraneous.join(', ')}`);
      }
      return EXIT.OK;
    }),
};

const LEFTOVER_WHY: Record<string, string> = {
  'owner-dead': 'its process no longer runs',
  'recorded-dead': 'recorded by a run that no longer runs',
  'older-than-max-age': 'untouched for over a day',
};
