import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys } from '../keys.js';
import { cutRanges, type FrontierItem, type KeyRange } from './key-ranges.js';

/** The range a key falls in, by the definition `(after, upTo]`. */
function rangesOf(ranges: KeyRange[], key: string): number[] {
  return ranges.flatMap((r, i) => (compareKeys(key, r.after) > 0 && (r.upTo === undefined || compareKeys(key, r.upTo) <= 0) ? [i] : []));
}

describe('cutRanges', () => {
  it('cuts before directories and after files, about `target` keys a range', () => {
    const items: FrontierItem[] = [
      { key: 'p/a', kind: 'file', weight: 1 },
      { key: 'p/b/', kind: 'directory', weight: 5 },
      { key: 'p/c/', kind: 'directory', weight: 5 },
      { key: 'p/d', kind: 'file', weight: 1 },
      { key: 'p/e/', kind: 'directory', weight: 5 },
    ];
    const r = cutRanges('p/0', undefined, items, { target: 6, headWeight: 0 });
    expect(r.map((x) => [x.after, x.upTo, x.weight])).toEqual([
      ['p/0', 'p/c/', 6],
      ['p/c/', 'p/d', 6],
      ['p/d', undefined, 5],
    ]);
  });

  it('gives a truncated level its own range, ended by the next boundary', () => {
    const items: FrontierItem[] = [
      { key: 'p/a/x/', kind: 'directory', weight: 3, gapAfter: { dir: 'p/a/', token: 'T' } },
      { key: 'p/b/', kind: 'directory', weight: 3 },
      { key: 'p/c/', kind: 'directory', weight: 3 },
    ];
    const r = cutRanges('p/a/0', undefined, items, { target: 100, headWeight: 2 });
    expect(r.map((x) => [x.after, x.upTo, x.level?.token])).toEqual([
      ['p/a/0', 'p/a/x/', undefined],
      ['p/a/x/', 'p/b/', 'T'],
      ['p/b/', undefined, undefined],
    ]);
  });

  it('is exhaustive and never overlaps, whatever the frontier (fast-check)', () => {
    const name = fc.string({ unit: fc.constantFrom('a', 'b', '/', '-', '.', '0', 'é', '🙂', '\u{10FFFF}'), minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, fc.boolean(), fc.integer({ min: 1, max: 50 }), fc.boolean()), { selector: (t) => t[0] + (t[1] ? '/' : ''), maxLength: 30 }),
        fc.array(name, { maxLength: 30 }),
        fc.integer({ min: 1, max: 60 }),
        fc.option(fc.constant('zz'), { nil: undefined }),
        (raw, probes, target, upTo) => {
          const after = 'a';
          const items: FrontierItem[] = raw
            .map(([n, dir, w, gap]) => ({ key: `b${n}${dir ? '/' : ''}`, kind: dir ? ('directory' as const) : ('file' as const), weight: w, ...(gap ? { gapAfter: { dir: 'x/', token: 't' } } : {}) }))
            .filter((i) => upTo === undefined || compareKeys(i.key, upTo) < 0)
            .sort((x, y) => compareKeys(x.key, y.key))
            // A frontier never holds an entry below one of its directories (it stands for them).
            .filter((i, _, all) => !all.some((d) => d.kind === 'directory' && d.key !== i.key && i.key.startsWith(d.key)));
          const ranges = cutRanges(after, upTo, items, { target, headWeight: 0 });
          expect(ranges[0]!.after).toBe(after);
          expect(ranges.at(-1)!.upTo).toBe(upTo);
          for (let i = 1; i < ranges.length; i++) {
            expect(ranges[i]!.after).toBe(ranges[i - 1]!.upTo);
            expect(compareKeys(ranges[i]!.after, ranges[i - 1]!.after)).toBeGreaterThan(0);
          }
          // Every key after `after` (and up to `upTo`) is in exactly one range: boundaries included.
          const keys = [...items.map((i) => i.key), ...ranges.flatMap((r) => (r.upTo ? [r.upTo] : [])), ...probes.map((p) => `b${p}`)];
          for (const k of keys) {
            if (compareKeys(k, after) <= 0 || (upTo !== undefined && compareKeys(k, upTo) > 0)) continue;
            expect(rangesOf(ranges, k)).toHaveLength(1);
          }
          // A directory is never split from what is below it: every key under it lands with it.
          for (const d of items.filter((i) => i.kind === 'directory')) {
            const inside = rangesOf(ranges, `${d.key}zzz`);
            expect(rangesOf(ranges, `${d.key}\u{10FFFF}`)).toEqual(inside);
            expect(rangesOf(ranges, `${d.key}-`)).toEqual(inside);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
