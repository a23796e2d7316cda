/**
 * The checkpoints of one directory: the one code path that judges them, for `findCheckpoints`
 * (which runs it on a fully listed tree, on every directory) and robust `latestCheckpoint` (which
 * runs it on a lazily listed directory and judges candidates newest first only until one is
 * complete).
 *
 * 1. `self()`: is the directory itself one checkpoint (a SavedModel, an HF `checkpoint-N`, a zoo
 *    tarball)? Then it owns everything below it.
 * 2. `candidates()`: otherwise its checkpoints, from names: every layout claims files among those
 *    still unclaimed (without per-checkpoint content checks), and every subdirectory is a
 *    candidate with the step its name promises. The directory's pointer files (TF `checkpoint`,
 *    DeepSpeed `latest`, trackers) are read once and mark the candidates they name.
 * 3. `judge(candidate)`: the candidate with all its evidence: a file checkpoint again with content
 *    checks, a directory after it is listed.
 *
 * Evidence is the same however the tree was listed: a layout that reads a directory not listed yet
 * makes it listed first ({@link NotListedError}), so `latest` sees what `find` sees, and lists only
 * what some layout's rule needs.
 */
import { type GFile, compareKeys, isCkptError } from '@ckptkit/gfile';
import { CHECKPOINT_FORMATS } from '../formats/index.js';
import { CompactFileMap } from './file-map.js';
import { type OrderFacts, compareOrder, orderFactsOf } from './order.js';
import { type Step, compareOptionalSteps } from './step.js';
import { NotListedError, childUri, holdsFiles, isFullyListed, isUnlisted, loadSubtree, siblingAliasOf } from './tree.js';
import type { CheckpointFormat, DetectContext, DirNameStep, DirNode, Found } from './types.js';

/** Lists a directory's whole subtree (one recursive listing) when a layout needs its contents. */
export interface Lister {
  load(node: DirNode): Promise<void>;
}

/** The first of a layout's results (`claimFiles`) whose prefix is `prefix`. */
export function foundWithPrefix(found: Iterable<Found>, prefix: string): Found | undefined {
  for (const f of found) if (f.prefix === prefix) return f;
  return undefined;
}

/** A lister over the storage facade. */
export function storeLister(gfile: Pick<GFile, 'list'>, signal?: AbortSignal): Lister {
  return {
    async load(node) {
      await loadSubtree(gfile, node, { signal });
    },
  };
}

// Non-chief workers' scratch directories (OD API `temp_worker_NNN`, tf-keras `workertemp_N`): what
// is inside is deleted at the end of training, never a checkpoint to resume from.
const WORKER_TEMP = /^(?:temp_worker_\d+|workertemp_\d+)$/;

/** True for a non-chief worker's scratch directory name. */
export function isWorkerTempName(name: string): boolean {
  return WORKER_TEMP.test(name);
}

// More unlisted directories than this to judge at once: one recursive listing of the parent instead.
const MAX_SEPARATE_LISTINGS = 8;

/** A checkpoint of the directory as its names show it, before it is judged. */
export interface DirectoryCandidate {
  kind: 'file' | 'dir';
  /** Its last path segment (a file checkpoint's prefix basename, or the directory's name). */
  name: string;
  /** What the names (and the directory's pointers) say about its place in the order. */
  facts: OrderFacts;
  /** False for a subdirectory whose name no layout knows (it may still be a step-less checkpoint). */
  known: boolean;
  /** The subdirectory (kind `dir`). */
  node?: DirNode | undefined;
  /** The layout that claimed its files (kind `file`). */
  format?: CheckpointFormat | undefined;
  /** What a user restores from (kind `file`): the prefix the layout reported from names. */
  prefix?: string | undefined;
}

/**
 * A file checkpoint as the names show it, while it waits to be judged: its order facts (as its own
 * fields), its layout, and where the layout's claimed files are in the directory's claim
 * column (`held`), not the layout's whole names-only result (about 1 KB a checkpoint with its
 * files, problems and claimed names: 200 MB for a directory of 200,000 checkpoints, issue 23).
 * Judging it runs the layout again on those files. `held` is the names-only result itself where
 * places cannot stand for it (a directory not held in columns, a prefix that is not the
 * directory's URI and the name, no claimed file, a claimed file not in the listing).
 */
class FileCandidate implements DirectoryCandidate {
  constructor(
    readonly name: string,
    readonly step: Step | null,
    readonly epoch: Step | null,
    readonly pointer: string | undefined,
    readonly conversion: boolean,
    readonly version: number,
    readonly temporary: boolean,
    readonly mtime: number | undefined,
    readonly format: CheckpointFormat,
    readonly dir: string,
    readonly held: number | Found,
  ) {}

