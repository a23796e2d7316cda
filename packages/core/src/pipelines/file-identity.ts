/**
 * "Is the destination file already identical to the source?" from the hashes stores report in
 * listings, computing a hash over a local (or in-memory) file only where the other side has one to
 * compare with. Never answers "identical" from sizes or times alone.
 */
import { createHash } from 'node:crypto';
import { schemeOf, type GFile } from '@ckptkit/gfile';
import { extendCrc32c } from '../bundle/crc.js';

/** One side of a comparison: a file's URI, size and whatever hashes its listing carried. */
export interface FileFacts {
  uri: string;
  size: number;
  etag?: string | undefined;
  /** Base64 of the big-endian CRC-32C (as GCS reports it). */
  crc32c?: string | undefined;
  /** Base64 MD5 (as GCS reports it). */
  md5?: string | undefined;
}

/** The hashes a store declares for a file, normalised so that two stores' values compare. */
export interface DeclaredHashes {
  crc32c?: string | undefined;
  md5?: string | undefined;
  /** An S3 multipart ETag (`<md5 of the part md5s>-<parts>`), unquoted. */
  multipart?: { etag: string; parts: number } | undefined;
}

/** How a comparison was decided. */
export interface IdentityVerdict {
  identical: boolean;
  /** `crc32c`, `md5` or `s3-etag` (and `computed` when a local side was hashed); absent when undecided. */
  by?: string | undefined;
  /** Why the files do not count as identical. */
  reason?: string | undefined;
}

const MD5_HEX = /^[0-9a-f]{32}$/;
const MULTIPART_ETAG = /^([0-9a-f]{32})-(\d+)$/;
const MiB = 1024 * 1024;
/** Most part sizes tried when matching an S3 multipart ETag against a local file. */
const MAX_PART_CANDIDATES = 32;

/** Schemes whose files are cheap to read whole (a local disk, this process's memory). */
export function isCheapToRead(uri: string): boolean {
  const s = schemeOf(uri);
  return s === 'file' || s === 'memory';
}

/**
 * The hashes a listing declared, by store: `crc32c` and `md5` are taken from any store that reports
 * them (GCS); an S3 ETag counts as the MD5 only when it has MD5's shape (single-part uploads without
 * KMS encryption), and as a multipart ETag when it has that shape. Other stores' ETags (the memory
 * store's generation counter, GCS's opaque etag) are never read as content hashes.
 */
export function declaredHashes(f: FileFacts): DeclaredHashes {
  const out: DeclaredHashes = {};
  if (f.crc32c) out.crc32c = f.crc32c;
  if (f.md5) out.md5 = f.md5;
  if (schemeOf(f.uri) === 's3' && f.etag) {
    const etag = f.etag.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
    if (MD5_HEX.test(etag)) out.md5 ??= Buffer.from(etag, 'hex').toString('base64');
    const m = MULTIPART_ETAG.exec(etag);
    if (m) out.multipart = { etag, parts: Number(m[2]) };
  }
  return out;
}

/** What {@link hashFile} should compute. */
interface HashRequest {
  crc32c?: boolean;
  md5?: boolean;
  /** Candidate part sizes for an S3 multipart ETag. */
  partSizes?: number[];
}

interface HashResult {
  crc32c?: string;
  md5?: string;
  /** Multipart ETag per candidate part size. */
  multipart?: Map<number, string>;
}

/** Part sizes (MiB multiples, as S3 uploaders use) that split `size` bytes into exactly `parts` parts. */
export function candidatePartSizes(size: number, parts: number): number[] {
  if (parts < 1 || size < 0) return [];
  if (parts === 1) return [Math.max(MiB, Math.ceil(size / MiB) * MiB)];
  // ceil(size / p) === parts  <=>  size / parts <= p < size / (parts - 1)
  const lo = Math.ceil(size / parts / MiB) * MiB;
  const out: number[] = [];
  for (let p = lo; out.length < MAX_PART_CANDIDATES && p < size / (parts - 1) + 1e-9; p += MiB) {
    if (Math.ceil(size / p) === parts) out.push(p);
  }
  return out;
}

