import type { CommandModule } from 'yargs';
import { reportError, runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp } from '../help.js';
import { humanBytes } from '../output.js';

interface VerifyArgs extends GlobalArgs {
  uri: string;
  deep: boolean;
}

/**
 * `ckpt verify <prefix-uri> [--deep]`: exit 0 when the bundle is complete and intact, 3 when
 * problems were found (missing index or shard, short shard, corrupt index, checksum mismatch, ...:
 * the report on stdout and one CORRUPT error line on stderr), 4 for storage errors (nothing of
 * that name at all is NOT_FOUND; permission denied, unavailable).
 */
export const verifyCommand: CommandModule<GlobalArgs, VerifyArgs> = {
  command: 'verify <uri>',
  describe: 'Check a checkpoint: TensorFlow index and shard sizes (--deep: every tensor checksum); other layouts: every file there',
  builder: (y) =>
    commandHelp(
      y
        .positional('uri', { type: 'string', demandOption: true, describe: 'What `latest`/`find` print: a prefix (…/ckpt-5), its .index or a data shard, a V1 file or pattern, a checkpoint directory or file' })
        .option('deep', { type: 'boolean', default: false, describe: "Read all data and check every tensor's crc32c" }),
      'verify',
      [
        ['$0 verify ./runs/42/ckpt-1000', 'index readable, every shard there and long enough'],
        ['$0 verify --deep s3://bucket/runs/42/ckpt-1000', "also read every tensor and check its crc32c"],
        ['$0 verify --json gs://bucket/runs/42/ckpt-1000 || echo broken', 'the report as JSON; exit 3 when there are problems'],
      ],
      ['deep'],
    ),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printJson, info }) => {
      const { verifyAny } = await import('@ckptkit/core');
      const t0 = performance.now();
      const { report, scope, notes, resolved } = await verifyAny(gfile, argv.uri, { deep: argv.deep, concurrency: argv.concurrency });
      if (!argv.json) for (const n of notes) info(`note: ${n}`);
      if (argv.json) {
        printJson(report);
      } else {
        for (const p of report.problems) {
          const where = [p.key === undefined ? undefined : JSON.stringify(p.key), p.uri].filter(Boolean).join(' in ');
          print(`${p.code}${where ? ` ${where}` : ''}: ${p.detail}`);
        }
        const secs = (performance.now() - t0) / 1000;
        const what =
          scope === 'files'
            ? `${resolved.files.length} file(s) of ${resolved.found.format} present`
            : argv.deep
              ? `${report.tensorsChecked} tensors, ${humanBytes(report.bytesChecked)} checksummed in ${secs.toFixed(2)} s`
              : `${report.tensorsChecked} tensors located`;
        if (report.ok) print(`OK: ${what}`);
        else info(what);
      }
      if (report.ok) return EXIT.OK;
      // The report is the answer (stdout); the condition is reported as every command reports it.
      const { CkptError } = await import('@ckptkit/gfile');
      const first = report.problems[0]!;
      const more = report.problems.length > 1 ? ` (and ${report.problems.length - 1} more)` : '';
      reportError(new CkptError('CORRUPT', { operation: 'verify', uri: argv.uri, message: `${report.problems.length} problem(s): ${first.code}: ${first.detail}${more}` }), argv);
      return EXIT.INVALID_CHECKPOINT;
    }),
};

