/**
 * A recursive listing as a stream in path order, holding only what the order requires.
 *
 * A store lists keys in key order, where a directory is its key with a `/`: `a-b`, `a.txt`, `a/`,
 * `a/x`, `a0`. Paths sort without that `/` (`a`, `a-b`, `a.txt`, `a/x`, `a0`: the order of
 * `ls -R`, `glob` and `sort`), so a directory comes earlier in path order than in the listing,
 * before the siblings whose names start with its name followed by a character below `/`. And a
 * directory's metadata is only final once the listing has passed its Hadoop placeholder
 * (`a_$folder$`, after everything under `a/`). So an entry is handed out as soon as nothing the
 * listing can still show would sort before it, or change it: nothing more is held than the run of
 * names a not yet settled directory name is a prefix of.
 *
 * That run can be long (a directory `run/ckpt` would sort before every `run/ckpt-N.index`, and it
 * is only known not to exist once the listing has passed `run/ckpt/`). When more than `maxHeld`
 * entries wait, the first open question is asked of the store instead (one or two requests: is
 * there a `D/` directory, a `D_$folder$` placeholder), so memory stays bounded at any size; such
 * questions are asked only of listings that big, never of small ones.
 */
import type { ObjectMeta } from './adapter.js';
import { compareKeys, parentPrefix, stripSlash } from './keys.js';
import { HADOOP_FOLDER_SUFFIX, presentEntry } from './placeholders.js';

/** Entries held at most before the first open question is asked of the store. */
export const DEFAULT_MAX_HELD = 50_000;

/** Options of {@link pathOrderedPages}. */
export interface PathOrderOptions {
  /** The directory prefix listed (`''` or ending in `/`): entries are strictly below it. */
  root: string;
  /**
   * The entry for directory `dir` (its key, ending in `/`) exactly as the whole listing would give
   * it: its Hadoop placeholder's metadata if there is one (`placeholder: true`), else its own (a
   * marker object, a local directory), else a bare directory entry when keys lie below it;
   * undefined when the store holds no such directory. Called only when more than `maxHeld` entries
   * wait. `known`: the listing has shown the directory already, only a placeholder can change it.
   */
  probe(dir: string, known: boolean): Promise<{ meta: ObjectMeta; placeholder: boolean } | undefined>;
  /** Entries held at most (default {@link DEFAULT_MAX_HELD}). */
  maxHeld?: number | undefined;
}

interface Held {
  /** The path: the key without a directory's `/`. */
  path: string;
  meta: ObjectMeta;
}

interface DirState {
  held: Held | undefined;
  /** Its metadata is final (asked of the store): later sightings change nothing. */
  settled: boolean;
  /** Settled as absent: the store holds no such directory. */
  absent: boolean;
  /** Already handed out. */
  given: boolean;
}

const FOLDER = HADOOP_FOLDER_SUFFIX;

/** Path order: by path, a directory before a file of the same path (an object store can hold both). */
function before(a: Held, b: Held): number {
  return compareKeys(a.path, b.path) || (a.meta.kind === b.meta.kind ? 0 : a.meta.kind === 'directory' ? -1 : 1);
}

/**
 * Every entry of a recursive listing below `options.root` (raw, in key order, as the listing
 * planner gives it, a page at a time) in path order: each directory once (every directory a key
 * lies in, whether or not the store has an object for it) with the metadata its last marker or
 * placeholder gave, placeholders shown as the directories they stand for, the root itself left
 * out. The same entries, in the same order, as collecting the whole listing and sorting it by
 * path; held back only as long as the order requires (see the module comment). Hands out, after
 * each page taken, what that page released (never an empty batch); pages, not entries, so that a
 * listing of a million keys costs a step of this generator per page.
 */
export async function* pathOrderedPages(listing: AsyncIterable<readonly ObjectMeta[]>, options: PathOrderOptions): AsyncGenerator<ObjectMeta[]> {
  const order = new PathOrder(options);
  for await (const page of listing) {
    const out: ObjectMeta[] = [];
    for (const raw of page) {
      // Awaited only when the store is asked: an await per entry would cost a step per entry.
      const asking = order.add(raw, out);
      if (asking) await asking;
    }
    if (out.length > 0) yield out;
  }
  const out: ObjectMeta[] = [];
  order.end(out);
  if (out.length > 0) yield out;
}

/** The state of a listing being put in path order (see {@link pathOrderedPages}). */
class PathOrder {
  private readonly root: string;
  private readonly maxHeld: number;
  // Held entries in path order from `head` on (an array with a moving start: emptied as it goes).
  private held: Held[] = [];
  private head = 0;
  private readonly dirs = new Map<string, DirState>();
  // Directories settled by a question while the listing had not passed them: forgotten once it has.
  private readonly settledEarly = new Set<string>();
  private position = '';
  private count = 0;

  constructor(private readonly options: PathOrderOptions) {
    this.root = options.root;
    this.maxHeld = Math.max(1, options.maxHeld ?? DEFAULT_MAX_HELD);
  }

