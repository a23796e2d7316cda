/**
 * `pruneCheckpoints`: retention for one directory of checkpoints, on every store. One recursive
 * listing, the planner (`planner.ts`), then a crash-safe execution: the TensorFlow state file is
 * rewritten first (a conditional write on object stores: a trainer that updated it meanwhile is
 * never overwritten; the plan is made again instead), then the commit file of every checkpoint to
 * delete (its `.index`, `trainer_state.json`, ...: `deletion-order.ts`), then their other files,
 * then their directories. Deletes go at the store's floor: `removeMany` (1,000 keys a request on S3).
 * See docs/decisions/0017-retention.md.
 */
import { CkptError, type GFile, isCkptError } from '@ckptkit/gfile';
import { DirectoryCheckpoints, storeLister } from '../discovery/directory.js';
import { createDetectContext } from '../discovery/detect.js';
import { type OrderFacts, compareOrder, orderFactsOf } from '../discovery/order.js';
import type { Step } from '../discovery/step.js';
import { holdsFiles, listTree, normaliseDirUri } from '../discovery/tree.js';
import type { CheckpointFormat, DetectContext, DirNode, FileEntry, Found } from '../discovery/types.js';
import { CHECKPOINT_FORMATS } from '../formats/index.js';
import { subtreeFiles } from '../formats/dir-helpers.js';
import type { CheckpointState } from '../state/checkpoint-state.js';
import { basenamePosix } from '../state/posix-path.js';
import { type StateFileRead, classifyStateBytes, stateFileUri, updateCheckpointState } from '../state/state-file.js';
import { deletionOrder, namesOnlyContext } from './deletion-order.js';
import { type RetentionCandidate, newestCompleteOf, planRetention } from './planner.js';
import { type RetentionRules, checkRules } from './rules.js';

/** One checkpoint of a prune plan. */
export interface PrunedCheckpoint {
  /** Its last path segment. */
  name: string;
  /** What a user restores from (prefix, file or directory URI). */
  prefix: string;
  format: string;
  step: Step | null;
  complete: boolean;
  temporary: boolean;
  /** Its newest file's time, ISO 8601; null when the store did not say. */
  time: string | null;
  action: 'keep' | 'delete';
  /** Why, the deciding reason first. */
  reasons: string[];
  /** Its files, in the order a deletion takes them (commit file first). */
  files: string[];
  bytes: number;
  /** Files deleted before the others: without them the checkpoint is incomplete by its layout's rule. */
  commitFiles: string[];
  /** Directories (or directory markers) removed once its files are gone, deepest first. */
  dirs: string[];
  /** An empty file written before any delete where the layout reads it as "unfinished" (NeMo Automodel's `.incomplete`), deleted last. */
  markers: string[];
}

/** What a prune will do (or did). */
export interface PrunePlan {
  /** The directory, as given (without trailing slashes). */
  dir: string;
  /** The clock the rules were applied at, ISO 8601. */
  now: string;
  rules: RetentionRules;
  /** Every checkpoint of the directory, newest first. */
  checkpoints: PrunedCheckpoint[];
  /** Totals of what is deleted. */
  delete: { checkpoints: number; files: number; bytes: number };
  /** Totals of what is kept. */
  keep: { checkpoints: number; files: number; bytes: number };
  /** Files of the directory that belong to no checkpoint (pointer files, logs, ...): never touched. */
  otherFiles: number;
  /** The state file, when the plan rewrites it so that it no longer lists what is deleted. */
  stateFile: { uri: string; removes: string[] } | undefined;
  /** Facts about the directory as a whole (itself a checkpoint, no checkpoint at all, ...). */
  notes: string[];
}

/** What {@link pruneCheckpoints} did. */
export interface PruneResult extends PrunePlan {
  /** False for a dry run. */
  executed: boolean;
  /** What was deleted (zero for a dry run). */
  deleted: { checkpoints: number; files: number; bytes: number };
  /** The state file was rewritten without the deleted checkpoints. */
  stateRewritten: boolean;
  /** Plans made: more than 1 when a trainer changed the state file between planning and rewriting it. */
  plans: number;
}

/** Progress of a prune. */
export interface PruneProgress {
  phase: 'listing' | 'planning' | 'state' | 'commit-files' | 'files' | 'directories' | 'done';
  /** Objects deleted so far, and in all. */
  deletedObjects: number;
  totalObjects: number;
}

