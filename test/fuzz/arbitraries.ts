/**
 * Generators of hostile inputs for the fuzz properties: bytes that look almost like TensorFlow
 * tables (valid checksums around invalid contents), state-file text built from the grammar's own
 * tokens, URIs and relative paths built from the pieces that break path handling, glob patterns.
 */
import fc from 'fast-check';
import { encodeBundleEntry, encodeBundleHeader, encodeTensorNameSlice, crc32c, maskCrc, type BundleEntryProto } from '@ckptkit/core';

/** A protobuf varint of any unsigned value up to 2^64-1 (as bytes). */
export function varint(v: bigint): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

/** Numbers that break parsers: 0, small, boundaries of int32/int53/int64, negatives. */
export const nastyNumber: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(0n, 1n, 127n, 128n, 255n, 65535n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 64n - 1n, -1n, -(2n ** 31n), -(2n ** 63n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.bigInt({ min: 0n, max: 4096n }),
);

/** One protobuf field: a valid-looking tag with a value that may lie about its length or range. */
const protoField: fc.Arbitrary<number[]> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 9 }), nastyNumber).map(([f, v]) => [...varint(BigInt(f * 8)), ...varint(v)]),
  fc.tuple(fc.integer({ min: 1, max: 9 }), nastyNumber, fc.uint8Array({ maxLength: 24 })).map(([f, len, body]) => [...varint(BigInt(f * 8 + 2)), ...varint(len), ...body]),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.uint8Array({ minLength: 0, maxLength: 8 })).map(([f, b]) => [...varint(BigInt(f * 8 + 5)), ...b]),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.uint8Array({ minLength: 0, maxLength: 10 })).map(([f, b]) => [...varint(BigInt(f * 8 + 1)), ...b]),
  fc.tuple(fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 0, max: 7 })).map(([f, w]) => varint(BigInt(f * 8 + w))),
  fc.uint8Array({ maxLength: 12 }).map((b) => [...b]),
);

/** A protobuf message of hostile fields, possibly with a nested message of hostile fields. */
export const hostileMessage: fc.Arbitrary<Uint8Array> = fc
  .array(fc.oneof(protoField, fc.array(protoField, { maxLength: 4 }).map((inner) => [...varint(2n * 8n + 2n), ...varint(BigInt(inner.flat().length)), ...inner.flat()])), { maxLength: 8 })
  .map((fields) => Uint8Array.from(fields.flat()));

const dims = fc.array(fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constantFrom(2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER)), { maxLength: 5 });

/** A BundleEntryProto with plausible-to-absurd values, encoded as TensorFlow would write it. */
export const plausibleEntry: fc.Arbitrary<Uint8Array> = fc
  .record({
    dtype: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 100, max: 130 }), fc.integer({ min: -5, max: 2 ** 31 - 1 })),
    dims,
    unknownRank: fc.boolean(),
    shardId: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: -10, max: 2 ** 31 - 1 })),
    offset: fc.oneof(fc.integer({ min: 0, max: 4096 }), fc.integer({ min: -(2 ** 40), max: Number.MAX_SAFE_INTEGER })),
    size: fc.oneof(fc.integer({ min: 0, max: 4096 }), fc.integer({ min: -(2 ** 40), max: Number.MAX_SAFE_INTEGER })),
    crc32c: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    slices: fc.array(fc.array(fc.record({ start: fc.integer({ min: -5, max: 100 }), length: fc.integer({ min: -1, max: 100 }) }), { maxLength: 3 }), { maxLength: 2 }),
  })
  .map((e) => {
    const entry: BundleEntryProto = {
      dtype: e.dtype,
      shape: { dims: e.dims, unknownRank: e.unknownRank },
      shardId: e.shardId,
      offset: e.offset,
      size: e.size,
      crc32c: e.crc32c,
      slices: e.slices,
    };
    try {
      return encodeBundleEntry(entry);
    } catch {
      return Uint8Array.from([8, 1]);
    }
  });

