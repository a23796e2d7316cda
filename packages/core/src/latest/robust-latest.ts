/**
 * Robust latest-checkpoint resolution: what users need when the state file lies or is missing.
 *
 * 1. The state file (one GET). If it names a prefix whose `.index` and every data shard exist
 *    (one listing of `PREFIX.`), that is the answer (`source: 'state'`). An absolute path outside
 *    the directory (another machine's `/home/...`, another bucket) is looked up by its basename in
 *    this directory instead (`source: 'basename'`).
 * 2. Otherwise (no state file, an empty, malformed or stale one): one paged listing of the
 *    directory, every checkpoint in it (files, and directories of the directory layouts) ordered
 *    by step as a number, and the newest complete one that is not a temporary artefact wins
 *    (`source: 'scan'`). Candidate directories are listed newest first, only until one is whole.
 *
 * Every decision is explained in `notes`, including why each newer candidate was passed over.
 */
import { type GFile, compareKeys, compileFnmatch, isCkptError, parseUri } from '@ckptkit/gfile';
import type { VerifyReport } from '../bundle/verify.js';
import { createDetectContext } from '../discovery/detect.js';
import { childUri, fileEntryOf, listChildren, loadSubtree, makeNode, normaliseDirUri } from '../discovery/tree.js';
import type { CheckpointFormat, DetectContext, DirNode, Found } from '../discovery/types.js';
import { CHECKPOINT_FORMATS } from '../formats/index.js';
import { checkTableFooter } from '../formats/content-checks.js';
import { classifyTfBundle } from '../formats/tf-classify.js';
import { bundleCompleteness, groupFiles, groupTfFiles, isBundle, stepFromTfPrefix } from '../formats/tf-files.js';
import { basenamePosix, isAbsPosix, posixJoin, stripTrailingSlashes } from '../state/posix-path.js';
import { readStateFile } from '../state/state-file.js';
import { recordedPathProblem, shownPath } from '../state/storable-path.js';
import { hasTfGlobChar } from './tf-glob.js';

/** Where a robust answer came from. */
export type LatestSource = 'state' | 'basename' | 'scan';

/** The robust answer (the JSON of `ckpt latest`, plus extra fields). */
export interface LatestCheckpoint {
  prefix: string;
  step: number | null;
  format: string;
  complete: boolean;
  source: LatestSource;
  files: string[];
  bytes: number;
  notes: string[];
  /** The directory holding the checkpoint. */
  dir: string;
  /** Format-specific facts, as `find` reports them. */
  extra: Record<string, unknown>;
  /** The `--verify` report of the chosen checkpoint, when asked for and applicable. */
  verify?: VerifyReport | undefined;
}

/** A candidate newer than the answer that was not chosen, and why. */
export interface PassedOver {
  prefix: string;
  step: number | null;
  format: string;
  reasons: string[];
}

/** Everything robust resolution decided. */
export interface LatestResolution {
  /** The answer, or null when the directory holds no complete checkpoint. */
  checkpoint: LatestCheckpoint | null;
  /** The decisions, in order (the same as `checkpoint.notes` when there is an answer). */
  notes: string[];
  /** Newer candidates that were not chosen, newest first. */
  passedOver: PassedOver[];
  /** True when candidates were passed over only because `verify` found problems in them. */
  verifyFailed: boolean;
}