/** Options of {@link planPrune} and {@link pruneCheckpoints}. */
export interface PruneOptions {
  gfile: GFile;
  rules: RetentionRules;
  /** The clock (tests); default now. */
  now?: Date | undefined;
  /** The TensorFlow state file's name (default `checkpoint`). */
  stateFileName?: string | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: PruneProgress) => void) | undefined;
}

/** Options of {@link pruneCheckpoints}. */
export interface PruneRunOptions extends PruneOptions {
  /** Carry the plan out (default false: a dry run that deletes nothing). */
  execute?: boolean | undefined;
}

// A layout id to its module (`accelerate` is reported by the Hugging Face module, ...).
function formatOf(id: string): CheckpointFormat | undefined {
  return CHECKPOINT_FORMATS.find((f) => f.ids.includes(id));
}

function lastSegment(uri: string): string {
  const u = uri.replace(/\/+$/, '');
  return u.slice(u.lastIndexOf('/') + 1);
}

function newestTime(files: readonly FileEntry[]): number | undefined {
  let t: number | undefined;
  for (const f of files) if (f.mtime && (t === undefined || f.mtime.getTime() > t)) t = f.mtime.getTime();
  return t;
}

// Every directory of a subtree, deepest first (its own URI last).
function subtreeDirs(node: DirNode): string[] {
  const out: string[] = [];
  const visit = (n: DirNode) => {
    for (const d of n.dirs.values()) visit(d);
    out.push(n.uri);
  };
  visit(node);
  return out;
}

interface Planned {
  plan: PrunePlan;
  /** The state file as read when planning (what a rewrite must still find). */
  state: StateFileRead | undefined;
  objects: { markers: string[]; commit: string[]; rest: string[]; dirs: string[] };
}

/**
 * The plan of a prune of `dirUri` (nothing is deleted): every checkpoint of the directory kept or
 * deleted with its reasons, files and bytes. Requests: one recursive listing, the state file and
 * pointer files of the directory, and the content checks of the newest checkpoints until one is
 * complete (as robust `latest`); never a request per checkpoint.
 *
 * @throws CkptError INVALID_CONFIG for bad rules; NOT_FOUND when the directory does not exist.
 */
export async function planPrune(dirUri: string, options: PruneOptions): Promise<PrunePlan> {
  return (await makePlan(dirUri, options)).plan;
}

