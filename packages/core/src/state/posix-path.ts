/**
 * Python's `posixpath` functions TensorFlow's checkpoint code uses, on plain strings. URIs are not
 * special here, exactly as in TensorFlow: `isAbs('gs://b/x')` is false and `join('gs://b/run',
 * 'gs://b/run/ckpt-5')` is `'gs://b/run/gs://b/run/ckpt-5'`.
 */

/** `posixpath.isabs`: starts with `/`. */
export function isAbsPosix(p: string): boolean {
  return p.startsWith('/');
}

/** `posixpath.join`: an absolute part restarts the path; nothing is normalised. */
export function posixJoin(first: string, ...rest: string[]): string {
  let out = first;
  for (const part of rest) {
    if (part.startsWith('/')) out = part;
    else if (out === '' || out.endsWith('/')) out += part;
    else out += `/${part}`;
  }
  return out;
}

/** `posixpath.basename`: the text after the last `/`. */
export function basenamePosix(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** `posixpath.dirname`: the text before the last `/` (trailing slashes of the head removed). */
export function dirnamePosix(p: string): string {
  const i = p.lastIndexOf('/') + 1;
  const head = p.slice(0, i);
  const stripped = stripTrailingSlashes(head);
  return stripped === '' ? head : stripped;
}

/**
 * `p` without the slashes it ends with (`''` when it is all slashes). A loop, not `/\/+$/`: that
 * regular expression retries from every slash of a long run and is quadratic on `//…//x`, a
 * shape a state file can hold.
 */
export function stripTrailingSlashes(p: string): string {
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 0x2f) end--;
  return p.slice(0, end);
}

/** What {@link cleanPosixPath} found. */
export interface CleanedPath {
  /** The cleaned path, or undefined when it would be longer than the `maxChars` asked for. */
  path: string | undefined;
  /** Its length in UTF-16 code units. */
  chars: number;
  /** The longest name in it: its length in code units and where it is in the input. */
  longestName: { chars: number; start: number; end: number };
}

/**
 * `path.posix.normalize` without its trailing `/` (TensorFlow's `CleanPath`): `.` and empty names
 * dropped, `..` taking out the name before it (kept at the start of a relative path, dropped at
 * the root), `.` for an empty relative result. Linear, and the result is built only when it has
 * at most `maxChars` code units: Node's normalize concatenates name by name, which for a path of
 * millions of names spends seconds in the garbage collector.
 */
export function cleanPosixPath(p: string, maxChars = Infinity): CleanedPath {
  const absolute = p.startsWith('/');
  const starts: number[] = [];
  const ends: number[] = [];
  let kept = 0; // leading `..` names of a relative path, which a later `..` cannot take out
  for (let i = 0; i < p.length; ) {
    if (p.charCodeAt(i) === 0x2f) {
      i++;
      continue;
    }
    let j = p.indexOf('/', i);
    if (j < 0) j = p.length;
    const dot = p.charCodeAt(i) === 0x2e;
    if (j - i === 1 && dot) {
      // `.`
    } else if (j - i === 2 && dot && p.charCodeAt(i + 1) === 0x2e) {
      if (starts.length > kept) {
        starts.pop();
        ends.pop();
      } else if (!absolute) {
        starts.push(i);
        ends.push(j);
        kept = starts.length;
      }
    } else {
      starts.push(i);
      ends.push(j);
    }
    i = j;
  }
  let chars = starts.length === 0 ? 1 : (absolute ? 1 : 0) + starts.length - 1;
  const longestName = { chars: 0, start: 0, end: 0 };
  for (let k = 0; k < starts.length; k++) {
    const n = ends[k]! - starts[k]!;
    chars += n;
    if (n > longestName.chars) Object.assign(longestName, { chars: n, start: starts[k]!, end: ends[k]! });
  }
  if (chars > maxChars) return { path: undefined, chars, longestName };
  const names = starts.map((s, k) => p.slice(s, ends[k]));
  const path = starts.length === 0 ? (absolute ? '/' : '.') : `${absolute ? '/' : ''}${names.join('/')}`;
  return { path, chars, longestName };
}
