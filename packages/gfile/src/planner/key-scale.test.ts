import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys } from '../keys.js';
import { KeyScale } from './key-scale.js';

const pad = (n: number, w = 6) => String(n).padStart(w, '0');

describe('KeyScale', () => {
  it('extrapolates numbered keys beyond the digits the sample shows', () => {
    const sample = Array.from({ length: 333 }, (_, i) => `run/ckpt-${pad(i + 1)}.index`);
    const scale = new KeyScale('run/', sample);
    const a = scale.position('run/ckpt-000001.index');
    const b = scale.position('run/ckpt-000333.index');
    // Ten times as far along as the sample reaches lies about ckpt-003330.
    const key = scale.keyAt(a + 10 * (b - a))!;
    expect(compareKeys(key, 'run/ckpt-002500')).toBeGreaterThan(0);
    expect(compareKeys(key, 'run/ckpt-004200')).toBeLessThan(0);
  });

  it('positions never decrease in key order, and boundaries lie strictly inside their range (fast-check)', () => {
    const char = fc.constantFrom('0', '1', '9', 'a', 'b', 'z', 'A', '.', '-', '/', 'é', '\uFFFD', '日', '🙂', '\u{10FFFF}', ' ');
    const key = fc.array(char, { minLength: 0, maxLength: 8 }).map((cs) => `p/${cs.join('')}`);
    fc.assert(
      fc.property(fc.uniqueArray(key, { minLength: 2, maxLength: 60 }), fc.uniqueArray(key, { minLength: 2, maxLength: 30 }), fc.double({ min: 0, max: 1, noNaN: true }), (sampleKeys, keys, at) => {
        const sample = [...sampleKeys].sort(compareKeys);
        const scale = new KeyScale('p/', sample);
        const sorted = [...keys].sort(compareKeys);
        for (let i = 1; i < sorted.length; i++) expect(scale.position(sorted[i]!)).toBeGreaterThanOrEqual(scale.position(sorted[i - 1]!) - 1e-12);
        const lo = sorted[0]!;
        const hi = sorted[sorted.length - 1]!;
        const b = scale.boundary(at, lo, hi);
        if (b !== undefined) {
          expect(compareKeys(b, lo)).toBeGreaterThan(0);
          expect(compareKeys(b, hi)).toBeLessThan(0);
          // Made of whole characters: it survives a UTF-8 round trip.
          expect(Buffer.from(b, 'utf8').toString('utf8')).toBe(b);
        }
      }),
      { numRuns: 300 },
    );
  });
});
