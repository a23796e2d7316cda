import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesSource, type ByteSource } from './byte-source.js';
import { crc32c, extendCrc32c, maskCrc } from './crc.js';
import { corruptReason, type CorruptReason } from './errors.js';
import { FOOTER_SIZE, compareBytes, writeFixed32, type BlockHandle } from './sstable-format.js';
import { decodeFooter, parseSSTable, readSSTable, type SSTable } from './sstable-reader.js';
import { buildSSTable } from './sstable-writer.js';

const unhex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/[\s|]+/g, ''), 'hex'));
const enc = (s: string) => new TextEncoder().encode(s);
const parse = (b: Uint8Array): SSTable => parseSSTable({ fileSize: b.length, start: 0, bytes: b });

// fixtures/serving_counter/00000123/variables/variables.index, byte by byte from format doc §4.6.
const WORKED_EXAMPLE = unhex(`
  000006 | 08011a020801
  00070b | 636f756e746572 | 08011200280435a67b113a
  00000000 | 01000000
  00 | 5fa01073
  0000000001000000 | 00c0f2a1b0
  000102640026 | 00000000 01000000 | 0022b16103
  2b08380e ${'00'.repeat(36)} | 57fb808b247547db`);

function reasonOf(f: () => unknown): CorruptReason | undefined {
  try {
    f();
  } catch (e) {
    const r = corruptReason(e);
    if (r === undefined) throw e;
    return r;
  }
  return undefined;
}

async function reasonOfAsync(p: Promise<unknown>): Promise<{ reason: CorruptReason | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    const r = corruptReason(e);
    if (r === undefined) throw e;
    return { reason: r, message: (e as Error).message };
  }
  return { reason: undefined, message: '' };
}

/** Recomputes a block's trailer crc after a test edited its contents, so only the intended check fires. */
function fixBlockCrc(file: Uint8Array, h: BlockHandle): void {
  const type = file.subarray(h.offset + h.size, h.offset + h.size + 1);
  writeFixed32(file, h.offset + h.size + 1, maskCrc(extendCrc32c(crc32c(file.subarray(h.offset, h.offset + h.size)), type)));
}

function countingSource(bytes: Uint8Array): ByteSource & { reads: Array<[number, number]> } {
  const inner = bytesSource(bytes, 'memory://t/x.index');
  const reads: Array<[number, number]> = [];
  return { uri: inner.uri, reads, size: inner.size, read: (o, l) => (reads.push([o, l]), inner.read(o, l)) };
}

function sortedEntries(keys: string[], value: (k: string, i: number) => Uint8Array) {
  return [...new Set(keys)]
    .map((k) => enc(k))
    .sort(compareBytes)
    .map((key, i) => ({ key, value: value(new TextDecoder().decode(key), i) }));
}

describe('SSTable writer', () => {
  it('reproduces the worked example byte for byte (TableBuilder layout, separator "d", empty metaindex, footer)', () => {
    const built = buildSSTable([
      { key: new Uint8Array(0), value: unhex('08011a020801') },
      { key: enc('counter'), value: unhex('08011200280435a67b113a') },
    ]);
    expect(Buffer.from(built).toString('hex')).toBe(Buffer.from(WORKED_EXAMPLE).toString('hex'));
  });

  it('rejects keys that are not strictly increasing', () => {
    expect(() => buildSSTable([{ key: enc('b'), value: enc('') }, { key: enc('a'), value: enc('') }])).toThrow(RangeError);
    expect(() => buildSSTable([{ key: enc('a'), value: enc('') }, { key: enc('a'), value: enc('') }])).toThrow(RangeError);
  });
});

