/**
 * Member names as keys: which names an archive view lists, and why it refuses the others. A name
 * that could write outside an extraction directory is never listed, so nothing built on listings
 * (`cp` of a checkpoint) can reach it.
 */

/** A member name made a key, or the reason it is not listed. */
export type MemberName = { key: string; directory: boolean } | { rejected: string };

/**
 * The key of a member name: `./` and empty segments dropped (`./a//b` is `a/b`, as tar extracts
 * it), a trailing `/` kept as "directory". Refused: absolute names (`/x`), drive letters and UNC
 * paths (`C:\x`, `C:x`, `\\host`), backslashes, `..` segments and NUL bytes.
 */
export function memberKey(name: string): MemberName {
  if (name.includes('\0')) return { rejected: 'the name holds a NUL byte' };
  if (name.includes('\\')) return { rejected: 'the name holds a backslash (a Windows path); it is not extracted' };
  if (name.startsWith('/')) return { rejected: 'an absolute name; it is not extracted' };
  if (/^[A-Za-z]:/.test(name)) return { rejected: 'a name with a drive letter; it is not extracted' };
  const directory = name.endsWith('/');
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { rejected: 'a name with a ".." segment (it would leave the extraction directory); it is not extracted' };
  if (segments.length === 0) return { rejected: 'an empty name' };
  // After normalisation too: `./C:x` is `C:x`, drive-relative on Windows.
  if (/^[A-Za-z]:/.test(segments[0]!)) return { rejected: 'a name with a drive letter; it is not extracted' };
  return { key: segments.join('/'), directory };
}
