/**
 * `ckpt state`: what a directory's `checkpoint` file says and where each recorded path points; and
 * its repair after a run was moved (absolute paths from another machine or bucket rewritten to
 * paths relative to the directory, the edit TensorFlow users otherwise make by hand).
 */
import { CkptError, type GFile, compileFnmatch } from '@ckptkit/gfile';
import { listChildren, normaliseDirUri } from '../discovery/tree.js';
import { hasTfGlobChar } from '../latest/tf-glob.js';
import { locateRecorded } from '../latest/robust-latest.js';
import type { CheckpointState } from '../state/checkpoint-state.js';
import { basenamePosix, isAbsPosix, posixJoin, stripTrailingSlashes } from '../state/posix-path.js';
import { readStateFile, stateFileUri, writeCheckpointState } from '../state/state-file.js';
import { recordedPathProblem } from '../state/storable-path.js';

/** Where one recorded path points, seen from the directory. */
export interface RecordedPath {
  recorded: string;
  /**
   * `relative`: a path inside the directory, as TensorFlow writes it; `absolute-inside`: an
   * absolute path or URI that names this directory (works here, breaks when the run moves);
   * `outside`: an absolute path, URI or `..` path that leaves the directory (another machine,
   * another bucket, the run's old location).
   */
  where: 'relative' | 'absolute-inside' | 'outside';
  /** What TensorFlow resolves it to (`os.path.join(dir, path)`). */
  tfResolved: string;
  /** The path relative to the directory it should be, when it can be told from the path alone. */
  relative?: string | undefined;
  /**
   * Why no store can hold this path (a NUL byte, a name or path over its store's limit), when that
   * is so: it names nothing, and `latest` passes it over.
   */
  unstorable?: string | undefined;
}

/** A parsed state file and what its paths mean. */
export interface StateReport {
  dir: string;
  /** The state file's URI. */
  uri: string;
  status: 'ok' | 'missing' | 'malformed' | 'empty' | 'not-utf8';
  /** Why it does not parse, for `malformed`. */
  error?: string | undefined;
  /** The file's fields as recorded (absent when missing, malformed or not UTF-8). */
  state?: CheckpointState | undefined;
  /** One entry per distinct recorded path (the model path first). */
  paths: RecordedPath[];
}

/** Options of {@link readStateReport} and {@link repairCheckpointState}. */
export interface StateToolOptions {
  gfile: GFile;
  /** State file name (TensorFlow's `latest_filename`, default `checkpoint`). */
  latestFilename?: string | undefined;
  signal?: AbortSignal | undefined;
}

