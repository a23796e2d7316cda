/**
 * Checksums of tensor data as TensorFlow computes them (format doc §4.3), as streaming checkers
 * that take the tensor's bytes in any number of chunks, so a tensor is never held in memory whole.
 */
import { crc32c, extendCrc32c, maskCrc, unmaskCrc } from './crc.js';
import { decodeVarint, pushVarint, readFixed32, writeFixed32 } from './sstable-format.js';

/** Outcome of checking one tensor. */
export type CheckOutcome = { ok: true } | { ok: false; code: 'CRC_MISMATCH' | 'SIZE_MISMATCH'; detail: string };

/** Consumes a tensor's bytes in order; `finish` after exactly `entry.size` bytes. */
export interface TensorChecker {
  update(chunk: Uint8Array): void;
  finish(): CheckOutcome;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** Compares a computed CRC with the stored masked one. */
export function compareCrc(actual: number, storedMasked: number): CheckOutcome {
  const expected = unmaskCrc(storedMasked);
  return actual === expected
    ? { ok: true }
    : { ok: false, code: 'CRC_MISMATCH', detail: `checksum does not match: stored ${hex(expected)} (masked ${hex(storedMasked)}), computed ${hex(actual)}` };
}

/** Memcpy-able dtypes: the checksum is the CRC-32C of the raw bytes. */
export class RawChecker implements TensorChecker {
  private crc = 0;
  constructor(private readonly storedMasked: number) {}
  update(chunk: Uint8Array): void {
    this.crc = extendCrc32c(this.crc, chunk);
  }
  finish(): CheckOutcome {
    return compareCrc(this.crc, this.storedMasked);
  }
}

/** Accumulates little-endian integers and feeds them to the CRC in batches (one native call per batch). */
class LeBatch {
  private buf = new Uint8Array(4096);
  private n = 0;
  constructor(public crc: number) {}
  push(value: number, width: 4 | 8): void {
    if (this.n + width > this.buf.length) this.flush();
    let v = value;
    for (let i = 0; i < width; i++) {
      this.buf[this.n++] = v % 256;
      v = Math.floor(v / 256);
    }
  }
  flush(): number {
    if (this.n > 0) this.crc = extendCrc32c(this.crc, this.buf.subarray(0, this.n));
    this.n = 0;
    return this.crc;
  }
}

/** Incremental varint64 decoding across chunk boundaries. */
class VarintState {
  value = 0;
  private mul = 1;
  private bytes = 0;
  /** Feeds one byte; returns true when the varint is complete. Throws on overlong/oversized values. */
  feed(b: number): boolean {
    if (++this.bytes > 10) throw new RangeError('varint longer than 10 bytes');
    this.value += (b & 0x7f) * this.mul;
    if (this.value > Number.MAX_SAFE_INTEGER) throw new RangeError('length out of range');
    this.mul *= 128;
    return b < 0x80;
  }
  reset(): void {
    this.value = 0;
    this.mul = 1;
    this.bytes = 0;
  }
}

/**
 * DT_STRING: `varint64 len[i]..., fixed32 Mask(crc of lengths), bytes...`; the lengths are hashed as
 * uint32 LE (uint64 LE when >= 2^32), then the 4 raw bytes of the masked length checksum, then the
 * strings. Bytes after the last string (TensorFlow allows `size` to exceed) are not hashed.
 */
export class StringChecker implements TensorChecker {
  private phase: 'lengths' | 'checksum' | 'bytes' | 'done' | 'failed' = 'lengths';
  private readonly lengths: LeBatch;
  private readonly varint = new VarintState();
  private elements = 0;
  private consumed = 0;
  private stringBytesLeft = 0;
  private readonly ck = new Uint8Array(4);
  private ckLen = 0;
  private crc = 0;
  private failure: CheckOutcome | undefined;

  constructor(
    private readonly numElements: number,
    private readonly size: number,
    private readonly storedMasked: number,
  ) {
    this.lengths = new LeBatch(0);
    if (numElements === 0) this.phase = 'checksum';
  }

  private fail(code: 'CRC_MISMATCH' | 'SIZE_MISMATCH', detail: string): void {
    this.failure = { ok: false, code, detail };
    this.phase = 'failed';
  }

