/**
 * Destination paths built from names a store listed. A listing is data from someone else's
 * bucket: a key such as `run/ckpt-1/../../../home/me/.bashrc` must never turn into a write
 * outside the directory the user chose. Every relative path is checked before anything is
 * written, so a copy with one hostile name writes nothing at all.
 */
import { CkptError, parseUri } from '@ckptkit/gfile';

/** Why a relative path is refused, or undefined when it is a plain path below its directory. */
export function unsafeReason(rel: string): string | undefined {
  if (rel === '') return 'the path is empty';
  if (rel.includes('\0')) return 'the path contains a NUL byte';
  if (rel.startsWith('/')) return 'the path is absolute';
  // Windows would read these as separators or drive roots; a POSIX store would keep them as
  // names, but the same tree may be copied to a Windows disk next.
  if (rel.includes('\\')) return 'the path contains a backslash';
  if (/^[A-Za-z]:/.test(rel)) return 'the path starts with a drive letter';
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(rel)) return 'the path is a URI';
  for (const segment of rel.split('/')) {
    if (segment === '') return 'the path has an empty segment (`//` or a trailing `/`)';
    if (segment === '..') return 'the path has a `..` segment';
    if (segment === '.') return 'the path has a `.` segment';
  }
  return undefined;
}

/**
 * The URI of `rel` inside `dirUri`, after checking that it stays inside: no `..`, `.` or empty
 * segment, not absolute, no backslash, no drive letter, no scheme; and the resolved key lies
 * under the directory's key (for local paths after `path.resolve`).
 *
 * @throws CkptError INVALID_PATH naming the offending path, the source it came from and the
 *   operation.
 */
export function destinationUri(dirUri: string, rel: string, context: { operation: string; source?: string | undefined }): string {
  const refuse = (reason: string) =>
    new CkptError('INVALID_PATH', {
      operation: context.operation,
      uri: context.source ?? dirUri,
      message: `refusing to write ${JSON.stringify(rel)} below ${dirUri}: ${reason}; nothing was written`,
    });
  const reason = unsafeReason(rel);
  if (reason !== undefined) throw refuse(reason);
  const dir = directoryBase(dirUri);
  const uri = dir === '' ? rel : dir.endsWith('/') ? `${dir}${rel}` : `${dir}/${rel}`;
  const d = parseUri(dir === '' ? '.' : dir, context.operation);
  const u = parseUri(uri, context.operation);
  const base = d.key === '' ? '' : `${d.key}/`;
  if (u.scheme !== d.scheme || u.store !== d.store || !u.key.startsWith(base) || u.key.length === base.length) {
    throw refuse('it resolves outside the destination directory');
  }
  return uri;
}

/**
 * A directory URI without its trailing slashes, except where they are the whole path: `/` (the
 * root of the local disk) and `file:///` stay roots, never the empty string that would mean the
 * working directory.
 */
export function directoryBase(dirUri: string): string {
  const trimmed = dirUri.replace(/\/+$/, '');
  if (dirUri !== '' && trimmed === '') return '/';
  // `file:///` (and `file:/`) is the root of the local disk.
  if (/^file:$/i.test(trimmed)) return 'file:///';
  return trimmed;
}

/**
 * Checks every relative path first and returns their URIs; throws on the first unsafe one, so a
 * caller that writes only after this returns writes nothing when any path is hostile.
 */
export function destinationUris(dirUri: string, rels: readonly string[], context: { operation: string; source?: string | undefined }): string[] {
  return rels.map((rel) => destinationUri(dirUri, rel, context));
}
