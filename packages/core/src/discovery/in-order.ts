/**
 * The checkpoints of a listed tree in the order `find` reports them (by directory in key order,
 * then step, then prefix), handed out as they are judged instead of collected and sorted at the
 * end: what `find --jsonl` prints while it works, holding one directory's judged checkpoints at a
 * time rather than every checkpoint of the tree (issue 23).
 *
 * Every directory is judged exactly as {@link detectTree} judges it (the same
 * {@link DirectoryCheckpoints} calls, in the same top-down order of claims: container, the
 * directory itself, its candidates, then the subdirectories nothing claimed), so the results are
 * the same; only the schedule differs:
 *
 * - directories are visited in key order of their URIs, up to `directories` at once; results go
 *   out from the smallest directory still open (every checkpoint a directory's visit reports has
 *   that directory as its `dir`, a directory checkpoint being reported by its parent), so the
 *   output is sorted without a sort of the whole;
 * - in one directory, the subdirectory candidates are judged first (their step is known only once
 *   a layout claims them), then the file checkpoints in order of the step and prefix their names
 *   show (both passes of a layout agree on them), `window` at a time; a directory that is not the
 *   one being handed out judges only its first window, then waits for its turn, and none judges
 *   further ahead than `window` results its reader has not taken;
 * - a checkpoint handed out is forgotten by its directory (its judged form is not kept).
 */
import { compareKeys } from '@ckptkit/gfile';
import { DirectoryCheckpoints, type DirectoryCandidate, type Lister, compareFileCandidates, isWorkerTempName, withListing } from './directory.js';
import { CompactFileMap } from './file-map.js';
import { holdsFiles, isUnlisted } from './tree.js';
import { compareOptionalSteps } from './step.js';
import type { CheckpointFormat, DetectContext, DirNode, Found } from './types.js';

/** Options of {@link detectInOrder}. */
export interface InOrderOptions {
  /** Report checkpoints whose directory is at most this many levels below the root. */
  maxDepth?: number | undefined;
  /** The layouts to run (default: all). */
  formats?: readonly CheckpointFormat[] | undefined;
  /** Lists directories a layout reads that `root` does not hold yet (default: the tree is complete). */
  lister?: Lister | undefined;
  /** Directories judged at once (default 16). */
  directories?: number | undefined;
  /** File checkpoints of one directory judged at once (default 64). */
  window?: number | undefined;
}

const NO_LISTING: Lister = {
  load(node) {
    return Promise.reject(new Error(`internal: ${node.uri} is not listed in a tree that should be complete`));
  },
};

/** The order of `find`'s results: directory (key order), then step (none first), then prefix. */
export function compareFound(a: Pick<Found, 'dir' | 'step' | 'prefix'>, b: Pick<Found, 'dir' | 'step' | 'prefix'>): number {
  return compareKeys(a.dir, b.dir) || compareOptionalSteps(a.step, b.step) || compareKeys(a.prefix, b.prefix);
}

interface Visit {
  node: DirNode;
  insideWorkerTemp: boolean;
  checkSelf: boolean;
}

/** A min-heap of visits by URI in key order. */
class VisitHeap {
  private readonly items: Visit[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Visit | undefined {
    return this.items[0];
  }
  push(v: Visit): void {
    const a = this.items;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (compareKeys(a[p]!.node.uri, a[i]!.node.uri) <= 0) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): Visit | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && compareKeys(a[l]!.node.uri, a[m]!.node.uri) < 0) m = l;
        if (r < a.length && compareKeys(a[r]!.node.uri, a[m]!.node.uri) < 0) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

/** One directory's visit: the checkpoints it reports, in order, as they are judged. */
class Run {
  private items: Found[] = [];
  private head = 0;
  private closed = false;
  private error: unknown;
  private wake: (() => void) | undefined;
  private roomMade: (() => void) | undefined;
  private becomeTurn!: () => void;
  /** Resolves once this visit's results are the ones being handed out. */
  readonly turn = new Promise<void>((resolve) => (this.becomeTurn = resolve));

  /** @param held Results waiting to be handed out at which the visit waits ({@link Run.room}). */
  constructor(
    readonly visit: Visit,
    private readonly held: number,
  ) {}

  /**
   * Undefined while fewer than `held` results wait to be handed out; else a promise that resolves
   * when the reader has taken one more: the visit judges no further ahead of what is printed than
   * that (without it, a directory of 200,000 checkpoints judged faster than printed piles up here).
   */
  room(): Promise<void> | undefined {
    if (this.items.length - this.head < this.held) return undefined;
    return new Promise<void>((resolve) => (this.roomMade = resolve));
  }

  push(found: Found): void {
    this.items.push(found);
    this.wake?.();
  }

  close(error?: unknown): void {
    this.closed = true;
    this.error = error;
    this.wake?.();
  }