async function makePlan(dirUri: string, options: PruneOptions): Promise<Planned> {
  checkRules(options.rules);
  const { gfile, signal } = options;
  const now = options.now ?? new Date();
  const stateFileName = options.stateFileName ?? 'checkpoint';
  options.onProgress?.({ phase: 'listing', deletedObjects: 0, totalObjects: 0 });
  const dirKinds = new Set<string>();
  const root = await listTree(gfile, dirUri, { signal, onEntry: (info) => void (info.kind === 'directory' && dirKinds.add(normaliseDirUri(info.uri))) });
  options.onProgress?.({ phase: 'planning', deletedObjects: 0, totalObjects: 0 });
  const ctx = createDetectContext(gfile, root.uri, { stateFileName, signal });
  const namesCtx: DetectContext = { ...ctx, contentChecks: false };
  const lister = storeLister(gfile, signal);
  const names = new DirectoryCheckpoints(root, namesCtx, lister);
  const notes: string[] = [];
  const base = { dir: root.uri, now: now.toISOString(), rules: options.rules };
  const empty = (): Planned => ({
    plan: { ...base, checkpoints: [], delete: { checkpoints: 0, files: 0, bytes: 0 }, keep: { checkpoints: 0, files: 0, bytes: 0 }, otherFiles: subtreeFiles(root).length, stateFile: undefined, notes },
    state: undefined,
    objects: { markers: [], commit: [], rest: [], dirs: [] },
  });
  const self = await names.self();
  if (self) {
    notes.push(`${root.uri} is itself one checkpoint (${self.format}): prune the directory that holds it`);
    return empty();
  }
  const held = await names.container();
  const unclassifiable = new Map<Found, string>();
  const emptyDirs: Array<{ name: string; facts: OrderFacts; node: DirNode }> = [];
  const entries: Array<{ found: Found; node: DirNode | undefined; judge?: (() => Promise<Found | undefined>) | undefined }> = [];
  if (held) {
    for (const f of held) {
      unclassifiable.set(f, `a ${f.format} snapshot: its files are shared with other snapshots`);
      entries.push({ found: f, node: undefined });
    }
  } else {
    const full = new DirectoryCheckpoints(root, ctx, lister);
    const fullCandidates = new Map((await full.candidates()).map((c) => [`${c.kind}:${c.name}`, c]));
    for (const c of await names.candidates()) {
      const found = await names.judge(c);
      if (!found) {
        // An empty directory a layout names with a step: what a killed prune (or a save that never
        // wrote a file) left; deleted below when older than the newest complete checkpoint.
        if (c.kind === 'dir' && c.known && c.facts.step !== null && c.node && !holdsFiles(c.node)) emptyDirs.push({ name: c.name, facts: c.facts, node: c.node });
        continue;
      }
      const twin = fullCandidates.get(`${c.kind}:${c.name}`);
      entries.push({ found, node: c.node, judge: twin ? () => full.judge(twin) : undefined });
    }
  }
  if (entries.length === 0) notes.push(`no checkpoint in ${root.uri}`);

  // Content checks, as robust latest does them: the newest name-complete checkpoints, newest
  // first, until one passes (a failing one is newer than the newest complete: kept anyway).
  const byOrder = [...entries].sort((a, b) => -compareFacts(a.found, b.found));
  for (const e of byOrder) {
    if (!e.found.complete || e.found.temporary || !e.judge) continue;
    const checked = await e.judge();
    if (checked) e.found = checked;
    if (e.found.complete && !e.found.temporary) break;
  }

  const candidates = new Map<RetentionCandidate, (typeof entries)[number]>();
  for (const e of entries) {
    const f = e.found;
    const c: RetentionCandidate = {
      name: lastSegment(f.prefix),
      facts: orderFactsOf(f),
      complete: f.complete,
      temporary: f.temporary,
      timeMs: newestTime(f.files),
      pointer: f.pointedBy ?? (f.extra?.last === true ? `its name (${lastSegment(f.prefix)}, the layout's last save)` : undefined),
      unclassifiable: unclassifiable.get(f) ?? (f.dir !== root.uri ? `not directly in ${root.uri}` : undefined),
      problems: f.problems,
    };
    candidates.set(c, e);
  }
  const state = await stateOf(root, stateFileName, ctx);
  const lastPreservedMs = state?.kind === 'ok' && state.state.lastPreservedTimestamp > 0 ? state.state.lastPreservedTimestamp * 1000 : undefined;
  const decisions = planRetention([...candidates.keys()], options.rules, { nowMs: now.getTime(), lastPreservedMs });

  const keptFiles = new Set<string>();
  for (const d of decisions) if (d.action === 'keep') for (const f of candidates.get(d.candidate)!.found.files) keptFiles.add(f.uri);
  const inside = `${root.uri.replace(/\/+$/, '')}/`;
  const scanCtx = namesOnlyContext(ctx.scheme, stateFileName);
  const checkpoints: PrunedCheckpoint[] = [];
  const objects: Planned['objects'] = { markers: [], commit: [], rest: [], dirs: [] };
  const totals = { delete: { checkpoints: 0, files: 0, bytes: 0 }, keep: { checkpoints: 0, files: 0, bytes: 0 } };
  const claimed = new Set<string>();
  for (const d of decisions) {
    const { found, node } = candidates.get(d.candidate)!;
    const isDir = node !== undefined && node.uri === found.prefix;
    const all = isDir ? subtreeFiles(node) : found.files;
    for (const f of all) claimed.add(f.uri);
    const base = {
      name: d.candidate.name,
      prefix: found.prefix,
      format: found.format,
      step: found.step,
      complete: found.complete,
      temporary: found.temporary,
      time: d.candidate.timeMs === undefined ? null : new Date(d.candidate.timeMs).toISOString(),
      action: d.action,
      reasons: d.reasons,
      bytes: all.reduce((n, f) => n + f.size, 0),
    };
    if (d.action === 'keep') {
      checkpoints.push({ ...base, files: all.map((f) => f.uri), commitFiles: [], dirs: [], markers: [] });
      totals.keep.checkpoints++;
      totals.keep.files += all.length;
      totals.keep.bytes += base.bytes;
      continue;
    }
    // Never a file of a kept checkpoint, never anything outside the directory.
    const mine = all.filter((f) => !keptFiles.has(f.uri) && f.uri.startsWith(inside));
    const order = await deletionOrder(found, formatOf(found.format), root, isDir ? node : undefined, mine, scanCtx);
    const dirs = isDir ? subtreeDirs(node).filter((u) => dirKinds.has(u)) : [];
    const markers = order.marker === undefined ? [] : [order.marker];
    checkpoints.push({ ...base, files: [...order.commit, ...order.rest].map((f) => f.uri), commitFiles: order.commit.map((f) => f.uri), dirs, markers });
    objects.markers.push(...markers);
    objects.commit.push(...order.commit.map((f) => f.uri));
    objects.rest.push(...order.rest.map((f) => f.uri));
    objects.dirs.push(...dirs);
    totals.delete.checkpoints++;
    totals.delete.files += mine.length;
    totals.delete.bytes += mine.reduce((n, f) => n + f.size, 0);
  }
  const newest = newestCompleteOf([...candidates.keys()]);
  for (const e of emptyDirs) {
    const dirs = subtreeDirs(e.node).filter((u) => dirKinds.has(u));
    if (!newest || dirs.length === 0 || compareOrder(e.facts, newest.facts).cmp >= 0) continue;
    checkpoints.push({
      name: e.name,
      prefix: e.node.uri,
      format: 'empty-directory',
      step: e.facts.step,
      complete: false,
      temporary: false,
      time: null,
      action: 'delete',
      reasons: [`an empty directory named like a checkpoint, older than the newest complete checkpoint ${newest.name} (what a deletion left)`],
      files: [],
      bytes: 0,
      commitFiles: [],
      dirs,
      markers: [],
    });
    objects.dirs.push(...dirs);
  }
  const doomed = new Set(checkpoints.filter((c) => c.action === 'delete').map((c) => c.name));
  let stateFile: PrunePlan['stateFile'];
  if (state?.kind === 'ok') {
    const removes = state.state.allModelCheckpointPaths.filter((p) => doomed.has(basenamePosix(p)));
    if (removes.length > 0) stateFile = { uri: stateFileUri(root.uri, stateFileName), removes };
  }
  const plan: PrunePlan = {
    ...base,
    checkpoints,
    delete: totals.delete,
    keep: totals.keep,
    otherFiles: subtreeFiles(root).filter((f) => !claimed.has(f.uri)).length,
    stateFile,
    notes,
  };
  return { plan, state, objects };
}

