/**
 * "Which checkpoint does this URI name, and which files belong to it": the one resolver behind
 * `cp`, `inspect`, `verify` and `stat`, built on the layout modules discovery runs, so that every
 * URI `latest` and `find` print is understood the way they meant it.
 *
 * - A TensorFlow prefix (`…/ckpt-5`, or its `.index`): the `.index`, every `.data-*` shard and the
 *   `.meta` (one listing of `PREFIX.`), or a V1 file named exactly like the prefix.
 * - A V1 sharded checkpoint named by its pattern (`…/export-?????-of-00001`, as `latest` prints it):
 *   every shard matching it, and the `.meta` (one listing).
 * - A file of a checkpoint given for the checkpoint (`x.data-00000-of-00001`, `x.meta`, a
 *   `.tempstate` leftover, one V1 shard `export-00000-of-00001`): resolved to the checkpoint, with a
 *   note saying so.
 * - A checkpoint directory (an HF `checkpoint-N`, a SavedModel, an Orbax step, a zoo model folder):
 *   every file below it (one recursive listing), as the layout that claims the directory says. A
 *   directory holding one checkpoint names it (with a note); one holding several is refused with
 *   what it holds and which is the latest.
 * - A single file (a Keras `.h5`, a Lightning `.ckpt`): that file.
 */
import { CkptError, isCkptError, type FileInfo, type GFile } from '@ckptkit/gfile';
import { bundlePrefixOf } from '../bundle/naming.js';
import { createDetectContext, detectTree } from '../discovery/detect.js';
import { type Lister, foundWithPrefix, withListing } from '../discovery/directory.js';
import { childUri, lastSegment, listChildren, listTree, loadSubtree, makeNode, normaliseDirUri, relativeTo } from '../discovery/tree.js';
import type { DetectContext, DirNode, FileEntry, Found } from '../discovery/types.js';
import { parentUriOf } from '../formats/dir-helpers.js';
import { CHECKPOINT_FORMATS } from '../formats/index.js';
import { TF_DATA, TF_TEMPSTATE, TF_V1_SHARD } from '../formats/tf-files.js';
import { checkTfPrefix, checkV1Pattern, resolveLatestCheckpoint } from '../latest/robust-latest.js';
import { hasTfGlobChar } from '../latest/tf-glob.js';
import { unsafeReason } from './safe-paths.js';

/** One file of a checkpoint. */
export interface CheckpointFile extends FileEntry {
  /** Path relative to {@link CheckpointFiles.root}, `/`-separated (checked safe). */
  rel: string;
}

/** A checkpoint and its files. */
export interface CheckpointFiles {
  /** `prefix` (TensorFlow bundle or V1 file), `pattern` (V1 sharded), `directory` or `file`. */
  kind: 'prefix' | 'pattern' | 'directory' | 'file';
  /** What discovery says about it (format, step, completeness, problems). */
  found: Found;
  /** The directory the relative paths start from: the prefix's or file's directory, the checkpoint directory's parent. */
  root: string;
  /** The checkpoint's own prefix relative to {@link root} (`ckpt-5`, `checkpoint-500`, `model/checkpoint/ckpt-0`). */
  prefixRel: string;
  /** Files to copy, temporaries of an unfinished write left out. */
  files: CheckpointFile[];
  /**
   * How a TensorFlow reader opens it: the V2 bundle prefix (for a SavedModel directory, its
   * `variables/variables`), or the V1 table files; undefined for the other layouts.
   */
  tensors: TensorFiles | undefined;
  /** What a user should be told: the URI named a part of the checkpoint and was taken for the whole. */
  notes: string[];
}

/** Where the tensors of a resolved checkpoint are. */
export type TensorFiles = { kind: 'bundle'; prefix: string } | { kind: 'v1'; files: FileEntry[] };

