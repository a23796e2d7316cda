/**
 * Robust latest-checkpoint resolution: what users need when the state file lies or is missing.
 *
 * 1. The state file (one GET). If it names a prefix whose `.index` and every data shard exist
 *    (one listing of `PREFIX.`), that is the answer (`source: 'state'`). An absolute path outside
 *    the directory (another machine's `/home/...`, another bucket) is looked up by its basename in
 *    this directory instead (`source: 'basename'`).
 * 2. Otherwise (no state file, an empty, malformed or stale one): one paged listing of the
 *    directory, judged by the per-directory pass `findCheckpoints` runs (`discovery/directory.ts`):
 *    the directory itself when it is one checkpoint, else its checkpoints ordered by the one order
 *    (`discovery/order.ts`: step as an integer of any size, epoch, pointer, ...), and the newest
 *    complete one that is not a temporary artefact wins (`source: 'scan'`). Candidate directories
 *    are listed newest first, only until one is whole. By construction the answer is the newest
 *    complete checkpoint `findCheckpoints(dir, { maxDepth: 0 })` reports (decision 0012).
 *
 * Every decision is explained in `notes`, including why each newer candidate was passed over.
 */
import { type GFile, compileFnmatch, isCkptError, parseUri } from '@ckptkit/gfile';
import type { VerifyReport } from '../bundle/verify.js';
import { createDetectContext } from '../discovery/detect.js';
import { DirectoryCheckpoints, storeLister } from '../discovery/directory.js';
import { type OrderFacts, compareOrder, explainOrder, newestFirst, orderFactsOf } from '../discovery/order.js';
import type { Step } from '../discovery/step.js';
import { childUri, fileEntryOf, listChildren, makeNode, normaliseDirUri } from '../discovery/tree.js';
import type { DetectContext, DirNode, Found } from '../discovery/types.js';
import { checkTableFooter } from '../formats/content-checks.js';
import { classifyTfBundle } from '../formats/tf-classify.js';
import { bundleCompleteness, groupFiles, groupTfFiles, isBundle, layoutState, stepFromTfPrefix } from '../formats/tf-files.js';
import { basenamePosix, isAbsPosix, posixJoin, stripTrailingSlashes } from '../state/posix-path.js';
import { readStateFile } from '../state/state-file.js';
import { recordedPathProblem, shownPath } from '../state/storable-path.js';
import { hasTfGlobChar } from './tf-glob.js';

/** Where a robust answer came from. */
export type LatestSource = 'state' | 'basename' | 'scan';

