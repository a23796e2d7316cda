/**
 * The local adapter on real full, read-only and obstructed file systems (tmpfs mounts): each
 * condition has its own error code (NO_SPACE, READ_ONLY, NOT_A_DIRECTORY), is not retried, and
 * names the object at fault (the destination of a write or copy, the file in the way).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createGFile, createRegistry, isCkptError, type CkptError } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';
import { mountSuite, mountTmpfs, type TmpMount } from '../helpers/mounts.js';

const retried: string[] = [];
const g = createGFile({
  registry: createRegistry().register('file', () => localFactory()),
  retry: { baseDelayMs: 1, maxDelayMs: 2, onRetry: (r) => retried.push(`${r.operation} ${r.uri}`) },
});

async function failure(p: Promise<unknown>): Promise<CkptError> {
  try {
    await p;
  } catch (error) {
    if (isCkptError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const mounts: TmpMount[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) m.unmount();
  retried.length = 0;
});

mountSuite('local adapter on real file systems', () => {
  it('a full disk is NO_SPACE naming the file written, not retried, and leaves no temporary file', async () => {
    const m = mountTmpfs(64);
    mounts.push(m);
    const target = path.join(m.dir, 'run', 'ckpt-5.data-00000-of-00001');
    const e = await failure(g.writeFile(target, new Uint8Array(512 * 1024)));
    expect(e.code).toBe('NO_SPACE');
    expect(e.retryable).toBe(false);
    expect(e.uri).toBe(target);
    expect(e.message).toMatch(/no space left on device \(ENOSPC\)/);
    expect(retried).toEqual([]);
    expect(fs.readdirSync(path.join(m.dir, 'run'))).toEqual([]);
  });

  it('a full disk while streaming is NO_SPACE too', async () => {
    const m = mountTmpfs(64);
    mounts.push(m);
    const target = path.join(m.dir, 'big');
    async function* chunks() {
      for (let i = 0; i < 32; i++) yield new Uint8Array(16 * 1024);
    }
    const e = await failure(g.writeFile(target, chunks()));
    expect(e.code).toBe('NO_SPACE');
    expect(e.uri).toBe(target);
  });

  it('a server-side copy onto a full disk names the destination, not the source', async () => {
    const src = mountTmpfs(1024, { fill: (d) => fs.writeFileSync(path.join(d, 'ckpt-5.index'), Buffer.alloc(256 * 1024, 1)) });
    const dst = mountTmpfs(64);
    mounts.push(src, dst);
    const e = await failure(g.copy(path.join(src.dir, 'ckpt-5.index'), path.join(dst.dir, 'ckpt-5.index')));
    expect(e.code).toBe('NO_SPACE');
    expect(e.uri).toBe(path.join(dst.dir, 'ckpt-5.index'));
  });

  it('a read-only file system is READ_ONLY naming the destination, for writes, copies and directories', async () => {
    const ro = mountTmpfs(64, { readOnly: true, fill: (d) => fs.mkdirSync(path.join(d, 'run')) });
    const src = mountTmpfs(64, { fill: (d) => fs.writeFileSync(path.join(d, 'f'), 'x') });
    mounts.push(ro, src);
    const write = await failure(g.writeText(path.join(ro.dir, 'run', 'checkpoint'), 'x'));
    expect(write).toMatchObject({ code: 'READ_ONLY', retryable: false, uri: path.join(ro.dir, 'run', 'checkpoint') });
    const copy = await failure(g.copy(path.join(src.dir, 'f'), path.join(ro.dir, 'run', 'f')));
    expect(copy).toMatchObject({ code: 'READ_ONLY', uri: path.join(ro.dir, 'run', 'f') });
    const mkdir = await failure(g.makeDirs(path.join(ro.dir, 'new', 'dir')));
    expect(mkdir.code).toBe('READ_ONLY');
    // Reading a read-only file system is fine.
    expect(await g.isDir(path.join(ro.dir, 'run'))).toBe(true);
    expect(retried).toEqual([]);
  });
});

it('a file where a directory must be created is NOT_A_DIRECTORY naming that file; reading through it is NOT_FOUND that says why', async () => {
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'ckpt-notdir-'));
  try {
    const file = path.join(dir, 'serving');
    fs.writeFileSync(file, 'a file');
    const below = await failure(g.writeText(path.join(file, 'ckpt-5.index'), 'x'));
    expect(below).toMatchObject({ code: 'NOT_A_DIRECTORY', uri: file, retryable: false });
    expect(below.message).toMatch(/is a file, not a directory/);
    const deeper = await failure(g.writeText(path.join(file, 'a', 'b', 'ckpt-5.index'), 'x'));
    expect(deeper).toMatchObject({ code: 'NOT_A_DIRECTORY', uri: file });
    fs.writeFileSync(path.join(dir, 'src'), 'x');
    const copy = await failure(g.copy(path.join(dir, 'src'), path.join(file, 'src')));
    expect(copy).toMatchObject({ code: 'NOT_A_DIRECTORY', uri: file });
    const read = await failure(g.readText(path.join(file, 'checkpoint')));
    expect(read.code).toBe('NOT_FOUND');
    expect(read.message).toMatch(/is a file, not a directory \(ENOTDIR\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