/** A BundleHeaderProto with any shard count, endianness and version. */
export const plausibleHeader: fc.Arbitrary<Uint8Array> = fc
  .record({
    numShards: fc.oneof(fc.integer({ min: -2, max: 8 }), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
    endianness: fc.constantFrom('LITTLE' as const, 'BIG' as const),
    producer: fc.integer({ min: -2, max: 3 }),
    minConsumer: fc.integer({ min: 0, max: 3 }),
    badConsumers: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
  })
  .map((h) => {
    try {
      return encodeBundleHeader({ numShards: h.numShards, endianness: h.endianness, version: { producer: h.producer, minConsumer: h.minConsumer, badConsumers: h.badConsumers } });
    } catch {
      return Uint8Array.from([8, 1]);
    }
  });

/** A table key: plain bytes, text, or the ordered-code key of a tensor slice (valid or mangled). */
export const tableKey: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map((s) => new TextEncoder().encode(s)),
  fc.uint8Array({ minLength: 1, maxLength: 16 }),
  fc
    .tuple(fc.uint8Array({ maxLength: 6 }), fc.array(fc.record({ start: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), length: fc.integer({ min: -1, max: 2 ** 40 }) }), { maxLength: 4 }))
    .map(([name, slice]) => encodeTensorNameSlice(name, slice)),
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => Uint8Array.from([0, ...b])),
);

/** A table value: a hostile message, a plausible entry, or random bytes. */
export const tableValue: fc.Arbitrary<Uint8Array> = fc.oneof(plausibleEntry, hostileMessage, fc.uint8Array({ maxLength: 40 }));

/** One encoded block entry `shared unshared valueLen key value`, lengths honest or not. */
const rawBlockEntry: fc.Arbitrary<number[]> = fc.oneof(
  fc.tuple(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 12 })).map(([k, v]) => [0, ...varint(BigInt(k.length)), ...varint(BigInt(v.length)), ...k, ...v]),
  fc.tuple(nastyNumber, nastyNumber, nastyNumber, fc.uint8Array({ maxLength: 10 })).map(([a, b, c, rest]) => [...varint(a), ...varint(b), ...varint(c), ...rest]),
);

/** Block contents: entries, then a restart array that may point anywhere, then its count. */
export const rawBlock: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.array(rawBlockEntry, { maxLength: 6 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 4 }), fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 })))
  .map(([entries, restarts, count]) => {
    const body = entries.flat();
    const out = [...body];
    for (const r of restarts) out.push(r & 0xff, (r >> 8) & 0xff, 0, 0);
    const n = count ?? restarts.length;
    out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
    return Uint8Array.from(out);
  });

/** Block bytes with the trailer TensorFlow expects (type, masked crc32c), so checksums pass. */
export function withTrailer(contents: Uint8Array, type: number): Uint8Array {
  const out = new Uint8Array(contents.length + 5);
  out.set(contents);
  out[contents.length] = type;
  const crc = maskCrc(crc32c(out.subarray(0, contents.length + 1)));
  new DataView(out.buffer).setUint32(contents.length + 1, crc, true);
  return out;
}

/** A footer: two block handles (any values), padding, the magic number. */
export function footer(meta: [bigint, bigint], index: [bigint, bigint], paddingByte = 0): Uint8Array {
  const out = new Uint8Array(48).fill(paddingByte);
  const handles = [...varint(meta[0]), ...varint(meta[1]), ...varint(index[0]), ...varint(index[1])].slice(0, 40);
  out.set(handles, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(40, 0x8b80fb57, true);
  dv.setUint32(44, 0xdb477524, true);
  return out;
}

/** Byte-level mutations of a valid file: flips, overwrites with varints, cuts, inserts, deletes. */
export type Mutation =
  | { op: 'flip'; at: number; mask: number }
  | { op: 'varint'; at: number; value: bigint }
  | { op: 'truncate'; keep: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; n: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('varint' as const), at: fc.nat(), value: nastyNumber }),
  fc.record({ op: fc.constant('truncate' as const), keep: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }),
);