  // On the prototype, not in every candidate.
  get kind(): 'file' {
    return 'file';
  }
  get known(): boolean {
    return true;
  }
  get node(): undefined {
    return undefined;
  }
  /** Its order facts: a new object each time (what is held is the fields of the candidate). */
  get facts(): OrderFacts {
    const { step, epoch, pointer, conversion, version, temporary, mtime, name } = this;
    return { step, epoch, pointer, conversion, version, temporary, mtime, name };
  }
  get prefix(): string {
    return typeof this.held === 'number' ? childUri(this.dir, this.name) : this.held.prefix;
  }
}

/**
 * The order of `find` (directory, step, prefix: `compareFound`) between two file candidates of
 * {@link DirectoryCheckpoints.candidates}, from what their names show: the order of their judged
 * forms (both passes of a layout agree on prefix and step).
 */
export function compareFileCandidates(a: DirectoryCandidate, b: DirectoryCandidate): number {
  if (!(a instanceof FileCandidate) || !(b instanceof FileCandidate)) throw new Error('internal: not a file candidate of a directory');
  const byDir = compareKeys(a.dir, b.dir);
  if (byDir !== 0) return byDir;
  const byStep = compareOptionalSteps(a.step, b.step);
  if (byStep !== 0) return byStep;
  // Both prefixes are the directory's URI and the name: the names order them (no string made per comparison).
  if (typeof a.held === 'number' && typeof b.held === 'number') return compareKeys(a.name, b.name);
  return compareKeys(a.prefix, b.prefix);
}

/** A growable column of 32-bit integers (no object per element). */
class Int32Column {
  private data = new Int32Array(64);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  get(i: number): number {
    return this.data[i]!;
  }
}

/** Options of {@link DirectoryCheckpoints}. */
export interface DirectoryOptions {
  formats?: readonly CheckpointFormat[] | undefined;
  /** The directory is inside a non-chief worker's scratch directory. */
  insideWorkerTemp?: boolean | undefined;
  /** Read pointer files and directory metadata in the name-level pass (default true; `watch` polls without). */
  namesMetadata?: boolean | undefined;
}

function lastSegment(uri: string): string {
  const u = uri.replace(/\/+$/, '');
  return u.slice(u.lastIndexOf('/') + 1);
}

/**
 * Runs `fn`; when it reads a directory that is not listed, lists `pick(that directory)` (which
 * must be it or an ancestor) and runs it again. On a fully listed tree it runs once.
 */
export async function withListing<T>(lister: Lister, fn: () => T | Promise<T>, pick: (unlisted: DirNode) => DirNode = (n) => n): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof NotListedError)) throw error;
      const target = pick(error.node);
      await lister.load(target);
      // The lister did not list it (or, for a subtree required whole, all of it): never loop.
      if (!isFullyListed(error.node)) throw error;
    }
  }
}

/**
 * `name` as the start of a claimed file's name where it is one (`ckpt-5` of `ckpt-5.index`): the
 * same text, held by the listing already rather than by a string of its own (or a slice keeping
 * the whole prefix URI alive), which is most of what a waiting candidate costs beyond its fields.
 */
function listedName(name: string, claimed: readonly string[] | undefined): string {
  for (const n of claimed ?? []) if (n.startsWith(name)) return n.length === name.length ? n : n.slice(0, name.length);
  return name;
}

/** The checkpoints of one directory (see the module comment). */
export class DirectoryCheckpoints {
  private readonly formats: readonly CheckpointFormat[];
  private readonly workerTemp: boolean;
  private readonly namesMetadata: boolean;
  private pointerMap: Promise<Map<string, string>> | undefined;
  private readonly judged = new Map<DirectoryCandidate, Promise<Found | undefined>>();
  private readonly raw = new Map<DirectoryCandidate, Promise<Found | undefined>>();
  private listed: Promise<DirectoryCandidate[]> | undefined;
  // The file candidates' claimed files, as places in `claimedIn`: at a candidate's offset, the
  // count, then the places in the order the layout claimed them.
  private readonly claims = new Int32Column();
  private claimedIn: CompactFileMap | undefined;
  private committed: Promise<{ name: string; facts: OrderFacts } | undefined> | undefined;

