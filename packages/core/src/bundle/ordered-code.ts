/**
 * TensorFlow's OrderedCode subset used for the keys of partitioned-tensor slices
 * (`checkpoint::EncodeTensorNameSlice`, tensorflow/core/lib/strings/ordered_code.cc):
 * `NumIncreasing(0) String(name) NumIncreasing(rank) {SignedNumIncreasing(start) SignedNumIncreasing(length)}*`.
 * V1 files use the same keys for every tensor; V2 bundles only for slices of partitioned tensors.
 */
import type { TensorSlice } from './bundle-proto.js';

// kLengthToHeaderBits / kLengthToMask of ordered_code.cc, indexed by encoded length 1..10.
const HEADER_BITS: ReadonlyArray<readonly [number, number]> = [
  [0, 0], [0x80, 0], [0xc0, 0], [0xe0, 0], [0xf0, 0], [0xf8, 0], [0xfc, 0], [0xfe, 0], [0xff, 0], [0xff, 0x80], [0xff, 0xc0],
];
const LENGTH_MASK: readonly bigint[] = [
  0n, 0x80n, 0xc000n, 0xe00000n, 0xf0000000n, 0xf800000000n, 0xfc0000000000n, 0xfe000000000000n,
  0xff00000000000000n, 0x8000000000000000n, 0n,
];

function writeNumIncreasing(out: number[], v: number): void {
  const bytes: number[] = [];
  let x = BigInt(v);
  while (x > 0n) {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
  }
  out.push(bytes.length, ...bytes);
}

function writeString(out: number[], s: Uint8Array): void {
  for (const b of s) {
    if (b === 0x00) out.push(0x00, 0xff);
    else if (b === 0xff) out.push(0xff, 0x00);
    else out.push(b);
  }
  out.push(0x00, 0x01);
}

function writeSignedNumIncreasing(out: number[], value: number): void {
  const v = BigInt(value);
  const x = v < 0n ? ~v : v;
  if (x < 64n) {
    out.push(Number((0x80n ^ v) & 0xffn));
    return;
  }
  const len = Math.floor(x.toString(2).length / 7) + 1;
  const wide = BigInt.asUintN(80, v); // sign-extended to 10 bytes
  const bytes: number[] = [];
  for (let i = len - 1; i >= 0; i--) bytes.push(Number((wide >> BigInt(8 * i)) & 0xffn));
  const [h0, h1] = HEADER_BITS[len] as readonly [number, number];
  bytes[0] = (bytes[0] as number) ^ h0;
  bytes[1] = (bytes[1] as number) ^ h1;
  out.push(...bytes);
}

/** The bundle key of one slice of a partitioned tensor (`EncodeTensorNameSlice`). */
export function encodeTensorNameSlice(name: Uint8Array, slice: TensorSlice): Uint8Array {
  const out: number[] = [];
  writeNumIncreasing(out, 0);
  writeString(out, name);
  writeNumIncreasing(out, slice.length);
  for (const e of slice) {
    // A full extent is encoded as start 0, length -1 (kFullExtent).
    writeSignedNumIncreasing(out, e.length === -1 ? 0 : e.start);
    writeSignedNumIncreasing(out, e.length);
  }
  return Uint8Array.from(out);
}

class Cursor {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.b.length) throw new RangeError('truncated');
    return this.b[this.pos++] as number;
  }
}

function readNumIncreasing(c: Cursor): number {
  const len = c.byte();
  if (len > 8) throw new RangeError('number too long');
  let x = 0n;
  for (let i = 0; i < len; i++) x = (x << 8n) | BigInt(c.byte());
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('number out of range');
  return Number(x);
}

function readString(c: Cursor): Uint8Array {
  const out: number[] = [];
  for (;;) {
    const b = c.byte();
    if (b === 0x00) {
      const n = c.byte();
      if (n === 0x01) return Uint8Array.from(out);
      if (n !== 0xff) throw new RangeError('bad escape');
      out.push(0x00);
    } else if (b === 0xff) {
      if (c.byte() !== 0x00) throw new RangeError('bad escape');
      out.push(0xff);
    } else out.push(b);
  }
}

function readSignedNumIncreasing(c: Cursor): number {
  const b = c.b;
  const p = c.pos;
  if (p >= b.length) throw new RangeError('truncated');
  const xorMask = ((b[p] as number) & 0x80) === 0 ? 0xff : 0;
  const first = (b[p] as number) ^ xorMask;
  let len: number;
  if (first !== 0xff) {
    len = 7 - (31 - Math.clz32(first ^ 0xff));
  } else {
    len = 8;
    if (p + 1 >= b.length) throw new RangeError('truncated');
    const second = (b[p + 1] as number) ^ xorMask;
    if (second >= 0x80) {
      if (second < 0xc0) len = 9;
      else {
        if (p + 2 >= b.length) throw new RangeError('truncated');
        const third = (b[p + 2] as number) ^ xorMask;
        if (second === 0xc0 && third < 0x80) len = 10;
        else throw new RangeError('signed number too long');
      }
    }
  }
  if (p + len > b.length) throw new RangeError('truncated');
  let x = xorMask ? 0xffffffffffffffffn : 0n;
  for (let i = 0; i < len; i++) x = BigInt.asUintN(64, (x << 8n) | BigInt(b[p + i] as number));
  x ^= LENGTH_MASK[len] as bigint;
  c.pos = p + len;
  const v = BigInt.asIntN(64, x);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError('number out of range');
  return Number(v);
}

/**
 * Decodes a key made by {@link encodeTensorNameSlice}; `undefined` when `key` is not such a key
 * (it must start with byte 0 and be consumed exactly).
 */
export function decodeTensorNameSlice(key: Uint8Array): { name: Uint8Array; slice: TensorSlice } | undefined {
  if (key.length === 0 || key[0] !== 0) return undefined;
  const c = new Cursor(key);
  try {
    if (readNumIncreasing(c) !== 0) return undefined;
    const name = readString(c);
    const rank = readNumIncreasing(c);
    // Each dimension takes at least two bytes; refuse ranks the key cannot hold.
    if (rank * 2 > key.length - c.pos) return undefined;
    const slice: TensorSlice = [];
    for (let d = 0; d < rank; d++) {
      const start = readSignedNumIncreasing(c);
      const length = readSignedNumIncreasing(c);
      slice.push(length === -1 ? { start: 0, length: -1 } : { start, length });
    }
    return c.pos === key.length ? { name, slice } : undefined;
  } catch {
    return undefined;
  }
}

/** TensorFlow's `TensorSlice::DebugString`: `-` for a full dimension, else `start,length`, joined by `:`. */
export function sliceToString(slice: TensorSlice): string {
  return slice.map((e) => (e.length === -1 ? '-' : `${e.start},${e.length}`)).join(':');
}
