/**
 * The fuzz properties. Each says what a parser may do with hostile input: return a result, or
 * throw one of our typed errors (a CORRUPT/INVALID_PATH CkptError, or TextFormatError for the
 * text-format parser), within a time bound, without allocating more than a small multiple of the
 * input. Anything else (a TypeError, a RangeError, a plain Error, an allocation sized by a number
 * read from the input, a case that takes seconds) fails the property with its counterexample.
 *
 * Shared by the bounded CI run (`fuzz.test.ts`) and the long run (`run.ts`).
 */
import path from 'node:path';
import fc from 'fast-check';
import {
  buildBundle,
  buildSSTable,
  corruptReason,
  formatCheckpointState,
  inspectBundleJson,
  memoryBundleFiles,
  parseBundleIndex,
  parseCheckpointState,
  parseSSTable,
  parseV1Checkpoint,
  readBundleIndex,
  bytesSource,
  destinationUri,
  fnmatch,
  cUnescape,
  latestCheckpoint,
  readStateFile,
  TextFormatError,
  verifyBundleFiles,
  type CheckpointState,
  type TensorToWrite,
} from '@ckptkit/core';
import { clearMemoryStore, compareKeys, createGFile, isCkptError, joinUri, keyMatcher, parseUri, planGlob, segmentMatcher, type GFile } from '@ckptkit/gfile';
import { ARCHIVE_PROPERTIES } from './archive-properties.js';
import { withAllocationLimit, withAllocationLimitSync } from './alloc-guard.js';
import { hostileShapes } from './hostile-state-shapes.js';
import { referenceCUnescape } from './reference-cunescape.js';
import {
  dirLike,
  escapeHeavy,
  footer,
  impossiblePath,
  globName,
  globPattern,
  globTree,
  globTreePattern,
  mutate,
  mutation,
  plausibleHeader,
  rawBlock,
  relLike,
  stateText,
  tableKey,
  tableValue,
  uriLike,
  withTrailer,
} from './arbitraries.js';

/**
 * The memoised recursion fnmatch was before it became iterative: a reference for short inputs,
 * written the obvious way from glibc's rules (`*`/`?` never match `/`, classes, escapes, a
 * trailing backslash matches nothing).
 */
export function referenceFnmatch(pattern: string, name: string): boolean {
  const p = Array.from(pattern);
  const s = Array.from(name);
  const setAt = (i: number): { test: (c: string) => boolean; end: number } | undefined => {
    let j = i + 1;
    let negate = false;
    if (p[j] === '!' || p[j] === '^') {
      negate = true;
      j++;
    }
    const tests: Array<(c: string) => boolean> = [];
    let first = true;
    while (j < p.length) {
      let c = p[j]!;
      if (c === ']' && !first) return { test: (x) => x !== '/' && tests.some((t) => t(x)) !== negate, end: j + 1 };
      first = false;
      if (c === '[' && p[j + 1] === ':') {
        const close = p.indexOf(':', j + 2);
        const name = close > 0 && p[close + 1] === ']' ? p.slice(j + 2, close).join('') : undefined;
        const classes: Record<string, RegExp> = { alnum: /^[A-Za-z0-9]$/, alpha: /^[A-Za-z]$/, digit: /^[0-9]$/, lower: /^[a-z]$/, upper: /^[A-Z]$/, xdigit: /^[0-9A-Fa-f]$/, space: /^[ \t\n\r\f\v]$/ };
        if (name !== undefined && classes[name]) {
          const re = classes[name];
          tests.push((x) => re.test(x));
          j = close + 2;
          continue;
        }
      }
      if (c === '\\' && j + 1 < p.length) c = p[++j]!;
      j++;
      if (p[j] === '-' && j + 1 < p.length && p[j + 1] !== ']') {
        let hi = p[j + 1]!;
        j += 2;
        if (hi === '\\' && j < p.length) hi = p[j++]!;
        const lo = c.codePointAt(0)!;
        const top = hi.codePointAt(0)!;
        tests.push((x) => x.codePointAt(0)! >= lo && x.codePointAt(0)! <= top);
        continue;
      }
      const lit = c;
      tests.push((x) => x === lit);
    }
    return undefined;
  };
  const go = (pi: number, si: number): boolean => {
    if (pi === p.length) return si === s.length;
    const c = p[pi]!;
    if (c === '*') return go(pi + 1, si) || (si < s.length && s[si] !== '/' && go(pi, si + 1));
    if (c === '?') return si < s.length && s[si] !== '/' && go(pi + 1, si + 1);
    if (c === '[') {
      const b = setAt(pi);
      if (b) return si < s.length && b.test(s[si]!) && go(b.end, si + 1);
      return si < s.length && s[si] === '[' && go(pi + 1, si + 1);
    }
    if (c === '\\') return pi + 1 < p.length && si < s.length && s[si] === p[pi + 1] && go(pi + 2, si + 1);
    return si < s.length && s[si] === c && go(pi + 1, si + 1);
  };
  return go(0, 0);
}