  constructor(
    readonly node: DirNode,
    private readonly ctx: DetectContext,
    private readonly lister: Lister,
    options: DirectoryOptions = {},
  ) {
    this.formats = options.formats ?? CHECKPOINT_FORMATS;
    this.workerTemp = options.insideWorkerTemp === true || isWorkerTempName(node.name);
    this.namesMetadata = options.namesMetadata ?? true;
  }

  /** The context of the first, name-level pass: no per-checkpoint content checks. */
  private get namesCtx(): DetectContext {
    return { ...this.ctx, contentChecks: false, metadata: this.ctx.metadata && this.namesMetadata };
  }

  /**
   * The checkpoints of a directory a layout treats as the container of its checkpoints deeper
   * down (a Hugging Face hub repo `models--org--name/`): newest first in the layout's own order,
   * each with `dir` = this directory; undefined when no layout does. Such a directory owns its
   * whole subtree (listed at once when a layout looks inside).
   */
  async container(): Promise<Found[] | undefined> {
    for (const format of this.formats) {
      if (!format.claimContainer) continue;
      const found = await withListing(this.lister, () => format.claimContainer!(this.node, this.ctx), () => this.node);
      if (found) return found.map((f) => this.finish(f, undefined));
    }
    return undefined;
  }

  /**
   * True for a subdirectory that stands for another checkpoint: a symlink to a sibling (NeMo
   * Automodel's `LATEST -> epoch_0_step_100`, listed twice by a local listing) or a directory a
   * layout knows as a copied pointer (`LATEST/` on an object store). Never a candidate.
   */
  isAlias(child: DirNode): boolean {
    return siblingAliasOf(child) !== undefined || this.formats.some((f) => f.isAlias?.(child));
  }

  /** The directory itself as one checkpoint of some layout, or undefined. */
  async self(): Promise<Found | undefined> {
    for (const format of this.formats) {
      if (!format.claimDir) continue;
      // A layout that looks inside: the whole directory at once, not one child at a time.
      const found = await withListing(this.lister, () => format.claimDir!(this.node, this.ctx), () => this.node);
      if (found) return this.finish(found, undefined);
    }
    return undefined;
  }

  /** Pointer targets of the directory: checkpoint name -> the pointer file naming it. */
  pointers(): Promise<Map<string, string>> {
    this.pointerMap ??= (async () => {
      const map = new Map<string, string>();
      for (const format of this.formats) {
        if (!format.pointers) continue;
        const found = await withListing(this.lister, () => format.pointers!(this.node, this.namesCtx));
        for (const p of found) if (!map.has(p.target)) map.set(p.target, p.by);
      }
      return map;
    })();
    return this.pointerMap;
  }

  /** The checkpoints the names show: file checkpoints of every layout, then every subdirectory. */
  candidates(): Promise<DirectoryCandidate[]> {
    this.listed ??= this.nameCandidates();
    return this.listed;
  }

  private async nameCandidates(): Promise<DirectoryCandidate[]> {
    const pointers = await this.pointers();
    const out: DirectoryCandidate[] = [];
    const unclaimed = new Set(this.node.files.keys());
    const ctx = this.namesCtx;
    if (this.node.files instanceof CompactFileMap) this.claimedIn = this.node.files;
    for (const format of this.formats) {
      if (!format.claimFiles || unclaimed.size === 0) continue;
      const found = await withListing(this.lister, () => format.claimFiles!(this.node, unclaimed, ctx));
      for (const f of found) {
        for (const n of f.claimed ?? []) unclaimed.delete(n);
        const name = listedName(lastSegment(f.prefix), f.claimed);
        const facts = orderFactsOf({ ...f, pointedBy: pointers.get(name), temporary: f.temporary || this.workerTemp });
        const held = this.hold(f, name);
        out.push(new FileCandidate(name, facts.step, facts.epoch, facts.pointer, facts.conversion, facts.version, facts.temporary, facts.mtime, format, f.dir, held));
        // Its entries are held by nothing now (made again when it is judged).
        if (typeof held === 'number') for (const n of f.claimed!) this.claimedIn!.releaseEntry(n);
      }
    }
    // The entries the layouts read are held by nothing now: made again for the few being judged.
    this.claimedIn?.release();
    for (const child of this.node.dirs.values()) {
      if (this.isAlias(child)) continue;
      const named = this.dirName(child.name);
      out.push({
        kind: 'dir',
        name: child.name,
        node: child,
        known: named !== undefined,
        facts: {
          step: named?.step ?? null,
          epoch: named?.epoch ?? null,
          pointer: pointers.get(child.name) ?? (named?.last ? 'last' : undefined),
          conversion: named?.conversion ?? false,
          version: named?.version ?? 0,
          temporary: (named?.temporary ?? false) || this.workerTemp || isWorkerTempName(child.name),
          mtime: undefined,
          name: child.name,
        },
      });
    }
    return out;
  }

