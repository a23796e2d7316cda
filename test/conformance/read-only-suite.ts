/**
 * The read side of the storage conformance suite, for stores that cannot be written: archive
 * views (decision 0016). The cases are those of `suite.ts` that only read, on a tree the target
 * seeds once (it cannot be written through the facade), plus: every write is READ_ONLY.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GFile, isCkptError } from '@ckptkit/gfile';
import { expectCode, rejection } from './suite.js';

/** The tree every read-only target holds: keys (below the root) to bytes; keys ending in `/` are empty directories. */
export function readOnlyTree(): Map<string, Uint8Array> {
  const enc = new TextEncoder();
  const tree = new Map<string, Uint8Array>();
  const text = (k: string, v = k) => tree.set(k, enc.encode(v));
  tree.set('rw/empty', new Uint8Array(0));
  tree.set('rw/binary.bin', Uint8Array.from({ length: 256 }, (_, i) => i));
  tree.set('rw/big.data', randomBytes(5 * 1024 * 1024 + 123));
  text('rw/hello.txt', 'hello, wörld');
  text('range/f', '0123456789');
  text('st/sub/file.txt', 'abc');
  text('kinds/plain', 'x');
  text('trap/ckpt-10.index');
  text('trap/ckpt-10/inner');
  text('trap2/foobar/x');
  text('trap2/foo/y');
  for (const n of ['ckpt-1.index', 'ckpt-1.data-00000-of-00001', 'ckpt-10.index', 'ckpt-2.index']) text(`lp/${n}`);
  text('ls/b.txt', 'bb');
  text('ls/a.txt', 'a');
  text('ls/sub/deep/x', 'xyz');
  text('ls/a.txt.d/y', 'y');
  for (let i = 0; i < 25; i++) text(`pages/f${String(i).padStart(3, '0')}`);
  for (const d of ['d1', 'd2', 'd3']) text(`pages/${d}/inner/x`, d);
  text('walk/top.txt', 't');
  text('walk/a/one', '1');
  text('walk/a/b/two', '22');
  text('walk/c/three', '333');
  tree.set('walk/empty/', new Uint8Array(0));
  for (const k of ['runs/r1/ckpt-1.index', 'runs/r1/ckpt-2.index', 'runs/r1/ckpt-2.data-00000-of-00001', 'runs/r2/ckpt-10.index', 'runs/r2/sub/ckpt-3.index', 'runs/r10/notes.txt', 'runs/x.index', 'other/ckpt-9.index']) text(`glob/${k}`);
  for (const n of ODD) text(`odd/${n}`, n);
  text('odd-dirs/a b+c@d:e/epoch=3-step=1000.ckpt', 'i');
  text('odd-dirs/x!/m.tar.gz/n', 'n');
  for (let i = 0; i < 12; i++) text(`abort2/f${String(i).padStart(2, '0')}`, 'x');
  return tree;
}

const ODD = ['epoch=3-step=1000.ckpt', 'a b+c@d:e', 'ünïcødé-日本語-🙂', '%2F', '100%', 'x#y?z', "quote'\"&<>", 'semi;colon,comma', 'bang!', 'a::b', 'm.tar.gz'];

export interface ReadOnlyContext {
  gfile: GFile;
  /** Same store, list pages of 3 entries. */
  smallPages: GFile;
  /** The URI holding `readOnlyTree()`, without a trailing slash. */
  root: string;
  cleanup?: () => Promise<void>;
}