/** The robust answer (the JSON of `ckpt latest`, plus extra fields). */
export interface LatestCheckpoint {
  prefix: string;
  /** A number up to 2^53 - 1, beyond that the exact decimal string. */
  step: Step | null;
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
  step: Step | null;
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
export async function checkV1Pattern(gfile: GFile, patternUri: string, signal?: AbortSignal): Promise<Found> {
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

/**
 * A TF1 zoo tarball's state file names its un-numbered `model.ckpt`; find reports the whole
 * directory (`tf-od-zoo-v1`) there, so latest must judge the directory too. At most two HEADs,
 * only for a prefix named exactly `model.ckpt`.
 */
async function isZooTarball(found: Found, ctx: DetectContext): Promise<boolean> {
  if (basenamePosix(found.prefix) !== 'model.ckpt') return false;
  for (const marker of ['pipeline.config', 'frozen_inference_graph.pb']) if (await ctx.exists(childUri(found.dir, marker))) return true;
  return false;
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
  const ctx = createDetectContext(gfile, dir, { contentChecks: options.contentChecks, stateFileName: options.latestFilename, signal });

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
      let found: Found;
      try {
        found = hasTfGlobChar(basenamePosix(where.uri)) ? await checkV1Pattern(gfile, where.uri, signal) : await checkTfPrefix(gfile, where.uri, ctx, signal);
      } catch (error) {
        // A recorded path no store can hold (a NUL byte, a URI without a bucket): a broken state
        // file, passed over like a stale one.
        if (!isCkptError(error, 'INVALID_PATH')) throw error;
        notes.push(`state file ${read.uri} names ${JSON.stringify(shownPath(recorded))}, which is not a valid path (${error.message}): ignored, scanning the directory`);
        break;
      }
      if (found.complete && (await isZooTarball(found, ctx))) {
        notes.push(`state file ${read.uri} names ${shownPath(recorded)} in a model-zoo tarball: the directory is one checkpoint, as find reports it`);
      } else if (found.complete) {
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

  // The layouts read the same state file (pointers, the commit rule): from this read, not another.
  ctx.states.set(read.uri, Promise.resolve(read.kind === 'ok' || read.kind === 'empty' ? layoutState(read.state) : undefined));

  // 2. Scan: one listing of the directory's children, judged by the code path `find` uses.
  let root: DirNode;
  try {
    root = await listChildren(gfile, dir, { signal });
  } catch (error) {
    if (!isCkptError(error, 'NOT_FOUND')) throw error;
    notes.push(`${dir} does not exist or is empty`);
    return { checkpoint: null, notes, passedOver, verifyFailed };
  }
  const directory = new DirectoryCheckpoints(root, ctx, storeLister(gfile, signal));
  const accept = async (found: Found, how: (f: Found) => string): Promise<LatestResolution | undefined> => {
    if (found.temporary || !found.complete) {
      passOver(found, found.problems.length > 0 ? found.problems : ['incomplete']);
      return undefined;
    }
    const v = await verifyOk(found);
    if (!v.ok) return undefined;
    notes.push(how(found));
    return { checkpoint: toResult(found, 'scan', notes, v.report), notes, passedOver, verifyFailed: false };
  };

  // A directory holding a layout's checkpoints deeper down (a Hugging Face hub repo): as for
  // `find`, those are its checkpoints; the newest complete one in the layout's own order.
  const held = await directory.container();
  if (held) {
    for (const found of held) {
      const r = await accept(found, (f) => `chose ${describe(f)}: the newest complete checkpoint in ${dir} (${typeof f.extra?.orderedBy === 'string' ? f.extra.orderedBy : "the layout's order"})`);
      if (r) return r;
    }
    notes.push(held.length === 0 ? `no checkpoint in ${dir}` : `no complete checkpoint in ${dir}`);
    return { checkpoint: null, notes, passedOver, verifyFailed };
  }

  // The directory may itself be one checkpoint (a SavedModel, an HF checkpoint-N, a zoo tarball):
  // then, as for `find`, it is the only one.
  const self = await directory.self();
  if (self) {
    const r = await accept(self, (f) => `${dir} is itself a checkpoint: ${describe(f)}`);
    if (r) return r;
    notes.push(`no complete checkpoint in ${dir}`);
    return { checkpoint: null, notes, passedOver, verifyFailed };
  }

  // Newest first by what the names promise; a group of equals is judged together (their
  // modification times may decide), and judging stops at the first group holding a complete one.
  const candidates = (await directory.candidates()).sort((a, b) => -compareOrder(a.facts, b.facts, false).cmp);
  const complete: Array<{ found: Found; facts: OrderFacts; report?: VerifyReport | undefined }> = [];
  const judged: Array<{ found: Found; facts: OrderFacts }> = [];
  let next = 0;
  while (next < candidates.length) {
    const head = candidates[next]!;
    const best = complete.reduce<(typeof complete)[number] | undefined>((m, c) => (!m || compareOrder(c.facts, m.facts).cmp > 0 ? c : m), undefined);
    if (best && compareOrder(best.facts, head.facts, false).cmp > 0) break;
    let end = next + 1;
    while (end < candidates.length && compareOrder(candidates[end]!.facts, head.facts, false).cmp === 0) end++;
    const group = candidates.slice(next, end);
    next = end;
    await directory.prepare(group);
    for (const c of group) {
      const found = await directory.judge(c);
      if (!found) continue; // a subdirectory that holds no checkpoint of its own
      const entry = { found, facts: orderFactsOf(found) };
      judged.push(entry);
      if (!found.complete || found.temporary) continue;
      const v = await verifyOk(found);
      if (v.ok) complete.push({ ...entry, report: v.report });
    }
  }
  complete.sort((a, b) => newestFirst(a.facts, b.facts));
  judged.sort((a, b) => newestFirst(a.facts, b.facts));
  const answer = complete[0];
  // Passed over: every incomplete candidate not older than the answer by the rules names decide
  // (at equal step a modification time does not make an incomplete candidate "older").
  for (const j of judged) {
    if (answer && (j.found === answer.found || compareOrder(j.facts, answer.facts, false).cmp < 0)) continue;
    if (j.found.temporary || !j.found.complete) passOver(j.found, j.found.problems.length > 0 ? j.found.problems : ['incomplete']);
  }
  if (answer) {
    // The runner-up: the next complete one, or the newest not judged (what names promise).
    const rest = [...complete.slice(1).map((c) => c.facts), ...candidates.slice(next).map((c) => c.facts)].sort(newestFirst);
    const why = rest[0] ? `newer than ${rest[0].name}: ${explainOrder(answer.facts, rest[0])}` : 'the only complete checkpoint';
    notes.push(`chose ${describe(answer.found)}: the newest complete checkpoint in ${dir} (${why})`);
    return { checkpoint: toResult(answer.found, 'scan', notes, answer.report), notes, passedOver, verifyFailed: false };
  }
  notes.push(candidates.length === 0 ? `no checkpoint in ${dir}` : `no complete checkpoint in ${dir}`);
  return { checkpoint: null, notes, passedOver, verifyFailed };
}