/**
 * The directory's state file as discovery read it (the same cached read: one GET in all),
 * classified as `readStateFile` does; undefined when there is none.
 */
async function stateOf(root: DirNode, name: string, ctx: DetectContext): Promise<StateFileRead | undefined> {
  const file = root.files.get(name);
  if (!file) return undefined;
  const bytes = await ctx.readBytes(file, 0, file.size);
  if (!bytes) return { kind: 'missing', uri: file.uri };
  return classifyStateBytes(file.uri, bytes);
}

// Which of two checkpoints is newer (positive: `a`), by the one order of the directory.
function compareFacts(a: Found, b: Found): number {
  return compareOrder(orderFactsOf(a), orderFactsOf(b)).cmp;
}

function sameState(a: CheckpointState, b: CheckpointState): boolean {
  return (
    a.modelCheckpointPath === b.modelCheckpointPath &&
    a.allModelCheckpointPaths.length === b.allModelCheckpointPaths.length &&
    a.allModelCheckpointPaths.every((p, i) => p === b.allModelCheckpointPaths[i])
  );
}

// The state without the paths of deleted checkpoints (timestamps kept beside their paths).
function withoutPaths(state: CheckpointState, doomed: ReadonlySet<string>): CheckpointState {
  const keep = state.allModelCheckpointPaths.map((p) => !doomed.has(basenamePosix(p)));
  const paired = state.allModelCheckpointTimestamps.length === state.allModelCheckpointPaths.length;
  return {
    ...state,
    allModelCheckpointPaths: state.allModelCheckpointPaths.filter((_, i) => keep[i]),
    allModelCheckpointTimestamps: paired ? state.allModelCheckpointTimestamps.filter((_, i) => keep[i]) : [...state.allModelCheckpointTimestamps],
  };
}

const MAX_PLANS = 5;