/** Applies mutations (positions taken modulo the current length). */
export function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(bytes);
  for (const m of mutations) {
    if (b.length === 0) break;
    switch (m.op) {
      case 'flip':
        b[m.at % b.length]! ^= m.mask;
        break;
      case 'varint': {
        const v = varint(m.value);
        const at = m.at % b.length;
        for (let i = 0; i < v.length && at + i < b.length; i++) b[at + i] = v[i]!;
        break;
      }
      case 'truncate':
        b = b.subarray(0, m.keep % (b.length + 1));
        break;
      case 'insert': {
        const at = m.at % (b.length + 1);
        b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
        break;
      }
      case 'delete': {
        const at = m.at % b.length;
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.n)]);
        break;
      }
    }
  }
  return b;
}

const FIELD = fc.constantFrom('model_checkpoint_path', 'all_model_checkpoint_paths', 'all_model_checkpoint_timestamps', 'last_preserved_timestamp', 'model_checkpoint', 'x', '_', 'ModelCheckpointPath', '1abc', 'é');
const ESCAPE = fc.constantFrom('\\n', '\\t', '\\\\', '\\"', "\\'", '\\x4', '\\x41', '\\xZ', '\\101', '\\777', '\\8', '\\u00e9', '\\u12', '\\U0010ffff', '\\U00110000', '\\ud800', '\\N{DASH}', '\\', '\\q', '\\?', '\\a');
const STRING_BODY = fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), ESCAPE, fc.constantFrom('\n', '"', "'", '\r', '\0')), { maxLength: 5 }).map((p) => p.join(''));
const STRING = fc.oneof(
  STRING_BODY.map((s) => `"${s}"`),
  STRING_BODY.map((s) => `'${s}'`),
  STRING_BODY.map((s) => `"${s}`),
);
const NUMBER = fc.oneof(
  fc.double().map((d) => String(d)),
  fc.constantFrom('inf', '-inf', 'Infinity', 'nan', 'NaN', '-nan', '1e999', '-0', '0.0', '1_000', '1__0', '_1', '0x10', '1.5f', '1.5F', '.5', '5.', '1e', '+1', '--1', '1e+', '0001', 'infinityf', '9'.repeat(400)),
);
const TOKEN = fc.oneof(
  { weight: 4, arbitrary: FIELD },
  { weight: 4, arbitrary: fc.constantFrom(':', ':', ',', ';', '[', ']', '{', '}', '<', '>', '-', '.') },
  { weight: 3, arbitrary: STRING },
  { weight: 2, arbitrary: NUMBER },
  { weight: 2, arbitrary: fc.constantFrom(' ', '\n', '\t', '\r', '\v', '\f', '\u00a0', '\u2028', '\ufeff', '\u0085', '# comment\n', '#') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);

/** State-file text: tokens of the text format in any order, valid or not. */
export const stateText: fc.Arbitrary<string> = fc.oneof(
  fc.array(TOKEN, { maxLength: 24 }).map((t) => t.join('')),
  fc.array(TOKEN, { maxLength: 24 }).map((t) => t.join(' ')),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

const URI_PIECE = fc.constantFrom(
  's3://', 'gs://', 'memory://', 'file://', 'file:///', 'FILE://', 'S3://', 'http://', 'x+y-z.w://', '://', 'file://localhost/',
  '/', '//', '///', '.', '..', './', '../', '/..', '...', 'a', 'b', 'bkt', 'ckpt-1', '%2F', '%2e%2e', '\\', '..\\', 'C:', 'c:\\',
  '\0', ' ', ':', '@', '?', '#', '*', '[', 'é', '\u2028', '\u202e', '~', '\r\n', '\t',
);

/** URI-like strings made of the pieces that trouble URI and path handling. */
export const uriLike: fc.Arbitrary<string> = fc.oneof(
  fc.array(URI_PIECE, { maxLength: 10 }).map((p) => p.join('')),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ maxLength: 1000 }).map((s) => `s3://bkt/${s}`),
);

const REL_PIECE = fc.constantFrom('a', 'b', 'ckpt-1.index', '.', '..', '', '/', '//', '\\', '..\\..', 'C:', 'c:/x', 's3://x/y', '\0', ' ', '%2e%2e', '.hidden', '\u202e', 'a'.repeat(300));

