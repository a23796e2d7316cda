/** Helpers on store keys (`/`-separated, no leading `/`, directories ending in `/`). */

const encoder = new TextEncoder();

/**
 * Orders keys as object stores do: by their UTF-8 bytes. (JavaScript's `<` compares UTF-16 code units,
 * which disagrees for characters beyond U+FFFF.)
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  // Fast path: when both strings are below U+D800 code-unit order equals byte order.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca < 0xd800 && cb < 0xd800) return ca - cb;
    return Buffer.compare(encoder.encode(a.slice(i)), encoder.encode(b.slice(i)));
  }
  return a.length - b.length;
}

/** The first index of `keys` (sorted by {@link compareKeys}) whose key is not before `target`. */
export function lowerBound(keys: readonly string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `key` as a directory prefix: `''` stays `''`, otherwise it ends with exactly one added `/`. */
export function dirPrefix(key: string): string {
  return key === '' || key.endsWith('/') ? key : `${key}/`;
}

/** `key` without one trailing `/`. */
export function stripSlash(key: string): string {
  return key.endsWith('/') ? key.slice(0, -1) : key;
}

/** The last segment of a key (directories without their `/`). */
export function baseName(key: string): string {
  const k = stripSlash(key);
  return k.slice(k.lastIndexOf('/') + 1);
}

/** The directory prefix containing `key` (`''` at the root), ending in `/` otherwise. */
export function parentPrefix(key: string): string {
  const k = stripSlash(key);
  const i = k.lastIndexOf('/');
  return i < 0 ? '' : k.slice(0, i + 1);
}

/** True when `key` is `prefix` itself or lies under the directory `prefix`. */
export function isUnder(key: string, dir: string): boolean {
  const p = dirPrefix(dir);
  return p === '' || key.startsWith(p);
}
