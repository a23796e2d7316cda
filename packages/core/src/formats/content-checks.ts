/**
 * Small content checks for single-file checkpoints whose completeness a listing cannot show: a
 * few ranged bytes of the file, never the whole file.
 *
 * - zip archives (`.keras`, torch `.ckpt`/`.pt` since torch 1.6): the end-of-central-directory
 *   record is written last, so an archive cut short has none;
 * - HDF5 (`.h5`, `.weights.h5`): the superblock records the end-of-file address, so a truncated
 *   file is shorter than it says;
 * - TensorFlow tables (V1 checkpoints): the 48-byte footer ends with the table magic number.
 */
import { MAGIC_HI, MAGIC_LO, readFixed32 } from '../bundle/sstable-format.js';
import type { DetectContext, FileEntry } from '../discovery/types.js';

/** The outcome of a content check; `undefined` result: the check could not be made (no problem recorded). */
export interface ContentVerdict {
  complete: boolean;
  problem?: string | undefined;
}

const EOCD = [0x50, 0x4b, 0x05, 0x06];
const LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
const EOCD_MIN = 22;
const EOCD_MAX_COMMENT = 0xffff;

function startsWith(bytes: Uint8Array, sig: number[], at = 0): boolean {
  return sig.every((b, i) => bytes[at + i] === b);
}

/**
 * Whether a file is a whole zip archive: its last 22 bytes are the end-of-central-directory record
 * (no archive comment, as Keras and torch write them), or one is found within the last 64 KiB.
 * A file that does not start like a zip is reported as such (e.g. a legacy torch pickle).
 */
export async function checkZip(file: FileEntry, ctx: DetectContext): Promise<ContentVerdict | undefined> {
  if (file.size < EOCD_MIN) return { complete: false, problem: `${file.size} bytes: too short to be a zip archive (truncated?)` };
  const tail = await ctx.readBytes(file, -EOCD_MIN, EOCD_MIN);
  if (!tail) return undefined;
  if (startsWith(tail, EOCD)) return { complete: true };
  const head = await ctx.readBytes(file, 0, 4);
  if (!head) return undefined;
  if (!startsWith(head, LOCAL_HEADER) && !startsWith(head, EOCD)) return { complete: true, problem: 'not a zip archive (legacy format?): completeness not checked' };
  const span = Math.min(file.size, EOCD_MIN + EOCD_MAX_COMMENT);
  const big = await ctx.readBytes(file, -span, span);
  if (!big) return undefined;
  for (let i = big.length - EOCD_MIN; i >= 0; i--) if (startsWith(big, EOCD, i)) return { complete: true };
  return { complete: false, problem: 'truncated zip archive: no end-of-central-directory record (upload or save cut short)' };
}

const HDF5_SIG = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function readUint(bytes: Uint8Array, at: number, width: number): number | undefined {
  if (at + width > bytes.length) return undefined;
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + bytes[at + i]!;
  return v;
}

/**
 * Whether an HDF5 file is whole: it starts with the HDF5 signature and is at least as long as the
 * end-of-file address its superblock records (versions 0 to 3).
 */
export async function checkHdf5(file: FileEntry, ctx: DetectContext): Promise<ContentVerdict | undefined> {
  const head = await ctx.readBytes(file, 0, 96);
  if (!head) return undefined;
  if (!startsWith(head, HDF5_SIG)) return { complete: false, problem: 'not an HDF5 file (no HDF5 signature at the start)' };
  const version = head[8];
  let base: number | undefined;
  let eof: number | undefined;
  if (version === 0 || version === 1) {
    const o = head[13]!;
    const at = 24 + (version === 1 ? 4 : 0);
    base = readUint(head, at, o);
    eof = readUint(head, at + 2 * o, o);
  } else if (version === 2 || version === 3) {
    const o = head[9]!;
    base = readUint(head, 12, o);
    eof = readUint(head, 12 + 2 * o, o);
  } else {
    return { complete: true, problem: `HDF5 superblock version ${version}: completeness not checked` };
  }
  if (base === undefined || eof === undefined) return { complete: false, problem: 'HDF5 superblock cut short' };
  if (base + eof > file.size) return { complete: false, problem: `truncated HDF5 file: ${file.size} bytes, its superblock says ${base + eof}` };
  return { complete: true };
}

/** Whether a file ends with TensorFlow's table footer magic (a whole V1 checkpoint or `.index`). */
export async function checkTableFooter(file: FileEntry, ctx: DetectContext): Promise<ContentVerdict | undefined> {
  if (file.size < 48) return { complete: false, problem: `${file.size} bytes: too short to be a TensorFlow table` };
  const tail = await ctx.readBytes(file, -8, 8);
  if (!tail) return undefined;
  const ok = readFixed32(tail, 0) === MAGIC_LO && readFixed32(tail, 4) === MAGIC_HI;
  return ok ? { complete: true } : { complete: false, problem: 'no TensorFlow table magic at the end (truncated or not a table)' };
}

/** What a `.ckpt` file is, from its last bytes: a TensorFlow table, a zip (torch), or unknown. */
export async function sniffCkptFile(file: FileEntry, ctx: DetectContext): Promise<'table' | 'zip' | 'unknown'> {
  if (file.size < EOCD_MIN) return 'unknown';
  const tail = await ctx.readBytes(file, -EOCD_MIN, EOCD_MIN);
  if (!tail) return 'unknown';
  if (startsWith(tail, EOCD)) return 'zip';
  if (readFixed32(tail, EOCD_MIN - 8) === MAGIC_LO && readFixed32(tail, EOCD_MIN - 4) === MAGIC_HI) return 'table';
  return 'unknown';
}
