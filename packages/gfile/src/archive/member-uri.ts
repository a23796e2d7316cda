/**
 * The URIs of archive members (decision 0016): `tar:ARCHIVE!/MEMBER` and `zip:ARCHIVE!/MEMBER`,
 * Java's `jar:URL!/entry` shape. ARCHIVE is the archive's own URI with `%` written `%25` and `!`
 * written `%21` (nothing else changes), so the first `!` always ends it; MEMBER is the member's
 * name taken verbatim, `!`, `#`, `::` and `.tar.gz/` included. Pure string code: parsing one
 * loads no archive library.
 */

/** The archive schemes: `tar` (`.tar`, `.tar.gz`, `.tgz`) and `zip`. */
export const ARCHIVE_SCHEMES = ['tar', 'zip'] as const;
export type ArchiveScheme = (typeof ARCHIVE_SCHEMES)[number];

/** A member URI split into its parts. */
export interface ArchiveMemberUri {
  scheme: ArchiveScheme;
  /** The archive's own URI (unescaped). */
  archive: string;
  /** The member path, verbatim (may end in `/`; `''` is the archive's root). */
  member: string;
  /** True when the URI had the `!` separator (`tar:a.tar` alone names the root too). */
  separated: boolean;
}

const PREFIX_RE = /^(tar|zip):(?!\/\/)/i;

/** True when `uri` is spelled as an archive member URI (`tar:…` or `zip:…`, not `tar://`). */
export function isArchiveUri(uri: string): boolean {
  return PREFIX_RE.test(uri);
}

/** Escapes an archive URI for the ARCHIVE part: `%` as `%25`, `!` as `%21`. */
export function escapeArchivePart(archiveUri: string): string {
  return archiveUri.replace(/%/g, '%25').replace(/!/g, '%21');
}

/** Undoes {@link escapeArchivePart}; undefined for a `%` that is not `%25` or `%21`. */
export function unescapeArchivePart(part: string): string | undefined {
  let bad = false;
  const out = part.replace(/%(..)?/g, (_m, hex: string | undefined) => {
    const h = hex?.toUpperCase();
    if (h === '25') return '%';
    if (h === '21') return '!';
    bad = true;
    return '';
  });
  return bad ? undefined : out;
}

/**
 * Splits a member URI; undefined when `uri` is not one (no `tar:`/`zip:` prefix). Throws a plain
 * Error with the reason for a malformed one (the caller makes it INVALID_PATH).
 */
export function parseArchiveUri(uri: string): ArchiveMemberUri | undefined {
  const m = PREFIX_RE.exec(uri);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase() as ArchiveScheme;
  const rest = uri.slice(m[0].length);
  const bang = rest.indexOf('!');
  const archivePart = bang < 0 ? rest : rest.slice(0, bang);
  const member = bang < 0 ? '' : rest.slice(bang + 1);
  if (member !== '' && !member.startsWith('/')) {
    throw new Error(`in ${scheme}:ARCHIVE!/MEMBER, "!" is followed by "/" (write a "!" of the archive's name as %21)`);
  }
  const archive = unescapeArchivePart(archivePart);
  if (archive === undefined) throw new Error(`in ${scheme}:ARCHIVE!/MEMBER, a "%" of the archive's URI is written %25 and a "!" %21`);
  if (archive === '') throw new Error(`${scheme}: URIs name an archive: ${scheme}:ARCHIVE!/MEMBER`);
  if (isArchiveUri(archive) && !archive.includes('!')) {
    // `tar:zip:x` would be an archive of an archive root: there is no such file.
    throw new Error(`${scheme}: the archive must be a file, not an archive's root`);
  }
  return { scheme, archive, member: member.slice(1), separated: bang >= 0 };
}

/** The member URI of `member` (a key, `''` for the root) in the archive at `archiveUri`. */
export function formatArchiveUri(scheme: ArchiveScheme, archiveUri: string, member: string): string {
  return `${scheme}:${escapeArchivePart(archiveUri)}!/${member}`;
}

/**
 * The archive scheme a file name suggests: `tar` for `.tar`, `.tar.gz`, `.tgz`, `.tar.gzip`; `zip`
 * for `.zip`; undefined otherwise (`.keras`, `.pt` are zips too, but they are checkpoints).
 */
export function archiveSchemeOfName(name: string): ArchiveScheme | undefined {
  const n = name.toLowerCase();
  if (/\.(tar|tar\.gz|tgz|tar\.gzip)$/.test(n)) return 'tar';
  if (n.endsWith('.zip')) return 'zip';
  return undefined;
}

/** The archive URI's root for a file URI whose name is an archive (undefined for other names). */
export function archiveRootUri(fileUri: string): string | undefined {
  const slash = fileUri.replace(/\/+$/, '').lastIndexOf('/');
  const scheme = archiveSchemeOfName(fileUri.slice(slash + 1));
  return scheme ? formatArchiveUri(scheme, fileUri, '') : undefined;
}