  update(chunk: Uint8Array): void {
    let p = 0;
    while (p < chunk.length) {
      switch (this.phase) {
        case 'lengths': {
          const b = chunk[p++] as number;
          let done: boolean;
          try {
            done = this.varint.feed(b);
          } catch (e) {
            this.fail('SIZE_MISMATCH', `string length ${this.elements} is malformed: ${(e as Error).message}`);
            return;
          }
          if (done) {
            const len = this.varint.value;
            this.lengths.push(len, len <= 0xffffffff ? 4 : 8);
            this.stringBytesLeft += len;
            this.varint.reset();
            if (++this.elements === this.numElements) this.phase = 'checksum';
          }
          break;
        }
        case 'checksum': {
          const take = Math.min(4 - this.ckLen, chunk.length - p);
          this.ck.set(chunk.subarray(p, p + take), this.ckLen);
          this.ckLen += take;
          p += take;
          if (this.ckLen === 4) {
            const lengthsCrc = this.lengths.flush();
            const stored = readFixed32(this.ck, 0);
            if (unmaskCrc(stored) !== lengthsCrc) {
              this.fail('CRC_MISMATCH', `the length checksum does not match: stored ${hex(unmaskCrc(stored))}, computed ${hex(lengthsCrc)}`);
              return;
            }
            const headerBytes = this.consumed + p;
            if (headerBytes + this.stringBytesLeft > this.size) {
              this.fail('SIZE_MISMATCH', `string lengths claim ${this.stringBytesLeft} bytes but the entry has only ${this.size - headerBytes} after its lengths`);
              return;
            }
            this.crc = extendCrc32c(lengthsCrc, this.ck);
            this.phase = this.stringBytesLeft === 0 ? 'done' : 'bytes';
          }
          break;
        }
        case 'bytes': {
          const take = Math.min(this.stringBytesLeft, chunk.length - p);
          this.crc = extendCrc32c(this.crc, chunk.subarray(p, p + take));
          this.stringBytesLeft -= take;
          p += take;
          if (this.stringBytesLeft === 0) this.phase = 'done';
          break;
        }
        case 'done':
        case 'failed':
          this.consumed += chunk.length;
          return;
      }
    }
    this.consumed += chunk.length;
  }

  finish(): CheckOutcome {
    if (this.failure) return this.failure;
    if (this.phase !== 'done') {
      return { ok: false, code: 'SIZE_MISMATCH', detail: `the entry's ${this.size} bytes end inside the string tensor (${this.phase})` };
    }
    return compareCrc(this.crc, this.storedMasked);
  }
}

/**
 * DT_VARIANT: per element `varint64 len, bytes, fixed32 Mask(running crc)`; the running crc covers
 * each len as uint64 LE, the bytes, and each previous element checksum's 4 raw bytes.
 */
export class VariantChecker implements TensorChecker {
  private phase: 'len' | 'bytes' | 'checksum' | 'done' | 'failed' = 'len';
  private readonly varint = new VarintState();
  private crc = 0;
  private left = 0;
  private elements = 0;
  private consumed = 0;
  private readonly ck = new Uint8Array(4);
  private ckLen = 0;
  private failure: CheckOutcome | undefined;
  private readonly len8 = new Uint8Array(8);

  constructor(
    private readonly numElements: number,
    private readonly size: number,
    private readonly storedMasked: number,
  ) {
    if (numElements === 0) this.phase = 'done';
  }

  update(chunk: Uint8Array): void {
    let p = 0;
    while (p < chunk.length && this.phase !== 'done' && this.phase !== 'failed') {
      if (this.phase === 'len') {
        let done: boolean;
        try {
          done = this.varint.feed(chunk[p++] as number);
        } catch (e) {
          this.failure = { ok: false, code: 'SIZE_MISMATCH', detail: `variant ${this.elements} length is malformed: ${(e as Error).message}` };
          this.phase = 'failed';
          return;
        }
        if (done) {
          this.left = this.varint.value;
          if (this.consumed + p + this.left + 4 > this.size) {
            this.failure = { ok: false, code: 'SIZE_MISMATCH', detail: `variant ${this.elements} claims ${this.left} bytes, more than the entry holds` };
            this.phase = 'failed';
            return;
          }
          let v = this.left;
          for (let i = 0; i < 8; i++) {
            this.len8[i] = v % 256;
            v = Math.floor(v / 256);
          }
          this.crc = extendCrc32c(this.crc, this.len8);
          this.varint.reset();
          this.phase = this.left === 0 ? 'checksum' : 'bytes';
        }
      } else if (this.phase === 'bytes') {
        const take = Math.min(this.left, chunk.length - p);
        this.crc = extendCrc32c(this.crc, chunk.subarray(p, p + take));
        this.left -= take;
        p += take;
        if (this.left === 0) this.phase = 'checksum';
      } else {
        const take = Math.min(4 - this.ckLen, chunk.length - p);
        this.ck.set(chunk.subarray(p, p + take), this.ckLen);
        this.ckLen += take;
        p += take;
        if (this.ckLen === 4) {
          const stored = readFixed32(this.ck, 0);
          if (unmaskCrc(stored) !== this.crc) {
            this.failure = { ok: false, code: 'CRC_MISMATCH', detail: `the checksum after variant ${this.elements} does not match` };
            this.phase = 'failed';
            return;
          }
          this.crc = extendCrc32c(this.crc, this.ck);
          this.ckLen = 0;
          this.phase = ++this.elements === this.numElements ? 'done' : 'len';
        }
      }
    }
    this.consumed += chunk.length;
  }

