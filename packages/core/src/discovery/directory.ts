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
import { type GFile, isCkptError } from '@ckptkit/gfile';
import { CHECKPOINT_FORMATS } from '../formats/index.js';
import { type OrderFacts, compareOrder, orderFactsOf } from './order.js';
import { NotListedError, holdsFiles, isFullyListed, isUnlisted, loadSubtree, siblingAliasOf } from './tree.js';
import type { CheckpointFormat, DetectContext, DirNameStep, DirNode, Found } from './types.js';

/** Lists a directory's whole subtree (one recursive listing) when a layout needs its contents. */
export interface Lister {
  load(node: DirNode): Promise<void>;
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
  /** The layout that claimed its files and what it saw from names (kind `file`). */
  format?: CheckpointFormat | undefined;
  named?: Found | undefined;
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

/** The checkpoints of one directory (see the module comment). */
export class DirectoryCheckpoints {
  private readonly formats: readonly CheckpointFormat[];
  private readonly workerTemp: boolean;
  private readonly namesMetadata: boolean;
  private pointerMap: Promise<Map<string, string>> | undefined;
  private readonly judged = new Map<DirectoryCandidate, Promise<Found | undefined>>();
  private readonly raw = new Map<DirectoryCandidate, Promise<Found | undefined>>();
  private listed: Promise<DirectoryCandidate[]> | undefined;
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
    for (const format of this.formats) {
      if (!format.claimFiles || unclaimed.size === 0) continue;
      const found = await withListing(this.lister, () => format.claimFiles!(this.node, unclaimed, ctx));
      for (const f of found) {
        for (const n of f.claimed ?? []) unclaimed.delete(n);
        const name = lastSegment(f.prefix);
        const facts = orderFactsOf({ ...f, pointedBy: pointers.get(name), temporary: f.temporary || this.workerTemp });
        out.push({ kind: 'file', name, facts, known: true, format, named: f });
      }
    }
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
  }

  private judgeRaw(c: DirectoryCandidate): Promise<Found | undefined> {
    let p = this.raw.get(c);
    if (!p) {
      p = c.kind === 'file' ? this.judgeFile(c) : this.judgeDir(c);
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

  private async judgeFile(c: DirectoryCandidate): Promise<Found | undefined> {
    const named = c.named!;
    let found = named;
    if (this.ctx.contentChecks) {
      const again = await withListing(this.lister, () => c.format!.claimFiles!(this.node, new Set(named.claimed), this.ctx));
      found = again.find((f) => f.prefix === named.prefix) ?? named;
    }
    return this.finish(found, (await this.pointers()).get(c.name));
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
