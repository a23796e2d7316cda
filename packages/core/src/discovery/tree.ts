/**
 * Directory trees built from listings: one recursive listing for a whole tree (never a request per
 * file or per directory), or one delimiter listing for the children of a directory whose
 * subdirectories are loaded later, only when they are needed.
 */
import type { CkptError, FileInfo, GFile } from '@ckptkit/gfile';
import { CompactFileMap } from './file-map.js';
import type { DirNode, FileEntry } from './types.js';

/** `uri` without trailing slashes (except a bare `/`), the spelling every node URI starts from. */
export function normaliseDirUri(uri: string): string {
  if (/^\/+$/.test(uri)) return '/';
  return uri.replace(/\/+$/, '');
}

/** The URI of `name` inside the directory `dirUri`. */
export function childUri(dirUri: string, name: string): string {
  return dirUri.endsWith('/') ? `${dirUri}${name}` : `${dirUri}/${name}`;
}

/** The last segment of a URI or path (`''` for a bucket root). */
export function lastSegment(uri: string): string {
  const u = normaliseDirUri(uri);
  const rest = u.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/, '');
  return rest.slice(rest.lastIndexOf('/') + 1);
}

/** A new, empty directory node. */
export function makeNode(name: string, uri: string, depth: number, parent: DirNode | undefined, loaded: boolean): DirNode {
  return { name, uri, depth, files: new CompactFileMap(uri), dirs: new Map(), parent, loaded };
}

/**
 * Thrown when a layout reads the contents of a directory that has not been listed yet (a
 * subdirectory seen only as a name in a delimiter listing). The code that runs the layouts catches
 * it, lists that directory, and asks again: so a lazily listed tree gives every layout exactly the
 * evidence a fully listed one would, and is listed only as deep as some layout looks.
 */
export class NotListedError extends Error {
  constructor(readonly node: DirNode) {
    super(`internal: the contents of ${node.uri} were read before it was listed`);
    this.name = 'NotListedError';
  }
}

// The maps of a directory known only by name: reading them throws NotListedError (writing is
// what listing it does, after it has swapped in real maps).
class UnlistedMap<K, V> extends Map<K, V> {
  constructor(private readonly owner: DirNode) {
    super();
  }
  private fail(): never {
    throw new NotListedError(this.owner);
  }
  override get(_key: K): V | undefined {
    return this.fail();
  }
  override has(_key: K): boolean {
    return this.fail();
  }
  override get size(): number {
    return this.fail();
  }
  override keys(): MapIterator<K> {
    return this.fail();
  }
  override values(): MapIterator<V> {
    return this.fail();
  }
  override entries(): MapIterator<[K, V]> {
    return this.fail();
  }
  override forEach(): void {
    this.fail();
  }
  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.fail();
  }
}

/** A subdirectory seen only by name: its contents throw {@link NotListedError} until it is listed. */
export function makeUnlistedNode(name: string, uri: string, depth: number, parent: DirNode): DirNode {
  const node = makeNode(name, uri, depth, parent, false);
  node.files = new UnlistedMap(node);
  node.dirs = new UnlistedMap(node);
  return node;
}

/** True when `node` was only seen by name (its contents are not listed). */
export function isUnlisted(node: DirNode): boolean {
  return node.files instanceof UnlistedMap;
}

/** True when no directory in `node`'s subtree (itself included) is unlisted. */
export function isFullyListed(node: DirNode): boolean {
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (isUnlisted(n)) return false;
    // One push per directory: spreading a directory of 200,000 subdirectories into a call overflows the stack.
    for (const d of n.dirs.values()) stack.push(d);
  }
  return true;
}

/**
 * Throws {@link NotListedError} for `node` when any directory in its subtree is unlisted: what a
 * layout calls before reading evidence spread over many directories (sibling steps), so that the
 * subtree is listed with one recursive listing rather than one listing per directory.
 */
export function requireListed(node: DirNode): void {
  if (!isFullyListed(node)) throw new NotListedError(node);
}

// Before a listing fills a subtree: unlisted directories in it get real (empty) maps.
function openForListing(node: DirNode): void {
  if (isUnlisted(node)) {
    node.files = new CompactFileMap(node.uri);
    node.dirs = new Map();
    return;
  }
  for (const d of node.dirs.values()) openForListing(d);
}

/** A file entry from a listing's metadata (size, mtime and the content hashes the store reported). */
export function fileEntryOf(name: string, uri: string, info: Pick<FileInfo, 'size' | 'mtime' | 'etag' | 'crc32c' | 'md5'> & Partial<Pick<FileInfo, 'linkTarget' | 'danglingLink'>>): FileEntry {
  const entry: FileEntry = { name, uri, size: info.size };
  if (info.mtime) entry.mtime = info.mtime;
  if (info.etag) entry.etag = info.etag;
  if (info.crc32c) entry.crc32c = info.crc32c;
  if (info.md5) entry.md5 = info.md5;
  if (info.linkTarget !== undefined) entry.linkTarget = info.linkTarget;
  if (info.danglingLink) entry.danglingLink = true;
  return entry;
}

/**
 * Adds a listing entry, given by its path relative to `root`, creating directories on the way.
 * Directory placeholders (`dir/` markers, Hadoop's `dir_$folder$`) arrive from the facade as
 * directories: they add a directory, never a file.
 */
