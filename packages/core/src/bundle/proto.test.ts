import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtoReader, ProtoWriter, WIRE_LEN, WIRE_VARINT } from './proto.js';
import { corruptReason } from './errors.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

function expectCorrupt(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(corruptReason(thrown)).toBe('BAD_PROTO');
}

describe('ProtoReader/ProtoWriter', () => {
  it('round-trips signed int64 values across the safe range, negatives as 10-byte varints', () => {
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (v) => {
        const enc = new ProtoWriter().rawInt64(v).finish();
        if (v < 0) expect(enc.length).toBe(10);
        const r = new ProtoReader(enc);
        return r.int64() === v && r.eof();
      }),
    );
  });

  it('decodes -1 exactly as protobuf encodes it', () => {
    const r = new ProtoReader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01));
    expect(r.int64()).toBe(-1);
  });

  it('refuses integers beyond 2^53 instead of rounding them', () => {
    expectCorrupt(() => new ProtoReader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)).uint64());
  });

  it('reports truncated varints and overlong varints as corrupt', () => {
    expectCorrupt(() => new ProtoReader(bytes(0x80, 0x80)).uint64());
    expectCorrupt(() => new ProtoReader(bytes(...new Array<number>(11).fill(0x80), 0)).uint64());
  });

  it('refuses a length that claims more bytes than the message holds, without allocating', () => {
    // Field 2 (LEN) claiming 2^40 bytes.
    const w = new ProtoWriter().tag(2, WIRE_LEN).rawVarint(2 ** 40).finish();
    const r = new ProtoReader(w);
    r.tag();
    expectCorrupt(() => r.bytes());
  });

  it('skips unknown fields of every wire type', () => {
    const w = new ProtoWriter();
    w.int64(9, 300).fixed32(10, 7).bytes(11, bytes(1, 2, 3)).tag(12, 1);
    const withFixed64 = new Uint8Array([...w.finish(), 1, 2, 3, 4, 5, 6, 7, 8, ...new ProtoWriter().int64(1, 42).finish()]);
    const r = new ProtoReader(withFixed64);
    let seen: number | undefined;
    while (!r.eof()) {
      const { field, wire } = r.tag();
      if (field === 1 && wire === WIRE_VARINT) seen = r.int64();
      else r.skip(wire);
    }
    expect(seen).toBe(42);
  });

  it('rejects wire types 3, 4, 6, 7 and field number 0', () => {
    expectCorrupt(() => new ProtoReader(bytes(0x0b)).skip(3));
    expectCorrupt(() => new ProtoReader(bytes(0x00)).tag());
  });
});