  // Where `f`'s claimed files are in the claim column, or `f` itself (see FileCandidate).
  private hold(f: Found, name: string): number | Found {
    const files = this.claimedIn;
    const claimed = f.claimed;
    if (!files || !claimed || claimed.length === 0 || f.dir !== this.node.uri || f.prefix !== childUri(this.node.uri, name)) return f;
    const slots: number[] = [];
    for (const n of claimed) {
      const slot = files.slotOf(n);
      if (slot === undefined) return f;
      slots.push(slot);
    }
    const at = this.claims.length;
    this.claims.push(slots.length);
    for (const slot of slots) this.claims.push(slot);
    return at;
  }

  // The claimed names at `at` in the claim column, in the order the layout claimed them.
  private claimedAt(at: number): string[] {
    const names: string[] = [];
    const count = this.claims.get(at);
    for (let k = 1; k <= count; k++) {
      const name = this.claimedIn!.nameAt(this.claims.get(at + k));
      if (name === undefined) throw new Error(`internal: a claimed file of ${this.node.uri} left the listing`);
      names.push(name);
    }
    return names;
  }

  /** What the first layout that knows such a name promises for a subdirectory. */
  private dirName(name: string): DirNameStep | undefined {
    for (const format of this.formats) {
      const named = format.stepFromDirName?.(name);
      if (named) return named;
    }
    return undefined;
  }

  /** Lists, before they are judged, the directories among `candidates` not listed yet. */
  async prepare(candidates: readonly DirectoryCandidate[]): Promise<void> {
    const unlisted = candidates.flatMap((c) => (c.node && isUnlisted(c.node) ? [c.node] : []));
    if (unlisted.length > MAX_SEPARATE_LISTINGS) await this.lister.load(this.node);
    else for (const n of unlisted) await this.loadOrEmpty(n);
  }

  // Lists a candidate directory; one gone since the listing, or that only a Hadoop `_$folder$`
  // placeholder stood for (NOT_FOUND), is empty.
  private async loadOrEmpty(node: DirNode): Promise<void> {
    try {
      await this.lister.load(node);
    } catch (error) {
      if (!isCkptError(error, 'NOT_FOUND')) throw error;
      node.files = new Map();
      node.dirs = new Map();
      node.loaded = true;
    }
  }

  /**
   * The candidate with all its evidence; undefined for a subdirectory that is no checkpoint. In a
   * directory whose TensorFlow state file names a whole checkpoint, that checkpoint is the
   * directory's committed latest (TensorFlow restores it, robust `latest` answers it from the state
   * file alone): a checkpoint newer than it is reported not committed.
   */
  judge(c: DirectoryCandidate): Promise<Found | undefined> {
    let p = this.judged.get(c);
    if (!p) {
      p = (async () => {
        const found = await this.judgeRaw(c);
        if (!found || !found.complete || found.temporary) return found;
        const commit = await this.stateCommit();
        if (commit && commit.name !== c.name && compareOrder(orderFactsOf(found), commit.facts, false).cmp > 0) {
          found.complete = false;
          found.problems.push(
            `newer than ${commit.name}, which the directory's state file (${this.ctx.stateFileName ?? ''}) names as the latest: not committed (TensorFlow restores ${commit.name}; a save interrupted before the state file was rewritten, or one written outside TensorFlow's manager)`,
          );
        }
        return found;
      })();
      this.judged.set(c, p);
    }
    return p;
  }

  /**
   * Drops what this object keeps of `c`'s judgment (a caller that has handed the result on and
   * will not ask again). Asked again, it is judged again, from the context's cached reads.
   */
  forget(c: DirectoryCandidate): void {
    this.judged.delete(c);
    this.raw.delete(c);
    // The entries its judgment read: made again if it is judged again.
    if (c instanceof FileCandidate && typeof c.held === 'number') for (const name of this.claimedAt(c.held)) this.claimedIn!.releaseEntry(name);
  }

  private judgeRaw(c: DirectoryCandidate): Promise<Found | undefined> {
    let p = this.raw.get(c);
    if (!p) {
      p = c instanceof FileCandidate ? this.judgeFile(c) : this.judgeDir(c);
      this.raw.set(c, p);
    }
    return p;
  }

