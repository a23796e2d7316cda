/**
 * Constants and small codecs of TensorFlow's table format (tensorflow/core/lib/io/format.{h,cc},
 * a LevelDB SSTable without filter blocks), shared by the reader and the writer.
 */

/** `Footer::kEncodedLength`: two max-length block handles (2 x 20) + 8 bytes of magic. */
export const FOOTER_SIZE = 48;
/** `kBlockTrailerSize`: 1 type byte + fixed32 masked crc. */
export const BLOCK_TRAILER_SIZE = 5;
/** `kTableMagicNumber` = 0xdb4775248b80fb57, stored little-endian as two fixed32. */
export const MAGIC_LO = 0x8b80fb57;
export const MAGIC_HI = 0xdb477524;
/** Block types in the trailer. */
export const NO_COMPRESSION = 0;
export const SNAPPY_COMPRESSION = 1;

/** Where a block is: `size` excludes the 5-byte trailer. */
export interface BlockHandle {
  offset: number;
  size: number;
}

export function readFixed32(b: Uint8Array, p: number): number {
  return ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>> 0;
}

export function writeFixed32(b: Uint8Array, p: number, v: number): void {
  b[p] = v & 0xff;
  b[p + 1] = (v >>> 8) & 0xff;
  b[p + 2] = (v >>> 16) & 0xff;
  b[p + 3] = (v >>> 24) & 0xff;
}

/**
 * Decodes a LevelDB varint (up to 64 bits) at `p` without reading past `end`; returns `undefined`
 * when the bytes end first, the varint is longer than `maxBytes`, or the value exceeds 2^53-1.
 */
export function decodeVarint(b: Uint8Array, p: number, end: number, maxBytes = 10): { value: number; next: number } | undefined {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < maxBytes && p < end; i++) {
    const byte = b[p++] as number;
    result += (byte & 0x7f) * mul;
    if (byte < 0x80) return result > Number.MAX_SAFE_INTEGER ? undefined : { value: result, next: p };
    mul *= 128;
  }
  return undefined;
}

/** Appends a varint to a byte array. */
export function pushVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** Bytewise (unsigned, memcmp) comparison, the order of every key in a table. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** A Map/Set key for a byte string (one char per byte, so distinct bytes never collide). */
export function bytesKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}
