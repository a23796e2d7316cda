import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ObjectMeta } from '../adapter.js';
import { PackedPage } from './packed-page.js';

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);
const entry: fc.Arbitrary<ObjectMeta> = fc.oneof(
  // What S3, RGW and Azure listings mostly are: a file with a size, a time and an MD5 ETag.
  fc.record({
    key: fc.string({ unit: 'grapheme', maxLength: 40 }),
    kind: fc.constant('file' as const),
    size: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
    mtime: fc.option(fc.date({ noInvalidDate: true }), { nil: undefined }),
    etag: fc.option(
      hex32.map((h) => `"${h}"`),
      { nil: undefined },
    ),
  }),
  // Everything else the columns do not hold is kept as it came.
  fc.record({ key: fc.string({ maxLength: 20 }).map((k) => `${k}/`), kind: fc.constant('directory' as const), size: fc.constant(0) }),
  fc.record({ key: fc.string(), kind: fc.constant('file' as const), size: fc.nat(), etag: fc.constantFrom('"abc-2"', '"ABCDEF0123456789ABCDEF0123456789"', 'W/"x"', '') }),
  fc.record({ key: fc.string(), kind: fc.constant('file' as const), size: fc.nat(), crc32c: fc.constant('AAAAAA=='), md5: fc.constant('1B2M2Y8AsgTpgAmY7PhCfg=='), generation: fc.constant('17') }),
  fc.record({ key: fc.string(), kind: fc.constant('file' as const), size: fc.nat(), linkTarget: fc.constant('../blobs/x'), danglingLink: fc.boolean() }),
  fc.record({ key: fc.string(), kind: fc.constant('file' as const), size: fc.nat(), mtime: fc.constant(new Date(NaN)) }),
);

/** Only the fields that are set (the columns give no key for a field an entry did not have). */
function defined(e: ObjectMeta): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined));
}

describe('PackedPage: a listing page held in columns', () => {
  it('gives back every entry equal in every field, in order', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), (entries) => {
        const page = new PackedPage(entries);
        expect(page.length).toBe(entries.length);
        const back = page.entries();
        expect(back.map(defined)).toEqual(entries.map(defined));
        for (let i = 0; i < entries.length; i++) expect(back[i]!.mtime?.getTime()).toEqual(entries[i]!.mtime?.getTime());
      }),
      { numRuns: 300 },
    );
  });

  it('holds a plain file in columns: the object, its Date and its ETag string are not kept', () => {
    const mtime = new Date('2026-12-07T23:56:25.640Z');
    const original: ObjectMeta = { key: 'run/ckpt-000001.index', kind: 'file', size: 1, mtime, etag: '"9dd4e461268c8034f5c8564e155c67a6"' };
    const back = new PackedPage([original]).entries()[0]!;
    expect(back).toEqual(original);
    expect(back).not.toBe(original);
    expect(back.mtime).not.toBe(mtime);
  });

  it('keeps a page holding an entry it cannot hold in columns as it came (the same objects)', () => {
    const file: ObjectMeta = { key: 'run/a.index', kind: 'file', size: 1 };
    const dir: ObjectMeta = { key: 'run/sub/', kind: 'directory', size: 0 };
    const gcs: ObjectMeta = { key: 'run/a', kind: 'file', size: 3, crc32c: 'AAAAAA==' };
    const back = new PackedPage([file, dir, gcs]).entries();
    expect(back[0]).toBe(file);
    expect(back[1]).toBe(dir);
    expect(back[2]).toBe(gcs);
  });
});
