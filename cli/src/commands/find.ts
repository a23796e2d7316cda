import { portableUri } from '@ckptkit/gfile';
import type { CheckpointInfo } from '@ckptkit/core/discovery';
import type { CommandModule } from 'yargs';
import { runCommand } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalArgs } from '../global-args.js';
import { commandHelp, numberOption, parseNumberOption } from '../help.js';
import { alignColumns, humanBytes, portableDoc } from '../output.js';
import { findProgress, showProgress } from '../progress.js';
import { terminalSafeLine } from '../terminal-safe.js';

interface FindArgs extends GlobalArgs {
  uri: string;
  'max-depth'?: number | undefined;
  format?: string | string[] | undefined;
  jsonl: boolean;
  'content-checks': boolean;
  archives?: boolean | undefined;
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
    commandHelp(
      y
        .positional('uri', { type: 'string', demandOption: true, describe: 'Directory or prefix to search (recursive)' })
        .option('max-depth', numberOption('max-depth', 'non-negative-integer', 'Only checkpoints at most N directories below the URI (0: in it)'))
        .option('format', { type: 'string', requiresArg: true, describe: 'Only these formats (repeatable or comma-separated): tf2-checkpoint, tf1-saver, hf-trainer, orbax, ...' })
        .option('jsonl', { type: 'boolean', default: false, describe: 'One JSON object per line instead of one array' })
        .option('content-checks', { type: 'boolean', default: true, describe: 'Small reads (state files, trainer_state.json, zip/HDF5 trailers) where names are not enough; --no-content-checks: listings only' })
        // Archives (issue 20): kept apart from the listing options above.
        .option('archives', { type: 'boolean', default: true, describe: 'Also the checkpoints inside .tar, .tar.gz/.tgz and .zip archives of the tree, as tar:ARCHIVE!/MEMBER URIs; --no-archives: archives are files' }),
      'find',
      [
        ['$0 find ./runs', 'every checkpoint below a directory: step, format, state, size, prefix'],
        ['$0 find --json --format tf2-checkpoint,orbax s3://bucket/runs', 'only these formats, as a JSON array'],
        ['$0 find --anonymous --max-depth 1 gs://zoo-mirror', 'a public bucket, one level down'],
      ],
      ['max-depth', 'format', 'jsonl', 'content-checks', 'archives'],
    ),
  // --jsonl is machine output too: errors and skipped parts as JSON lines on stderr, as with --json.
  handler: (argv) =>
    runCommand(argv.jsonl ? { ...argv, json: true } : argv, async ({ gfile, print, printEscaped, printJsonArray, stream, info, paint, stderrIsTTY, stdoutIsTTY, signal, skipped }) => {
      // Discovery's own entry point: a find loads neither the bundle reader nor its native modules.
      const { streamCheckpoints } = await import('@ckptkit/core/discovery');
      const maxDepth = argv['max-depth'] === undefined ? undefined : parseNumberOption('max-depth', 'non-negative-integer', argv['max-depth']);
      const progress = showProgress(argv, stderrIsTTY) ? await findProgress() : undefined;
      // --jsonl: each checkpoint is printed as it comes; --json and the table hold only what they print.
      const out = argv.jsonl ? stream() : undefined;
      const docs: FindDoc[] = [];
      const table: Array<{ row: string[]; problems: string[] }> = [];
      let count = 0;
      let complete = 0;
      let missing = false;
      try {
        for await (const c of streamCheckpoints(argv.uri, {
          gfile,
          maxDepth,
          formats: [argv.format ?? []].flat().flatMap((f) => f.split(',')).filter((f) => f !== ''),
          contentChecks: argv['content-checks'],
          signal,
          onProgress: progress?.update,
          onSkipped: skipped,
          archives: argv.archives !== false,
          archiveConcurrency: argv.concurrency,
        })) {
          count++;
          if (c.complete) complete++;
          if (out) {
            const d = findDoc(c);
            const line = JSON.stringify(d);
            // Only a line holding a local name that is not UTF-8 needs its URIs made portable.
            out.line(/\\ud[c-f]/i.test(line) ? JSON.stringify(portableDoc(d)) : line);
            if (count % 256 === 0) await out.flush();
          } else if (argv.json) docs.push(findDoc(c));
          else {
            table.push({
              row: [
                String(c.step ?? '-'),
                c.format,
                c.temporary ? 'temporary' : c.complete ? 'complete' : 'INCOMPLETE',
                humanBytes(c.bytes),
                `${portableUri(c.prefix)}${STATE_NOTE[String(c.extra.stateFile)] ?? ''}${archiveNote(c.archive)}`,
              ],
              problems: c.problems,
            });
          }
        }
      } catch (error) {
        // A missing root holds no checkpoint: the answer is "none" (exit 1), as for an empty one
        // (it is found missing by the listing, before any checkpoint is printed).
        if (count > 0 || !(await isMissingRoot(error, gfile, argv.uri))) throw error;
        missing = true;
      } finally {
        progress?.stop();
        await out?.flush();
      }
      if (out) {
        // Printed already.
      } else if (argv.json) await printJsonArray(docs);
      else {
        // Column widths from every row (the answer is complete before it is printed); the header
        // row only on a terminal, so that a pipe gets one line per checkpoint.
        const header = stdoutIsTTY && count > 0;
        const cells = [...(header ? [['STEP', 'FORMAT', 'STATE', 'SIZE', 'CHECKPOINT']] : []), ...table.map((t) => t.row)].map((r) => r.map(terminalSafeLine));
        const lines = alignColumns(cells, ['right', 'left', 'left', 'right', 'left'], (column, row, cell) => {
          if (header && row === 0) return paint('bold', cell);
          if (column !== 2) return cell;
          return paint(cell.startsWith('complete') ? 'green' : cell.startsWith('INCOMPLETE') ? 'red' : 'yellow', cell);
        });
        // Problems go under their checkpoint, from the FORMAT column.
        const indent = ' '.repeat(cells.reduce((w, r) => Math.max(w, r[0]!.length), 0) + 2);
        if (header) printEscaped(lines.shift()!);
        table.forEach((t, i) => {
          printEscaped(lines[i]!);
          for (const p of t.problems) print(`${indent}${p}`);
        });
        info(missing ? `${argv.uri}: no such directory or prefix; 0 checkpoint(s)` : `${count} checkpoint(s), ${complete} complete`);
      }
      return count === 0 ? EXIT.NOTHING_FOUND : EXIT.OK;
    }),
};

