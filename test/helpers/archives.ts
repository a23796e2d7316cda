/**
 * Archives made in memory for the archive-view tests: tar entries encoded with node-tar's own
 * `Header` (so hostile names, links and sizes can be written as they are), gzip by zlib, zips by
 * yazl (with names patched afterwards where yazl refuses them, as a hostile zip would hold).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

/** One tar entry: a file (data), a directory, or a link. */
export interface TarEntry {
  path: string;
  data?: Uint8Array | string | undefined;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'FIFO' | undefined;
  linkpath?: string | undefined;
  /** Declared size when it must differ from the data's (truncation, bombs). */
  size?: number | undefined;
  mtime?: Date | undefined;
}

/** A tar archive of the entries, in order, with the two closing zero blocks. */
export function makeTar(entries: TarEntry[], options: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    const type = e.type ?? (e.path.endsWith('/') ? 'Directory' : 'File');
    const h = new Header({ path: e.path, mode: 0o644, size: e.size ?? data.length, mtime: e.mtime ?? new Date('2024-05-01T00:00:00Z'), type, ...(e.linkpath === undefined ? {} : { linkpath: e.linkpath }), uid: 0, gid: 0, uname: '', gname: '' });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    parts.push(block, data);
    if (data.length % 512) parts.push(Buffer.alloc(512 - (data.length % 512)));
  }
  if (options.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function makeTgz(entries: TarEntry[]): Buffer {
  return gzipSync(makeTar(entries));
}

/** One zip member. */
export interface ZipEntry {
  path: string;
  data?: Uint8Array | string | undefined;
  compress?: boolean | undefined;
  directory?: boolean | undefined;
  mode?: number | undefined;
}

/** A zip of the entries made by yazl; `zip64: true` forces zip64 records. */
export async function makeZip(entries: ZipEntry[], options: { zip64?: boolean } = {}): Promise<Buffer> {
  // yazl runs in a plain Node child: under vitest's module runner its CommonJS dependency resolves to the wrong build.
  const input = JSON.stringify({ zip64: options.zip64 ?? false, entries: entries.map((e) => ({ ...e, data: Buffer.from(e.data ?? '').toString('base64') })) });
  return execFileSync(process.execPath, ['-e', ZIP_SCRIPT, YAZL], { input, maxBuffer: 2 ** 30 });
}

const YAZL = createRequire(import.meta.url).resolve('yazl');
const ZIP_SCRIPT = `
const yazl = require(process.argv[1]);
let raw = '';
process.stdin.on('data', (c) => (raw += c)).on('end', () => {
  const { zip64, entries } = JSON.parse(raw);
  const zip = new yazl.ZipFile();
  const mtime = new Date('2024-05-01T00:00:00Z');
  for (const e of entries) {
    if (e.directory) zip.addEmptyDirectory(e.path, { mtime });
    else zip.addBuffer(Buffer.from(e.data, 'base64'), e.path, { compress: e.compress ?? true, mtime, forceZip64Format: zip64, ...(e.mode === undefined ? {} : { mode: e.mode }) });
  }
  zip.end({ forceZip64Format: zip64 });
  zip.outputStream.pipe(process.stdout);
});`;

/** Replaces every occurrence of a name's bytes by another of the same length (local header and central directory alike, or `which` only). */
export function renameInZip(zip: Buffer, from: string, to: string, which: 'all' | 'local' | 'central' = 'all'): Buffer {
  if (Buffer.byteLength(from) !== Buffer.byteLength(to)) throw new Error('same length only');
  const out = Buffer.from(zip);
  const f = Buffer.from(from);
  let at = out.indexOf(f);
  let n = 0;
  while (at >= 0) {
    // The name follows a local header (30 bytes) or a central header (46 bytes).
    const isLocal = at >= 30 && out.readUInt32LE(at - 30) === 0x04034b50;
    const isCentral = at >= 46 && out.readUInt32LE(at - 46) === 0x02014b50;
    if ((which === 'all' && (isLocal || isCentral)) || (which === 'local' && isLocal) || (which === 'central' && isCentral)) {
      Buffer.from(to).copy(out, at);
      n++;
    }
    at = out.indexOf(f, at + 1);
  }
  if (n === 0) throw new Error(`"${from}" not found`);
  return out;
}