describe('SSTable reader', () => {
  it('parses the worked example: blocks, restarts, entries', () => {
    const t = parse(WORKED_EXAMPLE);
    expect(t.entries.map((e) => new TextDecoder().decode(e.key))).toEqual(['', 'counter']);
    expect(Buffer.from(t.entries[1]?.value ?? []).toString('hex')).toBe('08011200280435a67b113a');
    expect(t.blocks).toEqual([
      { kind: 'metaindex', offset: 43, size: 8, compression: 0, entries: 0, restarts: 1 },
      { kind: 'index', offset: 56, size: 14, compression: 0, entries: 1, restarts: 1 },
      { kind: 'data', offset: 0, size: 38, compression: 0, entries: 2, restarts: 1 },
    ]);
  });

  it('round-trips many entries over several blocks, with restart points every 16 entries', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 300 }), fc.boolean(), (keys, snappy) => {
        const entries = sortedEntries(keys, (k, i) => enc(`${k}:${i}`.repeat(1 + (i % 7))));
        const file = buildSSTable(entries, { blockSize: 512, compression: snappy ? 'snappy' : 'none' });
        const t = parse(file);
        expect(t.entries.map((e) => [e.key, e.value])).toEqual(entries.map((e) => [e.key, e.value]));
        for (const b of t.blocks.filter((x) => x.kind === 'data')) expect(b.restarts).toBe(Math.ceil(b.entries / 16));
      }),
      { numRuns: 60 },
    );
  });

  it('reads snappy-compressed blocks', () => {
    const entries = sortedEntries(
      Array.from({ length: 200 }, (_, i) => `layer_${i % 10}/kernel/.ATTRIBUTES/VARIABLE_VALUE/${i}`),
      () => enc('0801120a120208401202081028808004'),
    );
    const file = buildSSTable(entries, { compression: 'snappy' });
    const t = parse(file);
    expect(t.blocks.find((b) => b.kind === 'data')?.compression).toBe(1);
    expect(t.entries).toHaveLength(200);
  });

  it('puts an entry of at least twice the block size in a block of its own', () => {
    const entries = [
      { key: enc('a'), value: enc('x') },
      { key: enc('b'), value: new Uint8Array(2048) },
      { key: enc('c'), value: enc('y') },
    ];
    const t = parse(buildSSTable(entries, { blockSize: 1024 }));
    expect(t.blocks.filter((b) => b.kind === 'data').map((b) => b.entries)).toEqual([1, 1, 1]);
  });

  it('detects every single-byte change of an index file', () => {
    const file = buildSSTable(sortedEntries(['', 'a', 'b/c', 'b/d', 'zz'], (k) => enc(`value of ${k}`)));
    for (let i = 0; i < file.length; i++) {
      const copy = file.slice();
      copy[i] = (copy[i] as number) ^ 0x01;
      let outcome: string;
      try {
        const t = parse(copy);
        // TensorFlow ignores the footer padding; the reader flags it rather than failing.
        outcome = t.footerPaddingZero ? 'undetected' : 'padding';
      } catch (e) {
        outcome = corruptReason(e) ?? `unexpected ${String(e)}`;
      }
      expect(['BLOCK_CHECKSUM', 'BAD_MAGIC', 'BAD_LENGTH', 'BAD_BLOCK', 'padding'], `byte ${i}`).toContain(outcome);
      if (i < file.length - FOOTER_SIZE) expect(outcome, `byte ${i}`).toBe('BLOCK_CHECKSUM');
      // This table's first value is not a bundle header, so a bad magic is not taken for truncation.
      if (i >= file.length - 8) expect(outcome, `byte ${i}`).toBe('BAD_MAGIC');
    }
  });

  it('explains a file shorter than a footer, a bad magic number and a truncated file', async () => {
    expect(reasonOf(() => parse(new Uint8Array(20)))).toBe('TRUNCATED');
    expect(reasonOf(() => parse(new Uint8Array(100)))).toBe('BAD_MAGIC');
    expect(reasonOf(() => parse(enc('<html><body>404 Not Found</body></html>'.repeat(3))))).toBe('BAD_MAGIC');
    const cut = await reasonOfAsync(readSSTable(bytesSource(WORKED_EXAMPLE.subarray(0, 100))));
    expect(cut.reason).toBe('TRUNCATED');
    expect(cut.message).toMatch(/ends without its footer: it is truncated/);
    // A large file cut short: one extra 8-byte read of its start tells truncation from garbage.
    const big = buildSSTable(sortedEntries(['', ...Array.from({ length: 3000 }, (_, i) => `v${i}`)], (k) => (k === '' ? unhex('08011a020801') : enc(k.repeat(20)))));
    const src = countingSource(big.subarray(0, big.length - 1000));
    expect((await reasonOfAsync(readSSTable(src))).reason).toBe('TRUNCATED');
    expect(src.reads).toHaveLength(2);
    expect(src.reads[1]).toEqual([0, 8]);
    const garbage = countingSource(new Uint8Array(200_000).fill(7));
    expect((await reasonOfAsync(readSSTable(garbage))).reason).toBe('BAD_MAGIC');
  });

  it('recognises a Git LFS pointer', async () => {
    const pointer = enc('version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n');
    const r = await reasonOfAsync(readSSTable(bytesSource(pointer, 'file:///m/variables.index')));
    expect(r.reason).toBe('LFS_POINTER');
    expect(r.message).toContain('this is a Git LFS pointer, fetch the object');
    expect(r.message).toContain('file:///m/variables.index');
  });

  it('refuses block handles that point past the file', () => {
    const file = WORKED_EXAMPLE.slice();
    // Index handle {56, 14} -> {56, 100}: varint 100 is one byte like 14.
    const footerAt = file.length - FOOTER_SIZE;
    expect(decodeFooter(file.subarray(footerAt)).index).toEqual({ offset: 56, size: 14 });
    file[footerAt + 3] = 100;
    expect(reasonOf(() => parse(file))).toBe('BAD_LENGTH');
  });

  it('refuses a restart count larger than the block (no allocation from it)', () => {
    const file = WORKED_EXAMPLE.slice();
    writeFixed32(file, 34, 0x7fffffff); // data block's num_restarts
    fixBlockCrc(file, { offset: 0, size: 38 });
    expect(reasonOf(() => parse(file))).toBe('BAD_BLOCK');
  });

  it('refuses an entry whose lengths overrun its block', () => {
    const file = WORKED_EXAMPLE.slice();
    file[11] = 0x7f; // value length of "counter" 11 -> 127
    fixBlockCrc(file, { offset: 0, size: 38 });
    expect(reasonOf(() => parse(file))).toBe('BAD_BLOCK');
  });

  it('refuses a snappy block claiming more output than its input can produce, and a wrong length', () => {
    const entries = sortedEntries(Array.from({ length: 60 }, (_, i) => `k${i}`), () => enc('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'));
    const file = buildSSTable(entries, { compression: 'snappy' });
    const data = parse(file).blocks.find((b) => b.kind === 'data') as { offset: number; size: number; compression: number };
    expect(data.compression).toBe(1);
    // The preamble is a 2-byte varint (uncompressed length ~2.9 KB).
    expect((file[data.offset] as number) & 0x80).toBe(0x80);
    const lying = file.slice();
    lying[data.offset] = 0xff;
    lying[data.offset + 1] = 0x7f; // 16383 bytes
    fixBlockCrc(lying, data);
    expect(reasonOf(() => parse(lying))).toBe('BAD_LENGTH');
    const off = file.slice();
    off[data.offset] = (off[data.offset] as number) + 1;
    fixBlockCrc(off, data);
    expect(reasonOf(() => parse(off))).toBe('BAD_COMPRESSION');
  });

  it('refuses an unknown block type and keys out of order', () => {
    const bad = WORKED_EXAMPLE.slice();
    bad[38] = 2;
    fixBlockCrc(bad, { offset: 0, size: 38 });
    expect(reasonOf(() => parse(bad))).toBe('BAD_BLOCK');

    const file = buildSSTable([
      { key: enc('a'), value: enc('1') },
      { key: enc('b'), value: enc('2') },
    ]);
    const at = Buffer.from(file).indexOf(Buffer.from([0x00, 0x01, 0x01, 0x62])); // entry "b": shared 0, unshared 1, value 1
    expect(at).toBeGreaterThan(0);
    file[at + 3] = 0x61; // "b" -> "a": a duplicate key
    fixBlockCrc(file, parse(buildSSTable([{ key: enc('a'), value: enc('1') }, { key: enc('b'), value: enc('2') }])).blocks[2] as BlockHandle);
    expect(reasonOf(() => parse(file))).toBe('BAD_ENTRY');
  });

  it('reads a small index with one ranged read and a large one with two', async () => {
    const small = countingSource(WORKED_EXAMPLE);
    await readSSTable(small);
    expect(small.reads).toEqual([[0, WORKED_EXAMPLE.length]]);

    const big = buildSSTable(sortedEntries(Array.from({ length: 5000 }, (_, i) => `var/${i}`), (k) => enc(k.repeat(8))));
    expect(big.length).toBeGreaterThan(200 * 1024);
    const src = countingSource(big);
    const t = await readSSTable(src);
    expect(t.entries).toHaveLength(5000);
    expect(src.reads).toHaveLength(2);
    expect(src.reads.reduce((n, [, l]) => n + l, 0)).toBe(big.length);
    expect(src.reads[0]).toEqual([big.length - 64 * 1024, 64 * 1024]);
  });

  it('reports a source that returns fewer bytes than its size as truncated', async () => {
    const src: ByteSource = { uri: 'x', size: async () => 500, read: async () => WORKED_EXAMPLE };
    expect((await reasonOfAsync(readSSTable(src))).reason).toBe('TRUNCATED');
  });
});

