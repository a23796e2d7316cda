import { type CkptError, type GFile, createGFile, isCkptError, portableUri, redact } from '@ckptkit/gfile';
import { cliRegistry } from './adapters/registry.js';
import { type CliErrorCode, EXIT, UsageError, errorCodeOf, exitCodeFor } from './exit-codes.js';
import { parseNumberOption } from './help.js';
import type { GlobalArgs } from './global-args.js';
import { colorEnabled, painter, portableDoc, type Painter } from './output.js';
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
  /** Writes one JSON value on one line (`--jsonl`: a line per entry, printed as it comes). */
  printJsonLine(value: unknown): void;
  /**
   * Writes an array as {@link printJson} would, element by element: the same bytes, without one
   * string of the whole document (which a million entries would take past what a string can hold).
   */
  printJsonArray(values: Iterable<unknown>): Promise<void>;
  /** Resolves when stdout has room again: await it now and then while printing a long stream. */
  drain(): Promise<void>;
  /**
   * Stdout for a long stream of lines (a listing of a million entries): lines are written in
   * batches of about 64 KiB, not one system call each, and {@link OutputStream.flush} (which a
   * command calls every few hundred entries and at the end) writes the rest and waits while the
   * reader is behind.
   */
  stream(): OutputStream;
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
  /**
   * For walks (`WalkOptions.onSkipped`): reports a part that could not be read and was left out,
   * on stderr (`ckpt: skipped URI: CODE: message`, with --json one `{"error":...}` line), and makes
   * the command exit PARTIAL (5) instead of 0 or 1.
   */
  skipped(error: CkptError): void;
  /** URIs of what was skipped so far, with their errors (for JSON output that marks them). */
  skippedUris: Map<string, CkptError>;
}

/** See {@link CommandContext.stream}. */
export interface OutputStream {
  /** A line of text, control characters escaped (as `print`). */
  line(text: string): void;
  /** One JSON value on one line (as `printJsonLine`). */
  json(value: unknown): void;
  /** Writes what is held, then waits while stdout's reader is behind. */
  flush(): Promise<void>;
}

const STREAM_BATCH = 64 * 1024;

/**
 * Runs a command body: builds the facade from the global options, maps errors to the exit codes
 * of the contract (stderr, JSON with --json), prints `--stats` and sets `process.exitCode`.
 */
