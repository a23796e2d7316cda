import { CkptError, type GFile, createGFile, isCkptError, redact } from '@ckptkit/gfile';
import { cliRegistry } from './adapters/registry.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import type { GlobalArgs } from './global-args.js';
import { colorEnabled, painter, type Painter } from './output.js';
import { processGuard } from './process-guard.js';
import { terminalSafeJson, terminalSafeLine, terminalSafeText } from './terminal-safe.js';

/** What a command handler gets: the facade and the output channels of the contract. */
export interface CommandContext {
  argv: GlobalArgs;
  gfile: GFile;
  /** Writes a line to stdout (control characters escaped: see terminal-safe.ts). */
  print(line: string): void;
  /**
   * Writes a line to stdout as it is: for lines whose every name the caller already passed through
   * terminalSafeLine, and which hold escape sequences of their own ({@link paint}).
   */
  printEscaped(line: string): void;
  /** Colours text for stdout: only on a terminal with colours, never with NO_COLOR. */
  paint: Painter;
  /** Writes one JSON document to stdout. */
  printJson(value: unknown): void;
  /** Writes a diagnostic to stderr unless --quiet. */
  info(line: string): void;
  /** Writes to stderr only with --verbose. */
  debug(line: string): void;
  /** True when stderr is a terminal (progress bars only then). */
  stderrIsTTY: boolean;
  /** True when stdout is a terminal (human output where a pipe gets machine output). */
  stdoutIsTTY: boolean;
  /** Fires on SIGINT/SIGTERM or when stdout closes: pass it to every operation. */
  signal: AbortSignal;
}

/**
 * Runs a command body: builds the facade from the global options, maps errors to the exit codes
 * of the contract (stderr, JSON with --json), prints `--stats` and sets `process.exitCode`.
 */
export async function runCommand(argv: GlobalArgs, body: (ctx: CommandContext) => Promise<number | void>): Promise<void> {
  const t0 = performance.now();
  const verbose = argv.verbose && !argv.quiet;
  let gfile: GFile | undefined;
  let code: number = EXIT.OK;
  const guard = processGuard();
  try {
    if (!Number.isInteger(argv.concurrency) || argv.concurrency < 1) {
      throw new CkptError('INVALID_CONFIG', { operation: 'options', message: `--concurrency must be a positive integer, got ${argv.concurrency}` });
    }
    gfile = createGFile({
      registry: cliRegistry(argv),
      concurrency: argv.concurrency,
      retry: {
        onRetry: ({ operation, uri, attempt, delayMs, error }) => {
          if (verbose) processGuard().writeErr(`${terminalSafeText(`retry ${operation} ${uri} (attempt ${attempt}, in ${delayMs} ms): ${redact(String((error as Error)?.message ?? error))}`)}\n`);
        },
      },
    });
    const ctx: CommandContext = {
      argv,
      gfile,
      // Names from listings reach the terminal here: control characters are escaped (terminal-safe.ts).
      print: (line) => guard.writeOut(`${terminalSafeLine(line)}\n`),
      printEscaped: (line) => guard.writeOut(`${line}\n`),
      paint: painter(!argv.json && colorEnabled(process.stdout)),
      printJson: (value) => guard.writeOut(`${terminalSafeJson(JSON.stringify(value, null, 2))}\n`),
      info: (line) => {
        // After Ctrl-C the command only unwinds: nothing more to say.
        if (!argv.quiet && guard.interrupted === undefined) guard.writeErr(`${terminalSafeText(line)}\n`);
      },
      debug: (line) => {
        if (verbose) guard.writeErr(`${terminalSafeText(line)}\n`);
      },
      stderrIsTTY: process.stderr.isTTY === true,
      stdoutIsTTY: process.stdout.isTTY === true,
      signal: guard.signal,
    };
    code = (await body(ctx)) ?? EXIT.OK;
  } catch (error) {
    code = exitCodeFor(error);
    // An interrupted command fails with ABORTED on its way out: the signal is the news, not that.
    if (guard.interrupted === undefined) reportError(error, argv);
  } finally {
    if (argv.stats && gfile) {
      const m = gfile.metrics;
      guard.writeErr(
        `${JSON.stringify({ stats: { requests: { ...m.requests }, bytesRead: m.bytesRead, bytesWritten: m.bytesWritten, ms: Math.round(performance.now() - t0) } })}\n`,
      );
    }
    await gfile?.close().catch(() => undefined);
  }
  process.exitCode = guard.exitCode ?? code;
}

/** Prints an error as the contract says: a line on stderr, or `{"error":{...}}` with --json. */
export function reportError(error: unknown, argv: Pick<GlobalArgs, 'json' | 'verbose'>): void {
  const out = processGuard();
  const known = isCkptError(error);
  const message = redact(known ? error.message : error instanceof Error ? error.message : String(error));
  if (argv.json) {
    const body = known ? error.toJSON() : { code: 'UNAVAILABLE', message };
    out.writeErr(`${terminalSafeJson(JSON.stringify({ error: body }))}\n`);
  } else {
    out.writeErr(`ckpt: ${known ? `${error.code}: ` : ''}${terminalSafeText(message)}\n`);
    if (argv.verbose && error instanceof Error && error.stack && !known) out.writeErr(`${redact(error.stack).split('\n').map(terminalSafeLine).join('\n')}\n`);
  }
}