  /** Its results in order, waiting for each; throws the visit's error after the results before it. */
  async *drain(): AsyncGenerator<Found> {
    this.becomeTurn();
    for (;;) {
      while (this.head < this.items.length) {
        const f = this.items[this.head]!;
        this.items[this.head++] = undefined as unknown as Found;
        if (this.head > 1024 && this.head * 2 > this.items.length) {
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        const made = this.roomMade;
        this.roomMade = undefined;
        made?.();
        yield f;
      }
      if (this.closed) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

// Drops the entry objects a judged directory's files made (the listing's columns stay): only the
// directories being judged hold an object per file. `subtree`: everything below it too.
function release(node: DirNode, subtree: boolean): void {
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.files instanceof CompactFileMap) n.files.release();
    if (subtree && !isUnlisted(n)) for (const d of n.dirs.values()) stack.push(d);
  }
}

/**
 * Every checkpoint in the tree under `root`, as {@link detectTree} finds them, handed out sorted by
 * directory (key order), step (none first) and prefix while the tree is judged (see the module
 * comment). Storage failures are thrown where they happen, after the checkpoints before them.
 */
export async function* detectInOrder(root: DirNode, ctx: DetectContext, options: InOrderOptions = {}): AsyncGenerator<Found> {
  const maxDepth = options.maxDepth ?? Infinity;
  const lister = options.lister ?? NO_LISTING;
  const parallel = Math.max(1, options.directories ?? 16);
  const window = Math.max(1, options.window ?? 64);
  const pending = new VisitHeap();
  // Open visits in the order they were started; the one handed out is the smallest URI among them and `pending`.
  const running: Run[] = [];

  const visitDir = async (run: Run): Promise<void> => {
    const { node, insideWorkerTemp, checkSelf } = run.visit;
    const dir = new DirectoryCheckpoints(node, ctx, lister, { formats: options.formats, insideWorkerTemp });
    // Nothing to find where no file is (a directory placeholder, an empty directory).
    if (!(await withListing(lister, () => holdsFiles(node), () => node))) return;
    // A layout's container (a Hugging Face hub repo) reports the checkpoints deeper down itself.
    if (node.depth <= maxDepth) {
      const held = await dir.container();
      if (held) {
        for (const f of held.sort(compareFound)) run.push(f);
        return;
      }
    }
    // A directory checkpoint's "dir" is its parent: one level above the node.
    if (checkSelf && node.depth - 1 <= maxDepth) {
      const self = await dir.self();
      if (self) {
        run.push(self);
        return;
      }
    }
    if (node.depth > maxDepth) return;
    const candidates = await dir.candidates();
    const files: DirectoryCandidate[] = [];
    const dirs: DirectoryCandidate[] = [];
    for (const c of candidates) (c.kind === 'file' ? files : dirs).push(c);
    // Subdirectories first: the step of a directory checkpoint is the layout's, known once it is claimed.
    const fromDirs: Found[] = [];
    const unclaimed: DirNode[] = [];
    await Promise.all(
      dirs.map(async (c) => {
        const found = await dir.judge(c);
        dir.forget(c);
        if (found) fromDirs.push(found);
        else unclaimed.push(c.node!);
      }),
    );
    const childWorkerTemp = insideWorkerTemp || isWorkerTempName(node.name);
    for (const d of unclaimed) pending.push({ node: d, insideWorkerTemp: childWorkerTemp, checkSelf: false });
    // A subdirectory claimed as a checkpoint is never visited: its entries are done with.
    const visitLater = new Set(unclaimed);
    for (const c of dirs) if (c.node && !visitLater.has(c.node)) release(c.node, true);
    fromDirs.sort(compareFound);
    files.sort(compareFileCandidates);
    // The judgments started and not yet handed out (at most `window`), by place in `files`.
    const judged = new Map<number, Promise<Found | undefined>>();
    let started = 0;
    let d = 0;
    for (let i = 0; i < files.length; i++) {
      // Past the first window, only the directory being handed out judges ahead, and only as far as it is read.
      if (started < files.length && started >= window) await run.turn;
      await run.room();
      while (started < files.length && started < i + window) {
        const c = files[started]!;
        const p = dir.judge(c);
        judged.set(started++, p);
        // Judged now, awaited in order: a rejection is seen when its turn comes.
        p.catch(() => undefined);
      }
      const found = await judged.get(i);
      judged.delete(i);
      dir.forget(files[i]!);
      if (!found) continue;
      while (d < fromDirs.length && compareFound(fromDirs[d]!, found) <= 0) run.push(fromDirs[d++]!);
      run.push(found);
    }
    while (d < fromDirs.length) run.push(fromDirs[d++]!);
  };

  const start = (visit: Visit) => {
    const run = new Run(visit, window);
    running.push(run);
    visitDir(run)
      .finally(() => release(visit.node, false))
      .then(
      () => run.close(),
      (error: unknown) => run.close(error ?? new Error('internal: a directory visit failed without an error')),
    );
  };

  pending.push({ node: root, insideWorkerTemp: false, checkSelf: true });
  for (;;) {
    while (running.length < parallel && pending.size > 0) start(pending.pop()!);
    let head: Run | undefined;
    for (const r of running) if (!head || compareKeys(r.visit.node.uri, head.visit.node.uri) < 0) head = r;
    const next = pending.peek();
    // A subdirectory found after the others started may sort before them: it goes first.
    if (next && (!head || compareKeys(next.node.uri, head.visit.node.uri) < 0)) {
      start(pending.pop()!);
      head = running[running.length - 1];
    }
    if (!head) return;
    yield* head.drain();
    running.splice(running.indexOf(head), 1);
  }
}
