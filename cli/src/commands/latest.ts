import { portableUri } from '@ckptkit/gfile';
import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp } from '../help.js';
import { humanBytes } from '../output.js';

interface LatestArgs extends GlobalArgs {
  uri: string;
  'tf-compat': boolean;
  verify: boolean;
  'state-file'?: string | undefined;
}

/**
 * `ckpt latest <dir-uri> [--tf-compat] [--verify] [--state-file NAME]`.
 *
 * Robust (default): the newest complete checkpoint as `{prefix, step, format, complete, source,
 * files, bytes, notes}`; `null` and exit 1 when there is none (exit 3 when candidates exist but
 * `--verify` found problems in all of them). `--tf-compat`: exactly `tf.train.latest_checkpoint`,
 * `{"prefix": STRING}` or `null` and exit 1; exit 3 where TensorFlow raises.
 */
export const latestCommand: CommandModule<GlobalArgs, LatestArgs> = {
  command: 'latest <uri>',
  describe: 'The latest complete checkpoint of a directory (--tf-compat: exactly tf.train.latest_checkpoint)',
  builder: (y) =>
    commandHelp(
      y
        .positional('uri', { type: 'string', demandOption: true, describe: 'Checkpoint directory (./run, s3://bucket/run, gs://...)' })
        .option('tf-compat', { type: 'boolean', default: false, describe: "TensorFlow's exact answer: state file only, no scan, None where it returns None" })
        .option('verify', { type: 'boolean', default: false, describe: "Also read the chosen checkpoint's index and check its shards' sizes" })
        .option('state-file', { type: 'string', describe: 'Name of the state file in the directory (TensorFlow latest_filename; default checkpoint)' }),
      'latest',
      [
        ['$0 latest s3://bucket/runs/42', 'the newest complete checkpoint (prints its prefix)'],
        ['P=$($0 latest ./runs/42) && $0 cp "$P" gs://serving/model', 'deploy it; exit 1 (none yet) skips the copy'],
        ['$0 latest --tf-compat --json ./runs/42', 'exactly what tf.train.latest_checkpoint returns, as {"prefix"} or null'],
        ['$0 latest --verify gs://bucket/runs/42', 'the newest one whose index and shard sizes check out'],
      ],
      ['tf-compat', 'verify', 'state-file'],
    ),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printJson, info, debug }) => {
      // The latest-resolution entry point only: the bundle reader is loaded for --verify alone.
      const { latestCheckpoint } = await import('@ckptkit/core/latest');
      if (argv['tf-compat']) {
        const r = await latestCheckpoint(argv.uri, { gfile, mode: 'tf', latestFilename: argv['state-file'] });
        for (const w of r.warnings) debug(w);
        if (r.prefix === null) {
          // Nothing found is an answer: with --json, `null` on stdout and nothing on stderr.
          if (argv.json) printJson(null);
          else info('no checkpoint (tf.train.latest_checkpoint returns None)');
          return EXIT.NOTHING_FOUND;
        }
        const report = argv.verify ? await (await import('@ckptkit/core')).verifyBundle(gfile, r.prefix, { concurrency: argv.concurrency }) : undefined;
        if (argv.json) printJson(report ? { prefix: r.prefix, verify: report } : { prefix: r.prefix });
        else {
          print(portableUri(r.prefix));
          for (const p of report?.problems ?? []) info(`verify ${p.code}: ${p.detail}`);
        }
        return report && !report.ok ? EXIT.INVALID_CHECKPOINT : EXIT.OK;
      }
      const r = await latestCheckpoint(argv.uri, { gfile, verify: argv.verify, latestFilename: argv['state-file'] });
      const c = r.checkpoint;
      if (!c && r.verifyFailed) {
        // Checkpoints are there but none passed --verify: an invalid checkpoint (3), reported as an
        // error, not as the "none" of an empty directory.
        const { CkptError } = await import('@ckptkit/gfile');
        const why = r.notes.filter((n) => n.startsWith('passed over')).join('; ');
        throw new CkptError('CORRUPT', { operation: 'latest', uri: argv.uri, message: `no checkpoint passed --verify${why ? `: ${why}` : ''}` });
      }
      if (argv.json) {
        printJson(
          c && {
            prefix: c.prefix,
            step: c.step,
            format: c.format,
            complete: c.complete,
            source: c.source,
            files: c.files,
            bytes: c.bytes,
            notes: c.notes,
            dir: c.dir,
            // Layout facts (repo id and revision of a hub snapshot, pointers naming it), as `find` prints them.
            details: c.extra,
            ...(c.verify ? { verify: c.verify } : {}),
          },
        );
      } else if (c) {
        print(portableUri(c.prefix));
        info(`${c.step === null ? 'no step' : `step ${c.step}`}, ${c.format}, ${c.files.length} file(s), ${humanBytes(c.bytes)}, from the ${c.source === 'scan' ? 'directory listing' : c.source === 'basename' ? "state file's basename" : 'state file'}`);
        for (const n of c.notes) info(`  ${n}`);
      } else {
        for (const n of r.notes) info(n);
      }
      return c ? EXIT.OK : EXIT.NOTHING_FOUND;
    }),
};