  finish(): CheckOutcome {
    if (this.failure) return this.failure;
    if (this.phase !== 'done') {
      return { ok: false, code: 'SIZE_MISMATCH', detail: `the entry's ${this.size} bytes end inside the variant tensor` };
    }
    return compareCrc(this.crc, this.storedMasked);
  }
}

/** Encodes a DT_STRING tensor as TensorFlow's `WriteStringTensor`; returns the bytes and the masked crc. */
export function encodeStringTensor(strings: readonly Uint8Array[]): { bytes: Uint8Array; crc32c: number } {
  const lengths: number[] = [];
  const batch = new LeBatch(0);
  let total = 0;
  for (const s of strings) {
    pushVarint(lengths, s.length);
    batch.push(s.length, s.length <= 0xffffffff ? 4 : 8);
    total += s.length;
  }
  const lengthsCrc = batch.flush();
  const out = new Uint8Array(lengths.length + 4 + total);
  out.set(lengths);
  writeFixed32(out, lengths.length, maskCrc(lengthsCrc));
  const ck = out.subarray(lengths.length, lengths.length + 4);
  let crc = extendCrc32c(lengthsCrc, ck);
  let p = lengths.length + 4;
  for (const s of strings) {
    out.set(s, p);
    p += s.length;
  }
  crc = extendCrc32c(crc, out.subarray(lengths.length + 4));
  return { bytes: out, crc32c: maskCrc(crc) };
}

/** Encodes a DT_VARIANT tensor (each element a serialized VariantTensorDataProto) as `WriteVariantTensor`. */
export function encodeVariantTensor(elements: readonly Uint8Array[]): { bytes: Uint8Array; crc32c: number } {
  const parts: number[][] = [];
  let total = 0;
  for (const e of elements) {
    const head: number[] = [];
    pushVarint(head, e.length);
    parts.push(head);
    total += head.length + e.length + 4;
  }
  const out = new Uint8Array(total);
  const len8 = new Uint8Array(8);
  let crc = 0;
  let p = 0;
  elements.forEach((e, i) => {
    const head = parts[i] as number[];
    out.set(head, p);
    p += head.length;
    let v = e.length;
    for (let k = 0; k < 8; k++) {
      len8[k] = v % 256;
      v = Math.floor(v / 256);
    }
    crc = extendCrc32c(crc, len8);
    out.set(e, p);
    p += e.length;
    crc = extendCrc32c(crc, e);
    writeFixed32(out, p, maskCrc(crc));
    crc = extendCrc32c(crc, out.subarray(p, p + 4));
    p += 4;
  });
  return { bytes: out, crc32c: maskCrc(crc) };
}

/** The masked crc TensorFlow stores for raw (memcpy) tensor bytes. */
export function rawTensorCrc(bytes: Uint8Array): number {
  return maskCrc(crc32c(bytes));
}

/**
 * Decodes a DT_STRING tensor's bytes into its elements after checking the length checksum and the
 * tensor checksum (`storedMasked`); throws a RangeError describing the first problem.
 */
export function decodeStringTensor(bytes: Uint8Array, numElements: number, storedMasked: number): Uint8Array[] {
  const checker = new StringChecker(numElements, bytes.length, storedMasked);
  checker.update(bytes);
  const outcome = checker.finish();
  if (!outcome.ok) throw new RangeError(outcome.detail);
  const lengths: number[] = [];
  let p = 0;
  for (let i = 0; i < numElements; i++) {
    // Already validated by the checker above.
    const v = decodeVarint(bytes, p, bytes.length) as { value: number; next: number };
    lengths.push(v.value);
    p = v.next;
  }
  p += 4;
  return lengths.map((len) => {
    const s = bytes.subarray(p, p + len);
    p += len;
    return s;
  });
}