export interface ReadOnlyTarget {
  name: string;
  /** Makes `tree` readable below a root and says where. */
  setup(tree: Map<string, Uint8Array>): Promise<ReadOnlyContext>;
  /** Most requests a read of one member costs once the store is open (1 for archive views). */
  readRequests: number;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Registers the read side of the conformance suite for one read-only target. */
export function defineReadOnlyConformanceSuite(target: ReadOnlyTarget): void {
  describe(`storage conformance (read side): ${target.name}`, () => {
    let ctx: ReadOnlyContext;
    let g: GFile;
    let root: string;
    const tree = readOnlyTree();
    beforeAll(async () => {
      ctx = await target.setup(tree);
      g = ctx.gfile;
      root = ctx.root;
    }, 120_000);
    afterAll(async () => {
      await ctx?.cleanup?.();
    });
    const u = (...parts: string[]) => [root, ...parts].join('/');
    const delta = async <T>(fn: () => Promise<T>, facade: GFile = g) => {
      const before = facade.metrics.snapshot();
      const value = await fn();
      const after = facade.metrics.snapshot();
      const requests = Object.fromEntries(Object.entries(after.requests).map(([k, v]) => [k, v - before.requests[k as keyof typeof before.requests]])) as typeof before.requests;
      return { value, requests };
    };

    describe('read', () => {
      it('reads an empty file and every byte value', async () => {
        expect((await g.readFile(u('rw', 'empty'))).byteLength).toBe(0);
        expect(await g.stat(u('rw', 'empty'))).toMatchObject({ kind: 'file', size: 0 });
        expect(Buffer.from(await g.readFile(u('rw', 'binary.bin'))).equals(Buffer.from(tree.get('rw/binary.bin')!))).toBe(true);
        expect(await g.readText(u('rw', 'hello.txt'))).toBe('hello, wörld');
      });

      it('reads a multi-MB file, whole, streamed and ranged', async () => {
        const big = Buffer.from(tree.get('rw/big.data')!);
        expect(Buffer.from(await g.readFile(u('rw', 'big.data'))).equals(big)).toBe(true);
        expect(Buffer.concat(await collect(g.readStream(u('rw', 'big.data')))).equals(big)).toBe(true);
        const part = await g.readFile(u('rw', 'big.data'), { offset: 4 * 1024 * 1024, length: 1000 });
        expect(Buffer.from(part).equals(big.subarray(4 * 1024 * 1024, 4 * 1024 * 1024 + 1000))).toBe(true);
        const streamedPart = Buffer.concat(await collect(g.readStream(u('rw', 'big.data'), { offset: 5 * 1024 * 1024, length: 200 })));
        expect(streamedPart.equals(big.subarray(5 * 1024 * 1024, 5 * 1024 * 1024 + 200))).toBe(true);
        expect((await g.stat(u('rw', 'big.data'))).size).toBe(big.byteLength);
      }, 60_000);

      it('honours byte ranges and clamps them at the end', async () => {
        const r = (offset?: number, length?: number) => g.readText(u('range', 'f'), { offset, length });
        expect(await r(2, 3)).toBe('234');
        expect(await r(7)).toBe('789');
        expect(await r(undefined, 4)).toBe('0123');
        expect(await r(8, 100)).toBe('89');
        expect(await r(10, 5)).toBe('');
        expect(await r(3, 0)).toBe('');
        await expectCode(g.readFile(u('range', 'f'), { offset: -1 }), 'INVALID_PATH');
      });

      it(`a member read costs at most ${target.readRequests} request(s) once the store is open`, async () => {
        await g.stat(u('range', 'f'));
        const { value, requests } = await delta(() => g.readText(u('range', 'f'), { offset: 5, length: 2 }));
        expect(value).toBe('56');
        expect(requests.get + requests.head + requests.list).toBeLessThanOrEqual(target.readRequests);
      });
    });

    describe('stat, exists and missing keys', () => {
      it('stats files and directories', async () => {
        const f = await g.stat(u('st', 'sub', 'file.txt'));
        expect(f).toMatchObject({ kind: 'file', size: 3, name: 'file.txt', uri: u('st', 'sub', 'file.txt') });
        expect(f.mtime).toBeInstanceOf(Date);
        expect(await g.stat(u('st', 'sub'))).toMatchObject({ kind: 'directory', name: 'sub', uri: u('st', 'sub') });
        expect((await g.stat(`${u('st', 'sub')}/`)).kind).toBe('directory');
        expect(await g.isDir(u('st', 'sub'))).toBe(true);
        expect(await g.isDir(u('st', 'sub', 'file.txt'))).toBe(false);
        expect(await g.exists(u('st', 'sub'))).toBe(true);
        expect(await g.exists(u('st', 'sub', 'file.txt'))).toBe(true);
      });

      it('missing keys are NOT_FOUND everywhere', async () => {
        const missing = u('missing', 'nope');
        await expectCode(g.stat(missing), 'NOT_FOUND');
        await expectCode(g.readFile(missing), 'NOT_FOUND');
        await expectCode(g.readFile(missing, { offset: 1, length: 2 }), 'NOT_FOUND');
        await expectCode(collect(g.readStream(missing)), 'NOT_FOUND');
        await expectCode(g.listDir(missing), 'NOT_FOUND');
        expect(await g.exists(missing)).toBe(false);
        expect(await g.isDir(missing)).toBe(false);
        expect(await g.glob(u('missing', '*'))).toEqual([]);
        expect(await collect(g.walk(missing))).toEqual([]);
      });

      it('errors carry the operation and the URI', async () => {
        const missing = u('missing', 'carry');
        const error = await rejection(g.readFile(missing));
        expect(isCkptError(error, 'NOT_FOUND')).toBe(true);
        if (!isCkptError(error)) return;
        expect(error.operation).toBe('read');
        expect(error.uri).toBe(missing);
        expect(error.retryable).toBe(false);
      });

      it('a file is not a directory and a directory URI with a slash is not a file', async () => {
        await expectCode(g.listDir(u('kinds', 'plain')), 'NOT_FOUND');
        await expectCode(g.stat(`${u('kinds', 'plain')}/`), 'NOT_FOUND');
      });
    });

    describe('prefix traps', () => {
      it('ckpt-1 is not ckpt-10', async () => {
        expect(await g.exists(u('trap', 'ckpt-1.index'))).toBe(false);
        expect(await g.exists(u('trap', 'ckpt-1'))).toBe(false);
        expect(await g.isDir(u('trap', 'ckpt-1'))).toBe(false);
        await expectCode(g.stat(u('trap', 'ckpt-1')), 'NOT_FOUND');
        expect((await g.glob(u('trap', 'ckpt-1.*'))).map((f) => f.name)).toEqual([]);
        expect((await g.glob(u('trap', 'ckpt-1*'))).map((f) => f.name)).toEqual(['ckpt-10', 'ckpt-10.index']);
      });

      it('foo/ is not foobar/', async () => {
        expect((await g.listDir(u('trap2', 'foo'))).map((f) => f.name)).toEqual(['y']);
        expect((await g.listDir(u('trap2', 'foobar'))).map((f) => f.name)).toEqual(['x']);
        expect(await g.isDir(u('trap2', 'fo'))).toBe(false);
      });

      it('listPrefix lists by plain string prefix', async () => {
        expect((await collect(g.listPrefix(u('lp', 'ckpt-1')))).map((f) => f.name)).toEqual(['ckpt-1.data-00000-of-00001', 'ckpt-1.index', 'ckpt-10.index']);
        expect((await collect(g.listPrefix(u('lp', 'ckpt-1.')))).map((f) => f.uri)).toEqual([u('lp', 'ckpt-1.data-00000-of-00001'), u('lp', 'ckpt-1.index')]);
      });
    });

    describe('listings', () => {
      it('listDir returns children with kinds and sizes, sorted, from listings only', async () => {
        const { value, requests } = await delta(() => g.listDir(u('ls')));
        expect(value.map((f) => [f.name, f.kind, f.size])).toEqual([
          ['a.txt', 'file', 1],
          ['a.txt.d', 'directory', 0],
          ['b.txt', 'file', 2],
          ['sub', 'directory', 0],
        ]);
        expect(value[0]!.uri).toBe(u('ls', 'a.txt'));
        expect(requests.get + requests.head).toBe(0);
      });

      it('listings span many pages without loss or duplicates', async () => {
        const names = Array.from({ length: 25 }, (_, i) => `f${String(i).padStart(3, '0')}`);
        expect((await ctx.smallPages.listDir(u('pages'))).map((f) => f.name)).toEqual(['d1', 'd2', 'd3', ...names]);
        const flat = await collect(ctx.smallPages.list(u('pages'), { recursive: true }));
        expect(flat.filter((f) => f.kind === 'file').map((f) => f.name)).toEqual(['x', 'x', 'x', ...names]);
      });

      it('walk yields the whole tree top-down, an empty directory entry included', async () => {
        const value = await collect(g.walk(u('walk')));
        expect(value.map((e) => [e.uri, e.dirs.map((d) => d.name), e.files.map((f) => `${f.name}:${f.size}`)])).toEqual([
          [u('walk'), ['a', 'c', 'empty'], ['top.txt:1']],
          [u('walk', 'a'), ['b'], ['one:1']],
          [u('walk', 'a', 'b'), [], ['two:2']],
          [u('walk', 'c'), [], ['three:3']],
          [u('walk', 'empty'), [], []],
        ]);
      });
    });

    describe('glob', () => {
      const names = async (pattern: string) => (await g.glob(`${u('glob')}/${pattern}`)).map((f) => f.uri.slice(u('glob').length + 1));
      it('*, ?, [...] and ** as on every store', async () => {
        expect(await names('runs/*.index')).toEqual(['runs/x.index']);
        expect(await names('runs/*/ckpt-*.index')).toEqual(['runs/r1/ckpt-1.index', 'runs/r1/ckpt-2.index', 'runs/r2/ckpt-10.index']);
        expect(await names('runs/*')).toEqual(['runs/r1', 'runs/r10', 'runs/r2', 'runs/x.index']);
        expect(await names('runs/r?/ckpt-?.index')).toEqual(['runs/r1/ckpt-1.index', 'runs/r1/ckpt-2.index']);
        expect(await names('runs/r[!1]/*.index')).toEqual(['runs/r2/ckpt-10.index']);
        expect(await names('runs/**/ckpt-*.index')).toEqual(['runs/r1/ckpt-1.index', 'runs/r1/ckpt-2.index', 'runs/r2/ckpt-10.index', 'runs/r2/sub/ckpt-3.index']);
        expect(await names('runs/**/sub')).toEqual(['runs/r2/sub']);
        expect(await names('runs/r1/ckpt-1.index')).toEqual(['runs/r1/ckpt-1.index']);
        expect(await names('runs/r1/ckpt-1')).toEqual([]);
        expect(await names('nothing/*')).toEqual([]);
      });
    });

    describe('odd names', () => {
      it('work verbatim (member names are never escaped)', async () => {
        for (const name of ODD) {
          const uri = u('odd', name);
          expect(await g.readText(uri)).toBe(name);
          expect((await g.stat(uri)).name).toBe(name);
        }
        const listed = await g.listDir(u('odd'));
        expect(listed.map((f) => f.name).sort()).toEqual([...ODD].sort());
        for (const f of listed) expect(await g.readText(f.uri)).toBe(f.name);
        expect((await g.glob(u('odd', '*日本語*'))).map((f) => f.name)).toEqual(['ünïcødé-日本語-🙂']);
        expect((await g.glob(u('odd-dirs', '*', 'epoch=*'))).map((f) => f.uri)).toEqual([u('odd-dirs', 'a b+c@d:e', 'epoch=3-step=1000.ckpt')]);
      });
    });

    describe('read-only', () => {
      it('every write is READ_ONLY and changes nothing', async () => {
        await expectCode(g.writeText(u('rw', 'hello.txt'), 'x'), 'READ_ONLY');
        await expectCode(g.writeText(u('rw', 'new'), 'x'), 'READ_ONLY');
        await expectCode(g.remove(u('rw', 'hello.txt')), 'READ_ONLY');
        await expectCode(g.removeTree(u('walk')), 'READ_ONLY');
        await expectCode(g.copy(u('rw', 'hello.txt'), u('rw', 'copy')), 'READ_ONLY');
        await expectCode(g.rename(u('rw', 'hello.txt'), u('rw', 'moved')), 'READ_ONLY');
        await expectCode(g.makeDirs(u('newdir')), 'READ_ONLY');
        expect(await g.readText(u('rw', 'hello.txt'))).toBe('hello, wörld');
      });
    });

    describe('scan', () => {
      it('GFile.scan hands every file under a prefix once, whole, under its listed URI; or says false having read nothing', async () => {
        const files = new Map<string, Buffer>();
        const { value: scanned, requests } = await delta(() =>
          g.scan(`${u('rw')}/`, async (file, body) => {
            expect(files.has(file.uri), file.uri).toBe(false);
            files.set(file.uri, Buffer.concat(await collect(body)));
            expect(files.get(file.uri)!.length).toBe(file.size);
          }),
        );
        if (!scanned) {
          expect(files.size).toBe(0);
          expect(requests.get + requests.head + requests.list).toBe(0);
          return;
        }
        expect(requests.get).toBeLessThanOrEqual(1);
        const want = [...tree].filter(([k]) => k.startsWith('rw/') && !k.endsWith('/'));
        expect([...files.keys()].sort()).toEqual(want.map(([k]) => u(k)).sort());
        for (const [k, bytes] of want) expect(files.get(u(k))!.equals(Buffer.from(bytes)), k).toBe(true);
        // A file's prefix, as cp names a checkpoint: the files whose names extend it, not others.
        const named: string[] = [];
        await g.scan(u('lp', 'ckpt-1'), async (file) => void named.push(file.name));
        expect(named.sort()).toEqual(['ckpt-1.data-00000-of-00001', 'ckpt-1.index', 'ckpt-10.index']);
      }, 60_000);
    });

    describe('abort', () => {
      it('an aborted signal stops every operation with ABORTED', async () => {
        const signal = AbortSignal.abort();
        await expectCode(g.readFile(u('range', 'f'), { signal }), 'ABORTED');
        await expectCode(g.stat(u('range', 'f'), { signal }), 'ABORTED');
        await expectCode(g.listDir(u('abort2'), { signal }), 'ABORTED');
        await expectCode(collect(g.walk(u('abort2'), { signal })), 'ABORTED');
        await expectCode(g.glob(u('abort2', '*'), { signal }), 'ABORTED');
      });

      it('aborting mid-listing fails instead of returning a partial result', async () => {
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
