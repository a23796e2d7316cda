/**
 * `copyCheckpoint` and deep verification of a checkpoint inside a `.tar.gz` (decision 0016,
 * "Scans"): one pass over the archive for cp, the listing pass and one data pass for verify
 * --deep, whatever the order of the shards in the archive; cp's guarantees (index last, nothing
 * under the destination's names for an incomplete checkpoint, reruns skip) hold with staging.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildBundle, copyCheckpoint, dataFilename, verifyAny } from '@ckptkit/core';
import { clearMemoryStore, createGFile, createMemoryAdapter, createRegistry, isCkptError, type GFile, type StorageAdapter } from '@ckptkit/gfile';
import { hostTag, localFactory } from '@ckptkit/local';
import { makeTgz, type TarEntry } from '../helpers/archives.js';

const SRC = `copy-tgz-src-${process.pid}`;
const DST = `copy-tgz-dst-${process.pid}`;
afterEach(() => {
  clearMemoryStore(SRC);
  clearMemoryStore(DST);
});

/** Memory stores whose `copy` and `write` calls on the destination are recorded in order. */
function recording(): { gfile: GFile; ops: string[] } {
  const ops: string[] = [];
  const wrap = (store: string, inner: StorageAdapter): StorageAdapter =>
    store !== DST
      ? inner
      : {
          ...inner,
          async write(key, body, o) {
            ops.push(`write ${key}`);
            return inner.write(key, body, o);
          },
          async copy(src, dst, o) {
            ops.push(`copy ${dst}`);
            return inner.copy(src, dst, o);
          },
        };
  const registry = createRegistry().register('memory', () => (store: string) => wrap(store, createMemoryAdapter(store)));
  return { gfile: createGFile({ registry, retry: false }), ops };
}

/** A 3-shard bundle of 5 MiB shards (more than the listing pass keeps), shards stored last first, the index after them. */
async function zooArchive(options: { dropShard?: number } = {}): Promise<{ bytes: Buffer; files: Map<string, Uint8Array> }> {
  const built = await buildBundle(
    Array.from({ length: 3 }, (_, i) => ({
      key: `layer_${i}/kernel`,
      dtype: 'DT_FLOAT',
      shape: [5 * 2 ** 18],
      data: new Uint8Array(5 * 2 ** 20).map((_, j) => (j * (i + 3) + (j >> 11)) & 0xff),
      shard: i,
    })),
    { numShards: 3 },
  );
  const files = new Map<string, Uint8Array>();
  for (let i = 2; i >= 0; i--) if (i !== options.dropShard) files.set(dataFilename('m/ckpt/ckpt-0', i, 3), built.shards[i]!);
  files.set('m/ckpt/ckpt-0.index', built.index);
  const entries: TarEntry[] = [{ path: 'm/ckpt/checkpoint', data: 'model_checkpoint_path: "ckpt-0"\n' }, ...[...files].map(([path, data]) => ({ path, data }))];
  return { bytes: makeTgz(entries), files };
}

const gets = (gfile: GFile) => gfile.metrics.snapshot().requests.get;

