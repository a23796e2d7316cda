import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { createLocalAdapter, hostTag, parseTempName, removeUnfinishedWritesSync } from './index.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-local-leftovers-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A pid that ran on this machine and is certainly gone. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
}

describe('temporary names', () => {
  it('record the writing process and machine; other names are not ours', () => {
    expect(parseTempName(`.ckpt-5.index.ckpt-tmp-${hostTag()}-1234-0123456789ab`)).toEqual({ target: 'ckpt-5.index', owner: { host: hostTag(), pid: 1234 } });
    expect(parseTempName('.ckpt-5.index.ckpt-tmp-0123456789ab')).toEqual({ target: 'ckpt-5.index' });
    for (const name of ['ckpt-5.index', '.ckpt-5.index.tmp-0123456789ab', '.x.ckpt-tmp-0123', 'x.ckpt-tmp-0123456789ab', '.x.ckpt-tmp-0123456789ab.y']) expect(parseTempName(name), name).toBeUndefined();
  });
});

describe('unfinished writes of the local adapter', () => {
  const adapter = createLocalAdapter();
  const g = createGFile({ registry: createRegistry().register('file', () => () => adapter) });

  it('lists temporary files by target prefix, with owner, liveness and age; abandons only temporary files', async () => {
    const d = path.join(dir, 'list');
    await fs.mkdir(path.join(d, 'sub'), { recursive: true });
    const dead = deadPid();
    const names = {
      live: `.ckpt-5.index.ckpt-tmp-${hostTag()}-${process.pid}-aaaaaaaaaaaa`,
      dead: `.ckpt-5.data-00000-of-00001.ckpt-tmp-${hostTag()}-${dead}-bbbbbbbbbbbb`,
      elsewhere: '.ckpt-5.index.ckpt-tmp-00000000-1-cccccccccccc',
      ownerless: '.ckpt-5.meta.ckpt-tmp-dddddddddddd',
      otherCheckpoint: `.ckpt-6.index.ckpt-tmp-${hostTag()}-${dead}-eeeeeeeeeeee`,
    };
    for (const n of Object.values(names)) await fs.writeFile(path.join(d, n), 'x');
    await fs.writeFile(path.join(d, 'sub', names.ownerless), 'x');
    const found = await g.unfinishedWrites(`${d}/ckpt-5`);
    expect(found.map((w) => [path.basename(w.id), w.ownerAlive]).sort()).toEqual(
      [
        [names.dead, false],
        [names.elsewhere, undefined],
        [names.live, true],
        [names.ownerless, undefined],
      ].sort(),
    );
    expect(found.every((w) => w.startedAt instanceof Date)).toBe(true);
    expect(found.find((w) => w.id.endsWith(names.dead))!.uri).toBe(`file://${d}/ckpt-5.data-00000-of-00001`);
    // A whole directory: its subtree.
    expect((await g.unfinishedWrites(`${d}/`)).length).toBe(6);
    await g.abandonWrite(`${d}/ckpt-5.data-00000-of-00001`, found.find((w) => w.id.endsWith(names.dead))!.id);
    expect(existsSync(path.join(d, names.dead))).toBe(false);
    // Gone already: no error. A real file: refused.
    await g.abandonWrite(`${d}/ckpt-5.data-00000-of-00001`, found.find((w) => w.id.endsWith(names.dead))!.id);
    await fs.writeFile(path.join(d, 'ckpt-5.index'), 'real');
    await expect(adapter.abandonWrite!(`${d.slice(1)}/ckpt-5.index`, `${d.slice(1)}/ckpt-5.index`)).rejects.toMatchObject({ code: 'INVALID_PATH' });
    expect(existsSync(path.join(d, 'ckpt-5.index'))).toBe(true);
  });

  it('removeUnfinishedWritesSync deletes the temporary files of writes still running, and only those', async () => {
    const d = path.join(dir, 'sync');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    async function* body() {
      yield new Uint8Array(10);
      await held;
    }
    const writing = g.writeFile(`${d}/a.bin`, body()).catch((e: unknown) => e);
    let temp: string | undefined;
    for (let i = 0; i < 200 && temp === undefined; i++) {
      await new Promise((r) => setTimeout(r, 5));
      temp = existsSync(d) ? (await fs.readdir(d)).find((n) => n.includes('.ckpt-tmp-')) : undefined;
    }
    expect(temp).toMatch(new RegExp(`^\\.a\\.bin\\.ckpt-tmp-${hostTag()}-${process.pid}-`));
    await fs.writeFile(path.join(d, 'keep.bin'), 'x');
    expect(removeUnfinishedWritesSync()).toEqual([path.join(d, temp!)]);
    expect((await fs.readdir(d)).sort()).toEqual(['keep.bin']);
    release();
    await writing;
  });

  it('a local copy reports progress while the file is copied, and exactly its size in all', async () => {
    const d = path.join(dir, 'copy');
    await fs.mkdir(d, { recursive: true });
    await fs.writeFile(path.join(d, 'src.bin'), Buffer.alloc(64 * 1024 * 1024, 1));
    const seen: number[] = [];
    await g.copy(`${d}/src.bin`, `${d}/dst.bin`, { onProgress: (n) => seen.push(n) });
    expect(seen.reduce((a, b) => a + b, 0)).toBe(64 * 1024 * 1024);
    expect(seen.every((n) => n > 0)).toBe(true);
    expect((await fs.readdir(d)).sort()).toEqual(['dst.bin', 'src.bin']);
  });
});
