import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compareKeys, createGFile, createRegistry, isCkptError, type GFile } from '@ckptkit/gfile';
import { TEMP_MARKER, localFactory } from './index.js';
import { ListingCursors, createLocalAdapter } from './local-adapter.js';

let dir: string;
let g: GFile;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-local-'));
  g = createGFile({ registry: createRegistry().register('file', () => localFactory()) });
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('local adapter', () => {
  it('terminates on symlink loops in walk, glob and recursive listings', async () => {
    await fs.mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    await fs.writeFile(path.join(dir, 'a', 'b', 'file'), 'x');
    await fs.symlink(path.join(dir, 'a'), path.join(dir, 'a', 'b', 'up')); // back to an ancestor
    await fs.symlink('.', path.join(dir, 'a', 'self')); // to itself
    await fs.mkdir(path.join(dir, 'c'));
    await fs.symlink(path.join(dir, 'd'), path.join(dir, 'c', 'to-d')); // c -> d -> c
    await fs.mkdir(path.join(dir, 'd'));
    await fs.symlink(path.join(dir, 'c'), path.join(dir, 'd', 'to-c'));
    const walked = await collect(g.walk(dir));
    const files = walked.flatMap((e) => e.files.map((f) => path.relative(dir, f.uri)));
    expect(files).toContain('a/b/file');
    expect(walked.length).toBeLessThan(20);
    expect((await g.glob(`${dir}/**/file`)).length).toBeLessThan(5);
    const flat = await collect(g.list(dir, { recursive: true }));
    expect(flat.length).toBeLessThan(30);
  });

  it('follows a symlink to a directory outside the tree once', async () => {
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-outside-'));
    try {
      await fs.writeFile(path.join(outside, 'ckpt-1.index'), 'i');
      await fs.symlink(outside, path.join(dir, 'linked'));
      const listing = await g.listDir(path.join(dir, 'linked'));
      expect(listing.map((f) => f.name)).toEqual(['ckpt-1.index']);
      expect((await g.listDir(dir)).map((f) => [f.name, f.kind])).toEqual([['linked', 'directory']]);
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  it('lists a dangling symlink as a file instead of failing', async () => {
    await fs.symlink(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
    expect((await g.listDir(dir)).map((f) => [f.name, f.kind, f.linkTarget, f.danglingLink])).toEqual([['dangling', 'file', path.join(dir, 'nowhere'), true]]);
  });

  it('reports the stored target of symlinks (to files and to directories), and nothing for plain entries', async () => {
    await fs.mkdir(path.join(dir, 'blobs'));
    await fs.writeFile(path.join(dir, 'blobs', 'abc'), 'data');
    await fs.mkdir(path.join(dir, 'snap'));
    await fs.symlink('../blobs/abc', path.join(dir, 'snap', 'config.json'));
    await fs.mkdir(path.join(dir, 'epoch_0_step_5'));
    await fs.symlink('epoch_0_step_5', path.join(dir, 'LATEST'));
    const listed = await collectList(g, dir);
    const pick = (rel: string) => listed.find((f) => f.uri === path.join(dir, rel));
    expect(pick('snap/config.json')).toMatchObject({ kind: 'file', size: 4, linkTarget: '../blobs/abc' });
    expect(pick('snap/config.json')!.danglingLink).toBeUndefined();
    expect(pick('LATEST')).toMatchObject({ kind: 'directory', linkTarget: 'epoch_0_step_5' });
    expect(pick('blobs/abc')!.linkTarget).toBeUndefined();
    expect(pick('epoch_0_step_5')!.linkTarget).toBeUndefined();
  });

  it('writes atomically: a failed streamed write leaves the old file and no temp file', async () => {
    const target = path.join(dir, 'state');
    await g.writeText(target, 'old content');
    async function* failing() {
      yield new TextEncoder().encode('new partial');
      throw new Error('network went away');
    }
    await expect(g.writeFile(target, failing())).rejects.toThrow();
    expect(await fs.readFile(target, 'utf8')).toBe('old content');
    expect((await fs.readdir(dir)).filter((n) => n.includes(TEMP_MARKER))).toEqual([]);
  });

  it('an aborted streamed write leaves nothing behind', async () => {
    const controller = new AbortController();
    async function* slow() {
      yield new Uint8Array(10);
      controller.abort();
      yield new Uint8Array(10);
    }
    const error = await g.writeFile(path.join(dir, 'new'), slow(), { signal: controller.signal }).catch((e: unknown) => e);
    expect(isCkptError(error, 'ABORTED')).toBe(true);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('creates missing parent directories on write', async () => {
    await g.writeText(path.join(dir, 'x', 'y', 'z.txt'), 'deep');
    expect(await fs.readFile(path.join(dir, 'x', 'y', 'z.txt'), 'utf8')).toBe('deep');
  });

  it('spells results as the user spelled the directory', async () => {
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      await g.writeText('./runs/ckpt-1.index', 'i');
      const listed = await g.listDir('./runs');
      expect(listed.map((f) => f.uri)).toEqual(['./runs/ckpt-1.index']);
      expect((await g.glob('runs/*.index')).map((f) => f.uri)).toEqual(['runs/ckpt-1.index']);
      const error = await g.readFile('./runs/missing').catch((e: unknown) => e);
      expect(isCkptError(error, 'NOT_FOUND') && error.uri).toBe('./runs/missing');
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses to remove a directory with remove, and rmdir of non-empty dirs', async () => {
    await g.writeText(path.join(dir, 'd', 'f'), 'x');
    const error = await g.remove(path.join(dir, 'd')).catch((e: unknown) => e);
    expect(isCkptError(error, 'INVALID_PATH')).toBe(true);
    expect(await g.exists(path.join(dir, 'd', 'f'))).toBe(true);
  });

  it('maps a file in place of a parent directory to NOT_FOUND', async () => {
    await g.writeText(path.join(dir, 'file'), 'x');
    const error = await g.readFile(path.join(dir, 'file', 'child')).catch((e: unknown) => e);
    expect(isCkptError(error, 'NOT_FOUND')).toBe(true);
  });
});

describe('names at the length limit', () => {
  it('a file whose name has 255 bytes is written and copied (the temporary name stays within NAME_MAX)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-local-long-'));
    try {
      const g = createGFile({ registry: createRegistry().register('file', () => localFactory()) });
      const name = `${'é'.repeat(100)}${'n'.repeat(51)}.txt`; // 200 + 51 + 4 = 255 bytes
      expect(Buffer.byteLength(name)).toBe(255);
      await g.writeText(path.join(dir, name), 'long');
      await g.copy(path.join(dir, name), path.join(dir, `${name.slice(0, -4)}.cpy`));
      expect(await g.readText(path.join(dir, `${name.slice(0, -4)}.cpy`))).toBe('long');
      expect((await fs.readdir(dir)).filter((n) => n.includes(TEMP_MARKER))).toEqual([]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('files that are not regular files', () => {
  it('a FIFO is refused at once (opening it would wait for a writer forever), and so is a device', async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(dir, 'checkpoint')]);
    await fs.symlink('/dev/zero', path.join(dir, 'zero.bin'));
    const t0 = performance.now();
    for (const name of ['checkpoint', 'zero.bin']) {
      await expect(g.readFile(path.join(dir, name))).rejects.toMatchObject({ code: 'INVALID_PATH' });
      await expect(g.readFile(path.join(dir, name), { offset: 0, length: 10 })).rejects.toMatchObject({ code: 'INVALID_PATH' });
      const stream = g.readStream(path.join(dir, name));
      await expect(stream.next()).rejects.toMatchObject({ code: 'INVALID_PATH' });
      await expect(g.copy(path.join(dir, name), path.join(dir, `${name}.copy`))).rejects.toMatchObject({ code: 'INVALID_PATH' });
    }
    expect(performance.now() - t0).toBeLessThan(5000);
    expect((await fs.readdir(dir)).sort()).toEqual(['checkpoint', 'zero.bin']);
  });
});

describe('compare-and-swap', () => {
  it('ifMatch is NOT_SUPPORTED on a local disk (rename replaces atomically but cannot compare)', async () => {
    await g.writeText(path.join(dir, 'checkpoint'), 'a');
    await expect(g.writeText(path.join(dir, 'checkpoint'), 'b', { ifMatch: 'x' })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    expect(await g.readText(path.join(dir, 'checkpoint'))).toBe('a');
  });
});

async function collectList(g: { list(uri: string, o: { recursive: boolean }): AsyncIterable<{ uri: string; kind: string; size: number; linkTarget?: string | undefined; danglingLink?: boolean | undefined }> }, dir: string) {
  const out = [];
  for await (const f of g.list(dir, { recursive: true })) out.push(f);
  return out;
}

describe('names that are not UTF-8', () => {
  it('are listed (never dropped), carried losslessly and reached again for stat, read, write, copy and delete', async () => {
    const raw = Buffer.from([0x78, 0xff, 0xc3, 0x28]); // "x", an invalid byte, an invalid sequence
    await fs.mkdir(Buffer.concat([Buffer.from(`${dir}/`), raw]));
    await fs.writeFile(Buffer.concat([Buffer.from(`${dir}/`), raw, Buffer.from('/f')]), 'bytes');
    await fs.writeFile(path.join(dir, 'plain'), 'p');
    const names = (await g.listDir(dir)).map((f) => f.name);
    expect(names).toEqual(['plain', 'x\udcff\udcc3(']);
    const walked = (await collect(g.list(dir, { recursive: true }))).map((f) => f.uri);
    const inner = `${dir}/x\udcff\udcc3(/f`;
    expect(walked).toContain(inner);
    expect(await g.readText(inner)).toBe('bytes');
    expect((await g.stat(inner)).size).toBe(5);
    // As a file:// URI with %XX escapes: the same file.
    expect(await g.readText(`file://${dir}/x%FF%C3(/f`)).toBe('bytes');
    await g.copy(inner, `${dir}/x\udcff\udcc3(/g`);
    await g.writeText(`file://${dir}/x%FF%C3(/h%FE`, 'new');
    const onDisk = (await fs.readdir(Buffer.concat([Buffer.from(`${dir}/`), raw]), { encoding: 'buffer' })).map((b) => b.toString('hex')).sort();
    expect(onDisk).toEqual(['66', '67', Buffer.from([0x68, 0xfe]).toString('hex')].sort());
    await g.remove(inner);
    expect(await g.exists(inner)).toBe(false);
  });

  it('errors name the file by a file:// URI that reads back to it', async () => {
    const error = await g.stat(`file://${dir}/gone%FF`).catch((e: unknown) => e);
    expect(isCkptError(error, 'NOT_FOUND')).toBe(true);
    expect((error as { uri: string }).uri).toBe(`file://${dir}/gone%FF`);
  });
});

describe('local listings page by page', () => {
  /** Every page of a listing of `prefix` (page tokens followed to the end). */
  async function pages(adapter: ReturnType<typeof createLocalAdapter>, prefix: string, options: { delimiter?: boolean } = {}): Promise<string[][]> {
    const out: string[][] = [];
    let pageToken: string | undefined;
    do {
      const page = await adapter.list(prefix, { ...options, pageToken });
      out.push(page.entries.map((e) => e.key));
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    return out;
  }

  it('carries a listing on from its page token, reading each directory once, with the result of a fresh walk', async () => {
    await fs.mkdir(path.join(dir, 'sub'));
    await Promise.all(Array.from({ length: 250 }, (_, i) => fs.writeFile(path.join(dir, `f-${i}`), '')));
    await Promise.all(Array.from({ length: 30 }, (_, i) => fs.writeFile(path.join(dir, 'sub', `g${i}`), '')));
    const key = `${dir.slice(1)}/`;
    const adapter = createLocalAdapter({ maxPageSize: 7 });
    const spy = vi.spyOn(fs, 'readdir');
    try {
      const flat = await pages(adapter, key);
      // 250 files and 30 in `sub` (plus `sub/` itself) in 41 pages; two directories read once each.
      expect(flat.flat()).toHaveLength(281);
      expect(flat).toHaveLength(41);
      expect(spy).toHaveBeenCalledTimes(2);
      const keys = flat.flat();
      expect([...keys].sort(compareKeys)).toEqual(keys);
      // A token whose cursor is gone (another adapter, another process) gives the same next pages.
      spy.mockClear();
      const fresh = createLocalAdapter({ maxPageSize: 7 });
      const rest = await fresh.list(key, { pageToken: flat[20]!.at(-1) });
      expect(rest.entries.map((e) => e.key)).toEqual(flat[21]);
      // Two listings of one directory at once, and a delimiter listing beside a recursive one.
      const [again, shallow] = await Promise.all([pages(adapter, key), pages(adapter, key, { delimiter: true })]);
      expect(again).toEqual(flat);
      expect(shallow.flat()).toEqual(keys.filter((k) => !k.slice(key.length).includes('/') || k === `${key}sub/`));
    } finally {
      spy.mockRestore();
    }
  });

  it('keeps a bounded number of fresh cursors, the oldest dropped first', () => {
    let now = 1000;
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const c = new ListingCursors<number>(2, 100);
      c.put('a', 1);
      c.put('b', 2);
      c.put('c', 3);
      expect(c.take('a')).toBeUndefined();
      expect(c.take('b')).toBe(2);
      expect(c.take('b')).toBeUndefined();
      now += 101;
      expect(c.take('c')).toBeUndefined();
    } finally {
      clock.mockRestore();
    }
  });
});
