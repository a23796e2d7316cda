/**
 * "Every file of one checkpoint", for copies: a URI is resolved into one checkpoint by the same
 * layout modules discovery runs, with each file's path relative to where the checkpoint sits.
 *
 * - A TensorFlow prefix (`…/ckpt-5`, or its `.index`): the `.index`, every `.data-*` shard and the
 *   `.meta` (one listing of `PREFIX.`), or a V1 file named exactly like the prefix.
 * - A checkpoint directory (an HF `checkpoint-N`, a SavedModel, an Orbax step, a zoo model folder):
 *   every file below it (one recursive listing), as the layout that claims the directory says.
 * - A single file (a Keras `.h5`, a Lightning `.ckpt`): that file.
 */
import { CkptError, isCkptError, type FileInfo, type GFile } from '@ckptkit/gfile';
import { bundlePrefixOf } from '../bundle/naming.js';
import { createDetectContext, detectTree } from '../discovery/detect.js';
import { addEntry, lastSegment, listTree, makeNode, normaliseDirUri, relativeTo } from '../discovery/tree.js';
import type { DirNode, FileEntry, Found } from '../discovery/types.js';
import { parentUriOf } from '../formats/dir-helpers.js';
import { CHECKPOINT_FORMATS } from '../formats/index.js';
import { TF_DATA, TF_TEMPSTATE } from '../formats/tf-files.js';
import { checkTfPrefix } from '../latest/robust-latest.js';
import { unsafeReason } from './safe-paths.js';

/** One file of a checkpoint. */
export interface CheckpointFile extends FileEntry {
  /** Path relative to {@link CheckpointFiles.root}, `/`-separated (checked safe). */
  rel: string;
}

/** A checkpoint and its files. */
export interface CheckpointFiles {
  /** `prefix` (TensorFlow bundle or V1 file), `directory` or `file`. */
  kind: 'prefix' | 'directory' | 'file';
  /** What discovery says about it (format, step, completeness, problems). */
  found: Found;
  /** The directory the relative paths start from: the prefix's or file's directory, the checkpoint directory's parent. */
  root: string;
  /** The checkpoint's own prefix relative to {@link root} (`ckpt-5`, `checkpoint-500`, `model/checkpoint/ckpt-0`). */
  prefixRel: string;
  /** Files to copy, temporaries of an unfinished write left out. */
  files: CheckpointFile[];
}