/** Relative paths as a hostile listing could name them. */
export const relLike: fc.Arbitrary<string> = fc.oneof(
  fc.array(REL_PIECE, { minLength: 1, maxLength: 6 }).map((p) => p.join('/')),
  fc.array(REL_PIECE, { minLength: 1, maxLength: 6 }).map((p) => p.join('')),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** Destination directories of every kind. */
export const dirLike: fc.Arbitrary<string> = fc.constantFrom('/tmp/dst', '/tmp/dst/', 'dst', './dst', '.', '/', 's3://bkt/dst', 's3://bkt', 's3://bkt/', 'gs://bkt/a/b', 'memory://m/x', 'file:///tmp/dst', '../up');

const GLOB_CHARS = ['*', '*', '?', '[', ']', '!', '^', '-', '\\', 'a', 'b', '.', '{', '}', '(', ')', '|', '+', '@', ',', '$', '/'];

/** Glob patterns over a small alphabet full of metacharacters. */
export const globPattern: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom(...GLOB_CHARS), { maxLength: 14 }).map((c) => c.join('')),
  fc.array(fc.constantFrom('*', '**', '?', '[ab]', '[!a]', 'a*', '*b', 'a', 'b', '.h', '*.index', '[', '\\*', '{a,b}', '@(a)', '*(a|b)'), { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
  fc.constantFrom('*'.repeat(40), `${'*a'.repeat(25)}b`, `${'**/'.repeat(20)}x`, `[${'a-'.repeat(30)}]`, `${'?'.repeat(64)}`),
);

/** Names to match against (no `/`), including names made of metacharacters. */
export const globName: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom('a', 'b', '.', '*', '[', ']', '\\', '-', 'é', ' '), { maxLength: 12 }).map((c) => c.join('')),
  fc.constant('a'.repeat(200)),
);

/** Small trees of keys for comparing the glob planner with a brute-force match. */
export const globTree: fc.Arbitrary<string[]> = fc.uniqueArray(
  fc.array(fc.constantFrom('a', 'b', 'ab', '.h', 'c.index', 'x-1', 'ckpt-10'), { minLength: 1, maxLength: 4 }).map((p) => p.join('/')),
  { minLength: 1, maxLength: 12 },
);

/** Patterns for the planner-versus-brute-force property. */
export const globTreePattern: fc.Arbitrary<string> = fc
  .array(fc.constantFrom('*', '?', 'a*', '*b', '[ab]', '[!a]*', 'a', 'b', 'ab', '**', '.h', '*.index', 'c.*', '*-1*'), { minLength: 1, maxLength: 4 })
  .map((s) => s.join('/'));

const HOSTILE_PIECE = fc.constantFrom('\\\\', '\\', '\\x4', '\\x41', '\\101', '\\777', '\\u00e9', '\\U0001f600', '\\ud800', '\\€', '€', 'é', '\\?', '\\q', '\\\n', '*', '[', '[:', ']', '\0', '\\000', '/', '//', '..', 'a');

/** Bodies of quoted strings dense with escapes and metacharacters (for CUnescape against its reference). */
export const escapeHeavy: fc.Arbitrary<string> = fc.oneof(
  fc.array(HOSTILE_PIECE, { maxLength: 40 }).map((p) => p.join('')),
  fc.array(fc.oneof(HOSTILE_PIECE, fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 20 }).map((p) => p.join('')),
);

/** Paths no store can hold: a NUL byte somewhere, a name over every limit, a path over every limit. */
export const impossiblePath: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 })).map(([a, b]) => `${a}\0${b}`),
  fc.tuple(fc.constantFrom('a', 'é', '€', '\u0001', 'ckpt-7', '*'), fc.integer({ min: 1100, max: 3000 })).map(([c, n]) => c.repeat(Math.ceil(n / c.length))),
  fc.integer({ min: 2200, max: 4000 }).map((n) => `${'d/'.repeat(n)}ckpt-7`),
  fc.tuple(fc.constantFrom('/', '/abs/', 'gs://other/', 's3://b/'), fc.string({ maxLength: 8 })).map(([p, s]) => `${p}${s}\0`),
);
