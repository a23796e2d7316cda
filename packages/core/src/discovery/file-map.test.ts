import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactFileMap } from './file-map.js';
import type { FileEntry } from './types.js';

const DIR = 's3://b/run';

const entry = fc
  .record({
    name: fc.constantFrom('a', 'a.index', 'b', 'ckpt-1.index', 'ckpt-10.index', 'x y', '\u00e9', 'checkpoint'),
    size: fc.nat({ max: 2 ** 40 }),
    mtime: fc.option(fc.integer({ min: 0, max: 2 ** 41 }), { nil: undefined }),
    etag: fc.option(fc.string({ unit: fc.constantFrom('0', '9', 'a', 'f'), minLength: 1, maxLength: 8 }), { nil: undefined }),
    crc32c: fc.option(fc.constantFrom('AAAAAA==', 'yZRlqg=='), { nil: undefined }),
    md5: fc.option(fc.constantFrom('1B2M2Y8AsgTpgAmY7PhCfg=='), { nil: undefined }),
    linkTarget: fc.option(fc.constantFrom('../blobs/x', 'y'), { nil: undefined }),
    danglingLink: fc.option(fc.constant(true), { nil: undefined }),
  })
  .map((r): FileEntry => {
    const e: FileEntry = { name: r.name, uri: `${DIR}/${r.name}`, size: r.size };
    if (r.mtime !== undefined) e.mtime = new Date(r.mtime);
    if (r.etag !== undefined) e.etag = r.etag;
    if (r.crc32c !== undefined) e.crc32c = r.crc32c;
    if (r.md5 !== undefined) e.md5 = r.md5;
    if (r.linkTarget !== undefined) e.linkTarget = r.linkTarget;
    if (r.danglingLink) e.danglingLink = true;
    return e;
  });

const op = fc.oneof(
  { weight: 5, arbitrary: entry.map((e) => ({ set: e })) },
  { weight: 1, arbitrary: fc.constantFrom('a', 'b', 'ckpt-1.index', 'nope').map((name) => ({ delete: name })) },
  { weight: 1, arbitrary: fc.constant({ clear: true }) },
);

describe('CompactFileMap', () => {
  it('reads as the Map it stands for, after any sequence of sets, deletes and clears', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const compact = new CompactFileMap(DIR);
        const plain = new Map<string, FileEntry>();
        for (const o of ops) {
          if ('set' in o) {
            compact.set(o.set.name, o.set);
            plain.set(o.set.name, o.set);
          } else if ('delete' in o) expect(compact.delete(o.delete)).toBe(plain.delete(o.delete));
          else {
            compact.clear();
            plain.clear();
          }
        }
        expect(compact.size).toBe(plain.size);
        expect([...compact.keys()]).toEqual([...plain.keys()]);
        expect([...compact.values()]).toEqual([...plain.values()]);
        expect([...compact]).toEqual([...plain]);
        expect(new Map(compact)).toEqual(plain);
        for (const name of ['a', 'b', 'ckpt-1.index', 'nope']) {
          expect(compact.has(name)).toBe(plain.has(name));
          expect(compact.get(name)).toEqual(plain.get(name));
        }
        const seen: string[] = [];
        compact.forEach((v, k, m) => {
          expect(m).toBe(compact);
          expect(v).toEqual(plain.get(k));
          seen.push(k);
        });
        expect(seen).toEqual([...plain.keys()]);
      }),
      { numRuns: 500 },
    );
  });

  it('holds 200,000 files without an object per file', () => {
    const m = new CompactFileMap(DIR);
    for (let i = 0; i < 200_000; i++) m.set(`ckpt-${i}.index`, { name: `ckpt-${i}.index`, uri: '', size: i, mtime: new Date(i), etag: `e${i}` });
    expect(m.size).toBe(200_000);
    expect(m.get('ckpt-199999.index')).toEqual({ name: 'ckpt-199999.index', uri: `${DIR}/ckpt-199999.index`, size: 199_999, mtime: new Date(199_999), etag: 'e199999' });
  });
});
