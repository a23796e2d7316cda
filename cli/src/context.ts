import { CkptError, type GFile, createGFile, isCkptError, redact } from '@ckptkit/gfile';
import { cliRegistry } from './adapters/registry.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import type { GlobalArgs } from './global-args.js';
import { terminalSafeJson, terminalSafeLine, terminalSafeText } from './terminal-safe.js';

/** What a command handler gets: the facade and the output channels of the contract. */
export interface CommandContext {
  argv: GlobalArgs;
  gfile: GFile;
  /** Writes a line to stdout. */
  print(line: string): void;
  /** Writes one JSON document to stdout. */
  printJson(value: unknown): void;
  /** Writes a diagnostic to stderr unless --quiet. */
  info(line: string): void;
  /** Writes to stderr only with --verbose. */
  debug(line: string): void;
  /** True when stderr is a terminal (progress bars only then). */
  stderrIsTTY: boolean;
}

/**
 * Runs a command body: builds the facade from the global options, maps errors to the exit codes
 * of the contract (stderr, JSON with --json), prints `--stats` and sets `process.exitCode`.
 */
export async function runCommand(argv: GlobalArgs, body: (ctx: CommandContext) => Promise<number | void>): Promise<void> {
  const t0 = performance.now();
  const verbose = argv.verbose && !argv.quiet;
  let gfile: GFile | undefined;
  let code: number;
  try {
    if (!Number.isInteger(argv.concurrency) || argv.concurrency < 1) {
      throw new CkptError('INVALID_CONFIG', { operation: 'options', message: `--concurrency must be a positive integer, got ${argv.concurrency}` });
    }
    gfile = createGFile({
      registry: cliRegistry(argv),
      concurrency: argv.concurrency,
      retry: {
        onRetry: ({ operation, uri, attempt, delayMs, error }) => {
          if (verbose) process.stderr.write(`${terminalSafeText(`retry ${operation} ${uri} (attempt ${attempt}, in ${delayMs} ms): ${redact(String((error as Error)?.message ?? error))}`)}\n`);
        },
      },
    });
    const ctx: CommandContext = {
      argv,
      gfile,
      // Names from listings reach the terminal here: control characters are escaped (terminal-safe.ts).
      print: (line) => process.stdout.write(`${terminalSafeLine(line)}\n`),
      printJson: (value) => process.stdout.write(`${terminalSafeJson(JSON.stringify(value, null, 2))}\n`),
      info: (line) => {
        if (!argv.quiet) process.stderr.write(`${terminalSafeText(line)}\n`);
      },
      debug: (line) => {
        if (verbose) process.stderr.write(`${terminalSafeText(line)}\n`);
      },
      stderrIsTTY: process.stderr.isTTY === true,
    };
    code = (await body(ctx)) ?? EXIT.OK;
  } catch (error) {
    code = exitCodeFor(error);
    reportError(error, argv);
  } finally {
    if (argv.stats && gfile) {
      const m = gfile.metrics;
      process.stderr.write(
        `${JSON.stringify({ stats: { requests: { ...m.requests }, bytesRead: m.bytesRead, bytesWritten: m.bytesWritten, ms: Math.round(performance.now() - t0) } })}\n`,
      );
    }
    await gfile?.close().catch(() => undefined);
  }
  process.exitCode = code;
}

/** Prints an error as the contract says: a line on stderr, or `{"error":{...}}` with --json. */
export function reportError(error: unknown, argv: Pick<GlobalArgs, 'json' | 'verbose'>): void {
  const known = isCkptError(error);
  const message = redact(known ? error.message : error instanceof Error ? error.message : String(error));
  if (argv.json) {
    const body = known ? error.toJSON() : { code: 'UNAVAILABLE', message };
    process.stderr.write(`${terminalSafeJson(JSON.stringify({ error: body }))}\n`);
  } else {
    process.stderr.write(`ckpt: ${known ? `${error.code}: ` : ''}${terminalSafeText(message)}\n`);
    if (argv.verbose && error instanceof Error && error.stack && !known) process.stderr.write(`${redact(error.stack).split('\n').map(terminalSafeLine).join('\n')}\n`);
  }
}