  /** The whole checkpoint the TensorFlow state file names, if any (judged once). */
  private stateCommit(): Promise<{ name: string; facts: OrderFacts } | undefined> {
    this.committed ??= (async () => {
      let target: string | undefined;
      if (this.ctx.stateFileName === undefined) return undefined;
      for (const [name, by] of await this.pointers()) if (by === this.ctx.stateFileName) target = name;
      if (target === undefined) return undefined;
      const candidate = (await this.candidates()).find((c) => c.kind === 'file' && c.name === target);
      const found = candidate && (await this.judgeRaw(candidate));
      return found && found.complete && !found.temporary ? { name: target, facts: orderFactsOf(found) } : undefined;
    })();
    return this.committed;
  }

  private async judgeFile(c: FileCandidate): Promise<Found | undefined> {
    const held = c.held;
    let found: Found | undefined;
    if (typeof held !== 'number') {
      found = held;
      if (this.ctx.contentChecks) {
        const again = await withListing(this.lister, () => c.format.claimFiles!(this.node, new Set(held.claimed), this.ctx));
        found = foundWithPrefix(again, held.prefix) ?? held;
      }
    } else {
      const claimed = this.claimedAt(held);
      const prefix = c.prefix;
      if (this.ctx.contentChecks) {
        const again = await withListing(this.lister, () => c.format.claimFiles!(this.node, new Set(claimed), this.ctx));
        found = foundWithPrefix(again, prefix);
      }
      found ??= await this.namedAgain(c, held, prefix);
    }
    return this.finish(found, (await this.pointers()).get(c.name));
  }

  /**
   * What the names pass found for `c`, found again: its layout run as in that pass (names only)
   * on the files it claimed, in the listing's order, which is the order that pass saw them in.
   * Every layout makes a checkpoint from its own files and the directory's listing (state file,
   * `.meta`, siblings, backups, markers); the files still unclaimed beside them only make other
   * checkpoints, so it finds the same one (test/checkpoints/directory-compact.test.ts). Should a
   * layout ever not, the names pass is run again over the whole directory for it: slower, never
   * a different answer.
   */
  private async namedAgain(c: FileCandidate, at: number, prefix: string): Promise<Found> {
    const count = this.claims.get(at);
    const slots: number[] = [];
    for (let k = 1; k <= count; k++) slots.push(this.claims.get(at + k));
    slots.sort((a, b) => a - b);
    const names = new Set(slots.map((slot) => this.claimedIn!.nameAt(slot)!));
    const ctx = this.namesCtx;
    const again = await withListing(this.lister, () => c.format.claimFiles!(this.node, names, ctx));
    const found = foundWithPrefix(again, prefix) ?? (await this.namesPassFound(c.format, prefix));
    if (!found) throw new Error(`internal: ${c.format.id} does not find ${prefix} again in ${this.node.uri}`);
    return found;
  }

  // The names pass over the whole directory again, up to `format`'s result with `prefix`.
  private async namesPassFound(format: CheckpointFormat, prefix: string): Promise<Found | undefined> {
    const unclaimed = new Set(this.node.files.keys());
    const ctx = this.namesCtx;
    for (const f of this.formats) {
      if (!f.claimFiles || unclaimed.size === 0) continue;
      const found = await withListing(this.lister, () => f.claimFiles!(this.node, unclaimed, ctx));
      for (const one of found) {
        if (f === format && one.prefix === prefix) return one;
        for (const n of one.claimed ?? []) unclaimed.delete(n);
      }
    }
    return undefined;
  }

  private async judgeDir(c: DirectoryCandidate): Promise<Found | undefined> {
    const node = c.node!;
    if (isUnlisted(node)) await this.loadOrEmpty(node);
    // A directory placeholder or an empty directory: nothing was saved there.
    if (!holdsFiles(node)) return undefined;
    for (const format of this.formats) {
      if (!format.claimDir) continue;
      const found = await withListing(this.lister, () => format.claimDir!(node, this.ctx));
      if (found) return this.finish(found, (await this.pointers()).get(c.name), isWorkerTempName(c.name));
    }
    return undefined;
  }

  private finish(found: Found, pointedBy: string | undefined, workerTemp = false): Found {
    if (pointedBy !== undefined) found.pointedBy = pointedBy;
    if ((this.workerTemp || workerTemp) && !found.temporary) {
      found.temporary = true;
      found.complete = false;
      found.problems.push("inside a non-chief worker's temporary directory (deleted when training ends)");
    }
    return found;
  }
}