export async function runCommand(argv: GlobalArgs, body: (ctx: CommandContext) => Promise<number | void>): Promise<void> {
  const t0 = performance.now();
  const verbose = argv.verbose && !argv.quiet;
  let gfile: GFile | undefined;
  let code: number;
  const guard = processGuard();
  const skippedUris = new Map<string, CkptError>();
  try {
    // yargs checked it already; main() called from a program may pass anything.
    parseNumberOption('concurrency', 'positive-integer', argv.concurrency);
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
      printJson: (value) => guard.writeOut(`${jsonText(value, 2)}\n`),
      printJsonLine: (value) => guard.writeOut(`${jsonText(value)}\n`),
      printJsonArray: async (values) => {
        let n = 0;
        for (const value of values) {
          // JSON.stringify(array, null, 2): each element indented by two, one per line, comma-separated.
          guard.writeOut(`${n === 0 ? '[\n' : ',\n'}  ${jsonText(value, 2).replaceAll('\n', '\n  ')}`);
          if (++n % 256 === 0) await guard.outputDrained();
        }
        guard.writeOut(n === 0 ? '[]\n' : '\n]\n');
      },
      drain: () => guard.outputDrained(),
      stream: () => {
        let held = '';
        const add = (text: string) => {
          held += text;
          if (held.length >= STREAM_BATCH) {
            guard.writeOut(held);
            held = '';
          }
        };
        return {
          line: (text) => add(`${terminalSafeLine(text)}\n`),
          json: (value) => add(`${jsonText(value)}\n`),
          flush: async () => {
            if (held !== '') guard.writeOut(held);
            held = '';
            await guard.outputDrained();
          },
        };
      },
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
      skipped: (error) => {
        const uri = portableUri(error.uri ?? '');
        if (skippedUris.has(uri)) return;
        skippedUris.set(uri, error);
        // The shape of every error line: code, message, uri, operation.
        if (argv.json) guard.writeErr(`${terminalSafeJson(JSON.stringify({ error: { ...error.toJSON(), uri, operation: error.operation } }))}\n`);
        else guard.writeErr(`ckpt: skipped ${terminalSafeText(uri)}: ${error.code}: ${terminalSafeText(redact(error.message))}\n`);
      },
      skippedUris,
    };
    await checkUris(gfile, argv);
    code = (await body(ctx)) ?? EXIT.OK;
    // A result that left parts out is partial, also when it is "nothing found".
    if (skippedUris.size > 0 && (code === EXIT.OK || code === EXIT.NOTHING_FOUND)) code = EXIT.PARTIAL;
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

/**
 * A value as JSON text for stdout: URIs of local names that are not UTF-8 made portable (their
 * bytes ride in lone surrogates), control characters JSON leaves raw escaped.
 */
function jsonText(value: unknown, indent?: number): string {
  let text = JSON.stringify(value, null, indent);
  if (/\\ud[c-f]/i.test(text)) text = JSON.stringify(portableDoc(value), null, indent);
  return terminalSafeJson(text);
}

/** The argv keys that hold URIs the user typed (positionals of every command). */
const URI_KEYS = ['uri', 'uris', 'src', 'dst', 'pattern'];

/**
 * Every URI on the command line parsed and its scheme resolved before the first request: a
 * malformed URI or an unknown scheme is a usage error (exit 2), while the same code raised later,
 * about a path found in stored data, is not.
 */
async function checkUris(gfile: GFile, argv: GlobalArgs): Promise<void> {
  const args = argv as unknown as Record<string, unknown>;
  // An empty argument (`cp SRC ""`, an unset shell variable) is named for what it is, not "resolve: empty path".
  if (args.dst === '') throw new UsageError('the destination is empty: name a directory (`.` for the current one)', '');
  const values = URI_KEYS.flatMap((k) => args[k] ?? []);
  for (const uri of values as unknown[]) {
    if (typeof uri !== 'string') continue;
    try {
      await gfile.locate(uri, 'resolve');
    } catch (error) {
      if (isCkptError(error, 'INVALID_PATH')) throw new UsageError(uri === '' ? 'an empty path where a URI is needed (`.` names the current directory)' : error.message, uri);
      throw error;
    }
  }
}

/** The `{"error":{...}}` body of an error: code, message, and the URI and operation at fault when known. */
export function errorJson(error: unknown): { code: CliErrorCode; message: string; uri?: string; operation?: string } {
  const code = errorCodeOf(error);
  const message = redact(error instanceof Error ? error.message : String(error));
  const uri = isCkptError(error) || error instanceof UsageError ? error.uri : undefined;
  const operation = isCkptError(error) ? error.operation : undefined;
  return { code, message, ...(uri === undefined ? {} : { uri }), ...(operation === undefined ? {} : { operation }) };
}

/**
 * Prints an error as the contract says: `ckpt: CODE: message` on stderr, or one line
 * `{"error":{"code","message","uri","operation"}}` with --json. Usage errors point to --help.
 */
export function reportError(error: unknown, argv: Pick<GlobalArgs, 'json' | 'verbose'>): void {
  const out = processGuard();
  const body = errorJson(error);
  if (argv.json) {
    out.writeErr(`${terminalSafeJson(JSON.stringify({ error: body }))}\n`);
    return;
  }
  out.writeErr(`ckpt: ${body.code}: ${terminalSafeText(body.message)}\n`);
  if (error instanceof UsageError) out.writeErr('Run `ckpt --help` for usage.\n');
  else if (body.code === 'INTERNAL' && error instanceof Error && error.stack) {
    if (argv.verbose) out.writeErr(`${redact(error.stack).split('\n').map(terminalSafeLine).join('\n')}\n`);
    else out.writeErr('ckpt: this is a bug; run again with --verbose for the stack trace\n');
  }
}