/**
 * Plans a prune of `dirUri` and, with `execute`, carries it out in the crash-safe order (see the
 * module comment): a prune killed at any point leaves the newest complete checkpoint, and what
 * the state file or a pointer names, whole; running it again finishes the job. When the state
 * file changed between planning and rewriting it (a trainer saved), the directory is planned again
 * (up to 5 times). Without `execute` nothing is written or deleted.
 *
 * Requests: those of {@link planPrune}; the state file's read-modify-write (HEAD, GET, conditional
 * PUT on object stores); deletes at the store's floor (S3: ceil(objects / 1,000) DeleteObjects,
 * in two rounds: commit files, then the rest; GCS and local disks: one delete per object, at
 * most `concurrency` in flight).
 *
 * @throws CkptError INVALID_CONFIG for bad rules; NOT_FOUND when the directory does not exist;
 *   PRECONDITION_FAILED when the state file kept changing; ABORTED when `signal` fires; storage
 *   errors as they are (a rerun converges).
 */
export async function pruneCheckpoints(dirUri: string, options: PruneRunOptions): Promise<PruneResult> {
  const { gfile, signal } = options;
  for (let plans = 1; ; plans++) {
    const planned = await makePlan(dirUri, options);
    const { plan } = planned;
    const result: PruneResult = { ...plan, executed: false, deleted: { checkpoints: 0, files: 0, bytes: 0 }, stateRewritten: false, plans };
    if (!options.execute) {
      options.onProgress?.({ phase: 'done', deletedObjects: 0, totalObjects: 0 });
      return result;
    }
    const totalObjects = planned.objects.markers.length + planned.objects.commit.length + planned.objects.rest.length + planned.objects.dirs.length;
    let deletedObjects = 0;
    const progress = (phase: PruneProgress['phase']) => options.onProgress?.({ phase, deletedObjects, totalObjects });
    if (plan.stateFile && planned.state?.kind === 'ok') {
      progress('state');
      const before = planned.state.state;
      const doomed = new Set(plan.checkpoints.filter((c) => c.action === 'delete').map((c) => c.name));
      let changed = false;
      const update = await updateCheckpointState(
        gfile,
        plan.dir,
        (previous) => {
          if (previous.kind !== 'ok' || !sameState(previous.state, before)) {
            changed = true;
            return undefined;
          }
          return withoutPaths(previous.state, doomed);
        },
        { latestFilename: options.stateFileName, signal },
      );
      if (changed && !update) {
        if (plans >= MAX_PLANS) {
          throw new CkptError('PRECONDITION_FAILED', { operation: 'prune', uri: plan.stateFile.uri, message: `the state file changed under every one of ${MAX_PLANS} plans (a trainer is saving): nothing was deleted; try again` });
        }
        continue;
      }
      result.stateRewritten = update !== undefined;
    }
    const onDeleted = (n: number) => {
      deletedObjects += n;
      progress(phaseNow);
    };
    let phaseNow: PruneProgress['phase'] = 'commit-files';
    progress(phaseNow);
    // Layouts committed by a marker's absence: the marker first, so each is unfinished before a file goes.
    await Promise.all(planned.objects.markers.map((uri) => gfile.writeFile(uri, new Uint8Array(0), { signal })));
    await gfile.removeMany(planned.objects.commit, { signal, onDeleted });
    phaseNow = 'files';
    progress(phaseNow);
    await gfile.removeMany(planned.objects.rest, { signal, onDeleted });
    phaseNow = 'directories';
    progress(phaseNow);
    await gfile.removeMany(planned.objects.markers, { signal });
    await removeDirs(gfile, planned.objects.dirs, signal, onDeleted);
    result.executed = true;
    result.deleted = { ...plan.delete };
    phaseNow = 'done';
    progress(phaseNow);
    return result;
  }
}

/**
 * Removes directories (local disks) or their markers (object stores). A directory something new
 * was written into since the listing is left where it is: it is not empty, and not ours to judge.
 */
async function removeDirs(gfile: GFile, dirs: readonly string[], signal: AbortSignal | undefined, onDeleted: (n: number) => void): Promise<void> {
  if (dirs.length === 0) return;
  const { adapter } = await gfile.locate(dirs[0]!, 'remove');
  const asDirs = dirs.map((d) => `${d.replace(/\/+$/, '')}/`);
  if (adapter.capabilities.directories === 'virtual') {
    await gfile.removeMany(asDirs, { signal, onDeleted });
    return;
  }
  // Deepest first, so a parent is empty when its turn comes.
  const ordered = [...asDirs].sort((a, b) => b.length - a.length);
  for (const d of ordered) {
    try {
      await gfile.removeMany([d], { signal, onDeleted });
    } catch (error) {
      if (signal?.aborted || !isCkptError(error)) throw error;
      if (isCkptError(error, 'NOT_FOUND')) continue;
      // ENOTEMPTY and the like: leave it.
    }
  }
}
