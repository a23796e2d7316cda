import { portableUri } from '@ckptkit/gfile';
import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { humanBytes, portableDoc } from '../output.js';

interface FindArgs extends GlobalArgs {
  uri: string;
  'max-depth'?: number | undefined;
  format?: string | string[] | undefined;
  jsonl: boolean;
  'content-checks': boolean;
}

/**
 * `ckpt find <uri> [--max-depth N] [--format F]`: every checkpoint below a URI, hidden and
 * intermediate ones included, sorted by directory then step; exit 1 when there is none, 5 when
 * an unreadable subdirectory was left out (reported on stderr, one line each). A long
 * run shows its progress (objects listed, checkpoints found) on stderr when stderr is a terminal.
 */
export const findCommand: CommandModule<GlobalArgs, FindArgs> = {
  command: 'find <uri>',
  describe: 'Every checkpoint below a directory or bucket prefix, of every layout, complete or not',
  builder: (y) =>
    y
      .positional('uri', { type: 'string', demandOption: true, describe: 'Directory or prefix to search (recursive)' })
      .option('max-depth', { type: 'number', describe: 'Only checkpoints at most N directories below the URI (0: in it)' })
      .option('format', { type: 'string', requiresArg: true, describe: 'Only these formats (repeatable or comma-separated): tf2-checkpoint, tf1-saver, hf-trainer, orbax, ...' })
      .option('jsonl', { type: 'boolean', default: false, describe: 'One JSON object per line instead of one array' })
      .option('content-checks', { type: 'boolean', default: true, describe: 'Small reads (state files, trainer_state.json, zip/HDF5 trailers) where names are not enough; --no-content-checks: listings only' }),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printJson, info, stderrIsTTY, skipped }) => {
      // Discovery's own entry point: a find loads neither the bundle reader nor its native modules.
      const { findCheckpoints } = await import('@ckptkit/core/discovery');
      const maxDepth = argv['max-depth'];
      if (maxDepth !== undefined && (!Number.isInteger(maxDepth) || maxDepth < 0)) {
        const { CkptError } = await import('@ckptkit/gfile');
        throw new CkptError('INVALID_CONFIG', { operation: 'find', message: `--max-depth must be a non-negative integer, got ${maxDepth}` });
      }
      const progress = stderrIsTTY && !argv.quiet ? await createProgress() : undefined;
      let found;
      try {
        found = await findCheckpoints(argv.uri, {
          gfile,
          maxDepth,
          formats: [argv.format ?? []].flat().flatMap((f) => f.split(',')).filter((f) => f !== ''),
          contentChecks: argv['content-checks'],
          onProgress: progress?.update,
          onSkipped: skipped,
        });
      } finally {
        progress?.stop();
      }
      const docs = found.map((c) => ({
        prefix: c.prefix,
        dir: c.dir,
        format: c.format,
        step: c.step,
        complete: c.complete,
        files: c.files,
        bytes: c.bytes,
        problems: c.problems,
        temporary: c.temporary,
        mtime: c.mtime ? c.mtime.toISOString() : null,
        details: c.extra,
      }));
      if (argv.jsonl) {
        for (const d of docs) {
          const line = JSON.stringify(d);
          // Only a line holding a local name that is not UTF-8 needs its URIs made portable.
          print(/\\ud[c-f]/i.test(line) ? JSON.stringify(portableDoc(d)) : line);
        }
      }
      else if (argv.json) printJson(docs);
      else {
        for (const c of found) {
          const state = c.temporary ? 'temporary' : c.complete ? 'complete' : 'INCOMPLETE';
          const listed = STATE_NOTE[String(c.extra.stateFile)] ?? '';
          print(`${String(c.step ?? '-').padStart(10)}  ${c.format.padEnd(16)} ${state.padEnd(10)} ${humanBytes(c.bytes).padStart(10)}  ${portableUri(c.prefix)}${listed}`);
          for (const p of c.problems) print(`${' '.repeat(12)}${p}`);
        }
        info(`${found.length} checkpoint(s), ${found.filter((c) => c.complete).length} complete`);
      }
      return found.length === 0 ? EXIT.NOTHING_FOUND : EXIT.OK;
    }),
};

// Where a TensorFlow checkpoint stands in its directory's state file.
const STATE_NOTE: Record<string, string> = { latest: '  (state file: latest)', unlisted: '  (not in the state file)' };

/** A one-line progress display on stderr (only ever created when stderr is a terminal). */
async function createProgress(): Promise<{ update: (p: { phase: string; listed: number; found: number }) => void; stop: () => void }> {
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { format: 'find: {phase} | {listed} objects listed | {found} checkpoints found', stream: process.stderr, clearOnComplete: true, hideCursor: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(0, 0, { phase: 'listing', listed: 0, found: 0 });
  return {
    update: (p) => bar.update(0, { phase: p.phase, listed: p.listed, found: p.found }),
    stop: () => bar.stop(),
  };
}
