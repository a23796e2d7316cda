/**
 * Runs the layout modules over a directory tree. For each directory, top down: every format is
 * asked whether the directory itself is one of its checkpoints (the first that says yes owns the
 * directory and everything below it); otherwise every format, in order, claims checkpoints among
 * the directory's still-unclaimed files, and the subdirectories are visited.
 */
import { type GFile, isCkptError, schemeOf } from '@ckptkit/gfile';
import { CHECKPOINT_FORMATS } from '../formats/index.js';
import { holdsFiles, siblingAliasOf } from './tree.js';
import type { CheckpointFormat, CheckpointInfo, DetectContext, DirNode, FileEntry, Found } from './types.js';

// Non-chief workers' scratch directories (OD API `temp_worker_NNN`, tf-keras `workertemp_N`): what
// is inside is deleted at the end of training, never a checkpoint to resume from.
const WORKER_TEMP = /^(?:temp_worker_\d+|workertemp_\d+)$/;

/** Options of {@link createDetectContext}. */
export interface DetectContextOptions {
  /** Content checks: small ranged reads and metadata files (default true). */
  contentChecks?: boolean | undefined;
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
}

/** Every checkpoint in the tree under `root`. */
export async function detectTree(root: DirNode, ctx: DetectContext, options: DetectOptions = {}): Promise<Found[]> {
  const formats = options.formats ?? CHECKPOINT_FORMATS;
  const maxDepth = options.maxDepth ?? Infinity;
  const visit = async (node: DirNode, workerTemp: boolean): Promise<Found[]> => {
    // Nothing to find where no file is (a directory placeholder, an empty directory), nor in a
    // symlink standing for a sibling (NeMo Automodel's LATEST): its files are the sibling's.
    if (!holdsFiles(node) || siblingAliasOf(node) !== undefined || formats.some((f) => f.isAlias?.(node))) return [];
    if (node.depth <= maxDepth) {
      for (const format of formats) {
        if (!format.claimContainer) continue;
        const found = await format.claimContainer(node, ctx);
        if (found) return found.map((f) => mark(f, workerTemp, options));
      }
    }
    // A directory checkpoint's "dir" is its parent: one level above the node.
    if (node.depth - 1 <= maxDepth) {
      for (const format of formats) {
        if (!format.claimDir) continue;
        const found = await format.claimDir(node, ctx);
        if (found) return [mark(found, workerTemp, options)];
      }
    }
    const results: Found[] = [];
    if (node.depth <= maxDepth) {
      const unclaimed = new Set(node.files.keys());
      for (const format of formats) {
        if (!format.claimFiles || unclaimed.size === 0) continue;
        for (const found of await format.claimFiles(node, unclaimed, ctx)) {
          for (const name of found.claimed ?? []) unclaimed.delete(name);
          results.push(mark(found, workerTemp, options));
        }
      }
    }
    if (node.depth <= maxDepth) {
      const children = await Promise.all([...node.dirs.values()].map((d) => visit(d, workerTemp || WORKER_TEMP.test(d.name))));
      for (const c of children) results.push(...c);
    }
    return results;
  };
  return visit(root, WORKER_TEMP.test(root.name));
}

function mark(found: Found, workerTemp: boolean, options: DetectOptions): Found {
  if (workerTemp && !found.temporary) {
    found.temporary = true;
    found.complete = false;
    found.problems.push("inside a non-chief worker's temporary directory (deleted when training ends)");
  }
  options.onFound?.(found);
  return found;
}

/** The public shape of a recognised checkpoint. */
export function toCheckpointInfo(found: Found): CheckpointInfo {
  let mtime: Date | undefined;
  for (const f of found.files) if (f.mtime && (!mtime || f.mtime > mtime)) mtime = f.mtime;
  const extra: Record<string, unknown> = { ...(found.extra ?? {}) };
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
