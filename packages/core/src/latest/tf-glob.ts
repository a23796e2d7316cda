/**
 * TensorFlow's `file_io.get_matching_files` (`GetMatchingPaths`, file_system_helper.cc), which
 * `tf.train.latest_checkpoint` uses to decide whether a recorded prefix exists. A path without
 * `* ? [ \` is one existence check (files and directories count); with one, the children of each
 * level are listed and matched with POSIX `fnmatch(FNM_PATHNAME)`.
 */
import { type GFile, isCkptError } from '@ckptkit/gfile';

/** The characters that make TensorFlow treat a path as a glob (a backslash included). */
export function hasTfGlobChar(path: string): boolean {
  return /[*?[\\]/.test(path);
}

const CLASSES: Record<string, (c: string) => boolean> = {
  alnum: (c) => /^[A-Za-z0-9]$/.test(c),
  alpha: (c) => /^[A-Za-z]$/.test(c),
  blank: (c) => c === ' ' || c === '\t',
  cntrl: (c) => c.length === 1 && (c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127),
  digit: (c) => /^[0-9]$/.test(c),
  graph: (c) => c.length === 1 && c.charCodeAt(0) > 32 && c.charCodeAt(0) < 127,
  lower: (c) => /^[a-z]$/.test(c),
  print: (c) => c.length === 1 && c.charCodeAt(0) >= 32 && c.charCodeAt(0) < 127,
  punct: (c) => /^[!-/:-@[-`{-~]$/.test(c),
  space: (c) => /^[ \t\n\r\f\v]$/.test(c),
  upper: (c) => /^[A-Z]$/.test(c),
  xdigit: (c) => /^[0-9A-Fa-f]$/.test(c),
};

/**
 * Parses a bracket expression starting at `p[i] === '['`. Returns the matcher and the index after
 * `]`, or undefined when the bracket is not closed (then `[` is an ordinary character).
 */
function bracket(p: string[], i: number): { test: (c: string) => boolean; end: number } | undefined {
  let j = i + 1;
  let negate = false;
  if (p[j] === '!' || p[j] === '^') {
    negate = true;
    j++;
  }
  const tests: Array<(c: string) => boolean> = [];
  let first = true;
  while (j < p.length) {
    let c = p[j]!;
    if (c === ']' && !first) {
      const t = (x: string) => tests.some((f) => f(x));
      return { test: (x) => x !== '/' && t(x) !== negate, end: j + 1 };
    }
    first = false;
    if (c === '[' && p[j + 1] === ':') {
      const close = p.indexOf(':', j + 2);
      if (close > 0 && p[close + 1] === ']') {
        const name = p.slice(j + 2, close).join('');
        const cls = CLASSES[name];
        if (cls) {
          tests.push(cls);
          j = close + 2;
          continue;
        }
      }
    }
    if (c === '\\' && j + 1 < p.length) c = p[++j]!;
    const lo = c;
    j++;
    if (p[j] === '-' && j + 1 < p.length && p[j + 1] !== ']') {
      let hi = p[j + 1]!;
      j += 2;
      if (hi === '\\' && j < p.length) hi = p[j++]!;
      const a = lo.codePointAt(0)!;
      const b = hi.codePointAt(0)!;
      tests.push((x) => {
        const v = x.codePointAt(0)!;
        return v >= a && v <= b;
      });
      continue;
    }
    tests.push((x) => x === lo);
  }
  return undefined;
}

type FnToken = { kind: 'star' } | { kind: 'test'; test: (c: string) => boolean };

/** The pattern as tokens that each match one character, and stars. */
function fnTokens(p: string[]): FnToken[] {
  const out: FnToken[] = [];
  for (let pi = 0; pi < p.length; ) {
    const c = p[pi]!;
    if (c === '*') {
      if (out[out.length - 1]?.kind !== 'star') out.push({ kind: 'star' });
      pi++;
    } else if (c === '?') {
      out.push({ kind: 'test', test: (x) => x !== '/' });
      pi++;
    } else if (c === '[') {
      const b = bracket(p, pi);
      if (b) {
        out.push({ kind: 'test', test: b.test });
        pi = b.end;
      } else {
        out.push({ kind: 'test', test: (x) => x === '[' });
        pi++;
      }
    } else if (c === '\\') {
      // A trailing backslash matches nothing (glibc).
      const next = p[pi + 1];
      out.push({ kind: 'test', test: next === undefined ? () => false : (x) => x === next });
      pi += 2;
    } else {
      out.push({ kind: 'test', test: (x) => x === c });
      pi++;
    }
  }
  return out;
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
  const tokens = fnTokens(Array.from(pattern));
  const s = Array.from(name);
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < s.length) {
    const t = tokens[p];
    if (t?.kind === 'test' && t.test(s[i]!)) {
      p++;
      i++;
    } else if (t?.kind === 'star') {
      starP = p++;
      starI = i;
    } else if (starP >= 0 && s[starI] !== '/') {
      p = starP + 1;
      i = ++starI;
    } else {
      return false;
    }
  }
  while (tokens[p]?.kind === 'star') p++;
  return p === tokens.length;
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
        if (!fnmatch(component, child.name)) continue;
        if (last) results.push(childUri(child.name));
        else if (child.kind === 'directory') next.push(childUri(child.name));
      }
    }
    candidates = next;
    if (candidates.length === 0 && !last) break;
  }
  return results;
}