function classify(dir: string, p: string): RecordedPath {
  const where = classifyWhere(dir, p);
  const unstorable = recordedPathProblem(p, () => (isAbsPosix(p) || SCHEME.test(p) ? locateRecorded(dir, p).uri : where.tfResolved));
  return unstorable ? { ...where, unstorable } : where;
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

function classifyWhere(dir: string, p: string): RecordedPath {
  const tfResolved = isAbsPosix(p) ? p : posixJoin(dir, p);
  const hasScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(p);
  if (!hasScheme && !isAbsPosix(p)) {
    // `a/../ckpt-1` stays inside; `../old/ckpt-1` leaves.
    let depth = 0;
    for (const seg of p.split('/')) {
      if (seg === '..') depth--;
      else if (seg !== '' && seg !== '.') depth++;
      if (depth < 0) return { recorded: p, where: 'outside', tfResolved };
    }
    return { recorded: p, where: 'relative', tfResolved, relative: p };
  }
  const located = locateRecorded(dir, p);
  if (located.source === 'state') return { recorded: p, where: 'absolute-inside', tfResolved, relative: located.uri.slice(dir.length + 1) };
  return { recorded: p, where: 'outside', tfResolved };
}

/**
 * Reads and explains a directory's state file: one GET. Never throws for what is in the file (a
 * missing, malformed or empty file is a status); storage failures are thrown.
 */
export async function readStateReport(dirUri: string, options: StateToolOptions): Promise<StateReport> {
  const dir = normaliseDirUri(dirUri);
  const read = await readStateFile(options.gfile, dir, { latestFilename: options.latestFilename, signal: options.signal });
  const report: StateReport = { dir, uri: read.uri, status: read.kind, paths: [] };
  if (read.kind === 'malformed') report.error = read.error.message;
  if (read.kind === 'ok' || read.kind === 'empty') {
    report.state = read.state;
    const seen = new Set<string>();
    for (const p of [read.state.modelCheckpointPath, ...read.state.allModelCheckpointPaths]) {
      if (p === '' || seen.has(p)) continue;
      seen.add(p);
      report.paths.push(classify(dir, p));
    }
  }
  return report;
}

/** One rewritten path. */
export interface RepairChange {
  from: string;
  to: string;
  reason: string;
}

/** What {@link repairCheckpointState} did. */
export interface StateRepairResult {
  report: StateReport;
  changes: RepairChange[];
  /** Paths outside the directory whose checkpoint is not here either: left as they were. */
  unresolved: Array<{ path: string; reason: string }>;
  /** True when a new state file was written. */
  written: boolean;
  /** The copy of the old file, when one was written. */
  backup?: string | undefined;
  /** The state as written (or as it would be, with `dryRun`). */
  state?: CheckpointState | undefined;
}

/** Options of {@link repairCheckpointState}. */
export interface RepairOptions extends StateToolOptions {
  /** Compute the changes without writing anything. */
  dryRun?: boolean | undefined;
  /** Clock for the backup's name; tests pin it. */
  now?: (() => Date) | undefined;
}

/**
 * Rewrites the paths of a directory's state file that do not work from where the directory is now:
 *
 * - an absolute path or URI naming a checkpoint in this directory becomes the path relative to it;
 * - a path outside the directory (another machine's `/home/...`, an old bucket, `../old/...`)
 *   becomes its basename when a checkpoint of that name is in the directory (`NAME.index`, a V1
 *   file `NAME`, a directory `NAME`, or files matching a V1 pattern), and is otherwise left alone
 *   and reported as unresolved.
 *
 * Relative paths inside the directory and timestamps are kept. When anything changes, the old
 * file is first copied to `<state file>.bak-<UTC time>`, then the new one replaces it atomically
 * (temporary file and rename on local disks; a whole-object PUT on object stores). Requests: one
 * GET, one listing of the directory when a path points outside it, and a copy and a PUT when
 * writing.
 *
 * @throws CkptError NOT_FOUND when there is no state file; CORRUPT when it cannot be parsed or has
 *   no `model_checkpoint_path` (nothing to repair from: TensorFlow would ignore or refuse it).
 */
export async function repairCheckpointState(dirUri: string, options: RepairOptions): Promise<StateRepairResult> {
  const { gfile, signal } = options;
  const report = await readStateReport(dirUri, options);
  if (report.status === 'missing') throw new CkptError('NOT_FOUND', { operation: 'state', uri: report.uri, message: 'no state file to repair' });
  if (report.status !== 'ok' || !report.state) {
    throw new CkptError('CORRUPT', { operation: 'state', uri: report.uri, message: `the state file is ${report.status}${report.error ? ` (${report.error})` : ''}: nothing to repair from` });
  }
  const changes: RepairChange[] = [];
  const unresolved: StateRepairResult['unresolved'] = [];
  const mapping = new Map<string, string>();
  let names: Set<string> | undefined;
  for (const p of report.paths) {
    if (p.where === 'relative') continue;
    if (p.where === 'absolute-inside' && p.relative !== undefined) {
      mapping.set(p.recorded, p.relative);
      changes.push({ from: p.recorded, to: p.relative, reason: 'an absolute path into this directory: made relative so the run can move' });
      continue;
    }
    const base = basenamePosix(stripTrailingSlashes(p.recorded));
    names ??= await listedNames(gfile, report.dir, signal);
    if (base !== '' && hasCheckpointNamed(names, base)) {
      mapping.set(p.recorded, base);
      changes.push({ from: p.recorded, to: base, reason: `outside ${report.dir}; ${base} is here` });
    } else {
      unresolved.push({ path: p.recorded, reason: `outside ${report.dir}, and no checkpoint named ${base || '(empty)'} is here` });
    }
  }
  const old = report.state;
  const fix = (p: string) => mapping.get(p) ?? p;
  const state: CheckpointState = {
    modelCheckpointPath: fix(old.modelCheckpointPath),
    allModelCheckpointPaths: old.allModelCheckpointPaths.map(fix),
    allModelCheckpointTimestamps: [...old.allModelCheckpointTimestamps],
    lastPreservedTimestamp: old.lastPreservedTimestamp,
  };
  const result: StateRepairResult = { report, changes, unresolved, written: false, state };
  if (changes.length === 0 || options.dryRun) return result;
  const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const backup = `${stateFileUri(report.dir, options.latestFilename)}.bak-${stamp}`;
  await gfile.copy(report.uri, backup, { signal });
  result.backup = backup;
  await writeCheckpointState(gfile, report.dir, state, { latestFilename: options.latestFilename, signal });
  result.written = true;
  return result;
}

/** Names of the directory's children (files and directories), from one delimiter listing. */
async function listedNames(gfile: GFile, dir: string, signal: AbortSignal | undefined): Promise<Set<string>> {
  const node = await listChildren(gfile, dir, { signal });
  return new Set([...node.files.keys(), ...node.dirs.keys()]);
}

/** True when the directory holds a checkpoint called `name` (bundle, V1 file or pattern, directory). */
function hasCheckpointNamed(names: Set<string>, name: string): boolean {
  if (names.has(`${name}.index`) || names.has(name)) return true;
  if (hasTfGlobChar(name)) {
    const matches = compileFnmatch(name);
    return [...names].some(matches);
  }
  return false;
}
