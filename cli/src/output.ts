import type { FileInfo } from '@ckptkit/gfile';

/** The JSON shape of one file or directory in `ls`, `stat` and `glob` (cli.md). */
export interface FileJson {
  uri: string;
  kind: 'file' | 'directory';
  size: number;
  mtime: string | null;
  etag?: string;
  crc32c?: string;
  md5?: string;
  generation?: string;
}

export function fileJson(info: FileInfo): FileJson {
  const out: FileJson = { uri: info.uri, kind: info.kind, size: info.size, mtime: info.mtime ? info.mtime.toISOString() : null };
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
