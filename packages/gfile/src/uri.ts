/**
 * Parsing of the URIs users type (decision 0002). Bare paths and `s3://`, `gs://`, `memory://` keys
 * are taken verbatim: nothing is percent-decoded, so a name that looks like `%2F` is that name, and
 * `a b+c@d:e` needs no quoting. `file:` URIs follow RFC 8089: `%XX` is decoded (`file:///a%20b` is
 * `/a b`, `%FF` a byte that is not UTF-8), and `file:/abs` is as absolute as `file:///abs`.
 */
import path from 'node:path';
import { CkptError } from './errors.js';
import { isArchiveUri, parseArchiveUri } from './archive/member-uri.js';
import { decodeFileUriPath, encodeFileUriPath, hasEscapedBytes } from './names.js';

/** A URI split into the scheme, the store (bucket, memory name, `''` for local) and the key. */
export interface ParsedUri {
  scheme: string;
  store: string;
  /** The key within the store, without a trailing `/`. */
  key: string;
  /** True when the URI ended in `/` (the user meant a directory). */
  trailingSlash: boolean;
  /**
   * The URI as the user spelled it, without the trailing `/`. Results under it are spelled as
   * `base + rest`, so `./runs` lists as `./runs/ckpt-1.index`, not as an absolute path.
   */
  base: string;
}

const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/** The scheme of a URI (`file` for bare paths). */
export function schemeOf(uri: string): string {
  const m = SCHEME_RE.exec(uri);
  return m ? m[1]!.toLowerCase() : 'file';
}

/**
 * Splits a URI. Bare paths and `file://` are local and resolved against the working directory;
 * `s3://bucket/key`, `gs://bucket/key`, `memory://name/key` and any registered scheme are
 * `scheme://store/key`. Throws INVALID_PATH for an empty path, a missing bucket, or a NUL byte.
 */
export function parseUri(uri: string, operation = 'parse'): ParsedUri {
  if (typeof uri !== 'string' || uri.length === 0) {
    throw new CkptError('INVALID_PATH', { operation, uri: String(uri), message: 'empty path' });
  }
  if (uri.includes('\0')) throw new CkptError('INVALID_PATH', { operation, uri, message: 'path contains a NUL byte' });
  if (isArchiveUri(uri)) return parseArchiveMember(uri, operation);
  const m = SCHEME_RE.exec(uri);
  if (!m) {
    // RFC 8089's short forms `file:/abs` (and `file:` alone): absolute, never relative to the working directory.
    if (/^file:(?!\/\/)/i.test(uri)) {
      const rest = uri.slice('file:'.length);
      if (!rest.startsWith('/')) throw new CkptError('INVALID_PATH', { operation, uri, message: 'file: URIs are absolute (file:///path or file:/path); write a relative path without file:' });
      return parseLocal(decodedFilePath(rest, uri, operation), uri, operation);
    }
    return parseLocal(uri, uri, operation);
  }
  const scheme = m[1]!.toLowerCase();
  const rest = uri.slice(m[0].length);
  if (scheme === 'file') {
    // file:///abs/path or file://localhost/abs/path; anything else names another host.
    let p: string;
    if (rest.startsWith('/')) p = rest;
    else if (rest.startsWith('localhost/')) p = rest.slice('localhost'.length);
    else throw new CkptError('INVALID_PATH', { operation, uri, message: 'file:// URIs must be absolute (file:///path)' });
    return parseLocal(decodedFilePath(p, uri, operation), uri, operation);
  }
  const slash = rest.indexOf('/');
  const store = slash < 0 ? rest : rest.slice(0, slash);
  let key = slash < 0 ? '' : rest.slice(slash + 1);
  if (store === '') {
    throw new CkptError('INVALID_PATH', { operation, uri, message: `${scheme}:// URIs need a ${scheme === 'memory' ? 'store name' : 'bucket'}: ${scheme}://NAME/key` });
  }
  const trailingSlash = key.endsWith('/') || (slash >= 0 && key === '');
  if (key.endsWith('/')) key = key.slice(0, -1);
  const base = trailingSlash ? uri.slice(0, -1) : uri;
  return { scheme, store, key, trailingSlash, base };
}

/**
 * `tar:ARCHIVE!/MEMBER`, `zip:ARCHIVE!/MEMBER` (decision 0016): the store is the archive's URI
 * (itself checked as a URI), the key the member. The root (`tar:a.tar`, `tar:a.tar!/`) is a directory.
 */
