import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp, numberOption, parseNumberOption } from '../help.js';
import { humanBytes } from '../output.js';
import { processGuard } from '../process-guard.js';
import { terminalSafeJson, terminalSafeLine } from '../terminal-safe.js';

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
 * `ckpt watch <dir-uri> [--interval S] [--timeout S] [--exec CMD]`: each new complete checkpoint,
 * once, in step order (`tf.train.checkpoints_iterator` semantics, on listings). On a terminal one
 * readable line per checkpoint (time, step, format, size, prefix); in a pipe, or with `--json`, one
 * JSON object per line. `--exec CMD` runs `sh -c CMD` for each, with the checkpoint in its
 * environment, and waits for it; its stdout goes to stderr so that stdout stays what it was. A
 * failed run is reported at once on stderr (`--json`: an `{"error":{"code":"EXEC_FAILED",…}}` line)
 * and the watch goes on; at the end every failed run is listed with its exit code and the exit
 * code is 5 (PARTIAL). Exit 0 after yielding at least one checkpoint with every run fine, 1 when
 * the timeout passed with none. Ctrl-C / SIGTERM: the running child gets the signal too, and the
 * watch exits 130 / 143 once it has ended.
 */
export const watchCommand: CommandModule<GlobalArgs, WatchArgs> = {
  command: 'watch <uri>',
  describe: 'Print each new complete checkpoint of a directory as it appears; --exec runs a command for each',
  builder: (y) =>
    commandHelp(
      y
        .positional('uri', { type: 'string', demandOption: true, describe: 'Checkpoint directory to watch' })
        .option('interval', numberOption('interval', 'seconds', 'Seconds between two listings while nothing new is there', 1))
        .option('min-interval', numberOption('min-interval', 'seconds', 'Least seconds between two checkpoints (TensorFlow min_interval_secs)', 0))
        .option('timeout', numberOption('timeout', 'seconds', 'Stop after this many seconds without a new checkpoint (default: never)'))
        .option('exec', { type: 'string', requiresArg: true, describe: 'Run `sh -c CMD` per checkpoint, with CKPT_PREFIX, CKPT_STEP, CKPT_FORMAT, CKPT_DIR, CKPT_JSON set; exit 5 at the end if any run failed' })
        .option('existing', { choices: ['latest', 'all', 'none'] as const, default: 'latest' as const, describe: 'Checkpoints already there at the start: the newest (as TensorFlow), all, or none' })
        .option('latest-only', { type: 'boolean', default: false, describe: 'When several appear at once, only the newest (TensorFlow); default each in step order' }),
      'watch',
      [
        ['$0 watch s3://bucket/runs/42 --timeout 3600', 'a line per new complete checkpoint (JSON lines in a pipe or with --json), for an hour at most'],
        ['$0 watch ./runs/42 --exec \'python eval.py "$CKPT_PREFIX"\'', 'evaluate each new checkpoint as it appears'],
        ['$0 watch gs://bucket/runs/42 --existing none --interval 30', 'only checkpoints saved from now on, listing every 30 s'],
      ],
      ['interval', 'min-interval', 'timeout', 'exec', 'existing', 'latest-only'],
    ),
  handler: (argv) =>
    runCommand(argv, async ({ gfile, print, printEscaped, info, debug, paint, stdoutIsTTY, signal }) => {
      const { watchCheckpoints } = await import('@ckptkit/core');
      for (const [name, v] of [['interval', argv.interval], ['min-interval', argv['min-interval']], ['timeout', argv.timeout]] as const) {
        if (v !== undefined) parseNumberOption(name, 'seconds', v);
      }
      const human = stdoutIsTTY && !argv.json;
      const failures: Array<{ prefix: string; code: number }> = [];
      const execFailed = (prefix: string, code: number) => {
        failures.push({ prefix, code });
        if (argv.json) processGuard().writeErr(`${terminalSafeJson(JSON.stringify({ error: { code: 'EXEC_FAILED', message: `--exec exited with ${code}`, uri: prefix, operation: 'watch' } }))}\n`);
        else info(`ckpt: --exec exited with ${code} for ${prefix}; watching on`);
      };
      let count = 0;
      for await (const c of watchCheckpoints(argv.uri, {
        gfile,
        interval: argv.interval,
        minInterval: argv['min-interval'],
        timeout: argv.timeout,
        existing: argv.existing,
        latestOnly: argv['latest-only'],
        signal,
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
        if (human) {
          const time = new Date().toTimeString().slice(0, 8);
          const step = c.step === null ? 'no step' : `step ${c.step}`;
          printEscaped(`${paint('dim', time)}  ${paint('green', 'new')} ${paint('bold', terminalSafeLine(step))}  ${terminalSafeLine(c.format)}  ${c.files.length} file(s), ${humanBytes(c.bytes)}  ${terminalSafeLine(c.prefix)}`);
        } else print(line);
        if (argv.exec) {
          const code = await runExec(argv.exec, { CKPT_PREFIX: c.prefix, CKPT_STEP: c.step === null ? '' : String(c.step), CKPT_FORMAT: c.format, CKPT_DIR: c.dir, CKPT_JSON: line });
          if (code !== 0) execFailed(c.prefix, code);
        }
      }
      if (count === 0 && !argv.json) info('no new checkpoint before the timeout');
      if (failures.length > 0) {
        if (!argv.json) info(`ckpt: --exec failed for ${failures.length} of ${count} checkpoint(s): ${failures.map((f) => `${f.prefix} (exit ${f.code})`).join(', ')}`);
        return EXIT.PARTIAL;
      }
      return count > 0 ? EXIT.OK : EXIT.NOTHING_FOUND;
    }),
};

/**
 * Runs `sh -c cmd` with the checkpoint's variables; its stdout goes to our stderr. Resolves its exit
 * code: 128 + the signal number when a signal ended it, 127 when it could not start. The child is
 * tracked by the process guard: it gets our SIGINT/SIGTERM, and an interrupted watch waits for it.
 */
async function runExec(cmd: string, vars: Record<string, string>): Promise<number> {
  const [{ spawn }, { constants }] = await Promise.all([import('node:child_process'), import('node:os')]);
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', cmd], { env: { ...process.env, ...vars }, stdio: ['ignore', 2, 2] });
    const untrack = processGuard().trackChild(child);
    child.on('error', () => {
      untrack();
      resolve(127);
    });
    child.on('close', (code, signal) => {
      untrack();
      resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1));
    });
  });
}