/** Options of {@link resolveCheckpoint}. */
export interface ResolveFilesOptions {
  gfile: GFile;
  /** Small content reads where names cannot decide completeness (default true). */
  contentChecks?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** The operation errors name (default `resolve`; `cp`, `inspect`, `verify`). */
  operation?: string | undefined;
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

/** A part of a TensorFlow checkpoint named instead of the checkpoint: which checkpoint, and what part. */
function memberOf(name: string): { checkpoint: string; what: string } | undefined {
  const temp = TF_TEMPSTATE.exec(name);
  if (temp) return memberOf(temp.groups!.name!) ?? { checkpoint: temp.groups!.name!, what: 'a temporary file of an unfinished save' };
  const data = TF_DATA.exec(name);
  if (data) return { checkpoint: data.groups!.prefix!, what: `data shard ${Number(data.groups!.shard) + 1} of ${Number(data.groups!.total)}` };
  if (name.endsWith('.meta') && name.length > '.meta'.length) return { checkpoint: name.slice(0, -'.meta'.length), what: 'the graph (.meta)' };
  const v1 = TF_V1_SHARD.exec(name);
  if (v1) {
    const digits = v1.groups!.shard!.length;
    return { checkpoint: `${v1.groups!.prefix}-${'?'.repeat(digits)}-of-${v1.groups!.total}`, what: `V1 shard ${Number(v1.groups!.shard) + 1} of ${Number(v1.groups!.total)}` };
  }
  return undefined;
}

/** The URI with its last segment replaced. */
function sibling(uri: string, name: string): string {
  return `${uri.slice(0, uri.length - lastSegment(uri).length)}${name}`;
}

/**
 * Resolves `uri` into one checkpoint and every file of it (see the module comment). Requests: one
 * listing of `PREFIX.` (a V2 bundle ends there); else one delimiter listing of the parent
 * (ceil(children/1000) pages) and, for a directory, one recursive listing of it. A V1 pattern
 * costs one listing, and one for its `.meta`. A layout whose rule reads what lies next to the
 * checkpoint (an Orbax step is judged by its sibling steps' commit files) gets one recursive
 * listing of the parent, or of the sibling it reads, as `find` and `latest` give it.
 *
 * @throws CkptError NOT_FOUND when nothing is there; INVALID_PATH when `uri` is a directory holding
 *   several checkpoints rather than one (the message says how many and which is the latest), or
 *   when a listed key would not be a plain path below the checkpoint (`..`, empty segments,
 *   backslashes: a hostile or broken listing).
 */
export async function resolveCheckpoint(uri: string, options: ResolveFilesOptions): Promise<CheckpointFiles> {
  const { gfile, signal } = options;
  const u = normaliseDirUri(uri);
  const ctx = createDetectContext(gfile, u, { contentChecks: options.contentChecks, signal });
  const name = lastSegment(bundlePrefixOf(u));
  if (name === '' || name === '.' || name === '..') return resolveDirectory(uri, u, ctx, options, []);

  // A V1 sharded checkpoint as `latest` and `find` print it: `export-?????-of-00001`. A name with
  // `[` or `*` that matches nothing is a name (`run[1]`), resolved as written below.
  const pattern = hasTfGlobChar(name) ? await checkV1Pattern(gfile, u, signal) : undefined;
  if (pattern && pattern.files.length > 0) {
    const found = pattern;
    const metaName = `${name.replace(/-[\d?]+-of-\d+$/, '')}.meta`;
    for await (const info of gfile.listPrefix(childUri(found.dir, metaName), { delimiter: true, signal })) {
      if (info.kind === 'file' && info.name === metaName) found.files.push({ name: info.name, uri: info.uri, size: info.size, mtime: info.mtime });
    }
    const shards = found.files.filter((f) => !f.name.endsWith('.meta'));
    return { kind: 'pattern', found, root: found.dir, prefixRel: name, files: filesOf(found, found.dir, uri), tensors: { kind: 'v1', files: shards }, notes: [] };
  }

  // A file of a TensorFlow checkpoint named for the checkpoint.
  const member = memberOf(name);
  if (member) {
    const target = sibling(u, member.checkpoint);
    let whole: CheckpointFiles | undefined;
    try {
      whole = await resolveCheckpoint(target, options);
    } catch (error) {
      if (!isCkptError(error, 'NOT_FOUND')) throw error;
    }
    if (whole && whole.files.some((f) => f.uri === u || lastSegment(f.uri) === name)) {
      whole.notes.unshift(`${uri} is ${member.what} of checkpoint ${whole.found.prefix}; using ${whole.found.prefix}`);
      return whole;
    }
  }

  // 1. A TensorFlow V2 bundle: one listing of `PREFIX.`.
  const prefix = bundlePrefixOf(u);
  const tf = await checkTfPrefix(gfile, prefix, ctx, signal);
  const isV2 = tf.files.some((f) => f.name.endsWith('.index') || TF_DATA.test(f.name) || TF_TEMPSTATE.test(f.name));
  // (`x.index` names its checkpoint as TensorFlow's own tools take it: no note.)
  if (isV2) return { kind: 'prefix', found: tf, root: tf.dir, prefixRel: name, files: filesOf(tf, tf.dir, uri), tensors: { kind: 'bundle', prefix }, notes: [] };
  // A file named like the prefix is judged as a single file below (a V1 file, a Keras `.h5`, ...).
  return resolveDirectory(uri, u, ctx, options, [], name);
}

/** Steps 2 and 3 of {@link resolveCheckpoint}: a checkpoint directory, else what discovery finds under this name. */
async function resolveDirectory(uri: string, u: string, ctx: DetectContext, options: ResolveFilesOptions, notes: string[], name?: string): Promise<CheckpointFiles> {
  const { gfile, signal } = options;
  const operation = options.operation ?? 'resolve';
  // Raw keys are checked as they arrive, since the tree quietly drops the empty segments a
  // hostile key may carry.
  const check = (root: string) => (info: FileInfo) => void relOf(root, info.uri, uri);
  // The parent is listed by name only (its subdirectories unlisted): a layout that reads one of
  // them, or requires the whole parent (evidence spread over sibling steps), has it listed and is
  // asked again, as discovery runs layouts. Keys below the named URI are checked as above.
  const checkBelow = (info: FileInfo) => void (relativeTo(u, info.uri) ? check(u)(info) : undefined);
  const lister: Lister = { load: (node) => loadSubtree(gfile, node, { signal, onEntry: checkBelow }).then(() => undefined) };
  // Several layouts judge a checkpoint by what sits next to it (DeepSpeed's `latest`, Megatron's
  // tracker file, NeMo's `-unfinished` marker, Orbax siblings, S3 `.part-` shards, a `_temp`
  // directory): the parent is listed (one delimiter listing, as `latest` lists it) and judged as
  // `find` judges it. A store root has no parent: it is listed on its own.
  const parentUri = name === undefined ? u : parentUriOf(makeNode(name, u, 0, undefined, false));
  let parent: DirNode | undefined;
  if (parentUri !== u) {
    try {
      parent = await listChildren(gfile, parentUri, { signal, onEntry: check(parentUri) });
    } catch (error) {
      if (!isCkptError(error, 'NOT_FOUND')) throw error;
    }
  }
  let tree: DirNode | undefined = name === undefined ? undefined : parent?.dirs.get(name);
  try {
    if (tree) await loadSubtree(gfile, tree, { signal, onEntry: check(tree.uri) });
    else if (!parent) tree = await listTree(gfile, u, { signal, onEntry: check(u) });
  } catch (error) {
    if (!isCkptError(error, 'NOT_FOUND')) throw error;
  }

  // 2. A checkpoint directory: the layout that claims it says which files are its own.
  if (tree && (tree.files.size > 0 || tree.dirs.size > 0)) {
    for (const format of CHECKPOINT_FORMATS) {
      const found = format.claimDir ? await withListing(lister, () => format.claimDir!(tree, ctx)) : undefined;
      if (!found) continue;
      const root = parentUriOf(tree);
      return { kind: 'directory', found, root, prefixRel: relOf(root, found.prefix, uri), files: filesOf(found, root, uri), tensors: tensorsOf(found, found.prefix), notes };
    }
    const inside = await detectTree(tree, { ...ctx, contentChecks: false }, { lister });
    // A directory holding exactly one checkpoint names it, as a user who typed it means.
    if (inside.length === 1 && inside[0]!.prefix !== u) {
      const one = await resolveCheckpoint(inside[0]!.prefix, options);
      one.notes.unshift(`${uri} is a directory holding one checkpoint, ${one.found.prefix}; using it`);
      return one;
    }
    throw new CkptError('INVALID_PATH', { operation, uri, message: await describeDirectory(gfile, u, inside, signal) });
  }

  // 3. A file checkpoint, or one whose files sit next to its name, as discovery finds it in the parent.
  const found = parent && name !== undefined ? await foundInParent(parent, name, ctx, lister) : undefined;
  if (!found) throw new CkptError('NOT_FOUND', { operation, uri, message: 'no checkpoint here (no prefix files, directory or file of this name)' });
  const root = parent!.uri;
  const isFile = found.files.some((f) => f.uri === found.prefix);
  return { kind: isFile ? 'file' : 'prefix', found, root, prefixRel: name!, files: filesOf(found, root, uri), tensors: tensorsOf(found, found.prefix), notes };
}

/**
 * A file checkpoint found by names alone, judged again with content checks on its own files only
 * (zip trailers, HDF5 superblocks, table footers), as `find` judges it.
 */
async function withContentChecks(parent: DirNode, found: Found, ctx: DetectContext, lister: Lister): Promise<Found> {
  if (!ctx.contentChecks || !found.claimed) return found;
  for (const format of CHECKPOINT_FORMATS) {
    if (!format.claimFiles || !format.ids.includes(found.format)) continue;
    const again = await withListing(lister, () => format.claimFiles!(parent, new Set(found.claimed), ctx));
    const same = foundWithPrefix(again, found.prefix);
    if (same) return same;
  }
  return found;
}

/**
 * The checkpoint named `name` in `parent` (a delimiter listing), as `find` would report it: the
 * layouts claim the parent's files by name (content checks then only for the match, as robust
 * `latest` does); a sibling directory standing for the name (a sharded save's `NAME_temp`) is
 * listed and claimed; a file no layout claims is still one file (format `file`).
 */
async function foundInParent(parent: DirNode, name: string, ctx: DetectContext, lister: Lister): Promise<Found | undefined> {
  const target = childUri(parent.uri, name);
  const nameOnly: DetectContext = { ...ctx, contentChecks: false };
  const unclaimed = new Set(parent.files.keys());
  for (const format of CHECKPOINT_FORMATS) {
    if (!format.claimFiles || unclaimed.size === 0) continue;
    for (const found of await withListing(lister, () => format.claimFiles!(parent, unclaimed, nameOnly))) {
      for (const n of found.claimed ?? []) unclaimed.delete(n);
      if (found.prefix === target) return withContentChecks(parent, found, ctx, lister);
    }
  }
  for (const dir of parent.dirs.values()) {
    if (dir.name === name || !dir.name.startsWith(name)) continue;
    if (!dir.loaded) await lister.load(dir);
    for (const format of CHECKPOINT_FORMATS) {
      const found = format.claimDir ? await withListing(lister, () => format.claimDir!(dir, ctx)) : undefined;
      if (!found) continue;
      if (found.prefix === target) return found;
      break;
    }
  }
  const file = parent.files.get(name);
  if (!file) return undefined;
  return { format: 'file', prefix: file.uri, dir: parent.uri, step: null, complete: file.size > 0, problems: file.size > 0 ? [] : ['empty file'], files: [file], temporary: false };
}

/** Where a resolved checkpoint's tensors are (see {@link TensorFiles}); undefined for layouts without TensorFlow tensors. */
function tensorsOf(found: Found, prefix: string): TensorFiles | undefined {
  const self = found.files.find((f) => f.uri === prefix);
  // TensorFlow V1 files may have any name: a file no layout claims is read as one by `inspect`.
  if (self && (found.format === 'tf1-saver-v1' || found.format === 'tf-slim' || found.format === 'file')) return { kind: 'v1', files: [self] };
  const prefixes = [...new Set(found.files.filter((f) => f.name.endsWith('.index')).map((f) => f.uri.slice(0, -'.index'.length)))];
  const variables = childUri(childUri(prefix, 'variables'), 'variables');
  if (prefixes.includes(variables)) return { kind: 'bundle', prefix: variables };
  if (prefixes.length === 1) return { kind: 'bundle', prefix: prefixes[0]! };
  // A TensorFlow checkpoint without its index: reading it says the index is missing.
  return TF_FORMATS.has(found.format) ? { kind: 'bundle', prefix } : undefined;
}

const TF_FORMATS = new Set(['tf1-saver', 'tf2-checkpoint', 'keras-tf-weights', 'savedmodel-variables']);

/**
 * What a directory that is not one checkpoint holds, for the error: how many checkpoints, and
 * which one `ckpt latest` would pick (one more resolution, on this error path only).
 */
async function describeDirectory(gfile: GFile, dir: string, inside: Found[], signal: AbortSignal | undefined): Promise<string> {
  if (inside.length === 0) return 'a directory that is not a checkpoint of any known layout and holds none';
  let latest: string | undefined;
  try {
    // Checkpoints all in one directory below it (a run's `tf_ckpts/`): that directory's latest.
    const dirs = [...new Set(inside.map((f) => f.dir))];
    latest = (await resolveLatestCheckpoint(dirs.length === 1 ? dirs[0]! : dir, { gfile, signal })).checkpoint?.prefix;
  } catch {
    latest = undefined;
  }
  const which = latest ? `; the latest is ${latest}` : '';
  return `a directory holding ${inside.length} checkpoint(s), not one checkpoint${which}: name one of them (\`ckpt find\` lists them, \`ckpt latest\` picks the newest)`;
}

/** @deprecated The former name of {@link resolveCheckpoint}. */
export const resolveCheckpointFiles = resolveCheckpoint;
