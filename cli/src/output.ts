import { type CkptError, type FileInfo, hasEscapedBytes, portableUri } from '@ckptkit/gfile';

/** The JSON shape of one file or directory in `ls`, `stat` and `glob` (cli.md). */
export interface FileJson {
  uri: string;
  /** `prefix`: `stat` of a TensorFlow checkpoint prefix or V1 pattern, which is not itself a file. */
  kind: 'file' | 'directory' | 'prefix';
  size: number;
  mtime: string | null;
  etag?: string;
  crc32c?: string;
  md5?: string;
  generation?: string;
  /** For a `prefix`: the checkpoint's format and files. */
  format?: string;
  files?: string[];
  /** A directory a walk could not read (`ls -R`, `glob`): it is listed, its contents are not. */
  error?: { code: string; message: string; uri?: string };
}

export function fileJson(info: FileInfo, skipped?: Map<string, CkptError>): FileJson {
  const uri = portableUri(info.uri);
  const out: FileJson = { uri, kind: info.kind, size: info.size, mtime: info.mtime ? info.mtime.toISOString() : null };
  const error = skipped?.get(uri);
  if (error) out.error = { ...error.toJSON(), uri };
  if (info.etag) out.etag = info.etag;
  if (info.crc32c) out.crc32c = info.crc32c;
  if (info.md5) out.md5 = info.md5;
  if (info.generation) out.generation = info.generation;
  return out;
}

/** Bytes in a short human form (1.5 MiB). */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A long-listing line: kind, size, mtime, name. */
export function longLine(info: FileInfo, name: string): string {
  const kind = info.kind === 'directory' ? 'd' : '-';
  const size = info.kind === 'directory' ? '' : String(info.size);
  const mtime = info.mtime ? info.mtime.toISOString().replace('T', ' ').slice(0, 19) : '';
  return `${kind} ${size.padStart(12)}  ${mtime.padEnd(19)}  ${name}`;
}

// Fields of the JSON documents that hold URIs (alone or in arrays).
const URI_FIELDS = new Set(['uri', 'prefix', 'dir', 'src', 'dst', 'files']);

/**
 * A JSON document with every URI field made portable ({@link portableUri}): local paths with bytes
 * that are not UTF-8 as `file://` URIs with `%XX` escapes, which every command accepts back.
 */
export function portableDoc(value: unknown, field?: string): unknown {
  if (typeof value === 'string') return field !== undefined && URI_FIELDS.has(field) && hasEscapedBytes(value) ? portableUri(value) : value;
  if (Array.isArray(value)) return value.map((v) => portableDoc(v, field));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const toJSON = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof toJSON === 'function') return portableDoc(toJSON.call(value), field);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, portableDoc(v, k)]));
  }
  return value;
}
