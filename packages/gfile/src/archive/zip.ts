/**
 * Zip archives through yauzl: its central-directory reader runs over a RandomAccessReader whose
 * reads are served from at most three ranged reads of the archive (the tail holding the end
 * record, the zip64 record when it lies before the tail, the central directory). A member is one
 * ranged read: its local header and data, inflated with zlib and checked against the central
 * directory (name, method, size, CRC-32).
 */
import { crc32, createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { isCkptError } from '../errors.js';
import { ArchiveIndex, type MemberFile } from './archive-index.js';
import type { ArchiveLimits } from './limits.js';
import { corrupt, drained, type ArchiveSource } from './source.js';
import type { ArchiveFormat } from './view.js';

/** Where a zip member's bytes are. */
export interface ZipLoc {
  localHeaderOffset: number;
  compressedSize: number;
  method: number;
  crc32: number;
  /** The name's bytes as the central directory holds them (the local header must agree). */
  rawName: Buffer;
  extraLength: number;
}

/** Largest central directory read in one request; a larger one is read in reads of this size. */
const CD_READ = 64 * 2 ** 20;
/** Extra bytes read after a member's data: the local extra field may be longer than the central one. */
const LOCAL_SLACK = 1024;

class CachedReader extends yauzl.RandomAccessReader {
  private readonly blocks: { start: number; data: Buffer }[] = [];

  constructor(
    private readonly source: ArchiveSource,
    private readonly totalSize: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    super();
  }

  /** yauzl's reads: served from the cached blocks, a miss fetching up to the next cached block. */
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    this.fetch(position, length).then(
      (data) => {
        data.copy(buffer, offset, 0, length);
        callback(null, Math.min(length, data.length));
      },
      (error: Error) => callback(error),
    );
  }

  override _readStreamForRange(): never {
    throw new Error('CachedReader serves reads only');
  }

  private async fetch(position: number, length: number): Promise<Buffer> {
    const hit = this.blocks.find((b) => b.start <= position && position + length <= b.start + b.data.length);
    if (hit) return hit.data.subarray(position - hit.start, position - hit.start + length);
    // Central directory entries come one by one: read on to the next cached block (the tail), so
    // that the whole directory is one request.
    const next = Math.min(this.totalSize, ...this.blocks.filter((b) => b.start > position).map((b) => b.start));
    const end = Math.max(position + length, Math.min(next, position + CD_READ));
    const data = Buffer.from(await this.source.read(position, end - position, this.signal));
    if (data.length < length) throw corrupt(this.source.uri, 'the archive ends early (truncated)');
    this.blocks.push({ start: position, data });
    return data.subarray(0, length);
  }
}

/** The zip format of an archive view. */
export function zipFormat(source: ArchiveSource, limits: ArchiveLimits): ArchiveFormat<ZipLoc> {
  return {
    rangeReads: false,
    async index(signal) {
      const size = await source.size(signal);
      const fail = (message: string) => corrupt(source.uri, message);
      const index = new ArchiveIndex<ZipLoc>(limits, 'refuse', fail);
      let zip: yauzl.ZipFile;
      try {
        zip = await yauzl.fromRandomAccessReaderPromise(new CachedReader(source, size, signal), size, {
          lazyEntries: true,
          autoClose: false,
          decodeStrings: false,
          validateEntrySizes: true,
          strictFileNames: true,
        });
      } catch (error) {
        throw wrap(error, source.uri);
      }
      if (zip.entryCount > limits.maxMembers) throw fail(`${zip.entryCount} members, more than the limit of ${limits.maxMembers}`);
      const ranges: [number, number][] = [];
      await new Promise<void>((resolve, reject) => {
        zip.on('error', (error: unknown) => reject(wrap(error, source.uri)));
        zip.on('end', () => resolve());
        zip.on('entry', (entry: yauzl.Entry) => {
          try {
            const rawName = entry.fileName as unknown as Buffer;
            const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, rawName, entry.extraFields, true);
            const isDir = name.endsWith('/');
            const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
            const link = mode === 0o120000;
            if (!isDir && !link) checkRatio(entry.uncompressedSize, entry.compressedSize, limits, () => fail(`member "${name}" inflates ${entry.compressedSize} bytes to ${entry.uncompressedSize} (a zip bomb?)`));
            if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8 && !isDir) {
              index.add(name, { kind: 'other', reason: `compression method ${entry.compressionMethod} is not supported (stored and deflate are)`, size: 0, loc: undefined as never });
            } else {
              index.add(name, {
                kind: isDir ? 'directory' : link ? 'other' : 'file',
                reason: link ? 'a symbolic link (links are not followed)' : undefined,
                size: entry.uncompressedSize,
                mtime: entry.getLastModDate(),
                loc: {
                  localHeaderOffset: entry.relativeOffsetOfLocalHeader,
                  compressedSize: entry.compressedSize,
                  method: entry.compressionMethod,
                  crc32: entry.crc32,
                  rawName: Buffer.from(rawName),
                  extraLength: entry.extraFieldLength,
                },
              });
              if (!isDir && !link) ranges.push([entry.relativeOffsetOfLocalHeader, entry.relativeOffsetOfLocalHeader + 30 + rawName.length + entry.compressedSize]);
            }
            zip.readEntry();
          } catch (error) {
            reject(wrap(error, source.uri));
          }
        });
        zip.readEntry();
      });
      // Members sharing bytes are the overlapping-file zip bomb: refused whole.
      ranges.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < ranges.length; i++) if (ranges[i]![0] < ranges[i - 1]![1]) throw fail('two members overlap (an overlapping-member zip bomb?)');
      return index;
    },
    stream(member, offset, length, signal) {
      return memberBytes(source, member, offset, length, signal);
    },
  };
}