function parseArchiveMember(uri: string, operation: string): ParsedUri {
  let parts;
  try {
    parts = parseArchiveUri(uri)!;
  } catch (error) {
    throw new CkptError('INVALID_PATH', { operation, uri, message: (error as Error).message });
  }
  const archive = parseUri(parts.archive, operation);
  if (archive.trailingSlash || archive.key === '') throw new CkptError('INVALID_PATH', { operation, uri, message: 'the archive of a member URI is a file, not a directory' });
  const trailingSlash = parts.member === '' || parts.member.endsWith('/');
  const key = parts.member.replace(/\/+$/, '');
  const spelled = parts.separated ? uri : `${uri}!`;
  const base = key === '' ? spelled.replace(/\/+$/, '') : trailingSlash ? spelled.replace(/\/+$/, '') : spelled;
  return { scheme: parts.scheme, store: parts.archive, key, trailingSlash, base };
}

/** The path of a `file:` URI with its `%XX` escapes decoded; INVALID_PATH for a malformed escape. */
function decodedFilePath(p: string, uri: string, operation: string): string {
  const decoded = decodeFileUriPath(p);
  if (decoded === undefined) throw new CkptError('INVALID_PATH', { operation, uri, message: 'a "%" in a file: URI starts a %XX escape (write a literal "%" as %25, or give the path without file://)' });
  if (decoded.includes('\0')) throw new CkptError('INVALID_PATH', { operation, uri, message: 'path contains a NUL byte' });
  return decoded;
}

function parseLocal(p: string, uri: string, _operation: string): ParsedUri {
  const trailingSlash = p.length > 1 && p.endsWith('/');
  const abs = path.resolve(p);
  const key = abs === '/' ? '' : abs.slice(1);
  let base = trailingSlash ? uri.replace(/\/+$/, '') : uri;
  if (base === '' || base === 'file://') base = uri.startsWith('file:') ? 'file://' : '';
  return { scheme: 'file', store: '', key, trailingSlash, base };
}

/**
 * The URI of `key` spelled relative to a parsed URI: when `key` lies under the parsed key the
 * user's own spelling is kept (`./runs` + `/ckpt-1.index`).
 */
export function uriForKey(parsed: ParsedUri, key: string, fallback: (key: string) => string): string {
  if (parsed.base === '') return fallback(key);
  if (key === parsed.key) return parsed.base;
  // Below a `file:` URI the rest is escaped as in one (a name with `%` stays itself when read back).
  const escape = parsed.scheme === 'file' && /^file:/i.test(parsed.base) ? encodeFileUriPath : (rest: string) => rest;
  if (parsed.key === '') {
    if (parsed.base === '') return fallback(key);
    return parsed.base.endsWith('/') ? parsed.base + escape(key) : `${parsed.base}/${escape(key)}`;
  }
  if (key.startsWith(parsed.key)) return parsed.base + escape(key.slice(parsed.key.length));
  return fallback(key);
}

/**
 * A URI as it is printed: a local path holding bytes that are not UTF-8 (carried inside as
 * U+DC80..U+DCFF, see `names.ts`) becomes an absolute `file://` URI with those bytes as `%XX`,
 * which every command reads back to the same bytes; every other URI is returned unchanged.
 */
export function portableUri(uri: string): string {
  if (!hasEscapedBytes(uri)) return uri;
  const parsed = parseUri(uri, 'print');
  if (parsed.scheme !== 'file') return uri;
  return `file://${encodeFileUriPath(`/${parsed.key}`)}${parsed.trailingSlash ? '/' : ''}`;
}

/**
 * Joins URI parts with `/`, like `os.path.join` for URIs: an absolute part or a part with a scheme
 * restarts the path; empty parts are skipped; no other normalisation happens (keys are verbatim).
 */
export function joinUri(first: string, ...rest: string[]): string {
  let out = first;
  for (const part of rest) {
    if (part === '') continue;
    if (SCHEME_RE.test(part) || part.startsWith('/')) {
      out = part;
      continue;
    }
    out = out === '' ? part : out.endsWith('/') ? out + part : `${out}/${part}`;
  }
  return out;
}

/** The local filesystem path of a local key. */
export function localPathOf(key: string): string {
  return `/${key}`;
}

/** Re-exported for adapters that build paths. */
export const posix = path.posix;
