import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp, numberOption, parseNumberOption } from '../help.js';

interface WatchArgs extends GlobalArgs {
  uri: string;
  interval: number;
  'min-interval': number;
  timeout?: number | undefined;
  exec?: string | undefined;
  existing: 'latest' | 'all' | 'none';
  'latest-only': boolean;
}

/**
 * `ckpt watch <dir-uri> [--interval S] [--timeout S] [--exec CMD]`: one JSON line on stdout per new
 * complete checkpoint, each once, in step order (`tf.train.checkpoints_iterator` semantics, on
 * listings). `--exec CMD` runs `sh -c CMD` for each, with the checkpoint in its environment, and
 * waits for it; its stdout goes to stderr so that stdout stays JSON lines. Exit 0 after yielding at
 * least one checkpoint, 1 when the timeout passed with none.
 */
export const watchCommand: CommandModule<GlobalArgs, WatchArgs> = {
  command: 'watch <uri>',
  describe: 'Print each new complete checkpoint of a directory as it appears (JSON lines); --exec runs a command for each',
  builder: (y) =>
    commandHelp(
      y
        .positional('uri', { type: 'string', demandOption: true, describe: 'Checkpoint directory to watch' })
        .option('interval', numberOption('interval', 'seconds', 'Seconds between two listings while nothing new is there', 1))
        .option('min-interval', numberOption('min-interval', 'seconds', 'Least seconds between two checkpoints (TensorFlow min_interval_secs)', 0))
        .option('timeout', numberOption('timeout', 'seconds', 'Stop after this many seconds without a new checkpoint (default: never)'))
        .option('exec', { type: 'string', requiresArg: true, describe: 'Run `sh -c CMD` per checkpoint, with CKPT_PREFIX, CKPT_STEP, CKPT_FORMAT, CKPT_DIR, CKPT_JSON set' })
        .option('existing', { choices: ['latest', 'all', 'none'] as const, default: 'latest' as const, describe: 'Checkpoints already there at the start: the newest (as TensorFlow), all, or none' })
        .option('latest-only', { type: 'boolean', default: false, describe: 'When several appear at once, only the newest (TensorFlow); default each in step order' }),
      'watch',
      [
        ['$0 watch s3://bucket/runs/42 --timeout 3600', 'one JSON line per new complete checkpoint, for an hour at most'],
        ['$0 watch ./runs/42 --exec \'python eval.py "$CKPT_PREFIX"\'', 'evaluate each new checkpoint as it appears'],
        ['$0 watch gs://bucket/runs/42 --existing none --interval 30', 'only checkpoints saved from now on, listing every 30 s'],
      ],
      ['interval', 'min-interval', 'timeout', 'exec', 'existing', 'latest-only'],
    ),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, info, debug }) => {
      const { watchCheckpoints } = await import('@ckptkit/core');
      const { isCkptError } = await import('@ckptkit/gfile');
      for (const [name, v] of [['interval', argv.interval], ['min-interval', argv['min-interval']], ['timeout', argv.timeout]] as const) {
        if (v !== undefined) parseNumberOption(name, 'seconds', v);
      }
      // Ctrl-C or a TERM ends the watch between checkpoints instead of killing it mid-line.
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let count = 0;
      try {
        for await (const c of watchCheckpoints(argv.uri, {
          gfile,
          interval: argv.interval,
          minInterval: argv['min-interval'],
          timeout: argv.timeout,
          existing: argv.existing,
          latestOnly: argv['latest-only'],
          signal: stop.signal,
          onPoll: (p) => {
            // A typo in a bucket name would otherwise wait in silence until the timeout.
            // (With --json, stderr holds errors only: nothing found is said by the exit code.)
            if (p.polls === 1 && !p.exists && !argv.json) info(`${argv.uri}: nothing there yet (no such directory, prefix or bucket); waiting for checkpoints`);
            debug(`poll ${p.polls}: ${p.candidates} checkpoint(s) listed`);
            for (const w of p.pending) debug(`  not yet complete: ${w.prefix}: ${w.problems.join('; ')}`);
          },
        })) {
          count++;
          const line = JSON.stringify({ prefix: c.prefix, step: c.step, format: c.format, complete: c.complete, dir: c.dir, files: c.files, bytes: c.bytes, mtime: c.mtime ? c.mtime.toISOString() : null });
          print(line);
          if (argv.exec) {
            const code = await runExec(argv.exec, { CKPT_PREFIX: c.prefix, CKPT_STEP: c.step === null ? '' : String(c.step), CKPT_FORMAT: c.format, CKPT_DIR: c.dir, CKPT_JSON: line });
            if (code !== 0) info(`--exec exited with ${code} for ${c.prefix}; watching on`);
          }
        }
      } catch (error) {
        if (!(isCkptError(error, 'ABORTED') && stop.signal.aborted)) throw error;
        info(`watch stopped after ${count} checkpoint(s)`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (count === 0 && !argv.json) info('no new checkpoint before the timeout');
      return count > 0 ? EXIT.OK : EXIT.NOTHING_FOUND;
    }),
};

/** Runs `sh -c cmd` with the checkpoint's variables; its stdout goes to our stderr. Resolves its exit code. */
async function runExec(cmd: string, vars: Record<string, string>): Promise<number> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', cmd], { env: { ...process.env, ...vars }, stdio: ['ignore', 2, 2] });
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
