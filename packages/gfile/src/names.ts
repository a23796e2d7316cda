/**
 * File names that are not valid UTF-8 (local disks only: S3 and GCS keys are UTF-8 by contract).
 *
 * A POSIX file name is a byte string. Inside ckptkit names and keys are JS strings, so a byte that
 * is not part of valid UTF-8 is carried as the lone surrogate U+DC80..U+DCFF (the byte plus
 * 0xDC00): Python's `surrogateescape` (PEP 383), the same mapping `os.fsdecode` uses. Valid UTF-8
 * never decodes to a lone surrogate, so the mapping is lossless both ways, and every name that is
 * valid UTF-8 is the plain string it always was. Such strings leave ckptkit only as `file://` URIs,
 * where the bytes are percent-escaped ({@link encodeFileUriPath}), which every command accepts back.
 */

// A lone low surrogate carrying a byte (with the `u` flag, half of a pair never matches).
const ESCAPED_BYTE = /[\uDC80-\uDCFF]/u;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/** True when `s` carries bytes that are not UTF-8 (escaped as U+DC80..U+DCFF). */
export function hasEscapedBytes(s: string): boolean {
  return ANY_SURROGATE.test(s) && ESCAPED_BYTE.test(s);
}

/** Decodes a file name's bytes: UTF-8, with each byte outside a valid sequence escaped as U+DC00+byte. */
export function decodeFileName(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    const cp = validSequence(bytes, i);
    if (cp === undefined) {
      out += String.fromCharCode(0xdc00 + b0);
      i++;
    } else {
      out += String.fromCodePoint(cp.codePoint);
      i += cp.length;
    }
  }
  return out;
}

/** The code point of the valid UTF-8 sequence at `i` (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
function validSequence(b: Uint8Array, i: number): { codePoint: number; length: number } | undefined {
  const b0 = b[i]!;
  let length: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) length = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 === 0xe0) lo = 0xa0;
    if (b0 === 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 === 0xf0) lo = 0x90;
    if (b0 === 0xf4) hi = 0x8f;
  } else return undefined;
  if (i + length > b.length) return undefined;
  let cp = b0 & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const c = b[i + k]!;
    if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return undefined;
    cp = (cp << 6) | (c & 0x3f);
  }
  return { codePoint: cp, length };
}

/** The bytes of a name: UTF-8, with U+DC80..U+DCFF back to the bytes they carry. Inverse of {@link decodeFileName}. */
export function encodeFileName(s: string): Uint8Array {
  if (!hasEscapedBytes(s)) return new TextEncoder().encode(s);
  const out: number[] = [];
  const enc = new TextEncoder();
  let run = '';
  const flush = () => {
    if (run !== '') for (const b of enc.encode(run)) out.push(b);
    run = '';
  };
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xdc80 && c <= 0xdcff) {
      flush();
      out.push(c - 0xdc00);
    } else run += ch;
  }
  flush();
  return Uint8Array.from(out);
}

const HEX = '0123456789ABCDEF';

/**
 * A local path for a `file://` URI: `%`, control characters and bytes that are not UTF-8
 * percent-escaped (`%25`, `%0A`, `%FF`); everything else, spaces and non-ASCII letters included,
 * kept as it is so that URIs stay readable. {@link decodeFileUriPath} reads it back exactly.
 */
export function encodeFileUriPath(path: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is escaped
  if (!/[%\u0000-\u001f\u007f]/.test(path) && !hasEscapedBytes(path)) return path;
  let out = '';
  for (const ch of path) {
    const c = ch.charCodeAt(0);
    if (ch === '%' || c < 0x20 || c === 0x7f || (ch.length === 1 && c >= 0xdc80 && c <= 0xdcff)) {
      const b = c >= 0xdc80 ? c - 0xdc00 : c;
      out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
    } else out += ch;
  }
  return out;
}

/**
 * The path a `file://` URI's path part names (RFC 8089, RFC 3986 §2.1): every `%XX` is one byte,
 * the bytes are read as UTF-8 with {@link decodeFileName}'s escapes for the rest. Returns undefined
 * for a `%` not followed by two hex digits.
 */
export function decodeFileUriPath(path: string): string | undefined {
  if (!path.includes('%')) return path;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < path.length; ) {
    if (path[i] === '%') {
      const hex = path.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 3;
      continue;
    }
    const cp = path.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (ch.length === 1 && cp >= 0xdc80 && cp <= 0xdcff) bytes.push(cp - 0xdc00);
    else for (const b of enc.encode(ch)) bytes.push(b);
    i += ch.length;
  }
  return decodeFileName(Uint8Array.from(bytes));
}

/** A name for human output: bytes that are not UTF-8 as `\xFF` (other escaping is the printer's). */
export function displayName(s: string): string {
  if (!hasEscapedBytes(s)) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += ch.length === 1 && c >= 0xdc80 && c <= 0xdcff ? `\\x${HEX[(c - 0xdc00) >> 4]}${HEX[c & 15]}` : ch;
  }
  return out;
}
