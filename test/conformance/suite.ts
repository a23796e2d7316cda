/**
 * The storage conformance suite: written once, run against every adapter target (memory, local, and
 * the S3 and GCS targets of their own issues). Every case asserts on error codes, never messages.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ErrorCode, type GFile, encodeFileUriPath, isCkptError } from '@ckptkit/gfile';

/** What a target provides: a facade for its store and a fresh, empty root URI. */
export interface ConformanceContext {
  /** Facade with the store's normal page size. */
  gfile: GFile;
  /** Facade over the same store forcing tiny list pages (3 entries), to exercise paging. */
  smallPages: GFile;
  /** An empty directory URI (a random prefix on object stores), without a trailing slash. */
  root: string;
  cleanup?: () => Promise<void>;
}

export interface ConformanceTarget {
  name: string;
  setup(): Promise<ConformanceContext>;
  /** Cases this server cannot pass, by case name, each with the reason (documented server gaps). */
  gaps?: Record<string, string>;
}

/** Resolves to the error a promise rejected with (fails the test if it resolved). */
export async function rejection(p: Promise<unknown> | (() => Promise<unknown>)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the operation succeeded');
}

/** Asserts that the promise fails with a CkptError of `code`. */
export async function expectCode(p: Promise<unknown> | (() => Promise<unknown>), code: ErrorCode): Promise<void> {
  const error = await rejection(p);
  if (!isCkptError(error)) throw new Error(`expected a CkptError ${code}, got ${String(error)}`);
  expect(error.code).toBe(code);
}