/** Options of {@link resolveLatestCheckpoint}. */
export interface RobustLatestOptions {
  gfile: GFile;
  /** Name of the state file in the directory (default `checkpoint`). */
  latestFilename?: string | undefined;
  /** Read the chosen TensorFlow bundle's index and check its shards' sizes; fall back when it fails. */
  verify?: boolean | undefined;
  /** Small content reads that decide completeness where names cannot (default true). */
  contentChecks?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

const TF_BUNDLE_FORMATS = new Set(['tf1-saver', 'tf2-checkpoint', 'keras-tf-weights', 'savedmodel-variables', 'tf-slim']);

function describe(f: Pick<Found, 'prefix' | 'step' | 'format'>): string {
  const name = basenamePosix(f.prefix);
  return `${name} (${f.step === null ? 'no step' : `step ${f.step}`}, ${f.format})`;
}

function toResult(found: Found, source: LatestSource, notes: string[], verify?: VerifyReport): LatestCheckpoint {
  return {
    prefix: found.prefix,
    step: found.step,
    format: found.format,
    complete: found.complete,
    source,
    files: found.files.map((f) => f.uri),
    bytes: found.files.reduce((n, f) => n + f.size, 0),
    notes,
    dir: found.dir,
    extra: { ...(found.extra ?? {}) },
    ...(verify ? { verify } : {}),
  };
}

function parentOf(uri: string): { dir: string; name: string } {
  const i = uri.lastIndexOf('/');
  return i < 0 ? { dir: '.', name: uri } : { dir: i === 0 ? '/' : uri.slice(0, i), name: uri.slice(i + 1) };
}

/**
 * The files of one TensorFlow prefix from one listing of `PREFIX.` (`.index`, every `.data-*`,
 * `.meta`, temporaries), judged by the bundle rule; a V1 file (the prefix itself) costs one more
 * listing, only when there is no bundle.
 */
export async function checkTfPrefix(gfile: GFile, prefixUri: string, ctx: DetectContext, signal?: AbortSignal): Promise<Found> {
  const { dir, name } = parentOf(prefixUri);
  const node = makeNode(basenamePosix(dir), dir, 0, undefined, false);
  for await (const info of gfile.listPrefix(`${prefixUri}.`, { delimiter: true, signal })) {
    if (info.kind === 'file') node.files.set(info.name, fileEntryOf(info.name, info.uri, info));
  }
  const g = groupTfFiles(node, node.files.keys()).get(name);
  if (g && isBundle(g)) {
    const { format, step } = classifyTfBundle(prefixUri, g.meta !== undefined);
    const { complete, problems, numShards } = bundleCompleteness(g);
    return { format, prefix: prefixUri, dir, step, complete, problems, files: groupFiles(g), temporary: false, ...(numShards === undefined ? {} : { extra: { numShards } }) };
  }
  // No bundle: a V1 checkpoint is the file named exactly like the prefix, the smallest key with it.
  for await (const info of gfile.listPrefix(prefixUri, { delimiter: true, signal })) {
    if (info.kind === 'file' && info.name === name) {
      const file = fileEntryOf(name, info.uri, info);
      const v = ctx.contentChecks ? await checkTableFooter(file, ctx) : info.size > 0 ? { complete: true } : { complete: false, problem: 'empty file' };
      const files = [file, ...(g?.meta ? [g.meta] : [])];
      return { format: 'tf1-saver-v1', prefix: prefixUri, dir, step: stepFromTfPrefix(name), complete: v?.complete ?? true, problems: v?.problem ? [v.problem] : [], files, temporary: false };
    }
    break;
  }
  const problems = g?.meta ? ['only the .meta graph exists: no .index, no data, no V1 file'] : ['no files with this prefix'];
  return { format: classifyTfBundle(prefixUri, g?.meta !== undefined).format, prefix: prefixUri, dir, step: stepFromTfPrefix(name), complete: false, problems, files: g ? groupFiles(g) : [], temporary: false };
}

/** A V1 sharded checkpoint named by its pattern (`export-?????-of-00002`): one listing. */
async function checkV1Pattern(gfile: GFile, patternUri: string, signal?: AbortSignal): Promise<Found> {
  const { dir, name } = parentOf(patternUri);
  const literal = name.slice(0, name.search(/[*?[\\]/));
  const total = Number(/-of-(\d+)$/.exec(name)?.[1] ?? NaN);
  const matches = compileFnmatch(name);
  const files = [];
  for await (const info of gfile.listPrefix(childUri(dir, literal), { delimiter: true, signal })) {
    if (info.kind === 'file' && matches(info.name)) files.push({ name: info.name, uri: info.uri, size: info.size, mtime: info.mtime });
  }
  const problems: string[] = [];
  if (files.length === 0) problems.push('no files match this pattern');
  else if (Number.isInteger(total) && files.length < total) problems.push(`${files.length} of ${total} V1 shards present`);
  const base = name.replace(/-[\d?]+-of-\d+$/, '');
  return { format: 'tf1-saver-v1', prefix: patternUri, dir, step: stepFromTfPrefix(base), complete: problems.length === 0, problems, files, temporary: false };
}

/**
 * Where the state file's path points, seen from `dirUri`, and how it got there: a relative path is
 * joined; an absolute path or URI under the directory is re-rooted there (`source: 'state'`);
 * anything else is looked up by its basename in the directory (`source: 'basename'`, with a note).
 */
export function locateRecorded(dirUri: string, recorded: string): { uri: string; source: 'state' | 'basename'; note?: string } {
  const hasScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(recorded);
  if (!hasScheme && !isAbsPosix(recorded)) return { uri: posixJoin(dirUri, recorded), source: 'state' };
  try {
    const d = parseUri(dirUri);
    const r = parseUri(stripTrailingSlashes(recorded) || recorded);
    const base = d.key === '' ? '' : `${d.key}/`;
    if (d.scheme === r.scheme && d.store === r.store && r.key.startsWith(base) && r.key.length > base.length) {
      return { uri: childUri(dirUri, r.key.slice(base.length)), source: 'state' };
    }
  } catch {
    // An unparsable recorded path is foreign by definition.
  }
  const name = basenamePosix(stripTrailingSlashes(recorded));
  return {
    uri: childUri(dirUri, name),
    source: 'basename',
    note: `the state file records ${shownPath(recorded)}, outside ${dirUri} (written on another machine or before the directory was moved): looking for ${shownPath(name)} here instead`,
  };
}

interface Candidate {
  step: number | null;
  /** Keras/Lightning/NeMo epoch, to order checkpoints without a step. */
  epoch: number | undefined;
  /** Lightning/NeMo `last` checkpoints go first among equals (what their resume logic picks). */
  last: boolean;
  tiebreak: number;
  temporary: boolean;
  name: string;
  /** A checkpoint already judged from the listing (files), or a directory still to be listed. */
  found?: Found;
  node?: DirNode;
  format?: CheckpointFormat;
}

/** Newest first: by step (none last), then epoch, then `-vN`, `last` first, temporaries last, then name. */
function compareCandidates(a: Candidate, b: Candidate): number {
  const desc = (x: number | null | undefined, y: number | null | undefined) => (x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : y - x);
  return (
    desc(a.step, b.step) ||
    desc(a.epoch, b.epoch) ||
    b.tiebreak - a.tiebreak ||
    Number(b.last) - Number(a.last) ||
    Number(a.temporary) - Number(b.temporary) ||
    compareKeys(b.name, a.name)
  );
}

// Single-file layouts whose completeness a listing cannot show (zip trailers, HDF5 superblocks,
// table footers): judged again with content checks when they come up as candidates.
const CONTENT_CHECKED = new Set(['keras', 'keras-backup', 'lightning', 'tf-slim', 'tf1-saver-v1', 'nemo']);

/** Re-judges a file checkpoint found from names alone, now with content checks. */
export async function recheckFile(root: DirNode, found: Found, ctx: DetectContext): Promise<Found> {
  if (!ctx.contentChecks || !found.claimed || !CONTENT_CHECKED.has(found.format)) return found;
  for (const format of CHECKPOINT_FORMATS) {
    if (!format.claimFiles || !format.ids.includes(found.format)) continue;
    const again = await format.claimFiles(root, new Set(found.claimed), ctx);
    const same = again.find((f) => f.prefix === found.prefix);
    if (same) return same;
  }
  return found;
}

/**
 * Robust resolution (see the module comment). Never throws for what is in the directory (a bad
 * state file is a note); storage failures are thrown.
 */
export async function resolveLatestCheckpoint(dirUri: string, options: RobustLatestOptions): Promise<LatestResolution> {
  const { gfile, signal } = options;
  const dir = normaliseDirUri(dirUri);
  const notes: string[] = [];
  const passedOver: PassedOver[] = [];
  const explained = new Set<string>();
  let verifyFailed = false;
  const ctx = createDetectContext(gfile, dir, { contentChecks: options.contentChecks, signal });
  // Candidates are first judged by name only; content checks run newest first, only as far as needed.
  const nameOnly: DetectContext = { ...ctx, contentChecks: false };

  const passOver = (f: Found, reasons: string[]) => {
    if (explained.has(f.prefix)) return;
    explained.add(f.prefix);
    passedOver.push({ prefix: f.prefix, step: f.step, format: f.format, reasons });
    notes.push(`passed over ${describe(f)}: ${reasons.join('; ')}`);
  };
  const verifyOk = async (f: Found): Promise<{ ok: boolean; report?: VerifyReport }> => {
    if (!options.verify) return { ok: true };
    if (!TF_BUNDLE_FORMATS.has(f.format) || !f.files.some((x) => x.name.endsWith('.index'))) {
      notes.push(`verify: not available for ${f.format}; completeness judged from the listing`);
      return { ok: true };
    }
    // Loaded here, not at the top: the bundle reader (and its native snappy) is only needed for
    // --verify, and `ckpt latest` starts faster without it.
    const { verifyBundle } = await import('../bundle/storage.js');
    const report = await verifyBundle(gfile, f.prefix, { signal });
    if (!report.ok) {
      verifyFailed = true;
      passOver(f, report.problems.map((p) => `verify ${p.code}: ${p.detail}`));
    }
    return { ok: report.ok, report };
  };

  // 1. The state file.
  const read = await readStateFile(gfile, dir, { latestFilename: options.latestFilename, signal });
  switch (read.kind) {
    case 'missing':
      notes.push(`no state file ${read.uri}: scanning the directory`);
      break;
    case 'not-utf8':
      notes.push(`state file ${read.uri} is not UTF-8 text (TensorFlow would raise): ignored, scanning the directory`);
      break;
    case 'malformed':
      notes.push(`state file ${read.uri} does not parse (${read.error.message}; TensorFlow would return None): ignored, scanning the directory`);
      break;
    case 'empty':
      notes.push(`state file ${read.uri} has no model_checkpoint_path (${read.size} bytes; TensorFlow would raise ValueError): ignored, scanning the directory`);
      break;
    case 'ok': {
      const recorded = read.state.modelCheckpointPath;
      // A path no store can hold names nothing: a property of the file, noted like a stale one.
      const impossible = recordedPathProblem(recorded, () => locateRecorded(dir, recorded).uri);
      if (impossible) {
        notes.push(`the state file names a path no store can hold: ${impossible} (${JSON.stringify(shownPath(recorded))}): ignored, scanning the directory`);
        break;
      }
      const where = locateRecorded(dir, recorded);
      if (where.note) notes.push(where.note);
      const found = hasTfGlobChar(basenamePosix(where.uri)) ? await checkV1Pattern(gfile, where.uri, signal) : await checkTfPrefix(gfile, where.uri, ctx, signal);
      if (found.complete) {
        notes.push(`state file ${read.uri} names ${shownPath(recorded)}: ${found.files.length} file(s), complete`);
        const v = await verifyOk(found);
        if (v.ok) return { checkpoint: toResult(found, where.source, notes, v.report), notes, passedOver, verifyFailed: false };
      } else {
        const tf = where.source === 'state' && found.files.some((f) => f.name.endsWith('.index') || f.name === basenamePosix(found.prefix)) ? 'return it anyway' : 'return None';
        notes.push(`state file ${read.uri} names ${shownPath(recorded)}, which is not a complete checkpoint (a stale state file; TensorFlow would ${tf}): scanning the directory`);
        passOver(found, found.problems);
      }
      break;
    }
  }

  // 2. Scan: one listing of the directory's children.
  let root: DirNode;
  try {
    root = await listChildren(gfile, dir, { signal });
  } catch (error) {
    if (!isCkptError(error, 'NOT_FOUND')) throw error;
    notes.push(`${dir} does not exist or is empty`);
    return { checkpoint: null, notes, passedOver, verifyFailed };
  }
  const candidates: Candidate[] = [];
  const unclaimed = new Set(root.files.keys());
  for (const format of CHECKPOINT_FORMATS) {
    if (!format.claimFiles || unclaimed.size === 0) continue;
    for (const found of await format.claimFiles(root, unclaimed, nameOnly)) {
      for (const n of found.claimed ?? []) unclaimed.delete(n);
      const epoch = typeof found.extra?.epoch === 'number' ? found.extra.epoch : undefined;
      candidates.push({ step: found.step, epoch, last: found.extra?.last === true, tiebreak: found.tiebreak ?? 0, temporary: found.temporary, name: basenamePosix(found.prefix), found });
    }
  }
  for (const node of root.dirs.values()) {
    for (const format of CHECKPOINT_FORMATS) {
      const named = format.stepFromDirName?.(node.name);
      if (!named) continue;
      candidates.push({ step: named.step, epoch: undefined, last: /-last$/.test(node.name), tiebreak: 0, temporary: named.temporary, name: node.name, node });
      break;
    }
  }
  candidates.sort(compareCandidates);
  for (const c of candidates) {
    let found = c.found;
    if (found) found = await recheckFile(root, found, ctx);
    else if (c.node) {
      await loadSubtree(gfile, c.node, { signal });
      for (const format of CHECKPOINT_FORMATS) {
        found = format.claimDir ? await format.claimDir(c.node, ctx) : undefined;
        if (found) break;
      }
      if (!found) continue; // a directory whose name looked like a step but holds no checkpoint
    }
    if (!found) continue;
    if (found.temporary || !found.complete) {
      passOver(found, found.problems.length > 0 ? found.problems : ['incomplete']);
      continue;
    }
    const v = await verifyOk(found);
    if (!v.ok) continue;
    notes.push(`chose ${describe(found)}: the newest complete checkpoint in ${dir}`);
    return { checkpoint: toResult(found, 'scan', notes, v.report), notes, passedOver, verifyFailed: false };
  }
  if (candidates.length === 0) {
    // Nothing inside: the directory may itself be a checkpoint (a SavedModel, an HF checkpoint-N,
    // a zoo tarball). One recursive listing, only in this case.
    await loadSubtree(gfile, root, { signal });
    for (const format of CHECKPOINT_FORMATS) {
      const found = format.claimDir ? await format.claimDir(root, ctx) : undefined;
      if (!found) continue;
      if (found.temporary || !found.complete) {
        passOver(found, found.problems.length > 0 ? found.problems : ['incomplete']);
        break;
      }
      const v = await verifyOk(found);
      if (!v.ok) break;
      notes.push(`${dir} holds no checkpoints but is itself one: ${describe(found)}`);
      return { checkpoint: toResult(found, 'scan', notes, v.report), notes, passedOver, verifyFailed: false };
    }
  }
  notes.push(candidates.length === 0 ? `no checkpoint in ${dir}` : `no complete checkpoint in ${dir}`);
  return { checkpoint: null, notes, passedOver, verifyFailed };
}