  private insert(h: Held): void {
    const held = this.held;
    // Files come in path order; a directory may belong further back (binary search, bounded run).
    let lo = this.head;
    let hi = held.length;
    if (hi === lo || before(held[hi - 1]!, h) <= 0) {
      held.push(h);
      return;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(held[mid]!, h) <= 0) lo = mid + 1;
      else hi = mid;
    }
    held.splice(lo, 0, h);
  }

  /** Records directory `path` (no `/`): with `meta`, its own entry (the last one wins unless settled). */
  private sawDir(path: string, meta: ObjectMeta | undefined): boolean {
    const known = this.dirs.get(path);
    if (known) {
      if (meta && !known.settled && known.held) known.held.meta = meta;
      return true;
    }
    const h: Held = { path, meta: meta ?? { key: `${path}/`, kind: 'directory', size: 0 } };
    this.dirs.set(path, { held: h, settled: false, absent: false, given: false });
    this.insert(h);
    return false;
  }

  /** Registers every directory `key` lies in below the root (stops at the first one known). */
  private ancestors(key: string): void {
    const root = this.root;
    let dir = parentPrefix(key);
    while (dir.length > root.length && dir.startsWith(root)) {
      if (this.sawDir(stripSlash(dir), undefined)) return;
      dir = parentPrefix(dir);
    }
  }

  /**
   * The first path a later key could still add before, or change: the shortest unsettled prefix
   * `D` of the listing's position such that `D/` or `D_$folder$` sorts after it. Undefined: none.
   */
  private openAt(): string | undefined {
    const k = this.position;
    for (let i = this.root.length + 1; i <= k.length; i++) {
      if (k.charCodeAt(i - 1) === 47) continue; // `D` never ends with `/`
      if (i < k.length) {
        const c = k.charCodeAt(i);
        // After `D` comes c: `D_$folder$` (and `D/`, as `/` < `_`) sorts after the position when the rest sorts below `_$folder$`.
        if (c > 0x5f) continue;
        if (c === 0x5f && compareKeys(k.slice(i), FOLDER) >= 0) continue;
      }
      const d = k.slice(0, i);
      if (this.dirs.get(d)?.settled) continue;
      return d;
    }
    return undefined;
  }

  /** Hands out to `out`, in order, what nothing to come can precede or change. */
  private release(all: boolean, out: ObjectMeta[]): void {
    const open = all ? undefined : this.openAt();
    const held = this.held;
    while (this.head < held.length) {
      const h = held[this.head]!;
      if (open !== undefined && compareKeys(h.path, open) >= 0) break;
      held[this.head++] = undefined as unknown as Held;
      if (h.meta.kind === 'directory') {
        const state = this.dirs.get(h.path);
        if (state) {
          state.given = true;
          state.held = undefined;
          // Never seen again once the listing is past its placeholder's place; else kept until then.
          if (state.settled) this.settledEarly.add(h.path);
          else this.dirs.delete(h.path);
        }
      }
      out.push(h.meta);
    }
    if (this.head > 1024 && this.head * 2 > held.length) {
      this.held = held.slice(this.head);
      this.head = 0;
    }
  }

  /** Settles the first open question by asking the store. */
  private async settle(d: string): Promise<void> {
    const known = this.dirs.get(d);
    const found = await this.options.probe(`${d}/`, known !== undefined);
    const meta = found?.meta;
    if (known) {
      known.settled = true;
      // Its own entry was seen already (it comes before everything below it): only a placeholder
      // changes it. Keys were seen below it, so the store holds it: a probe saying otherwise raced a delete.
      if (found?.placeholder && known.held) known.held.meta = found.meta;
    } else if (meta) {
      const h: Held = { path: d, meta };
      this.dirs.set(d, { held: h, settled: true, absent: false, given: false });
      this.insert(h);
    } else {
      this.dirs.set(d, { held: undefined, settled: true, absent: true, given: false });
      this.settledEarly.add(d);
    }
  }

  private forgetPassed(): void {
    for (const d of this.settledEarly) {
      if (compareKeys(this.position, d + FOLDER) > 0) {
        this.settledEarly.delete(d);
        const state = this.dirs.get(d);
        if (state && (state.absent || state.given)) this.dirs.delete(d);
      }
    }
  }

  /**
   * Takes the listing's next entry; appends to `out` what it releases. Asks the store (awaited)
   * only when more than `maxHeld` entries wait; otherwise resolves at once.
   */
  add(raw: ObjectMeta, out: ObjectMeta[]): Promise<void> | undefined {
    this.position = raw.key;
    const root = this.root;
    const meta = presentEntry(raw);
    if (meta && meta.key !== root && meta.key.startsWith(root)) {
      if (meta.kind === 'directory') {
        const path = stripSlash(meta.key);
        const state = this.dirs.get(path);
        // A directory settled absent that shows up after all (the store changed): left out, as asked.
        if (!state?.absent) {
          this.sawDir(path, meta);
          this.ancestors(meta.key);
        }
      } else {
        this.ancestors(meta.key);
        this.insert({ path: meta.key, meta });
      }
    }
    if (this.settledEarly.size > 0 && ++this.count % 1024 === 0) this.forgetPassed();
    this.release(false, out);
    return this.held.length - this.head > this.maxHeld ? this.settleOver(out) : undefined;
  }

  private async settleOver(out: ObjectMeta[]): Promise<void> {
    while (this.held.length - this.head > this.maxHeld) {
      const open = this.openAt();
      if (open === undefined) break;
      await this.settle(open);
      this.release(false, out);
    }
  }

  /** The listing has ended: appends to `out` everything still held. */
  end(out: ObjectMeta[]): void {
    this.release(true, out);
  }
}
