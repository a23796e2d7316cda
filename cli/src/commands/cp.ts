import { portableUri } from '@ckptkit/gfile';
import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { humanBytes } from '../output.js';

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
 * whole report); exit 3 for an incomplete source, 2 for an unsafe destination path, 4 for storage
 * errors.
 */
export const cpCommand: CommandModule<GlobalArgs, CpArgs> = {
  command: 'cp <src> <dst>',
  describe: 'Copy one checkpoint (every file, the .index last) into a directory on any store; resumable',
  builder: (y) =>
    y
      .positional('src', { type: 'string', demandOption: true, describe: 'Checkpoint prefix (…/ckpt-5), its .index, a checkpoint directory or file' })
      .positional('dst', { type: 'string', demandOption: true, describe: 'Destination directory (created as needed)' })
      .option('update-state', { type: 'boolean', default: false, describe: "Record the copy in the destination's checkpoint state file" })
      .option('state-file', { type: 'string', describe: 'Name of the state file (default checkpoint)' })
      .option('allow-incomplete', { type: 'boolean', default: false, describe: 'Copy what there is of an incomplete checkpoint instead of refusing' })
      .option('parallel', { type: 'number', default: 4, describe: 'Files in flight at once' })
      .option('streams', { type: 'number', default: 4, describe: 'Byte ranges of a large file fetched side by side into a local disk (1: one stream per file)' }),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printJson, info, debug, stderrIsTTY }) => {
      // The copy pipeline's own entry point: not the bundle reader, writer and verifier (snappy).
      const { copyCheckpoint } = await import('@ckptkit/core/copy');
      for (const flag of ['parallel', 'streams'] as const) {
        if (!Number.isInteger(argv[flag]) || argv[flag] < 1) {
          const { CkptError } = await import('@ckptkit/gfile');
          throw new CkptError('INVALID_CONFIG', { operation: 'cp', message: `--${flag} must be a positive integer, got ${argv[flag]}` });
        }
      }
      const bar = stderrIsTTY && !argv.quiet ? await createBar() : undefined;
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
          onProgress: bar?.update,
          onFile: (f) => debug(f.action === 'skipped' ? `skipped ${f.dst} (identical: ${f.identicalBy})` : `copied ${f.src} -> ${f.dst} (${f.how}${f.replacedBecause ? `, replaced: ${f.replacedBecause}` : ''})`),
        });
      } finally {
        bar?.stop();
      }
      const secs = (performance.now() - t0) / 1000;
      if (!argv.json) for (const n of result.notes) info(`note: ${n}`);
      if (argv.json) {
        printJson(result);
      } else {
        print(portableUri(result.prefix));
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

/** A byte progress bar on stderr (only created when stderr is a terminal). */
async function createBar(): Promise<{ update: (p: { bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number; filesSkipped: number }) => void; stop: () => void }> {
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      format: 'cp [{bar}] {percentage}% | {done} of {total} | {files} files ({skipped} already there)',
      stream: process.stderr,
      clearOnComplete: true,
      hideCursor: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p) => {
      const payload = { done: humanBytes(p.bytesDone), total: humanBytes(p.bytesTotal), files: `${p.filesDone}/${p.filesTotal}`, skipped: p.filesSkipped };
      if (!started) {
        bar.start(Math.max(1, p.bytesTotal), p.bytesDone, payload);
        started = true;
      } else bar.update(p.bytesDone, payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