export function addEntry(root: DirNode, rel: string, info: Pick<FileInfo, 'kind' | 'size' | 'mtime'> & Partial<Pick<FileInfo, 'etag' | 'crc32c' | 'md5' | 'linkTarget' | 'danglingLink'>>): void {
  const parts = rel.split('/').filter((p) => p !== '');
  if (parts.length === 0) return;
  const kind = info.kind;
  let node = root;
  const dirParts = kind === 'directory' ? parts : parts.slice(0, -1);
  for (const part of dirParts) {
    let next = node.dirs.get(part);
    if (!next) {
      next = makeNode(part, childUri(node.uri, part), node.depth + 1, node, node.loaded);
      node.dirs.set(part, next);
    }
    node = next;
  }
  if (kind === 'file') {
    const name = parts[parts.length - 1]!;
    node.files.set(name, fileEntryOf(name, childUri(node.uri, name), info));
  } else if (info.linkTarget !== undefined) {
    node.linkTarget = info.linkTarget;
  }
}

/** True when some file lies in `node` or below it (directory placeholders alone are not files). */
export function holdsFiles(node: DirNode): boolean {
  if (node.files.size > 0) return true;
  for (const d of node.dirs.values()) if (holdsFiles(d)) return true;
  return false;
}

/**
 * The sibling a directory symlink stands for (`LATEST -> epoch_0_step_100`): a link whose target
 * is a plain name, or `./name`, of another directory beside it. Such a directory is an alias,
 * listed twice by a local listing: never a checkpoint of its own.
 */
export function siblingAliasOf(node: DirNode): string | undefined {
  if (node.linkTarget === undefined || !node.parent) return undefined;
  const target = node.linkTarget.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
  if (target === '' || target.includes('/') || target === '.' || target === '..' || target === node.name) return undefined;
  return node.parent.dirs.has(target) ? target : undefined;
}

/** The path of a listed URI relative to `rootUri`, or undefined when it is not under it. */
export function relativeTo(rootUri: string, uri: string): string | undefined {
  if (uri === rootUri) return '';
  const base = rootUri.endsWith('/') ? rootUri : `${rootUri}/`;
  return uri.startsWith(base) ? uri.slice(base.length) : undefined;
}

/** Options of {@link listTree}. */
export interface ListTreeOptions {
  signal?: AbortSignal | undefined;
  /** Called for every entry listed, with the listing's own metadata (progress; callers that check raw keys). */
  onEntry?: ((info: FileInfo) => void) | undefined;
  /** Unreadable subdirectories are left out and reported here (see gfile's `WalkOptions.onSkipped`); without it they fail the listing. */
  onSkipped?: ((error: CkptError) => void) | undefined;
}

/**
 * Fills `node` (and everything below it) from one recursive listing of its URI: ceil(N/1000)
 * requests on object stores. NOT_FOUND (from the facade) when the directory does not exist.
 */
export async function loadSubtree(gfile: Pick<GFile, 'list'>, node: DirNode, options: ListTreeOptions = {}): Promise<DirNode> {
  openForListing(node);
  node.loaded = true;
  for await (const info of gfile.list(node.uri, { recursive: true, signal: options.signal, ...(options.onSkipped ? { onSkipped: options.onSkipped } : {}) })) {
    options.onEntry?.(info);
    const rel = relativeTo(node.uri, info.uri);
    if (rel === undefined) continue;
    addEntry(node, rel, info);
  }
  markLoaded(node);
  return node;
}

function markLoaded(node: DirNode): void {
  node.loaded = true;
  for (const d of node.dirs.values()) markLoaded(d);
}

/** The whole tree under `uri`, from one recursive listing. */
export async function listTree(gfile: Pick<GFile, 'list'>, uri: string, options: ListTreeOptions = {}): Promise<DirNode> {
  const rootUri = normaliseDirUri(uri);
  return loadSubtree(gfile, makeNode(lastSegment(rootUri), rootUri, 0, undefined, true), options);
}

/**
 * The children of `uri` from one delimiter listing: files with sizes, subdirectories as unlisted
 * nodes (reading their contents throws {@link NotListedError} until {@link loadSubtree} lists them).
 * NOT_FOUND when the directory does not exist.
 */
export async function listChildren(gfile: Pick<GFile, 'list'>, uri: string, options: ListTreeOptions = {}): Promise<DirNode> {
  const rootUri = normaliseDirUri(uri);
  const root = makeNode(lastSegment(rootUri), rootUri, 0, undefined, false);
  for await (const info of gfile.list(rootUri, { signal: options.signal })) {
    options.onEntry?.(info);
    const rel = relativeTo(rootUri, info.uri);
    if (rel === undefined) continue;
    addEntry(root, rel, info);
  }
  for (const [name, d] of [...root.dirs]) {
    const unlisted = makeUnlistedNode(name, d.uri, d.depth, root);
    if (d.linkTarget !== undefined) unlisted.linkTarget = d.linkTarget;
    // A placeholder listing may have shown something below the child: keep it listed then.
    if (d.files.size === 0 && d.dirs.size === 0) root.dirs.set(name, unlisted);
  }
  return root;
}
