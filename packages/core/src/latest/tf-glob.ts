/**
 * TensorFlow's `file_io.get_matching_files` (`GetMatchingPaths`, file_system_helper.cc), which
 * `tf.train.latest_checkpoint` uses to decide whether a recorded prefix exists. A path without
 * `* ? [ \` is one existence check (files and directories count); with one, the children of each
 * level are listed and matched with POSIX `fnmatch(FNM_PATHNAME)`.
 */
import { type GFile, compileFnmatch, isCkptError } from '@ckptkit/gfile';
import { cleanPosixPath } from '../state/posix-path.js';
import { unstorablePathReason } from '../state/storable-path.js';

// Past this many code units a cleaned local path is too long for any local disk (PATH_MAX 4,095 bytes).
const PATH_LIMIT = 4095;

/** The characters that make TensorFlow treat a path as a glob (a backslash included). */
export function hasTfGlobChar(path: string): boolean {
  return /[*?[\\]/.test(path);
}

/**
 * POSIX `fnmatch(pattern, name, FNM_PATHNAME)` as glibc implements it: `*` and `?` never match `/`,
 * `[...]` classes (with `!`/`^`, ranges, `[:alpha:]`...), `\` escapes the next character and a
 * trailing `\` matches nothing. Leading dots are ordinary characters (no FNM_PERIOD).
 *
 * The pattern comes from a state file, which is data: the matcher keeps one backtrack point (the
 * last star), so it costs O(n·m) steps at worst, with no recursion and no memo table (a memoized
 * recursion overflowed the stack on a 20,000-character pattern and took a second on `*a` x 500).
 */
export function fnmatch(pattern: string, name: string): boolean {
  return compileFnmatch(pattern)(name);
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/** Options of {@link getMatchingPaths}. */
interface MatchOptions {
  signal?: AbortSignal | undefined;
}

/**
 * The path TensorFlow's system calls see. On local disks `TranslateName` is `CleanPath` of the
 * path part, which reads a C string (it stops at the first NUL byte) and collapses `.`, `..`, `//`
 * and a trailing `/` (an empty result is `.`): `access(2)`/`opendir(3)` get that. Object-store
 * file systems send the whole name to the server.
 */
function systemPath(p: string): string | undefined {
  const m = SCHEME.exec(p);
  if (m && m[1]!.toLowerCase() !== 'file') return p;
  let local = m ? p.slice(m[0].length) : p;
  if (m && local.startsWith('localhost/')) local = local.slice('localhost'.length);
  const nul = local.indexOf('\0');
  if (nul >= 0) local = local.slice(0, nul);
  // Undefined when longer than any path a local disk holds.
  return cleanPosixPath(local, PATH_LIMIT).path;
}

/**
 * `FileExists`, as `GetMatchingPaths` uses it: any failure is "no match" (ENAMETOOLONG, ELOOP and
 * ENOENT alike become NotFound in PosixFileSystem::FileExists). A path no store can hold is not
 * looked up. Storage failures other than a bad path (permission, network) are thrown: ckptkit's one
 * deliberate difference (decision 0004).
 */
async function fileExists(gfile: Pick<GFile, 'exists'>, p: string, options: MatchOptions): Promise<boolean> {
  const target = systemPath(p);
  if (target === undefined || unstorablePathReason(target) !== undefined) return false;
  try {
    return await gfile.exists(target, options);
  } catch (error) {
    if (isCkptError(error, 'INVALID_PATH')) return false;
    throw error;
  }
}

/** `GetChildren`, where a directory that cannot be listed has no children (as GetMatchingPaths treats it). */
async function childrenOf(gfile: Pick<GFile, 'listDir'>, dir: string, options: MatchOptions): Promise<Array<{ name: string; kind: string }>> {
  const target = systemPath(dir);
  if (target === undefined || unstorablePathReason(target) !== undefined) return [];
  try {
    return await gfile.listDir(target, options);
  } catch (error) {
    if (isCkptError(error, 'NOT_FOUND', 'PERMISSION_DENIED', 'INVALID_PATH')) return [];
    throw error;
  }
}

/**
 * `get_matching_files(pattern)`: the existing paths (files or directories) matching a TensorFlow
 * glob, spelled from the pattern's literal directory. A missing or unreadable directory matches
 * nothing (as TensorFlow: permission errors and missing parents are no match, not an error).
 *
 * Paths from state files are data, and TensorFlow's handling of the ones no store can hold is
 * reproduced, not refused (decision 0004 gives the sources):
 * - a path no store can hold (a name over NAME_MAX, a path over PATH_MAX, an object key over its
 *   store's limit) matches nothing, with no request sent;
 * - a NUL byte ends every C string: on local disks the system calls see the path up to it (so
 *   `d/\0x` checks `d`, which exists); everywhere `fnmatch` compares patterns and paths up to it,
 *   so a NUL in the glob's last component cuts the pattern there, one in an earlier glob component
 *   matches nothing, and one in the literal directory makes every entry of the directory before
 *   it match (returned once, though TensorFlow repeats them per level; on object stores no such
 *   directory can exist: nothing).
 */
export async function getMatchingPaths(gfile: Pick<GFile, 'exists' | 'listDir'>, pattern: string, options: MatchOptions = {}): Promise<string[]> {
  if (pattern === '') return [];
  // IsGlobbingPattern looks at the whole std::string, past a NUL too.
  const firstGlob = pattern.search(/[*?[\\]/);
  if (firstGlob < 0) return (await fileExists(gfile, pattern, options)) ? [pattern] : [];
  const slash = pattern.lastIndexOf('/', firstGlob);
  let dir: string;
  if (slash < 0) dir = '.';
  else if (slash === 0) dir = '/';
  else dir = pattern.slice(0, slash);
  const join = (parent: string, name: string, bare: boolean) => (bare ? name : parent.endsWith('/') ? `${parent}${name}` : `${parent}/${name}`);
  const nul = pattern.indexOf('\0');
  if (nul >= 0 && nul < slash) {
    return (await childrenOf(gfile, dir, options)).map((c) => join(dir, c.name, false));
  }
  const components = pattern.slice(slash + 1).split('/');
  if (nul >= 0) {
    const before = pattern.slice(slash + 1, nul);
    const cut = before.lastIndexOf('/');
    // fnmatch's pattern ends inside this component: a deeper path has a `/` more than it.
    if (before.split('/').length !== components.length) return [];
    components[components.length - 1] = before.slice(cut + 1);
    // The pattern then ends with `/`, which no `parent/child` matches.
    if (components[components.length - 1] === '') return [];
  }
  let candidates = [dir];
  const results: string[] = [];
  for (let level = 0; level < components.length; level++) {
    const component = components[level]!;
    const last = level === components.length - 1;
    const bare = slash < 0 && level === 0;
    if (component === '') {
      // `a//b` or a trailing `/`: TensorFlow keeps the parent only when it is a directory.
      if (last) for (const c of candidates) results.push(`${c}/`);
      else continue;
      break;
    }
    const listed: Array<{ parent: string; name: string; kind: string }> = [];
    for (const parent of candidates) for (const child of await childrenOf(gfile, parent, options)) listed.push({ parent, name: child.name, kind: child.kind });
    if (listed.length === 0) return results;
    // A pattern needing more characters than the longest name is not even compiled in full.
    const matches = compileFnmatch(component, { longestName: listed.reduce((n, c) => Math.max(n, c.name.length), 0) });
    const next: string[] = [];
    for (const child of listed) {
      if (!matches(child.name)) continue;
      if (last) results.push(join(child.parent, child.name, bare));
      else if (child.kind === 'directory') next.push(join(child.parent, child.name, bare));
    }
    candidates = next;
    if (candidates.length === 0 && !last) break;
  }
  return results;
}