const enc = new TextEncoder();

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Registers the whole suite for one target. */
export function defineConformanceSuite(target: ConformanceTarget): void {
  describe(`storage conformance: ${target.name}`, () => {
    let ctx: ConformanceContext;
    let g: GFile;
    let root: string;
    beforeAll(async () => {
      ctx = await target.setup();
      g = ctx.gfile;
      root = ctx.root;
    });
    afterAll(async () => {
      await ctx?.cleanup?.();
    });
    const gap = (name: string) => target.gaps?.[name];
    const testCase = (name: string, fn: () => Promise<void>, timeout?: number) => {
      const reason = gap(name);
      if (reason) it.skip(`${name} [server gap: ${reason}]`, fn);
      else it(name, fn, timeout);
    };
    const u = (...parts: string[]) => [root, ...parts].join('/');
    const delta = async <T>(fn: () => Promise<T>, facade: GFile = g) => {
      const before = facade.metrics.snapshot();
      const value = await fn();
      const after = facade.metrics.snapshot();
      const requests = Object.fromEntries(Object.entries(after.requests).map(([k, v]) => [k, v - before.requests[k as keyof typeof before.requests]])) as typeof before.requests;
      return { value, requests };
    };

    describe('read and write', () => {
      testCase('round-trips an empty file', async () => {
        await g.writeFile(u('rw', 'empty'), new Uint8Array(0));
        expect((await g.readFile(u('rw', 'empty'))).byteLength).toBe(0);
        const st = await g.stat(u('rw', 'empty'));
        expect(st.kind).toBe('file');
        expect(st.size).toBe(0);
      });

      testCase('round-trips every byte value', async () => {
        const all = Uint8Array.from({ length: 256 }, (_, i) => i);
        await g.writeFile(u('rw', 'binary.bin'), all);
        expect(Buffer.from(await g.readFile(u('rw', 'binary.bin'))).equals(Buffer.from(all))).toBe(true);
      });

      testCase('round-trips a multi-MB file, whole, streamed and ranged', async () => {
        const big = randomBytes(5 * 1024 * 1024 + 123);
        await g.writeFile(u('rw', 'big.data'), big);
        expect(Buffer.from(await g.readFile(u('rw', 'big.data'))).equals(big)).toBe(true);
        const streamed = Buffer.concat(await collect(g.readStream(u('rw', 'big.data'))));
        expect(streamed.equals(big)).toBe(true);
        const part = await g.readFile(u('rw', 'big.data'), { offset: 4 * 1024 * 1024, length: 1000 });
        expect(Buffer.from(part).equals(big.subarray(4 * 1024 * 1024, 4 * 1024 * 1024 + 1000))).toBe(true);
        expect((await g.stat(u('rw', 'big.data'))).size).toBe(big.byteLength);
      }, 60_000);

      testCase('writes text and a streamed body', async () => {
        await g.writeText(u('rw', 'hello.txt'), 'hello, wörld');
        expect(await g.readText(u('rw', 'hello.txt'))).toBe('hello, wörld');
        const chunks = [enc.encode('abc'), enc.encode(''), enc.encode('defg')];
        async function* body() {
          yield* chunks;
        }
        await g.writeFile(u('rw', 'streamed'), body(), { size: 7 });
        expect(await g.readText(u('rw', 'streamed'))).toBe('abcdefg');
      });

      testCase('replaces an existing file', async () => {
        await g.writeText(u('rw', 'replace'), 'first version, longer');
        await g.writeText(u('rw', 'replace'), 'second');
        expect(await g.readText(u('rw', 'replace'))).toBe('second');
        expect((await g.stat(u('rw', 'replace'))).size).toBe(6);
      });

      testCase('honours byte ranges and clamps them at the end', async () => {
        await g.writeText(u('range', 'f'), '0123456789');
        const r = (offset?: number, length?: number) => g.readText(u('range', 'f'), { offset, length });
        expect(await r(2, 3)).toBe('234');
        expect(await r(7)).toBe('789');
        expect(await r(undefined, 4)).toBe('0123');
        expect(await r(8, 100)).toBe('89');
        expect(await r(10, 5)).toBe('');
        expect(await r(3, 0)).toBe('');
      });

      testCase('a ranged read is one request', async () => {
        await g.writeText(u('range', 'g'), 'abcdefghij');
        const { value, requests } = await delta(() => g.readText(u('range', 'g'), { offset: 5, length: 2 }));
        expect(value).toBe('fg');
        expect(requests.get).toBe(1);
        expect(requests.head).toBe(0);
      });

      testCase('conditional create refuses to replace', async () => {
        const caps = (await g.locate(root)).adapter.capabilities;
        if (!caps.conditionalWrite) {
          await expectCode(g.writeText(u('cond', 'x'), 'a', { ifNotExists: true }), 'NOT_SUPPORTED');
          return;
        }
        await g.writeText(u('cond', 'x'), 'first', { ifNotExists: true });
        await expectCode(g.writeText(u('cond', 'x'), 'second', { ifNotExists: true }), 'ALREADY_EXISTS');
        expect(await g.readText(u('cond', 'x'))).toBe('first');
      });

      testCase('rejects a file URI ending in a slash and negative ranges', async () => {
        await expectCode(g.writeText(`${u('bad', 'dir')}/`, 'x'), 'INVALID_PATH');
        await g.writeText(u('bad', 'f'), 'x');
        await expectCode(g.readFile(u('bad', 'f'), { offset: -1 }), 'INVALID_PATH');
      });
    });

    describe('stat, exists and missing keys', () => {
      testCase('stats files and directories', async () => {
        await g.writeText(u('st', 'sub', 'file.txt'), 'abc');
        const f = await g.stat(u('st', 'sub', 'file.txt'));
        expect(f).toMatchObject({ kind: 'file', size: 3, name: 'file.txt', uri: u('st', 'sub', 'file.txt') });
        expect(f.mtime).toBeInstanceOf(Date);
        expect(Math.abs(f.mtime!.getTime() - Date.now())).toBeLessThan(10 * 60_000);
        const d = await g.stat(u('st', 'sub'));
        expect(d).toMatchObject({ kind: 'directory', name: 'sub', uri: u('st', 'sub') });
        expect((await g.stat(`${u('st', 'sub')}/`)).kind).toBe('directory');
        expect(await g.isDir(u('st', 'sub'))).toBe(true);
        expect(await g.isDir(u('st', 'sub', 'file.txt'))).toBe(false);
        expect(await g.exists(u('st', 'sub'))).toBe(true);
        expect(await g.exists(u('st', 'sub', 'file.txt'))).toBe(true);
      });

      testCase('missing keys are NOT_FOUND everywhere', async () => {
        const missing = u('missing', 'nope');
        await expectCode(g.stat(missing), 'NOT_FOUND');
        await expectCode(g.readFile(missing), 'NOT_FOUND');
        await expectCode(g.readFile(missing, { offset: 1, length: 2 }), 'NOT_FOUND');
        await expectCode(collect(g.readStream(missing)), 'NOT_FOUND');
        await expectCode(g.remove(missing), 'NOT_FOUND');
        await expectCode(g.listDir(missing), 'NOT_FOUND');
        await expectCode(g.removeTree(missing), 'NOT_FOUND');
        await expectCode(g.copy(missing, u('missing', 'dst')), 'NOT_FOUND');
        await expectCode(g.rename(missing, u('missing', 'dst2')), 'NOT_FOUND');
        expect(await g.exists(missing)).toBe(false);
        expect(await g.isDir(missing)).toBe(false);
        expect(await g.glob(u('missing', '*'))).toEqual([]);
        expect(await collect(g.walk(missing))).toEqual([]);
      });

      testCase('errors carry the operation and the URI', async () => {
        const missing = u('missing', 'carry');
        const error = await rejection(g.readFile(missing));
        expect(isCkptError(error, 'NOT_FOUND')).toBe(true);
        if (!isCkptError(error)) return;
        expect(error.operation).toBe('read');
        expect(error.uri).toBe(missing);
        expect(error.retryable).toBe(false);
      });

      testCase('a file is not a directory and a directory URI with a slash is not a file', async () => {
        await g.writeText(u('kinds', 'plain'), 'x');
        await expectCode(g.listDir(u('kinds', 'plain')), 'NOT_FOUND');
        await expectCode(g.stat(`${u('kinds', 'plain')}/`), 'NOT_FOUND');
      });
    });

    describe('prefix traps', () => {
      testCase('ckpt-1 is not ckpt-10', async () => {
        await g.writeText(u('trap', 'ckpt-10.index'), 'x');
        await g.writeText(u('trap', 'ckpt-10', 'inner'), 'x');
        expect(await g.exists(u('trap', 'ckpt-1.index'))).toBe(false);
        expect(await g.exists(u('trap', 'ckpt-1'))).toBe(false);
        expect(await g.isDir(u('trap', 'ckpt-1'))).toBe(false);
        await expectCode(g.stat(u('trap', 'ckpt-1')), 'NOT_FOUND');
        expect((await g.glob(u('trap', 'ckpt-1.*'))).map((f) => f.name)).toEqual([]);
        expect((await g.glob(u('trap', 'ckpt-1*'))).map((f) => f.name)).toEqual(['ckpt-10', 'ckpt-10.index']);
      });

      testCase('foo/ is not foobar/', async () => {
        await g.writeText(u('trap2', 'foobar', 'x'), 'x');
        expect(await g.isDir(u('trap2', 'foo'))).toBe(false);
        await expectCode(g.listDir(u('trap2', 'foo')), 'NOT_FOUND');
        await g.writeText(u('trap2', 'foo', 'y'), 'y');
        expect((await g.listDir(u('trap2', 'foo'))).map((f) => f.name)).toEqual(['y']);
        await g.removeTree(u('trap2', 'foo'));
        expect(await g.readText(u('trap2', 'foobar', 'x'))).toBe('x');
        expect(await g.exists(u('trap2', 'foo'))).toBe(false);
      });

      testCase('listPrefix lists by plain string prefix', async () => {
        for (const n of ['ckpt-1.index', 'ckpt-1.data-00000-of-00001', 'ckpt-10.index', 'ckpt-2.index']) await g.writeText(u('lp', n), n);
        const names = (await collect(g.listPrefix(u('lp', 'ckpt-1')))).map((f) => f.name);
        expect(names).toEqual(['ckpt-1.data-00000-of-00001', 'ckpt-1.index', 'ckpt-10.index']);
        const exact = (await collect(g.listPrefix(u('lp', 'ckpt-1.')))).map((f) => f.uri);
        expect(exact).toEqual([u('lp', 'ckpt-1.data-00000-of-00001'), u('lp', 'ckpt-1.index')]);
      });
    });

    describe('listings', () => {
      testCase('listDir returns children with kinds and sizes, sorted', async () => {
        await g.writeText(u('ls', 'b.txt'), 'bb');
        await g.writeText(u('ls', 'a.txt'), 'a');
        await g.writeText(u('ls', 'sub', 'deep', 'x'), 'xyz');
        await g.writeText(u('ls', 'a.txt.d', 'y'), 'y');
        const { value, requests } = await delta(() => g.listDir(u('ls')));
        expect(value.map((f) => [f.name, f.kind, f.size])).toEqual([
          ['a.txt', 'file', 1],
          ['a.txt.d', 'directory', 0],
          ['b.txt', 'file', 2],
          ['sub', 'directory', 0],
        ]);
        expect(value[0]!.uri).toBe(u('ls', 'a.txt'));
        expect(requests.list).toBe(1);
        expect(requests.head).toBe(0);
      });

      testCase('listings span many pages without loss or duplicates', async () => {
        const names: string[] = [];
        for (let i = 0; i < 25; i++) names.push(`f${String(i).padStart(3, '0')}`);
        await Promise.all(names.map((n) => g.writeText(u('pages', n), n)));
        await Promise.all(['d1', 'd2', 'd3'].map((d) => g.writeText(u('pages', d, 'inner', 'x'), d)));
        const small = ctx.smallPages;
        const { value, requests } = await delta(() => small.listDir(u('pages')), small);
        expect(value.map((f) => f.name)).toEqual(['d1', 'd2', 'd3', ...names]);
        // 28 entries at 3 a page: 10 pages, plus at most one empty last page.
        expect(requests.list).toBeGreaterThanOrEqual(10);
        expect(requests.list).toBeLessThanOrEqual(11);
        const flat = await delta(() => collect(small.list(u('pages'), { recursive: true })), small);
        expect(flat.value.filter((f) => f.kind === 'file').map((f) => f.name)).toEqual(['x', 'x', 'x', ...names]);
        expect(flat.requests.head).toBe(0);
      });

      testCase('walk yields the whole tree top-down from listings only', async () => {
        await g.writeText(u('walk', 'top.txt'), 't');
        await g.writeText(u('walk', 'a', 'one'), '1');
        await g.writeText(u('walk', 'a', 'b', 'two'), '22');
        await g.writeText(u('walk', 'c', 'three'), '333');
        await g.makeDirs(u('walk', 'empty'));
        const { value, requests } = await delta(() => collect(g.walk(u('walk'))));
        expect(value.map((e) => [e.uri, e.dirs.map((d) => d.name), e.files.map((f) => `${f.name}:${f.size}`)])).toEqual([
          [u('walk'), ['a', 'c', 'empty'], ['top.txt:1']],
          [u('walk', 'a'), ['b'], ['one:1']],
          [u('walk', 'a', 'b'), [], ['two:2']],
          [u('walk', 'c'), [], ['three:3']],
          [u('walk', 'empty'), [], []],
        ]);
        expect(requests.head).toBe(0);
        expect(requests.get).toBe(0);
      });

      testCase('a tree of 200 folders is listed without a request per child', async () => {
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 200; i++) {
          const d = `run-${String(i).padStart(3, '0')}`;
          writes.push(g.writeText(u('wide', d, 'ckpt-1.index'), 'i'), g.writeText(u('wide', d, 'checkpoint'), 'c'));
        }
        await Promise.all(writes);
        const { value, requests } = await delta(() => collect(g.walk(u('wide'))));
        expect(value.length).toBe(201);
        expect(value.reduce((n, e) => n + e.files.length, 0)).toBe(400);
        expect(requests.list).toBeLessThanOrEqual(201);
        expect(requests.head).toBe(0);
        expect(requests.get).toBe(0);
      }, 120_000);

      testCase('makeDirs creates an empty directory that lists as empty', async () => {
        await g.makeDirs(u('mk', 'a', 'b'));
        expect(await g.isDir(u('mk', 'a', 'b'))).toBe(true);
        expect(await g.listDir(u('mk', 'a', 'b'))).toEqual([]);
        expect((await g.listDir(u('mk', 'a'))).map((f) => [f.name, f.kind])).toEqual([['b', 'directory']]);
        await g.makeDirs(u('mk', 'a', 'b'));
      });
    });

    describe('directory placeholders', () => {
      // What consoles and Hadoop leave on object stores: a zero-byte `dir/` object ("create
      // folder"; makeDirs writes the same) and `dir_$folder$` (S3N/EMRFS). Both stand for a
      // directory: never a file, each directory once, whatever the listing.
      let ph: string;
      const empty = new Uint8Array(0);
      beforeAll(async () => {
        ph = u('placeholders');
        await g.makeDirs(ph);
        await g.makeDirs(`${ph}/run`);
        await g.writeText(`${ph}/run/ckpt-1.index`, 'i');
        await g.makeDirs(`${ph}/run/empty`);
        await g.writeFile(`${ph}/run_$folder$`, empty);
        await g.writeFile(`${ph}/run/sub_$folder$`, empty);
        await g.writeFile(`${ph}/run/deep/x_$folder$`, empty);
        await g.writeText(`${ph}/run/deep/y`, 'y');
        await g.writeFile(`${ph}/run/deep/_$folder$`, empty);
      });
      const placeholderNames = (infos: Array<{ name: string; kind: string }>) => infos.filter((f) => f.name.includes('$folder$') || f.name === '');

      testCase('listDir: placeholders are directories, each once, on any page size', async () => {
        for (const facade of [g, ctx.smallPages]) {
          expect((await facade.listDir(ph)).map((f) => [f.name, f.kind])).toEqual([['run', 'directory']]);
          expect((await facade.listDir(`${ph}/run`)).map((f) => [f.name, f.kind, f.size])).toEqual([
            ['ckpt-1.index', 'file', 1],
            ['deep', 'directory', 0],
            ['empty', 'directory', 0],
            ['sub', 'directory', 0],
          ]);
          expect((await facade.listDir(`${ph}/run/deep`)).map((f) => [f.name, f.kind])).toEqual([['x', 'directory'], ['y', 'file']]);
        }
        expect(await g.listDir(`${ph}/run/empty`)).toEqual([]);
        // A directory only a Hadoop placeholder stands for lists as empty (not NOT_FOUND) and is a directory.
        expect(await g.listDir(`${ph}/run/sub`)).toEqual([]);
        expect(await g.isDir(`${ph}/run/sub`)).toBe(true);
        await expectCode(g.listDir(`${ph}/run/nothing`), 'NOT_FOUND');
      });

      testCase('recursive list, glob and walk never show a placeholder as a file', async () => {
        const flat = await collect(g.list(ph, { recursive: true }));
        expect(placeholderNames(flat)).toEqual([]);
        expect(flat.filter((f) => f.kind === 'file').map((f) => f.uri.slice(ph.length + 1))).toEqual(['run/ckpt-1.index', 'run/deep/y']);
        const dirs = flat.filter((f) => f.kind === 'directory').map((f) => f.uri.slice(ph.length + 1));
        expect(new Set(dirs).size).toBe(dirs.length);
        for (const d of ['run', 'run/empty', 'run/sub', 'run/deep/x']) expect(dirs).toContain(d);

        const globbed = (await g.glob(`${ph}/run/*`)).map((f) => [f.uri.slice(ph.length + 1), f.kind]);
        expect(globbed).toEqual([['run/ckpt-1.index', 'file'], ['run/deep', 'directory'], ['run/empty', 'directory'], ['run/sub', 'directory']]);
        expect(placeholderNames(await g.glob(`${ph}/**`))).toEqual([]);

        const walked = await collect(g.walk(ph));
        expect(walked.map((e) => [e.uri.slice(ph.length), e.dirs.map((d) => d.name), e.files.map((f) => f.name)])).toEqual([
          ['', ['run'], []],
          ['/run', ['deep', 'empty', 'sub'], ['ckpt-1.index']],
          ['/run/deep', ['x'], ['y']],
          ['/run/deep/x', [], []],
          ['/run/empty', [], []],
          ['/run/sub', [], []],
        ]);
      });

      testCase('stat and isDir see a placeholder-only directory; removeTree removes the placeholders', async () => {
        expect((await g.stat(`${ph}/run/empty`)).kind).toBe('directory');
        expect(await g.isDir(`${ph}/run/empty`)).toBe(true);
        expect(await g.exists(`${ph}/run`)).toBe(true);
        await g.writeFile(u('placeholders-rm', 'a_$folder$'), empty);
        await g.makeDirs(u('placeholders-rm', 'b'));
        await g.writeText(u('placeholders-rm', 'b', 'f'), 'f');
        await g.removeTree(u('placeholders-rm'));
        expect(await g.exists(u('placeholders-rm'))).toBe(false);
      });
    });

    describe('glob', () => {
      const tree = ['runs/r1/ckpt-1.index', 'runs/r1/ckpt-2.index', 'runs/r1/ckpt-2.data-00000-of-00001', 'runs/r2/ckpt-10.index', 'runs/r2/sub/ckpt-3.index', 'runs/r10/notes.txt', 'runs/x.index', 'other/ckpt-9.index'];
      let gl: string;
      beforeAll(async () => {
        gl = u('glob');
        await Promise.all(tree.map((k) => g.writeText(`${gl}/${k}`, k)));
      });
      const names = async (pattern: string) => (await g.glob(`${gl}/${pattern}`)).map((f) => f.uri.slice(gl.length + 1));

      testCase('* stays within one segment', async () => {
        expect(await names('runs/*.index')).toEqual(['runs/x.index']);
        expect(await names('runs/*/ckpt-*.index')).toEqual(['runs/r1/ckpt-1.index', 'runs/r1/ckpt-2.index', 'runs/r2/ckpt-10.index']);
        expect(await names('runs/*')).toEqual(['runs/r1', 'runs/r10', 'runs/r2', 'runs/x.index']);
      });

      testCase('? and [...] match single characters', async () => {
        expect(await names('runs/r?/ckpt-?.index')).toEqual(['runs/r1/ckpt-1.index', 'runs/r1/ckpt-2.index']);
        expect(await names('runs/r[12]/ckpt-[0-9]*.index')).toEqual(['runs/r1/ckpt-1.index', 'runs/r1/ckpt-2.index', 'runs/r2/ckpt-10.index']);
        expect(await names('runs/r[!1]/*.index')).toEqual(['runs/r2/ckpt-10.index']);
      });

      testCase('** spans segments, including none', async () => {
        expect(await names('runs/**/ckpt-*.index')).toEqual(['runs/r1/ckpt-1.index', 'runs/r1/ckpt-2.index', 'runs/r2/ckpt-10.index', 'runs/r2/sub/ckpt-3.index']);
        expect(await names('**/*.index')).toEqual([
          'other/ckpt-9.index',
          'runs/r1/ckpt-1.index',
          'runs/r1/ckpt-2.index',
          'runs/r2/ckpt-10.index',
          'runs/r2/sub/ckpt-3.index',
          'runs/x.index',
        ]);
        expect(await names('runs/**/sub')).toEqual(['runs/r2/sub']);
      });

      testCase('literal patterns match exactly or not at all', async () => {
        expect(await names('runs/r1/ckpt-1.index')).toEqual(['runs/r1/ckpt-1.index']);
        expect(await names('runs/r1')).toEqual(['runs/r1']);
        expect(await names('runs/r1/ckpt-1')).toEqual([]);
        expect(await names('nothing/*')).toEqual([]);
      });

      testCase('is planned from the longest literal prefix, one listing per wildcard level', async () => {
        const level = await delta(() => g.glob(`${gl}/runs/*/ckpt-*.index`));
        // One delimiter listing of runs/, then one per matched run directory (r1, r10, r2).
        expect(level.requests.list).toBe(4);
        expect(level.requests.head).toBe(0);
        const flat = await delta(() => g.glob(`${gl}/runs/**/*.index`));
        expect(flat.requests.list).toBe(1);
        const literal = await delta(() => g.glob(`${gl}/runs/r1/ckpt-2.*`));
        expect(literal.requests.list).toBe(1);
      });
    });

    describe('odd names', () => {
      const odd = ['epoch=3-step=1000.ckpt', 'a b+c@d:e', 'ünïcødé-日本語-🙂', '%2F', '100%', 'x#y?z', "quote'\"&<>", 'semi;colon,comma'];
      testCase('work verbatim in every operation', async () => {
        // A `file:` URI is percent-decoded (RFC 8089, decision 0002): a name is written in one
        // with its `%` escaped; everywhere else names are verbatim.
        const inUri = (name: string) => (/^file:/i.test(root) ? encodeFileUriPath(name) : name);
        for (const name of odd) {
          const uri = u('odd', inUri(name));
          await g.writeText(uri, name);
          expect(await g.readText(uri)).toBe(name);
          expect((await g.stat(uri)).name).toBe(name);
          expect(await g.exists(uri)).toBe(true);
        }
        const listed = await g.listDir(u('odd'));
        expect(listed.map((f) => f.name).sort()).toEqual([...odd].sort());
        for (const f of listed) expect(await g.readText(f.uri)).toBe(f.name);
        expect((await g.glob(u('odd', 'epoch=*'))).map((f) => f.name)).toEqual(['epoch=3-step=1000.ckpt']);
        expect((await g.glob(u('odd', '*日本語*'))).map((f) => f.name)).toEqual(['ünïcødé-日本語-🙂']);
        await g.writeText(u('odd-dirs', 'a b+c@d:e', 'epoch=3-step=1000.ckpt'), 'i');
        expect((await g.listDir(u('odd-dirs', 'a b+c@d:e'))).map((f) => f.name)).toEqual(['epoch=3-step=1000.ckpt']);
        expect((await g.glob(u('odd-dirs', '*', 'epoch=*'))).map((f) => f.uri)).toEqual([u('odd-dirs', 'a b+c@d:e', 'epoch=3-step=1000.ckpt')]);
      });
    });

    describe('copy, rename and remove', () => {
      testCase('copies within the store and refuses to overwrite by default', async () => {
        await g.writeText(u('cp', 'src'), 'payload');
        await g.copy(u('cp', 'src'), u('cp', 'dst'));
        expect(await g.readText(u('cp', 'dst'))).toBe('payload');
        expect(await g.readText(u('cp', 'src'))).toBe('payload');
        await expectCode(g.copy(u('cp', 'src'), u('cp', 'dst')), 'ALREADY_EXISTS');
        await g.writeText(u('cp', 'src'), 'new');
        await g.copy(u('cp', 'src'), u('cp', 'dst'), { overwrite: true });
        expect(await g.readText(u('cp', 'dst'))).toBe('new');
      });

      testCase('copies across two different stores, both ways', async () => {
        const other = `memory://conformance-other-${randomBytes(4).toString('hex')}`;
        const data = randomBytes(3 * 1024 * 1024);
        await g.writeFile(u('xcp', 'src.bin'), data);
        await g.copy(u('xcp', 'src.bin'), `${other}/copied.bin`);
        expect(Buffer.from(await g.readFile(`${other}/copied.bin`)).equals(data)).toBe(true);
        await g.copy(`${other}/copied.bin`, u('xcp', 'back.bin'));
        expect(Buffer.from(await g.readFile(u('xcp', 'back.bin'))).equals(data)).toBe(true);
      });

      testCase('renames a file', async () => {
        await g.writeText(u('mv', 'a'), 'A');
        await g.rename(u('mv', 'a'), u('mv', 'b'));
        expect(await g.exists(u('mv', 'a'))).toBe(false);
        expect(await g.readText(u('mv', 'b'))).toBe('A');
        await g.writeText(u('mv', 'c'), 'C');
        await expectCode(g.rename(u('mv', 'c'), u('mv', 'b')), 'ALREADY_EXISTS');
        await g.rename(u('mv', 'c'), u('mv', 'b'), { overwrite: true });
        expect(await g.readText(u('mv', 'b'))).toBe('C');
        expect(await g.exists(u('mv', 'c'))).toBe(false);
      });

      testCase('renames a directory with everything in it', async () => {
        await g.writeText(u('mvd', 'src', 'x'), 'x');
        await g.writeText(u('mvd', 'src', 'deep', 'y'), 'y');
        await g.rename(u('mvd', 'src'), u('mvd', 'dst'));
        expect(await g.readText(u('mvd', 'dst', 'x'))).toBe('x');
        expect(await g.readText(u('mvd', 'dst', 'deep', 'y'))).toBe('y');
        expect(await g.exists(u('mvd', 'src'))).toBe(false);
      });

      testCase('removes files and trees, and nothing else', async () => {
        await g.writeText(u('rm', 'keep'), 'k');
        await g.writeText(u('rm', 'gone'), 'g');
        await g.remove(u('rm', 'gone'));
        expect(await g.exists(u('rm', 'gone'))).toBe(false);
        for (let i = 0; i < 30; i++) await g.writeText(u('rm', 'tree', `d${i % 4}`, `f${i}`), 'x');
        await g.makeDirs(u('rm', 'tree', 'empty'));
        await g.writeText(u('rm', 'tree-sibling'), 's');
        await g.removeTree(u('rm', 'tree'));
        expect(await g.exists(u('rm', 'tree'))).toBe(false);
        expect((await g.listDir(u('rm'))).map((f) => f.name)).toEqual(['keep', 'tree-sibling']);
      });
    });

    describe('abort', () => {
      testCase('an aborted signal stops every operation with ABORTED', async () => {
        await g.writeText(u('abort', 'f'), 'x');
        const signal = AbortSignal.abort();
        await expectCode(g.readFile(u('abort', 'f'), { signal }), 'ABORTED');
        await expectCode(g.stat(u('abort', 'f'), { signal }), 'ABORTED');
        await expectCode(g.writeText(u('abort', 'g'), 'y', { signal }), 'ABORTED');
        await expectCode(g.listDir(u('abort'), { signal }), 'ABORTED');
        await expectCode(collect(g.walk(u('abort'), { signal })), 'ABORTED');
        await expectCode(g.glob(u('abort', '*'), { signal }), 'ABORTED');
        expect(await g.exists(u('abort', 'g'))).toBe(false);
      });

      testCase('aborting mid-listing fails instead of returning a partial result', async () => {
        await Promise.all(Array.from({ length: 12 }, (_, i) => g.writeText(u('abort2', `f${String(i).padStart(2, '0')}`), 'x')));
        const controller = new AbortController();
        const seen: string[] = [];
        const error = await rejection(async () => {
          for await (const f of ctx.smallPages.list(u('abort2'), { signal: controller.signal })) {
            seen.push(f.name);
            if (seen.length === 4) controller.abort();
          }
        });
        expect(isCkptError(error, 'ABORTED')).toBe(true);
        expect(seen.length).toBeLessThan(12);
      });
    });
  });
}