async function* memberBytes(source: ArchiveSource, member: MemberFile<ZipLoc>, offset: number, length: number | undefined, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  const loc = member.loc;
  const fail = (message: string) => corrupt(source.uri, `member "${member.key}": ${message}`);
  const headerMax = 30 + loc.rawName.length + 0xffff;
  // One ranged read: the local header, a local extra field up to LOCAL_SLACK longer than the central one, the data.
  const want = 30 + loc.rawName.length + loc.extraLength + LOCAL_SLACK + loc.compressedSize;
  const chunks = source.stream(loc.localHeaderOffset, Math.min(want, headerMax + loc.compressedSize), signal);
  const it = chunks[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let dataStart = -1;
  let rest: Buffer = Buffer.alloc(0);
  while (dataStart < 0) {
    const next = await it.next();
    if (next.done) throw fail('the archive ends inside the local header (truncated)');
    head = Buffer.concat([head, next.value]);
    if (head.length >= 30) {
      if (head.readUInt32LE(0) !== 0x04034b50) throw fail('no local file header where the central directory points');
      const nameLength = head.readUInt16LE(26);
      const extraLength = head.readUInt16LE(28);
      if (head.length >= 30 + nameLength + extraLength) {
        const name = head.subarray(30, 30 + nameLength);
        if (!name.equals(loc.rawName)) throw fail('the local header names another file than the central directory');
        if (head.readUInt16LE(8) !== loc.method) throw fail('the local header and the central directory disagree on the compression method');
        if (extraLength > loc.extraLength + LOCAL_SLACK) throw fail('the local extra field is too long');
        dataStart = 30 + nameLength + extraLength;
        rest = head.subarray(dataStart);
      }
    }
  }
  let remaining = loc.compressedSize;
  const compressed = async function* (): AsyncIterable<Buffer> {
    if (rest.length > 0) {
      const first = rest.subarray(0, remaining);
      remaining -= first.length;
      yield first;
    }
    while (remaining > 0) {
      const next = await it.next();
      if (next.done) throw fail('the archive ends inside the member (truncated)');
      const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength).subarray(0, remaining);
      remaining -= chunk.length;
      yield chunk;
    }
    await it.return?.();
  };
  const plain = loc.method === 0 ? compressed() : inflate(compressed(), member.size, fail);
  yield* checkedSlice(plain, member, offset, length, loc.crc32, fail);
}

async function* inflate(input: AsyncIterable<Buffer>, size: number, fail: (m: string) => Error): AsyncIterable<Buffer> {
  const inflater = createInflateRaw();
  const pump = (async () => {
    try {
      for await (const chunk of input) {
        if (inflater.destroyed) break;
        if (!inflater.write(chunk)) await drained(inflater);
      }
      if (!inflater.destroyed) inflater.end();
    } catch (error) {
      inflater.destroy(error as Error);
    }
  })();
  let produced = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      produced += chunk.length;
      // Never more than the central directory declares: a bomb stops here, not at the end of memory.
      if (produced > size) throw fail(`inflates to more than the ${size} bytes the central directory declares`);
      yield chunk;
    }
  } catch (error) {
    if (isCkptError(error)) throw error;
    throw fail(`cannot inflate: ${(error as Error).message}`);
  } finally {
    inflater.destroy();
    await pump;
  }
  if (produced !== size) throw fail(`inflates to ${produced} bytes, not the ${size} the central directory declares`);
}

/** The bytes [offset, offset+length) of a member's plain stream; the CRC-32 is checked when the whole member is read. */
async function* checkedSlice(plain: AsyncIterable<Buffer>, member: MemberFile<ZipLoc>, offset: number, length: number | undefined, expectedCrc: number, fail: (m: string) => Error): AsyncIterable<Uint8Array> {
  const end = length === undefined ? member.size : offset + length;
  const whole = offset === 0 && end >= member.size;
  let pos = 0;
  let crc = 0;
  let seen = 0;
  for await (const chunk of plain) {
    if (whole) crc = crc32(chunk, crc);
    seen += chunk.length;
    const from = Math.max(0, offset - pos);
    const to = Math.min(chunk.length, end - pos);
    if (to > from) yield chunk.subarray(from, to);
    pos += chunk.length;
    if (!whole && pos >= end) return;
  }
  if (seen !== member.size) throw fail(`holds ${seen} bytes, not the ${member.size} the central directory declares`);
  if (whole && crc >>> 0 !== expectedCrc >>> 0) throw fail('CRC-32 mismatch: the member is damaged');
}

/** CORRUPT when a member's decompression ratio says bomb (past the floor below which it is not checked). */
export function checkRatio(plain: number, compressed: number, limits: ArchiveLimits, fail: () => Error): void {
  if (plain > limits.ratioFloor && plain > Math.max(1, compressed) * limits.maxRatio) throw fail();
}

function wrap(error: unknown, uri: string): Error {
  if (isCkptError(error)) return error;
  return corrupt(uri, `not a readable zip archive: ${(error as Error)?.message ?? error}`, error);
}