/** A single case taking longer than this is a hang. */
export const CASE_TIME_LIMIT_MS = 2000;

/** Allocation allowance for an input of `n` bytes: generous for honest parsing, far below what a lying length field asks. */
export function allowance(n: number): number {
  return 64 * 1024 + 32 * n;
}

/** One property with the share of a run's cases it gets. */
export interface FuzzProperty {
  name: string;
  /** Relative share of the total number of cases. */
  weight: number;
  make(ctx: FuzzContext): fc.IAsyncPropertyWithHooks<unknown[]> | fc.IPropertyWithHooks<unknown[]>;
}

/** What properties share: valid bundles to mutate, a memory store to read from. */
export interface FuzzContext {
  bundles: Array<{ index: Uint8Array; shards: Uint8Array[] }>;
  gfile: GFile;
}

/** Fails unless `error` is a typed error this input may legitimately cause. */
function expectTyped(error: unknown, allowed: (e: unknown) => boolean, what: string): void {
  if (allowed(error)) return;
  const detail = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
  throw new Error(`${what} threw something other than a typed error: ${detail}`);
}

const isCorrupt = (e: unknown) => isCkptError(e, 'CORRUPT') && corruptReason(e) !== undefined;

/** Times a case; a case over the limit is reported as a hang. */
async function timed<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  if (ms > CASE_TIME_LIMIT_MS) throw new Error(`${what} took ${Math.round(ms)} ms on one input (limit ${CASE_TIME_LIMIT_MS} ms)`);
  return out;
}

function timedSync<T>(what: string, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  const ms = performance.now() - t0;
  if (ms > CASE_TIME_LIMIT_MS) throw new Error(`${what} took ${Math.round(ms)} ms on one input (limit ${CASE_TIME_LIMIT_MS} ms)`);
  return out;
}

/** Everything the index reader does with bytes: parse, read in ranges, inspect, verify. */
async function readIndexEverywhichWay(bytes: Uint8Array, shards: Uint8Array[], tailBytes: number): Promise<void> {
  await withAllocationLimit(allowance(bytes.length + shards.reduce((n, s) => n + s.length, 0)), async () => {
    let index;
    try {
      index = parseBundleIndex(bytes, 'memory://fuzz/ckpt-1.index');
    } catch (e) {
      expectTyped(e, isCorrupt, 'parseBundleIndex');
    }
    try {
      const viaSource = await readBundleIndex(bytesSource(bytes, 'memory://fuzz/ckpt-1.index'), { tailBytes });
      if (index) {
        // Two ways of reading the same bytes agree.
        if (viaSource.entries.length !== index.entries.length) throw new Error('readBundleIndex and parseBundleIndex disagree on the entries');
      }
    } catch (e) {
      expectTyped(e, isCorrupt, 'readBundleIndex');
    }
    if (index) inspectBundleJson(index);
    // Verify reports what is wrong with a checkpoint; it never throws for its contents.
    const report = await verifyBundleFiles(memoryBundleFiles('memory://fuzz/ckpt-1', { index: bytes, shards }), { deep: true, windowSize: 4096, chunkSize: 1024 });
    if (report.ok && !index) throw new Error('verify passed an index that does not parse');
  });
}

