/**
 * The URI round trip of issue 17: whatever `ckpt latest` and `ckpt find` print is accepted by
 * `cp`, `inspect`, `verify` and `stat`, through the built binary, on any store. "Accepted" means
 * the command understood which checkpoint the URI names: it answers about that checkpoint (a
 * result, problems found in it, or "this is an X checkpoint, which this command does not read"),
 * never "not found", "not a checkpoint" or a misread of a directory as a file.
 */
import { expect } from 'vitest';
import type { CliResult } from './cli.js';

/** A checkpoint as `ckpt find --json` prints it (the fields the round trip needs). */
export interface FoundDoc {
  prefix: string;
  dir: string;
  format: string;
  complete: boolean;
  temporary: boolean;
  files: string[];
}

/** Runs the binary with the store's flags and environment. */
export type Cli = (args: string[]) => Promise<CliResult>;

/** The `{"error":{...}}` line of a `--json` run, or undefined. */
export function jsonError(r: CliResult): { code: string; message: string; uri?: string } | undefined {
  const line = r.stderr.split('\n').find((l) => l.startsWith('{"error"'));
  return line ? (JSON.parse(line) as { error: { code: string; message: string; uri?: string } }).error : undefined;
}

// Layouts whose tensors `inspect` reads (a SavedModel too, when it has variables).
const TF = new Set(['tf1-saver', 'tf1-saver-v1', 'tf2-checkpoint', 'keras-tf-weights', 'savedmodel-variables', 'tf-slim', 'savedmodel']);
// Layouts that are TensorFlow prefixes: never "not supported".
const TF_PREFIXES = new Set(['tf1-saver', 'tf1-saver-v1', 'tf2-checkpoint', 'keras-tf-weights', 'savedmodel-variables']);

/**
 * Checks that `inspect`, `verify` and `cp` (into `dst`) accept `doc.prefix`, and `stat` accepts it
 * and the prefix cp printed. `strict`: the checkpoint is a `latest` answer, so it is complete and
 * `cp` must copy it without `--allow-incomplete`. Returns the destination prefix (undefined when
 * there was nothing to copy).
 */
export async function expectRoundTrip(cli: Cli, doc: FoundDoc, dst: string, strict: boolean): Promise<string | undefined> {
  const where = `${doc.format} ${doc.prefix}`;
  const inspect = await cli(['inspect', '--json', doc.prefix]);
  const ie = jsonError(inspect);
  if (inspect.code === 0) {
    expect(Array.isArray((JSON.parse(inspect.stdout) as { entries: unknown }).entries), where).toBe(true);
  } else {
    // Problems of the checkpoint itself (a corrupt index, the tiny placeholder files of the
    // generated trees), another framework's checkpoint named for what it is, or an index an
    // incomplete checkpoint lacks: each is an answer about this checkpoint.
    expect(ie, `${where}: ${inspect.stderr}`).toBeDefined();
    const knownAnswer =
      (ie!.code === 'CORRUPT' && inspect.code === 3) ||
      (ie!.code === 'NOT_SUPPORTED' && / is an? [\w.-]+ checkpoint/.test(ie!.message) && !TF_PREFIXES.has(doc.format)) ||
      (ie!.code === 'NOT_FOUND' && !doc.complete && /\.index/.test(ie!.message));
    expect(knownAnswer, `${where}: inspect said ${inspect.stderr}`).toBe(true);
  }

  const verify = await cli(['verify', '--json', doc.prefix]);
  expect([0, 3], `${where}: verify exited ${verify.code}: ${verify.stderr}`).toContain(verify.code);
  const report = JSON.parse(verify.stdout) as { ok: boolean; problems: unknown[] };
  expect(report.ok, where).toBe(verify.code === 0);
  if (strict && !TF.has(doc.format)) expect(report.ok, `${where}: ${verify.stdout}`).toBe(true);

  const cp = await cli(['cp', '--json', ...(strict ? [] : ['--allow-incomplete']), doc.prefix, dst]);
  let copied: string | undefined;
  if (cp.code === 0) {
    copied = (JSON.parse(cp.stdout) as { prefix: string }).prefix;
  } else {
    // Only a checkpoint made of the temporary files of a save in progress has nothing to copy.
    expect(!strict && cp.code === 3 && /only temporary files/.test(jsonError(cp)?.message ?? ''), `${where}: cp exited ${cp.code}: ${cp.stderr}`).toBe(true);
  }

  const stat = await cli(['stat', '--json', doc.prefix, ...(copied ? [copied] : [])]);
  expect(stat.code, `${where}: stat said ${stat.stderr}`).toBe(0);
  const infos = JSON.parse(stat.stdout) as Array<{ uri: string; kind: string }>;
  expect(infos.length, where).toBe(copied ? 2 : 1);
  if (copied) expect(infos[1]!.kind, where).toBe(infos[0]!.kind);
  return copied;
}

/**
 * What `find` printed, split into the checkpoints a round trip takes every run and those fast-check
 * draws from. Every run: each checkpoint the resolver judges from directory listings (directories
 * and single files, whose layouts read what lies beside them: sibling steps' commit files, arrays
 * directories, markers, trackers), and each incomplete one (where such rules fire). Drawn: the
 * complete TensorFlow prefixes, each resolved from one listing of `PREFIX.`.
 */
export function splitForRoundTrip(docs: readonly FoundDoc[]): { every: FoundDoc[]; drawn: FoundDoc[] } {
  const every = docs.filter((d) => !TF_PREFIXES.has(d.format) || !d.complete);
  return { every, drawn: docs.filter((d) => !every.includes(d)) };
}

/** Runs `tasks` with at most `n` at once (CLI processes on a shared 2-core machine). */
export async function inPool<T>(items: readonly T[], n: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}
