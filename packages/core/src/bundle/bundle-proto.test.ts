import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBundleEntry, decodeBundleHeader, encodeBundleEntry, encodeBundleHeader, type BundleEntryProto } from './bundle-proto.js';
import { corruptReason } from './errors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('bundle protos', () => {
  it('decodes and re-encodes the real header bytes (format doc §4.2)', () => {
    const h = decodeBundleHeader(unhex('08021a020801'));
    expect(h).toEqual({ numShards: 2, endianness: 'LITTLE', version: { producer: 1, minConsumer: 0, badConsumers: [] } });
    expect(hex(encodeBundleHeader(h))).toBe('08021a020801');
    expect(decodeBundleHeader(unhex('080110011a020801')).endianness).toBe('BIG');
  });

  it('decodes the worked example entry with proto3 defaults (format doc §4.6)', () => {
    const e = decodeBundleEntry(unhex('08 01 12 00 28 04 35 a6 7b 11 3a'));
    expect(e).toEqual({ dtype: 1, shape: { dims: [], unknownRank: false }, shardId: 0, offset: 0, size: 4, crc32c: 0x3a117ba6, slices: [] });
    expect(hex(encodeBundleEntry(e))).toBe('08011200280435a67b113a');
  });

  it('keeps unknown dimensions (-1), unknown rank and slices', () => {
    const e: BundleEntryProto = {
      dtype: 9,
      shape: { dims: [-1, 3, 0], unknownRank: false },
      shardId: 3,
      offset: 2 ** 40,
      size: 24,
      crc32c: 0xffffffff,
      slices: [
        [
          { start: 0, length: -1 },
          { start: 5, length: 0 },
          { start: 2, length: 7 },
        ],
      ],
    };
    expect(decodeBundleEntry(encodeBundleEntry(e))).toEqual(e);
    const unknownRank: BundleEntryProto = { ...e, shape: { dims: [], unknownRank: true }, slices: [] };
    expect(decodeBundleEntry(encodeBundleEntry(unknownRank))).toEqual(unknownRank);
  });

  it('round-trips arbitrary entries', () => {
    const int = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(
        fc.record({
          dtype: fc.integer({ min: 0, max: 132 }),
          dims: fc.array(fc.integer({ min: -1, max: 2 ** 40 }), { maxLength: 6 }),
          shardId: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          offset: int,
          size: int,
          crc32c: fc.integer({ min: 0, max: 0xffffffff }),
        }),
        (r) => {
          const e: BundleEntryProto = { dtype: r.dtype, shape: { dims: r.dims, unknownRank: false }, shardId: r.shardId, offset: r.offset, size: r.size, crc32c: r.crc32c, slices: [] };
          expect(decodeBundleEntry(encodeBundleEntry(e))).toEqual(e);
        },
      ),
    );
  });

  it('ignores unknown fields (newer writers)', () => {
    // Field 127 (varint) appended, as a newer TensorFlow might write.
    const e = decodeBundleEntry(unhex('08011200280435a67b113a f80701'));
    expect(e.size).toBe(4);
  });

  it('reports a known field with the wrong wire type as corrupt', () => {
    let err: unknown;
    try {
      decodeBundleEntry(unhex('0d00000000')); // field 1 as fixed32
    } catch (e) {
      err = e;
    }
    expect(corruptReason(err)).toBe('BAD_PROTO');
  });
});
