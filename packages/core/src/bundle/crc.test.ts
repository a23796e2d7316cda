import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c, crc32cCombine, extendCrc32c, maskCrc, unmaskCrc } from './crc.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the CRC-32C check value', () => {
    expect(crc32c(enc('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('masks like TensorFlow (float 0.0 scalar => 0x3a117ba6, format doc §4.6)', () => {
    const crc = crc32c(new Uint8Array(4));
    expect(crc).toBe(0x48674bc7);
    expect(maskCrc(crc)).toBe(0x3a117ba6);
    expect(unmaskCrc(0x3a117ba6)).toBe(0x48674bc7);
  });

  it('unmask inverts mask for any 32-bit value', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => unmaskCrc(maskCrc(v)) === v));
  });

  it('extend equals the crc of the concatenation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const ab = new Uint8Array([...a, ...b]);
        return extendCrc32c(crc32c(a), b) === crc32c(ab);
      }),
    );
  });

  it('combine equals the crc of the concatenation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 600 }), (a, b) => {
        const ab = new Uint8Array([...a, ...b]);
        return crc32cCombine(crc32c(a), crc32c(b), b.length) === crc32c(ab);
      }),
    );
  });

  it('combine handles multi-megabyte right-hand sides', () => {
    const a = enc('left part');
    const b = new Uint8Array(5 * 1024 * 1024 + 3).map((_, i) => (i * 31) & 0xff);
    const ab = new Uint8Array(a.length + b.length);
    ab.set(a);
    ab.set(b, a.length);
    expect(crc32cCombine(crc32c(a), crc32c(b), b.length)).toBe(crc32c(ab));
  });
});
