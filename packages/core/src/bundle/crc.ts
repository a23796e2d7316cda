/**
 * CRC-32C (Castagnoli) as TensorFlow and LevelDB use it, plus their "mask" and a combine.
 *
 * The checksum itself comes from `@node-rs/crc32` (native, hardware accelerated); only the tiny
 * mask arithmetic and the GF(2) combine, which no well-kept JS library offers for CRC-32C, live here.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

const MASK_DELTA = 0xa282ead8;

/** CRC-32C of `data` (standard conditioning: init and xorout 0xFFFFFFFF), as an unsigned 32-bit number. */
export function crc32c(data: Uint8Array): number {
  return nativeCrc32c(data) >>> 0;
}

/**
 * Continues a CRC-32C: `extendCrc32c(crc32c(a), b) === crc32c(a ++ b)`. `crc` 0 is the CRC of
 * the empty string, so `extendCrc32c(0, x) === crc32c(x)`.
 */
export function extendCrc32c(crc: number, data: Uint8Array): number {
  return nativeCrc32c(data, crc) >>> 0;
}

/**
 * TensorFlow's `crc32c::Mask`: stored checksums are rotated and offset so that a CRC computed over
 * bytes that themselves contain CRCs does not degenerate.
 */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** Inverse of {@link maskCrc}. */
export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

// Reflected CRC-32C polynomial.
const POLY = 0x82f63b78;

function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) {
    if (vec & 1) sum ^= mat[i] as number;
  }
  return sum >>> 0;
}

function gf2Square(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(mat, mat[n] as number);
}

/**
 * `crc32cCombine(crc32c(a), crc32c(b), b.length) === crc32c(a ++ b)`.
 *
 * This lets deep verification checksum pieces of one large tensor in parallel (zlib's
 * `crc32_combine` construction, with the Castagnoli polynomial). Cost is O(log len2).
 */
export function crc32cCombine(crc1: number, crc2: number, len2: number): number {
  if (len2 <= 0) return crc1 >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  // odd = the operator for one zero bit.
  odd[0] = POLY;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row >>> 0;
  gf2Square(even, odd); // two zero bits
  gf2Square(odd, even); // four zero bits
  let c = crc1 >>> 0;
  let len = len2;
  // Apply len zero bytes: first square gives the one-byte operator.
  do {
    gf2Square(even, odd);
    if (len % 2 === 1) c = gf2Times(even, c);
    len = Math.floor(len / 2);
    if (len === 0) break;
    gf2Square(odd, even);
    if (len % 2 === 1) c = gf2Times(odd, c);
    len = Math.floor(len / 2);
  } while (len !== 0);
  return (c ^ crc2) >>> 0;
}