/** Options of {@link resolveCheckpointFiles}. */
export interface ResolveFilesOptions {
  gfile: GFile;
  /** Small content reads where names cannot decide completeness (default true). */
  contentChecks?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** The path of `uri` below `root`, or throws INVALID_PATH when the listing gave something else. */
function relOf(root: string, uri: string, source: string): string {
  // A bare relative path (`run/ckpt-1`) has the parent `.`, but its files are spelled without `./`.
  const rel = root === '.' && !uri.startsWith('./') && !uri.startsWith('/') ? uri : relativeTo(root, uri);
  const reason = rel === undefined ? 'it is not below the checkpoint' : unsafeReason(rel);
  if (rel === undefined || reason !== undefined) {
    throw new CkptError('INVALID_PATH', { operation: 'cp', uri: source, message: `the listing holds ${JSON.stringify(uri)}, which cannot be copied safely: ${reason}; nothing was written` });
  }
  return rel;
}

/** Files of a found checkpoint, relative to `root`, without temporaries. */
function filesOf(found: Found, root: string, source: string): CheckpointFile[] {
  return found.files.filter((f) => !TF_TEMPSTATE.test(f.name)).map((f) => ({ ...f, rel: relOf(root, f.uri, source) }));
}

/**
 * Resolves `uri` into one checkpoint and every file of it (see the module comment). Requests: one
 * listing of `PREFIX.`; when that finds no bundle, one recursive listing of the directory, and
 * else one listing of the names starting with the file's name, stopping at the first hit.
 *
 * @throws CkptError NOT_FOUND when nothing is there; INVALID_PATH when `uri` is a directory holding
 *   several checkpoints rather than one, or when a listed key would not be a plain path below the
 *   checkpoint (`..`, empty segments, backslashes: a hostile or broken listing).
 */
export async function resolveCheckpointFiles(uri: string, options: ResolveFilesOptions): Promise<CheckpointFiles> {
  const { gfile, signal } = options;
  const u = normaliseDirUri(uri);
  const ctx = createDetectContext(gfile, u, { contentChecks: options.contentChecks, signal });
  const prefix = bundlePrefixOf(u);
  const name = lastSegment(prefix);
  if (name === '' || name === '.' || name === '..') {
    throw new CkptError('INVALID_PATH', { operation: 'cp', uri, message: 'name one checkpoint: a prefix, a checkpoint directory or a checkpoint file' });
  }

  // 1. A TensorFlow V2 bundle: one listing of `PREFIX.`.
  const tf = await checkTfPrefix(gfile, prefix, ctx, signal);
  const isV2 = tf.files.some((f) => f.name.endsWith('.index') || TF_DATA.test(f.name) || TF_TEMPSTATE.test(f.name));
  if (isV2) return { kind: 'prefix', found: tf, root: tf.dir, prefixRel: name, files: filesOf(tf, tf.dir, uri) };

  // 2. A checkpoint directory: one recursive listing. Raw keys are checked as they arrive, since
  //    the tree quietly drops the empty segments a hostile key may carry.
  if (tf.format !== 'tf1-saver-v1') {
    let tree: DirNode | undefined;
    try {
      tree = await listTree(gfile, u, { signal, onEntry: (info: FileInfo) => void relOf(u, info.uri, uri) });
    } catch (error) {
      if (!isCkptError(error, 'NOT_FOUND')) throw error;
    }
    if (tree && (tree.files.size > 0 || tree.dirs.size > 0)) {
      for (const format of CHECKPOINT_FORMATS) {
        const found = format.claimDir ? await format.claimDir(tree, ctx) : undefined;
        if (!found) continue;
        const root = parentUriOf(tree);
        return { kind: 'directory', found, root, prefixRel: relOf(root, found.prefix, uri), files: filesOf(found, root, uri) };
      }
      const inside = (await detectTree(tree, { ...ctx, contentChecks: false })).length;
      throw new CkptError('INVALID_PATH', {
        operation: 'cp',
        uri,
        message:
          inside > 0
            ? `a directory holding ${inside} checkpoint(s), not one checkpoint: name one prefix or checkpoint directory (\`ckpt find\` lists them, \`ckpt latest\` picks the newest)`
            : 'a directory that is not a checkpoint of any known layout',
      });
    }
  }

  // 3. A single file, judged with its siblings that share its name (a V1 file's `.meta`).
  const dir = parentUriOf(makeNode(name, u, 0, undefined, false));
  const node = makeNode(lastSegment(dir), dir, 0, undefined, false);
  for await (const info of gfile.listPrefix(u, { delimiter: true, signal })) {
    if (info.kind === 'file') addEntry(node, relOf(dir, info.uri, uri), info);
  }
  const file = node.files.get(name);
  if (!file) throw new CkptError('NOT_FOUND', { operation: 'cp', uri, message: 'no checkpoint here (no prefix files, directory or file of this name)' });
  let found: Found | undefined;
  const unclaimed = new Set(node.files.keys());
  for (const format of CHECKPOINT_FORMATS) {
    if (!format.claimFiles) continue;
    found = (await format.claimFiles(node, unclaimed, ctx)).find((f) => f.prefix === file.uri);
    if (found) break;
  }
  // A file no layout knows is still one file to copy; nothing is claimed about it.
  found ??= { format: 'file', prefix: file.uri, dir, step: null, complete: file.size > 0, problems: file.size > 0 ? [] : ['empty file'], files: [file], temporary: false };
  return { kind: 'file', found, root: dir, prefixRel: name, files: filesOf(found, dir, uri) };
}