/** One streamed read of a file computing every requested hash at once. */
async function hashFile(gfile: GFile, uri: string, want: HashRequest, signal: AbortSignal | undefined): Promise<HashResult> {
  let crc = 0;
  const md5 = want.md5 ? createHash('md5') : undefined;
  const parts = (want.partSizes ?? []).map((size) => ({ size, filled: 0, current: createHash('md5'), digests: [] as Buffer[] }));
  for await (const chunk of gfile.readStream(uri, { signal })) {
    if (want.crc32c) crc = extendCrc32c(crc, chunk);
    md5?.update(chunk);
    for (const p of parts) {
      let off = 0;
      while (off < chunk.byteLength) {
        const take = Math.min(p.size - p.filled, chunk.byteLength - off);
        p.current.update(chunk.subarray(off, off + take));
        p.filled += take;
        off += take;
        if (p.filled === p.size) {
          p.digests.push(p.current.digest());
          p.current = createHash('md5');
          p.filled = 0;
        }
      }
    }
  }
  const out: HashResult = {};
  if (want.crc32c) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(crc >>> 0);
    out.crc32c = b.toString('base64');
  }
  if (md5) out.md5 = md5.digest('base64');
  if (parts.length > 0) {
    out.multipart = new Map();
    for (const p of parts) {
      if (p.filled > 0) p.digests.push(p.current.digest());
      const etag = `${createHash('md5').update(Buffer.concat(p.digests)).digest('hex')}-${p.digests.length}`;
      out.multipart.set(p.size, etag);
    }
  }
  return out;
}

/**
 * Whether `dst` already holds exactly the bytes of `src`. Identical means: **the same size, and
 * equal values of one content hash both sides have**, tried in this order:
 *
 * 1. CRC-32C both stores report (GCS and GCS);
 * 2. MD5 both report, where an S3 ETag of MD5 shape counts as its MD5 (GCS and S3, S3 and S3);
 * 3. the same S3 multipart ETag on both sides (S3 and S3, same part layout);
 * 4. when only one side reports a hash and the other is a local or in-memory file, that hash
 *    computed over the local file (CRC-32C, else MD5, else the multipart ETag for each part size
 *    of whole MiB that yields the ETag's part count);
 * 5. when both sides are local or in-memory, the CRC-32C of both.
 *
 * 6. with `readSource`, when the two stores share no hash (an S3 multipart upload against GCS),
 *    the hash the destination declares computed over the source, read once (a download, never
 *    an upload: what a resumed copy must not repeat is sending the bytes again).
 *
 * Otherwise (different sizes, a hash that differs, or two remote stores with no hash in common)
 * the file is not identical and is copied again: a wrong "different" costs a transfer, a wrong
 * "identical" would keep a bad file. Times are never used.
 */
export async function compareFiles(gfile: GFile, src: FileFacts, dst: FileFacts, options: { readSource?: boolean | undefined; signal?: AbortSignal | undefined } = {}): Promise<IdentityVerdict> {
  const { signal } = options;
  if (src.size !== dst.size) return { identical: false, reason: `sizes differ (${src.size} and ${dst.size} bytes)` };
  const a = declaredHashes(src);
  const b = declaredHashes(dst);
  if (a.crc32c && b.crc32c) return verdict(a.crc32c === b.crc32c, 'crc32c');
  if (a.md5 && b.md5) return verdict(a.md5 === b.md5, 'md5');
  if (a.multipart && b.multipart) return verdict(a.multipart.etag === b.multipart.etag, 's3-etag');
  const aCheap = isCheapToRead(src.uri);
  const bCheap = isCheapToRead(dst.uri);
  // One side declares a hash, the other can be hashed: a local side, or (readSource) the source.
  for (const [declared, uri, readable, label] of [
    [a, dst.uri, bCheap, 'computed'],
    [b, src.uri, aCheap, 'computed'],
    [b, src.uri, options.readSource === true, 'computed from the source'],
  ] as const) {
    if (!readable) continue;
    if (declared.crc32c) return verdict((await hashFile(gfile, uri, { crc32c: true }, signal)).crc32c === declared.crc32c, `crc32c (${label})`);
    if (declared.md5) return verdict((await hashFile(gfile, uri, { md5: true }, signal)).md5 === declared.md5, `md5 (${label})`);
    if (declared.multipart) {
      const sizes = candidatePartSizes(src.size, declared.multipart.parts);
      if (sizes.length === 0) return { identical: false, reason: 'the multipart ETag does not fit any part size' };
      const computed = await hashFile(gfile, uri, { partSizes: sizes }, signal);
      return verdict([...(computed.multipart?.values() ?? [])].includes(declared.multipart.etag), `s3-etag (${label})`);
    }
  }
  if (aCheap && bCheap) {
    const [x, y] = await Promise.all([hashFile(gfile, src.uri, { crc32c: true }, signal), hashFile(gfile, dst.uri, { crc32c: true }, signal)]);
    return verdict(x.crc32c === y.crc32c, 'crc32c (computed)');
  }
  return { identical: false, reason: 'the two stores report no content hash in common' };
}

function verdict(same: boolean, by: string): IdentityVerdict {
  return same ? { identical: true, by } : { identical: false, by, reason: `${by.replace(/ \(computed.*\)$/, '')} differs` };
}
