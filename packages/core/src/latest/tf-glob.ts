/**
 * TensorFlow's `file_io.get_matching_files` (`GetMatchingPaths`, file_system_helper.cc), which
 * `tf.train.latest_checkpoint` uses to decide whether a recorded prefix exists. A path without
 * `* ? [ \` is one existence check (files and directories count); with one, the children of each
 * level are listed and matched with POSIX `fnmatch(FNM_PATHNAME)`.
 */
import { type GFile, compileFnmatch, isCkptError } from '@ckptkit/gfile';

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

/**
 * `get_matching_files(pattern)`: the existing paths (files or directories) matching a TensorFlow
 * glob, spelled from the pattern's literal directory. A missing or unreadable directory matches
 * nothing (as TensorFlow: permission errors and missing parents are no match, not an error).
 */
export async function getMatchingPaths(gfile: Pick<GFile, 'exists' | 'listDir'>, pattern: string, options: { signal?: AbortSignal | undefined } = {}): Promise<string[]> {
  if (pattern === '') return [];
  const firstGlob = pattern.search(/[*?[\\]/);
  if (firstGlob < 0) return (await gfile.exists(pattern, options)) ? [pattern] : [];
  const slash = pattern.lastIndexOf('/', firstGlob);
  let dir: string;
  if (slash < 0) dir = '.';
  else if (slash === 0) dir = '/';
  else dir = pattern.slice(0, slash);
  const components = pattern.slice(slash + 1).split('/');
  let candidates = [dir];
  const results: string[] = [];
  for (let level = 0; level < components.length; level++) {
    const component = components[level]!;
    const matches = compileFnmatch(component);
    const last = level === components.length - 1;
    const next: string[] = [];
    for (const parent of candidates) {
      const childUri = (name: string) => (slash < 0 && level === 0 ? name : parent.endsWith('/') ? `${parent}${name}` : `${parent}/${name}`);
      if (component === '') {
        // `a//b` or a trailing `/`: TensorFlow keeps the parent only when it is a directory.
        if (last) results.push(`${parent}/`);
        else next.push(parent);
        continue;
      }
      let children;
      try {
        children = await gfile.listDir(parent, options);
      } catch (error) {
        if (isCkptError(error, 'NOT_FOUND', 'PERMISSION_DENIED', 'INVALID_PATH')) continue;
        throw error;
      }
      for (const child of children) {
        if (!matches(child.name)) continue;
        if (last) results.push(childUri(child.name));
        else if (child.kind === 'directory') next.push(childUri(child.name));
      }
    }
    candidates = next;
    if (candidates.length === 0 && !last) break;
  }
  return results;
}
