/**
 * A minimal protobuf wire-format reader and writer: just what the bundle messages need (varints,
 * signed int64, fixed32, length-delimited fields). Every length is checked against the bytes
 * actually present before anything is sliced, so a hostile message cannot make us allocate.
 */
import { corruptError } from './errors.js';

/** Wire types used by the bundle protos. */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

function bad(message: string): never {
  throw corruptError('BAD_PROTO', message, { operation: 'decode' });
}

/** Sequential reader over one encoded message (a view, never a copy). */
export class ProtoReader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a tag; returns the field number and wire type. */
  tag(): { field: number; wire: number } {
    const t = this.uint64();
    const field = Math.floor(t / 8);
    if (field === 0) bad('field number 0');
    return { field, wire: t % 8 };
  }

  /** An unsigned varint up to 2^53-1 (larger values are reported as corrupt, never rounded). */
  uint64(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) bad('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) return this.bigVarint(start, false);
        return result;
      }
      mul *= 128;
    }
    return bad('varint longer than 10 bytes');
  }

  /** A signed int64/int32 varint (two's complement, 10 bytes when negative). */
  int64(): number {
    const start = this.pos;
    let len = 0;
    while (len < 10) {
      if (this.pos + len >= this.end) bad('truncated varint');
      if ((this.buf[this.pos + len] as number) < 0x80) break;
      len++;
    }
    if (len >= 10) bad('varint longer than 10 bytes');
    if (len < 7) return this.uint64();
    return this.bigVarint(start, true);
  }

  private bigVarint(start: number, signed: boolean): number {
    this.pos = start;
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf[this.pos++] as number;
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) break;
    }
    const n = signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
      bad(`integer ${n} is out of the supported range`);
    }
    return Number(n);
  }

  /** An int32 field (encoded as a sign-extended varint). */
  int32(): number {
    const v = this.int64();
    if (v > 0x7fffffff || v < -0x80000000) bad(`int32 field out of range: ${v}`);
    return v;
  }

  bool(): boolean {
    return this.uint64() !== 0;
  }

  fixed32(): number {
    if (this.end - this.pos < 4) bad('truncated fixed32');
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>> 0;
  }

  /** A length-delimited field as a view into the buffer. */
  bytes(): Uint8Array {
    const len = this.uint64();
    if (len > this.end - this.pos) bad(`length ${len} exceeds the ${this.end - this.pos} bytes left in the message`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** A nested message as its own reader. */
  message(): ProtoReader {
    const b = this.bytes();
    return new ProtoReader(b);
  }

  /** Skips a field of the given wire type (unknown fields are ignored, as protobuf requires). */
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.int64();
        return;
      case WIRE_FIXED64:
        if (this.end - this.pos < 8) bad('truncated fixed64');
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.bytes();
        return;
      case WIRE_FIXED32:
        this.fixed32();
        return;
      default:
        bad(`unsupported wire type ${wire}`);
    }
  }

  /** Reads a packed or unpacked repeated varint field element(s) into `out`. */
  repeatedInt64(wire: number, out: number[]): void {
    if (wire === WIRE_LEN) {
      const r = this.message();
      while (!r.eof()) out.push(r.int64());
    } else if (wire === WIRE_VARINT) {
      out.push(this.int64());
    } else {
      bad(`unexpected wire type ${wire} for a repeated integer`);
    }
  }
}

/** Checks the wire type of a known field; a mismatch is corruption, not an unknown field. */
export function expectWire(actual: number, expected: number, what: string): void {
  if (actual !== expected) bad(`${what}: wire type ${actual}, expected ${expected}`);
}

/** Growable encoder for one message. */
export class ProtoWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Raw unsigned varint (0 <= v <= 2^53-1). */
  rawVarint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint out of range: ${v}`);
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
    return this;
  }

  /** Raw signed int64 varint (negative values take 10 bytes, as protobuf encodes them). */
  rawInt64(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`int64 out of range: ${v}`);
    if (v >= 0) return this.rawVarint(v);
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.rawVarint(field * 8 + wire);
  }

  /** An int32/int64/enum field; proto3 omits zero unless `always`. */
  int64(field: number, v: number, always = false): this {
    if (v === 0 && !always) return this;
    return this.tag(field, WIRE_VARINT).rawInt64(v);
  }

  bool(field: number, v: boolean): this {
    return v ? this.tag(field, WIRE_VARINT).rawVarint(1) : this;
  }

  fixed32(field: number, v: number, always = false): this {
    if (v === 0 && !always) return this;
    this.tag(field, WIRE_FIXED32);
    this.ensure(4);
    const u = v >>> 0;
    this.buf[this.len++] = u & 0xff;
    this.buf[this.len++] = (u >>> 8) & 0xff;
    this.buf[this.len++] = (u >>> 16) & 0xff;
    this.buf[this.len++] = (u >>> 24) & 0xff;
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LEN).rawVarint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  /** A nested message; written even when empty (proto3 keeps set sub-messages). */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    build(w);
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
