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

/**
 * Bytes in a short human form in binary units: `512 B`, `1.5 MiB`, `200 MiB` (one decimal below
 * 10), or with `decimals` always that many (`200.0 MiB`: progress, where the width must not jump).
 */
export function humanBytes(n: number, decimals?: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(decimals ?? (Math.abs(v) < 10 ? 1 : 0))} ${units[i]}`;
}

/**
 * A long-listing line: kind, size (bytes, or {@link humanBytes} with `human`), mtime (UTC), name.
 * The size column is 12 wide, 10 with `human`, so that every line of a listing lines up.
 */
export function longLine(info: FileInfo, name: string, human = false): string {
  const kind = info.kind === 'directory' ? 'd' : '-';
  const size = info.kind === 'directory' ? '' : human ? humanBytes(info.size) : String(info.size);
  const mtime = info.mtime ? info.mtime.toISOString().replace('T', ' ').slice(0, 19) : '';
  return `${kind} ${size.padStart(human ? 10 : 12)}  ${mtime.padEnd(19)}  ${name}`;
}

/**
 * Rows as aligned text columns: each column as wide as its widest cell (header included), two
 * spaces between columns, the last column unpadded. `align` per column (`right` for numbers).
 * `style(column, row, padded)` may colour a padded cell (escape sequences add no width).
 */
export function alignColumns(
  rows: readonly (readonly string[])[],
  align: readonly ('left' | 'right')[] = [],
  style?: (column: number, row: number, padded: string) => string,
): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, c) => (widths[c] = Math.max(widths[c] ?? 0, displayWidth(cell))));
  return rows.map((r, i) =>
    r
      .map((cell, c) => {
        const last = c === r.length - 1;
        const pad = ' '.repeat(Math.max(0, widths[c]! - displayWidth(cell)));
        const padded = align[c] === 'right' ? pad + cell : last ? cell : cell + pad;
        return style ? style(c, i, padded) : padded;
      })
      .join('  ')
      .trimEnd(),
  );
}

/** Columns a string takes on a terminal (code points; wide East Asian characters count two). */
export function displayWidth(text: string): number {
  let n = 0;
  for (const ch of text) n += WIDE.test(ch) ? 2 : 1;
  return n;
}
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;

/** Text styles the CLI uses. */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow';
const SGR: Record<Style, [number, number]> = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39] };

/**
 * Whether to colour what goes to `stream`: only a terminal that has colours (Node's check, which
 * also honours FORCE_COLOR and TERM=dumb), and never when NO_COLOR is set (https://no-color.org).
 */
export function colorEnabled(stream: { isTTY?: boolean; hasColors?: () => boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && (stream.hasColors?.() ?? false);
}

/** `paint(style, text)`: the text in that style, or unchanged when colour is off. */
export type Painter = (style: Style, text: string) => string;

export function painter(enabled: boolean): Painter {
  return enabled ? (style, text) => (text === '' ? text : `\u001b[${SGR[style][0]}m${text}\u001b[${SGR[style][1]}m`) : (_style, text) => text;
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