async function buildPool(): Promise<FuzzContext['bundles']> {
  const tensor = fc.oneof(
    fc.record({ key: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), n: fc.integer({ min: 0, max: 6 }), shard: fc.integer({ min: 0, max: 2 }) }).map(
      (t): TensorToWrite => ({ key: t.key, dtype: 'DT_FLOAT', shape: [t.n], data: new Uint8Array(4 * t.n).map((_, i) => i * 7), shard: t.shard }),
    ),
    fc.record({ key: fc.string({ minLength: 1, maxLength: 8 }), s: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }) }).map((t): TensorToWrite => ({ key: t.key, dtype: 'DT_STRING', shape: [t.s.length], strings: t.s })),
  );
  const specs = fc.sample(fc.record({ tensors: fc.uniqueArray(tensor, { maxLength: 6, selector: (t) => t.key }), snappy: fc.boolean(), blockSize: fc.constantFrom(64, 512, 262144) }), { numRuns: 60, seed: 4242 });
  const pool: FuzzContext['bundles'] = [];
  for (const s of specs) {
    try {
      const built = await buildBundle(s.tensors, { numShards: 3, table: { compression: s.snappy ? 'snappy' : 'none', blockSize: s.blockSize, restartInterval: 2 } });
      pool.push({ index: built.index, shards: built.shards });
    } catch {
      // a generated key the writer refuses (duplicates after encoding): skip it
    }
  }
  return pool;
}

/** Prepares what the properties share. */
export async function createFuzzContext(): Promise<FuzzContext> {
  return { bundles: await buildPool(), gfile: createGFile() };
}

const enc = new TextEncoder();

function sameState(a: CheckpointState, b: CheckpointState): boolean {
  const same = (x: number, y: number) => Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
  return (
    a.modelCheckpointPath === b.modelCheckpointPath &&
    a.allModelCheckpointPaths.length === b.allModelCheckpointPaths.length &&
    a.allModelCheckpointPaths.every((p, i) => p === b.allModelCheckpointPaths[i]) &&
    a.allModelCheckpointTimestamps.length === b.allModelCheckpointTimestamps.length &&
    a.allModelCheckpointTimestamps.every((t, i) => same(t, b.allModelCheckpointTimestamps[i]!)) &&
    same(a.lastPreservedTimestamp, b.lastPreservedTimestamp)
  );
}

let stateDir = 0;

