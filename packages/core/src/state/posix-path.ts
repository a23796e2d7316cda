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
