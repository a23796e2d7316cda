/**
 * In which order a checkpoint's files are deleted so that a prune killed half-way never leaves a
 * checkpoint that looks complete with files missing: first the file whose absence makes the
 * checkpoint incomplete by its own layout's rule (the `.index` of a TensorFlow bundle,
 * `trainer_state.json` of a Hugging Face checkpoint, `.metadata` of a distributed checkpoint,
 * Orbax's `commit_success.txt`, T5X's `checkpoint`, ...), then the rest.
 *
 * The file is not taken from a table that could drift from the layouts: the layout module itself
 * is asked, with names only, whether the checkpoint is still complete without a candidate file.
 * Likely commit files are asked first, so one question usually settles it.
 */
import { foundWithPrefix } from '../discovery/directory.js';
import type { CheckpointFormat, DetectContext, DirNode, FileEntry, Found } from '../discovery/types.js';

// Files layouts write last (their commit markers), asked first.
const LIKELY_COMMIT = [
  /\.index$/,
  /^trainer_state\.json$/,
  /^\.metadata$/,
  /^metadata\.json$/,
  /^commit_success\.txt$/,
  /^_CHECKPOINT_METADATA$/,
  /^checkpoint$/,
  /^saved_model\.pbtxt?$/,
  /^_METADATA$/,
  /^latest$/,
  /\.index\.json$/,
];
// Asking beyond this many files is not worth it: the rest follow in the likely order.
const MAX_QUESTIONS = 24;

function likelyRank(name: string): number {
  const i = LIKELY_COMMIT.findIndex((re) => re.test(name));
  return i < 0 ? LIKELY_COMMIT.length : i;
}

/** A names-only context: no reads (a removal is judged by names, as a half-deleted checkpoint would be listed). */
export function namesOnlyContext(scheme: string, stateFileName: string | undefined): DetectContext {
  return {
    scheme,
    contentChecks: false,
    metadata: false,
    stateFileName,
    states: new Map(),
    readText: () => Promise.resolve(undefined),
    readBytes: () => Promise.resolve(undefined),
    exists: () => Promise.resolve(false),
  };
}

// A copy of a directory subtree without one file (the original is left alone).
function without(node: DirNode, file: FileEntry): DirNode {
  const copy: DirNode = { ...node, files: new Map(node.files), dirs: new Map() };
  copy.files.delete(file.name);
  for (const [name, child] of node.dirs) {
    const c = file.uri.startsWith(`${child.uri}/`) ? without(child, file) : child;
    copy.dirs.set(name, { ...c, parent: copy });
  }
  return copy;
}

async function stillComplete(found: Found, format: CheckpointFormat, scan: DirNode, dirNode: DirNode | undefined, file: FileEntry | undefined, ctx: DetectContext): Promise<boolean> {
  if (dirNode && format.claimDir) {
    const again = await format.claimDir(file ? without(dirNode, file) : dirNode, ctx);
    return again !== undefined && again.complete && !again.temporary;
  }
  if (format.claimFiles && found.claimed) {
    const rest = new Set(found.claimed.filter((n) => n !== file?.name));
    const again = foundWithPrefix(await format.claimFiles(scan, rest, ctx), found.prefix);
    return again !== undefined && again.complete && !again.temporary;
  }
  return true;
}

// Markers some layouts read as "not finished" (NeMo Automodel's `.incomplete`): where no single
// file commits a checkpoint, writing one of these first uncommits it.
const UNCOMMIT_MARKERS = ['.incomplete'];

// A copy of a directory subtree with one more (empty) file at its top.
function withMarker(node: DirNode, name: string): DirNode {
  const copy: DirNode = { ...node, files: new Map(node.files) };
  copy.files.set(name, { name, uri: `${node.uri}/${name}`, size: 0 });
  return copy;
}

/** How to delete one checkpoint: `marker` (written first, deleted last), then `commit`, then `rest`. */
export interface DeletionOrder {
  commit: FileEntry[];
  rest: FileEntry[];
  /** The URI of an empty marker file to write before any delete (layouts committed by a marker's absence). */
  marker?: string | undefined;
}

/**
 * The files of `found` in the order to delete them: the file that commits it first (when one is
 * found), then the others, likely commit files before data. `scan` is the directory it was found
 * in; `dirNode` its own directory for a directory checkpoint. Where no single file commits it
 * but the layout reads a marker as "unfinished" (NeMo Automodel's `.incomplete`), that marker is
 * to be written first. For a checkpoint that is incomplete already, or a layout with neither, the
 * likely order alone.
 */
export async function deletionOrder(found: Found, format: CheckpointFormat | undefined, scan: DirNode, dirNode: DirNode | undefined, files: readonly FileEntry[], ctx: DetectContext): Promise<DeletionOrder> {
  const ordered = [...files].sort((a, b) => likelyRank(a.name) - likelyRank(b.name) || a.size - b.size || (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  if (!format || !found.complete || found.temporary || ordered.length <= 1) return { commit: ordered.slice(0, 1), rest: ordered.slice(1) };
  // Complete by names alone? Otherwise (a rule that needs reads) removing anything "breaks" it: no answer.
  if (!(await stillComplete(found, format, scan, dirNode, undefined, ctx))) return { commit: ordered.slice(0, 1), rest: ordered.slice(1) };
  for (const file of ordered.slice(0, MAX_QUESTIONS)) {
    if (!(await stillComplete(found, format, scan, dirNode, file, ctx))) {
      return { commit: [file], rest: ordered.filter((f) => f !== file) };
    }
  }
  if (dirNode && format.claimDir) {
    for (const name of UNCOMMIT_MARKERS) {
      if (dirNode.files.has(name)) continue;
      const marked = await format.claimDir(withMarker(dirNode, name), ctx);
      if (!marked || !marked.complete) return { commit: [], rest: ordered, marker: `${dirNode.uri}/${name}` };
    }
  }
  return { commit: ordered.slice(0, 1), rest: ordered.slice(1) };
}