export const PROPERTIES: FuzzProperty[] = [
  ...ARCHIVE_PROPERTIES,
  {
    name: 'index reader: valid bundles with byte-level mutations',
    weight: 20,
    make: (ctx) =>
      fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 70_000 }), async (pick, mutations, tail) => {
        const b = ctx.bundles[pick % ctx.bundles.length]!;
        const bytes = mutate(b.index, mutations);
        await timed('index reader', () => readIndexEverywhichWay(bytes, b.shards, tail));
      }),
  },
  {
    name: 'index reader: tables with valid checksums around hostile headers, keys and entries',
    weight: 15,
    make: () =>
      fc.asyncProperty(
        fc.oneof(plausibleHeader, tableValue),
        fc.uniqueArray(fc.tuple(tableKey, tableValue), { maxLength: 10, selector: ([k]) => Buffer.from(k).toString('hex') }),
        fc.constantFrom('none' as const, 'snappy' as const),
        fc.integer({ min: 16, max: 512 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 3 }),
        async (header, entries, compression, blockSize, restartInterval, shards) => {
          const sorted = entries.map(([key, value]) => ({ key, value })).sort((x, y) => Buffer.compare(x.key, y.key));
          const table = buildSSTable([{ key: new Uint8Array(0), value: header }, ...sorted], { compression, blockSize, restartInterval });
          await timed('index reader', () => readIndexEverywhichWay(table, shards, 1024));
        },
      ),
  },
  {
    name: 'table reader: hostile blocks, handles and footers with valid checksums (V2 index and V1 reader)',
    weight: 15,
    make: () =>
      fc.asyncProperty(
        rawBlock,
        rawBlock,
        fc.constantFrom(0, 1, 2),
        fc.boolean(),
        fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 300n })),
        fc.integer({ min: 0, max: 255 }),
        async (data, index, type, honestHandles, wild, padding) => {
          // data block, then index block, then the footer; handles honest or wild.
          const d = withTrailer(data, type);
          const i = withTrailer(index, type === 1 ? 0 : type);
          const meta: [bigint, bigint] = honestHandles ? [0n, BigInt(data.length)] : wild;
          const idx: [bigint, bigint] = honestHandles ? [BigInt(d.length), BigInt(index.length)] : [wild[1], wild[0]];
          const bytes = Uint8Array.from([...d, ...i, ...footer(meta, idx, padding)]);
          await timed('table reader', () =>
            withAllocationLimit(allowance(bytes.length), async () => {
              try {
                parseSSTable({ fileSize: bytes.length, start: 0, bytes });
              } catch (e) {
                expectTyped(e, isCorrupt, 'parseSSTable');
              }
              try {
                parseV1Checkpoint(bytes, 'memory://fuzz/v1');
              } catch (e) {
                expectTyped(e, isCorrupt, 'parseV1Checkpoint');
              }
              await readIndexEverywhichWay(bytes, [], 64);
            }),
          );
        },
      ),
  },
  {
    name: 'state-file parser: text-format tokens in any order',
    weight: 20,
    make: () =>
      fc.property(stateText, (text) => {
        timedSync('parseCheckpointState', () =>
          withAllocationLimitSync(allowance(text.length * 4), () => {
            try {
              const s = parseCheckpointState(text);
              if (typeof s.modelCheckpointPath !== 'string' || !s.allModelCheckpointPaths.every((p) => typeof p === 'string')) throw new Error('non-string path');
              if (!s.allModelCheckpointTimestamps.every((t) => typeof t === 'number')) throw new Error('non-number timestamp');
            } catch (e) {
              expectTyped(e, (x) => x instanceof TextFormatError, 'parseCheckpointState');
            }
          }),
        );
      }),
  },
  {
    name: 'state-file writer and parser: any state survives a round trip exactly',
    weight: 5,
    make: () =>
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
        fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { maxLength: 4 }),
        fc.array(fc.double(), { maxLength: 4 }),
        fc.double(),
        (model, paths, timestamps, preserved) => {
          const state: CheckpointState = { modelCheckpointPath: model, allModelCheckpointPaths: paths, allModelCheckpointTimestamps: timestamps, lastPreservedTimestamp: preserved };
          const back = parseCheckpointState(formatCheckpointState(state));
          if (!sameState(state, back)) throw new Error(`round trip changed the state: ${JSON.stringify(formatCheckpointState(state))}`);
        },
      ),
  },
  {
    name: 'state-file reader: any bytes as a state file never throw',
    weight: 5,
    make: (ctx) =>
      fc.asyncProperty(fc.oneof(stateText.map((t) => enc.encode(t)), fc.uint8Array({ maxLength: 80 })), async (bytes) => {
        const dir = `memory://fuzz-state/d${stateDir++}`;
        await ctx.gfile.writeFile(`${dir}/checkpoint`, bytes);
        const read = await timed('readStateFile', () => withAllocationLimit(allowance(bytes.length * 4), () => readStateFile(ctx.gfile, dir)));
        if (!['ok', 'empty', 'malformed', 'not-utf8', 'missing'].includes(read.kind)) throw new Error(`unexpected kind ${read.kind}`);
        await ctx.gfile.remove(`${dir}/checkpoint`);
      }),
  },
  {
    name: 'URI parser: any string parses or is INVALID_PATH; keys are normalised',
    weight: 10,
    make: () =>
      fc.property(uriLike, uriLike, (uri, other) => {
        timedSync('parseUri', () => {
          let p;
          try {
            p = parseUri(uri);
          } catch (e) {
            expectTyped(e, (x) => isCkptError(x, 'INVALID_PATH'), 'parseUri');
            return;
          }
          if (p.scheme === 'file') {
            // Local paths are resolved: absolute, normalised, no trailing slash.
            if (p.key.startsWith('/') || p.key.endsWith('/') || p.key.split('/').some((s) => s === '.' || s === '..' || (s === '' && p.key !== ''))) {
              throw new Error(`local key ${JSON.stringify(p.key)} is not normalised`);
            }
          } else {
            // Remote URIs are verbatim (decision 0002): the key is the text after `scheme://store/`
            // with one trailing `/` (the directory marker) taken off.
            if (p.store === '' || p.store.includes('/')) throw new Error(`store ${JSON.stringify(p.store)}`);
            const rest = uri.slice(uri.indexOf('://') + 3 + p.store.length);
            const want = rest === '' ? '' : rest.slice(1).replace(/\/$/, '');
            if (!(rest === '' || rest.startsWith('/')) || p.key !== want) throw new Error(`${JSON.stringify(uri)} parsed as ${JSON.stringify(p)}`);
          }
          joinUri(uri, other);
        });
      }),
  },
  {
    name: 'destination paths: a listed name never resolves outside the destination directory',
    weight: 5,
    make: () =>
      fc.property(dirLike, relLike, (dir, rel) => {
        timedSync('destinationUri', () => {
          let out: string;
          try {
            out = destinationUri(dir, rel, { operation: 'cp' });
          } catch (e) {
            expectTyped(e, (x) => isCkptError(x, 'INVALID_PATH'), 'destinationUri');
            return;
          }
          const d = parseUri(dir.replace(/\/+$/, '') || '/');
          const u = parseUri(out);
          const base = d.key === '' ? '' : `${d.key}/`;
          if (u.scheme !== d.scheme || u.store !== d.store || !u.key.startsWith(base) || u.key.length <= base.length) {
            throw new Error(`${JSON.stringify(rel)} below ${dir} resolved to ${out}, outside the directory`);
          }
          if (u.scheme === 'file' && !path.resolve(out).startsWith(path.resolve(dir === '' ? '.' : dir) === '/' ? '/' : `${path.resolve(dir)}/`)) {
            throw new Error(`${JSON.stringify(rel)} below ${dir} resolved to ${path.resolve(out)} on disk`);
          }
        });
      }),
  },
  {
    name: 'glob matchers: any pattern compiles or is refused typed, fast, and * never crosses /',
    weight: 4,
    make: () =>
      fc.property(globPattern, globName, (pattern, name) => {
        timedSync('glob matching', () => {
          planGlob(pattern);
          const seg = pattern.split('/')[0] ?? '';
          try {
            const m = segmentMatcher(seg);
            if (m(name) && name.includes('/')) throw new Error('a segment pattern matched a name with a slash');
            keyMatcher(pattern)(`${name}/${name}`);
            keyMatcher(pattern)(name.repeat(5));
          } catch (e) {
            expectTyped(e, (x) => isCkptError(x, 'INVALID_PATH'), `glob ${JSON.stringify(pattern)}`);
          }
        });
      }),
  },
  {
    name: 'fnmatch (TensorFlow compat, patterns from state files): any pattern, bounded time, same answers as a plain recursive fnmatch',
    weight: 4,
    make: () =>
      fc.property(fc.oneof(globPattern, fc.string({ unit: 'binary', maxLength: 8 })), fc.oneof(globName, fc.string({ unit: 'binary', maxLength: 8 })), (pattern, name) => {
        const got = timedSync('fnmatch', () => fnmatch(pattern, name));
        // The reference is exponential on hostile patterns: compare where it is cheap.
        if (pattern.length <= 16 && name.length <= 16 && got !== referenceFnmatch(pattern, name)) {
          throw new Error(`fnmatch(${JSON.stringify(pattern)}, ${JSON.stringify(name)}) is ${got}; the reference says ${!got}`);
        }
      }),
  },
  {
    name: 'glob segments and fnmatch agree, except where ckptkit chooses to (a bare * never names "", "." or ".."; a trailing \\ is literal)',
    weight: 4,
    make: () =>
      fc.property(globPattern, globName, (pattern, name) => {
        const seg = pattern.split('/')[0] ?? '';
        if (seg === '**' || name.includes('/')) return;
        if (seg.includes('*') && (name === '' || name === '.' || name === '..')) return;
        // And a trailing lone backslash: a literal backslash in a glob, "matches nothing" in glibc.
        if (/(^|[^\\])(\\\\)*\\$/.test(seg)) return;
        const a = timedSync('segment', () => segmentMatcher(seg)(name));
        const b = fnmatch(seg, name);
        if (a !== b) throw new Error(`glob segment ${JSON.stringify(seg)} on ${JSON.stringify(name)}: glob ${a}, fnmatch ${b}`);
      }),
  },
  {
    name: 'glob planner: the same matches as a brute-force match over every key',
    weight: 1,
    make: (ctx) =>
      fc.asyncProperty(globTree, globTreePattern, async (keys, pattern) => {
        const store = `fuzz-glob-${stateDir++}`;
        await Promise.all(keys.map((k) => ctx.gfile.writeText(`memory://${store}/${k}`, 'x').catch(() => undefined)));
        // A key may be both a file and the parent of another: keep the ones the store holds.
        const files = new Set<string>();
        for await (const f of ctx.gfile.list(`memory://${store}`, { recursive: true })) if (f.kind === 'file') files.add(f.uri.slice(`memory://${store}/`.length));
        const dirs = new Set<string>();
        for (const k of files) {
          const parts = k.split('/');
          for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
        }
        // One known difference, left to the glob planner's owner: a trailing `/**` lists below each
        // directory the rest matched, not the directory itself (keyMatcher lets `**` be zero segments).
        const full = keyMatcher(pattern);
        const segs = pattern.split('/');
        let n = segs.length;
        while (n > 1 && segs[n - 1] === '**') n--;
        const trailing = n < segs.length && !segs.slice(0, n).includes('**');
        const head = trailing ? keyMatcher(segs.slice(0, n).join('/')) : undefined;
        const match = (k: string) => full(k) && !(head && head(k));
        const expected = [...[...files].filter(match).map((k) => `file:${k}`), ...[...dirs].filter(match).map((k) => `directory:${k}`)].sort();
        const got = await timed('glob', () => ctx.gfile.glob(`memory://${store}/${pattern}`));
        const actual = got.map((f) => `${f.kind}:${f.uri.slice(`memory://${store}/`.length)}`).sort();
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          throw new Error(`glob ${pattern} over ${JSON.stringify([...files].sort(compareKeys))}: got ${JSON.stringify(actual)}, brute force says ${JSON.stringify(expected)}`);
        }
        clearMemoryStore(store);
      }),
  },
  {
    name: 'CUnescape: the linear implementation gives the bytes (or the error) of the reference, Python\'s three steps as written',
    weight: 6,
    make: () =>
      fc.property(escapeHeavy, (body) => {
        const run = (f: (s: string) => Uint8Array) => {
          try {
            return { bytes: Buffer.from(f(body)).toString('hex') };
          } catch (e) {
            return { error: (e as Error).message };
          }
        };
        const got = timedSync('cUnescape', () => run(cUnescape));
        const want = run(referenceCUnescape);
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`cUnescape(${JSON.stringify(body)}) = ${JSON.stringify(got)}, reference ${JSON.stringify(want)}`);
      }),
  },
  {
    name: 'hostile state-file families (huge names, escapes, lists, comments, nesting, NUL, globs): both modes, one time budget per case',
    weight: 1,
    make: (ctx) =>
      fc.asyncProperty(fc.integer({ min: 8192, max: 262_144 }), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.constantFrom('\\\\', '\\000', '*', '[', '"', '\n', '#', ' ')), { maxLength: 3 }), async (size, pick, edits) => {
        const shapes = hostileShapes(size);
        const shape = shapes[pick % shapes.length]!;
        let text = shape.text;
        // A few edits anywhere: the answer may change, the budget and the typing may not.
        for (const [at, piece] of edits) text = text.slice(0, at % (text.length + 1)) + piece + text.slice(at % (text.length + 1));
        const dir = `memory://fuzz-hostile/d${stateDir++}`;
        await ctx.gfile.writeText(`${dir}/ckpt-7.index`, 'i');
        await ctx.gfile.writeText(`${dir}/ckpt-7.data-00000-of-00001`, 'd');
        await ctx.gfile.writeText(`${dir}/checkpoint`, text);
        try {
          const r = await timed(`robust latest on "${shape.name}"`, () => latestCheckpoint(dir, { gfile: ctx.gfile }));
          // Whatever the file says, the complete checkpoint beside it is the answer.
          if (r.checkpoint?.prefix !== `${dir}/ckpt-7`) throw new Error(`robust answered ${r.checkpoint?.prefix} for "${shape.name}"`);
          if (edits.length === 0 && shape.kind === 'impossible' && !r.notes[0]?.startsWith('the state file names a path no store can hold')) throw new Error(`no note for "${shape.name}": ${r.notes[0]}`);
          try {
            const t = await timed(`tf latest on "${shape.name}"`, () => latestCheckpoint(dir, { gfile: ctx.gfile, mode: 'tf' }));
            if (edits.length === 0 && shape.kind !== 'valid' && !shape.tf && t.prefix !== null) throw new Error(`tf answered ${t.prefix} for "${shape.name}"`);
          } catch (e) {
            // TensorFlow raises on a file without model_checkpoint_path (an edit can make one).
            expectTyped(e, (x) => isCkptError(x, 'CORRUPT'), 'tf latest');
          }
        } finally {
          clearMemoryStore('fuzz-hostile');
        }
      }),
  },
  {
    name: 'impossible paths in a state file: robust answers what the scan answers and says why, TensorFlow mode None (but for globs); neither throws',
    weight: 2,
    make: (ctx) =>
      fc.asyncProperty(impossiblePath, fc.boolean(), fc.boolean(), async (recorded, complete, absolute) => {
        const dir = `memory://fuzz-impossible/d${stateDir++}`;
        if (complete) {
          await ctx.gfile.writeText(`${dir}/ckpt-7.index`, 'i');
          await ctx.gfile.writeText(`${dir}/ckpt-7.data-00000-of-00001`, 'd');
        }
        const path = absolute && !recorded.includes('://') && !recorded.startsWith('/') ? `/x/${recorded}` : recorded;
        const escaped = Array.from(new TextEncoder().encode(path), (b) => (b < 0x20 || b >= 0x7f || b === 0x22 || b === 0x5c ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b))).join('');
        await ctx.gfile.writeText(`${dir}/checkpoint`, `model_checkpoint_path: "${escaped}"\n`);
        try {
          const r = await timed('robust latest', () => latestCheckpoint(dir, { gfile: ctx.gfile }));
          await ctx.gfile.remove(`${dir}/checkpoint`);
          const scan = await latestCheckpoint(dir, { gfile: ctx.gfile });
          if (r.checkpoint?.prefix !== scan.checkpoint?.prefix) throw new Error(`robust answered ${r.checkpoint?.prefix}, the scan ${scan.checkpoint?.prefix}`);
          if (!r.notes[0]?.startsWith('the state file names a path no store can hold: ')) throw new Error(`robust did not say why: ${r.notes[0]}`);
          await ctx.gfile.writeText(`${dir}/checkpoint`, `model_checkpoint_path: "${escaped}"\n`);
          const t = await timed('tf latest', () => latestCheckpoint(dir, { gfile: ctx.gfile, mode: 'tf' }));
          // A glob before the NUL can match: TensorFlow's fnmatch compares C strings (decision 0004).
          if (t.prefix !== null && !/[*?[\\]/.test(path)) throw new Error(`tf answered ${JSON.stringify(t.prefix)}`);
        } finally {
          clearMemoryStore('fuzz-impossible');
        }
      }),
  },
];
