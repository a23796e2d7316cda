/**
 * Runs the layout modules over a directory tree, directory by directory, through the one
 * per-directory code path (`directory.ts`) robust `latest` uses too.
 */
import { type GFile, isCkptError, schemeOf } from '@ckptkit/gfile';
import { DirectoryCheckpoints, type Lister, isWorkerTempName, withListing } from './directory.js';
import { holdsFiles } from './tree.js';
import type { CheckpointFormat, CheckpointInfo, DetectContext, DirNode, FileEntry, Found } from './types.js';

/** Options of {@link createDetectContext}. */
export interface DetectContextOptions {
  /** Content checks: small ranged reads and metadata files (default true). */
  contentChecks?: boolean | undefined;
  /** The TensorFlow state file's name (default `checkpoint`); null: layouts read no state file (`watch` lists only). */
  stateFileName?: string | null | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * What a failed content read means. The file vanished since it was listed (NOT_FOUND; on a local
 * disk also "is a directory"): the check is moot, `undefined`. Anything else (the store unavailable
 * after retries, a timeout, a denied permission) is not a fact about the checkpoint: it is thrown.
 * Folding it into `undefined` made a network blip on `trainer_state.json` read as "does not parse",
 * and robust latest then passed over the newest checkpoint and answered with an older one.
 */
function goneOrThrow(error: unknown): undefined {
  if (isCkptError(error, 'NOT_FOUND', 'INVALID_PATH')) return undefined;
  throw error;
}

/**
 * The context formats read through: each metadata file is read at most once, and each distinct
 * byte range at most once, however many formats ask. Storage failures are thrown, never taken for
 * a missing or malformed file (see {@link goneOrThrow}).
 */
export function createDetectContext(gfile: Pick<GFile, 'readFile' | 'exists'>, rootUri: string, options: DetectContextOptions = {}): DetectContext {
  const texts = new Map<string, Promise<string | undefined>>();
  const existence = new Map<string, Promise<boolean>>();
  const ranges = new Map<string, Promise<Uint8Array | undefined>>();
  const signal = options.signal;
  return {
    scheme: schemeOf(rootUri),
    contentChecks: options.contentChecks ?? true,
    metadata: options.contentChecks ?? true,
    stateFileName: options.stateFileName === null ? undefined : (options.stateFileName ?? 'checkpoint'),
    states: new Map(),
    readText(file: FileEntry) {
      let p = texts.get(file.uri);
      if (!p) {
        // Metadata files are small; a large one is not what the formats expect to parse.
        p = file.size > 4 * 1024 * 1024
          ? Promise.resolve(undefined)
          : gfile.readFile(file.uri, { signal }).then((b) => new TextDecoder('utf-8', { fatal: false }).decode(b), goneOrThrow);
        texts.set(file.uri, p);
      }
      return p;
    },
    exists(uri: string) {
      let p = existence.get(uri);
      if (!p) {
        // exists() is false for NOT_FOUND already; anything it throws is a storage failure.
        p = gfile.exists(uri, { signal });
        existence.set(uri, p);
      }
      return p;
    },
    readBytes(file: FileEntry, offset: number, length: number) {
      const start = offset < 0 ? Math.max(0, file.size + offset) : offset;
      const len = Math.max(0, Math.min(length, file.size - start));
      const key = `${file.uri}\0${start}\0${len}`;
      let p = ranges.get(key);
      if (!p) {
        p = gfile.readFile(file.uri, { offset: start, length: len, signal }).catch(goneOrThrow);
        ranges.set(key, p);
      }
      return p;
    },
  };
}

/** Options of {@link detectTree}. */
export interface DetectOptions {
  /** Report checkpoints whose directory is at most this many levels below the root. */
  maxDepth?: number | undefined;
  /** The layouts to run (default: all). */
  formats?: readonly CheckpointFormat[] | undefined;
  /** Called with each checkpoint as it is recognised. */
  onFound?: ((found: Found) => void) | undefined;
  /** Lists directories a layout reads that `root` does not hold yet (default: none are missing). */
  lister?: Lister | undefined;
}

const NO_LISTING: Lister = {
  load(node) {
    return Promise.reject(new Error(`internal: ${node.uri} is not listed in a tree that should be complete`));
  },
};

/**
 * Every checkpoint in the tree under `root`: each directory judged by {@link DirectoryCheckpoints},
 * the code path robust `latest` uses for one directory. A directory that is itself a checkpoint
 * owns its subtree; subdirectories no layout claims are searched in turn.
 */
export async function detectTree(root: DirNode, ctx: DetectContext, options: DetectOptions = {}): Promise<Found[]> {
  const maxDepth = options.maxDepth ?? Infinity;
  const lister = options.lister ?? NO_LISTING;
  const report = (found: Found) => {
    options.onFound?.(found);
    return found;
  };
  const visit = async (node: DirNode, insideWorkerTemp: boolean, checkSelf: boolean): Promise<Found[]> => {
    const dir = new DirectoryCheckpoints(node, ctx, lister, { formats: options.formats, insideWorkerTemp });
    // Nothing to find where no file is (a directory placeholder, an empty directory).
    if (!(await withListing(lister, () => holdsFiles(node), () => node))) return [];
    // A layout's container (a Hugging Face hub repo) reports the checkpoints deeper down itself.
    if (node.depth <= maxDepth) {
      const held = await dir.container();
      if (held) return held.map(report);
    }
    // A directory checkpoint's "dir" is its parent: one level above the node.
    if (checkSelf && node.depth - 1 <= maxDepth) {
      const self = await dir.self();
      if (self) return [report(self)];
    }
    if (node.depth > maxDepth) return [];
    const results: Found[] = [];
    const unclaimedDirs: DirNode[] = [];
    const candidates = await dir.candidates();
    await Promise.all(
      candidates.map(async (c) => {
        const found = await dir.judge(c);
        if (found) results.push(report(found));
        else if (c.node) unclaimedDirs.push(c.node);
      }),
    );
    const inner = await Promise.all(unclaimedDirs.map((d) => visit(d, insideWorkerTemp || isWorkerTempName(node.name), false)));
    for (const r of inner) for (const f of r) results.push(f);
    return results;
  };
  return visit(root, false, true);
}

/** The public shape of a recognised checkpoint. */
export function toCheckpointInfo(found: Found): CheckpointInfo {
  let mtime: Date | undefined;
  for (const f of found.files) if (f.mtime && (!mtime || f.mtime > mtime)) mtime = f.mtime;
  const extra: Record<string, unknown> = { ...(found.extra ?? {}) };
  if (found.pointedBy !== undefined) extra.pointedBy = found.pointedBy;
  if (found.tiebreak !== undefined && found.tiebreak !== 0) extra.tiebreak = found.tiebreak;
  return {
    prefix: found.prefix,
    dir: found.dir,
    format: found.format,
    step: found.step,
    complete: found.complete,
    files: found.files.map((f) => f.uri),
    bytes: found.files.reduce((n, f) => n + f.size, 0),
    problems: [...found.problems],
    temporary: found.temporary,
    mtime,
    extra,
  };
}
