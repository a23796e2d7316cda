import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { humanBytes } from '../output.js';

interface VerifyArgs extends GlobalArgs {
  uri: string;
  deep: boolean;
}

/**
 * `ckpt verify <prefix-uri> [--deep]`: exit 0 when the bundle is complete and intact, 3 when
 * problems were found (missing index or shard, short shard, corrupt index, checksum mismatch, ...),
 * 4 for storage errors (permission denied, unavailable).
 */
export const verifyCommand: CommandModule<GlobalArgs, VerifyArgs> = {
  command: 'verify <uri>',
  describe: 'Check a checkpoint: TensorFlow index and shard sizes (--deep: every tensor checksum); other layouts: every file there',
  builder: (y) =>
    y
      .positional('uri', { type: 'string', demandOption: true, describe: 'What `latest`/`find` print: a prefix (…/ckpt-5), its .index or a data shard, a V1 file or pattern, a checkpoint directory or file' })
      .option('deep', { type: 'boolean', default: false, describe: "Read all data and check every tensor's crc32c" }),
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
        else info(`${report.problems.length} problem(s); ${what}`);
      }
      return report.ok ? EXIT.OK : EXIT.INVALID_CHECKPOINT;
    }),
};