describe('cp and verify --deep of a checkpoint inside a .tar.gz', () => {
  it('cp: one GET; data committed before the index; every byte right; no staged file left; a rerun skips everything', async () => {
    const { gfile, ops } = recording();
    const { bytes, files } = await zooArchive();
    await gfile.writeFile(`memory://${SRC}/z.tar.gz`, bytes);
    const before = gets(gfile);
    const progress: Array<{ filesTotal: number; bytesDone: number; bytesTotal: number }> = [];
    const r = await copyCheckpoint(`tar:memory://${SRC}/z.tar.gz!/m/ckpt/ckpt-0`, `memory://${DST}/out`, { gfile, onProgress: (p) => progress.push(p) });
    expect(gets(gfile) - before).toBe(1);
    // The bytes move while staging (the files are counted once the pass has listed them), and end all done.
    const total = [...files.values()].reduce((n, d) => n + d.length, 0);
    expect(progress.filter((p) => p.filesTotal === 0).at(-1)).toMatchObject({ bytesDone: total, bytesTotal: total });
    expect(progress.filter((p) => p.filesTotal === 0).length).toBeGreaterThan(4);
    expect(progress.at(-1)).toMatchObject({ filesTotal: 4, bytesDone: total, bytesTotal: total });
    expect(r.filesCopied).toBe(4);
    for (const [path, data] of files) expect(Buffer.from(await gfile.readFile(`memory://${DST}/out/${path.split('/').pop()}`)).equals(data)).toBe(true);
    // Staged in archive order, then committed in cp's order: every shard before the index.
    const commits = ops.filter((o) => o.startsWith('copy ')).map((o) => o.slice('copy out/'.length));
    expect(commits.at(-1)).toBe('ckpt-0.index');
    expect(commits.slice(0, 3).sort()).toEqual([0, 1, 2].map((i) => dataFilename('ckpt-0', i, 3)));
    const left: string[] = [];
    for await (const f of gfile.list(`memory://${DST}/`, { recursive: true })) left.push(f.name);
    expect(left.sort()).toEqual([...files.keys()].map((p) => p.split('/').pop()).sort());
    const again = await copyCheckpoint(`tar:memory://${SRC}/z.tar.gz!/m/ckpt/ckpt-0.index`, `memory://${DST}/out`, { gfile });
    expect(again.filesSkipped).toBe(4);
    const after: string[] = [];
    for await (const f of gfile.list(`memory://${DST}/`, { recursive: true })) after.push(f.name);
    expect(after.sort()).toEqual(left.sort());
  });

  it('removeLeftovers: the staging directory of a killed copy goes once older than maxAgeMs, not before', async () => {
    const { gfile } = recording();
    await gfile.writeFile(`memory://${SRC}/z.tar.gz`, (await zooArchive()).bytes);
    const dead = `memory://${DST}/out/.ckpt-staging-0123456789ab`;
    await gfile.writeText(`${dead}/0`, 'half a shard');
    const young = await copyCheckpoint(`tar:memory://${SRC}/z.tar.gz!/m/ckpt/ckpt-0`, `memory://${DST}/out`, { gfile, removeLeftovers: {} });
    expect(young.leftovers?.removed).toEqual([]);
    expect(await gfile.exists(`${dead}/0`)).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    const old = await copyCheckpoint(`tar:memory://${SRC}/z.tar.gz!/m/ckpt/ckpt-0`, `memory://${DST}/out`, { gfile, removeLeftovers: { maxAgeMs: 1 } });
    expect(old.leftovers?.removed).toEqual([{ uri: dead, id: dead, why: 'older-than-max-age' }]);
    expect(await gfile.exists(`${dead}/0`)).toBe(false);
    expect(old.filesSkipped).toBe(4);
  });

  it('removeLeftovers: a staging directory whose name records a dead process of this machine goes at once; a live one stays, whatever its age', async () => {
    const { gfile } = recording();
    await gfile.writeFile(`memory://${SRC}/z.tar.gz`, (await zooArchive()).bytes);
    // A pid that ran and is gone (a child that exited), and one that runs (this test's parent).
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const dead = `memory://${DST}/out/.ckpt-staging-${hostTag()}-${gone}-0123456789ab`;
    const live = `memory://${DST}/out/.ckpt-staging-${hostTag()}-${process.ppid}-0123456789ab`;
    const elsewhere = `memory://${DST}/out/.ckpt-staging-ffffffff-${gone}-0123456789ab`;
    for (const dir of [dead, live, elsewhere]) await gfile.writeText(`${dir}/0`, 'half a shard');
    const first = await copyCheckpoint(`tar:memory://${SRC}/z.tar.gz!/m/ckpt/ckpt-0`, `memory://${DST}/out`, { gfile, removeLeftovers: {} });
    expect(first.leftovers?.removed).toEqual([{ uri: dead, id: dead, why: 'owner-dead' }]);
    expect([await gfile.exists(`${dead}/0`), await gfile.exists(`${live}/0`), await gfile.exists(`${elsewhere}/0`)]).toEqual([false, true, true]);
    await new Promise((r) => setTimeout(r, 5));
    // Another machine's: the age rule; a live writer of this machine: never.
    const old = await copyCheckpoint(`tar:memory://${SRC}/z.tar.gz!/m/ckpt/ckpt-0`, `memory://${DST}/out`, { gfile, removeLeftovers: { maxAgeMs: 1 } });
    expect(old.leftovers?.removed).toEqual([{ uri: elsewhere, id: elsewhere, why: 'older-than-max-age' }]);
    expect(await gfile.exists(`${live}/0`)).toBe(true);
  });

  it('a staging directory names its writer: .ckpt-staging-HOST-PID-RANDOM (HOST as the local adapter spells it)', async () => {
    const { gfile, ops } = recording();
    await gfile.writeFile(`memory://${SRC}/z.tar.gz`, (await zooArchive()).bytes);
    await copyCheckpoint(`tar:memory://${SRC}/z.tar.gz!/m/ckpt/ckpt-0`, `memory://${DST}/out`, { gfile });
    const staged = ops.filter((o) => o.startsWith('write ')).map((o) => o.slice('write '.length));
    expect(staged.length).toBeGreaterThan(0);
    for (const key of staged) expect(key).toMatch(new RegExp(`^out/\\.ckpt-staging-${hostTag()}-${process.pid}-[0-9a-f]{12}/\\d+$`));
  });

  it('cp aborted while it stages: ABORTED, and the staging directory is gone', async () => {
    const { gfile } = recording();
    await gfile.writeFile(`memory://${SRC}/z.tar.gz`, (await zooArchive()).bytes);
    const controller = new AbortController();
    let error: unknown;
    await copyCheckpoint(`tar:memory://${SRC}/z.tar.gz!/m/ckpt/ckpt-0`, `memory://${DST}/out`, {
      gfile,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytesDone > 6 * 2 ** 20) controller.abort();
      },
    }).catch((e: unknown) => (error = e));
    expect(isCkptError(error, 'ABORTED')).toBe(true);
    const left: string[] = [];
    for await (const f of gfile.list(`memory://${DST}/`, { recursive: true })) left.push(f.uri);
    expect(left).toEqual([]);
  });

  it('cp into a destination that is a file: NOT_A_DIRECTORY naming it; a source that does not parse: INVALID_PATH, not about the destination', async () => {
    const gfile = createGFile({ registry: createRegistry().register('file', () => localFactory()), retry: false });
    await gfile.writeFile(`memory://${SRC}/z.tar.gz`, (await zooArchive()).bytes);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-copy-tgz-'));
    try {
      const file = path.join(dir, 'a-file');
      await fs.writeFile(file, 'x');
      let error: unknown;
      await copyCheckpoint(`tar:memory://${SRC}/z.tar.gz!/m/ckpt/ckpt-0`, file, { gfile }).catch((e: unknown) => (error = e));
      expect(isCkptError(error, 'NOT_A_DIRECTORY'), String(error)).toBe(true);
      expect((error as { uri?: string }).uri).toBe(file);
      error = undefined;
      await copyCheckpoint(`tar:memory://${SRC}/z.tar.gz!bad`, file, { gfile }).catch((e: unknown) => (error = e));
      expect(isCkptError(error, 'INVALID_PATH'), String(error)).toBe(true);
      expect(await fs.readFile(file, 'utf8')).toBe('x');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('cp of an incomplete checkpoint: CORRUPT after the pass, and nothing is left at the destination', async () => {
    const { gfile } = recording();
    await gfile.writeFile(`memory://${SRC}/z.tar.gz`, (await zooArchive({ dropShard: 1 })).bytes);
    let error: unknown;
    await copyCheckpoint(`tar:memory://${SRC}/z.tar.gz!/m/ckpt/ckpt-0`, `memory://${DST}/out`, { gfile }).catch((e: unknown) => (error = e));
    expect(isCkptError(error, 'CORRUPT')).toBe(true);
    const left: string[] = [];
    for await (const f of gfile.list(`memory://${DST}/`, { recursive: true })) left.push(f.uri);
    expect(left).toEqual([]);
  });

  it('verify --deep: the listing pass and one data pass; a flipped byte in a shard is found', async () => {
    const { gfile } = recording();
    const { bytes, files } = await zooArchive();
    await gfile.writeFile(`memory://${SRC}/z.tar.gz`, bytes);
    const before = gets(gfile);
    const ok = await verifyAny(gfile, `tar:memory://${SRC}/z.tar.gz!/m/ckpt/ckpt-0`, { deep: true, concurrency: 1 });
    expect(ok.report.problems).toEqual([]);
    expect(ok.report.tensorsChecked).toBe(3);
    expect(gets(gfile) - before).toBe(2);
    const bad = new Map(files);
    const shard = Buffer.from(bad.get(dataFilename('m/ckpt/ckpt-0', 1, 3))!);
    shard[12345] ^= 1;
    bad.set(dataFilename('m/ckpt/ckpt-0', 1, 3), shard);
    await gfile.writeFile(`memory://${SRC}/bad.tar.gz`, makeTgz([...bad].map(([path, data]) => ({ path, data }))));
    const found = await verifyAny(gfile, `tar:memory://${SRC}/bad.tar.gz!/m/ckpt/ckpt-0`, { deep: true });
    expect(found.report.problems.map((p) => [p.code, p.key])).toEqual([['CRC_MISMATCH', 'layer_1/kernel']]);
  });
});