/** One checkpoint as `find --json` and `--jsonl` print it. */
type FindDoc = ReturnType<typeof findDoc>;

function findDoc(c: CheckpointInfo) {
  return {
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
    ...(c.archive ? { archive: { uri: c.archive.uri, size: c.archive.size, mtime: c.archive.mtime?.toISOString() ?? null } } : {}),
  };
}

/** True when `error` says that `uri` itself does not exist (not something found below it). */
async function isMissingRoot(error: unknown, gfile: { exists(uri: string): Promise<boolean> }, uri: string): Promise<boolean> {
  const { isCkptError } = await import('@ckptkit/gfile');
  if (!isCkptError(error, 'NOT_FOUND')) return false;
  const trim = (u: string) => u.replace(/\/+$/, '');
  return (error.uri !== undefined && trim(error.uri) === trim(uri)) || !(await gfile.exists(uri));
}

/** A checkpoint inside an archive: the archive's own size and mtime. */
function archiveNote(archive: { size: number; mtime: Date | undefined } | undefined): string {
  return archive ? `  (in archive: ${humanBytes(archive.size)}${archive.mtime ? `, ${archive.mtime.toISOString()}` : ''})` : '';
}

// Where a TensorFlow checkpoint stands in its directory's state file.
const STATE_NOTE: Record<string, string> = { latest: '  (state file: latest)', unlisted: '  (not in the state file)' };
