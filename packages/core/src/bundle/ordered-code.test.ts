import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeTensorNameSlice, encodeTensorNameSlice, sliceToString } from './ordered-code.js';
import type { TensorSlice } from './bundle-proto.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const enc = (s: string) => new TextEncoder().encode(s);

describe('tensor name slice keys (OrderedCode)', () => {
  it('encodes the real V1 key of "mweight", rank 2, full slice (format doc §4.4)', () => {
    const key = encodeTensorNameSlice(enc('mweight'), [
      { start: 0, length: -1 },
      { start: 0, length: -1 },
    ]);
    expect(hex(key)).toBe('006d77656967687400010102807f807f');
    expect(decodeTensorNameSlice(key)).toEqual({ name: enc('mweight'), slice: [{ start: 0, length: -1 }, { start: 0, length: -1 }] });
  });

  it('writes single-byte signed numbers as documented (0 -> 80, -1 -> 7f, 5 -> 85)', () => {
    expect(hex(encodeTensorNameSlice(enc('a'), [{ start: 5, length: 0 }]))).toBe('00610001010185' + '80');
    expect(hex(encodeTensorNameSlice(enc('a'), [{ start: 63, length: 64 }]))).toBe('006100010101bf' + 'c040');
  });

  it('escapes 0x00 and 0xff in names', () => {
    const key = encodeTensorNameSlice(Uint8Array.from([0x61, 0x00, 0xff]), [{ start: 1, length: 2 }]);
    expect(hex(key)).toBe('006100ffff0000010101' + '8182');
    expect(decodeTensorNameSlice(key)?.name).toEqual(Uint8Array.from([0x61, 0x00, 0xff]));
  });

  it('round-trips any name and any extents, and sorts like the numbers it encodes', () => {
    const extent = fc.oneof(
      fc.constant({ start: 0, length: -1 }),
      fc.record({ start: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), length: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), fc.array(extent, { maxLength: 5 }), (name, slice: TensorSlice) => {
        expect(decodeTensorNameSlice(encodeTensorNameSlice(name, slice))).toEqual({ name, slice });
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (a, b) => {
        const ka = Buffer.from(encodeTensorNameSlice(enc('x'), [{ start: a, length: 1 }]));
        const kb = Buffer.from(encodeTensorNameSlice(enc('x'), [{ start: b, length: 1 }]));
        return Math.sign(Buffer.compare(ka, kb)) === Math.sign(a - b);
      }),
    );
  });

  it('returns undefined for keys that are not slice keys', () => {
    expect(decodeTensorNameSlice(enc('dense/kernel'))).toBeUndefined();
    expect(decodeTensorNameSlice(Uint8Array.from([0x00, 0x61, 0x00]))).toBeUndefined(); // unterminated name
    expect(decodeTensorNameSlice(Uint8Array.from([0x00, 0x61, 0x00, 0x01, 0x01, 0x05]))).toBeUndefined(); // rank 5, no extents
  });

  it('renders slices in TensorFlow notation', () => {
    expect(sliceToString([{ start: 0, length: -1 }, { start: 2, length: 3 }])).toBe('-:2,3');
  });
});
