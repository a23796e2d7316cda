/**
 * docs/guide.md runs: every TypeScript block in it is a module marked `// guide: NAME.ts`; this test
 * extracts them, type-checks them with the project's strict settings, and runs them against
 * `memory://` stores and the local disk. A guide edit that breaks an example fails here.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildBundle, dataFilename, formatCheckpointState, readStateFile, tfLatestCheckpoint } from '@ckptkit/core';
import type { GFile } from '@ckptkit/gfile';
import { REPO } from '../helpers/cli.js';

const GUIDE = path.join(REPO, 'docs', 'guide.md');
const OUT = path.join(REPO, 'test', '.tmp', `guide-${process.pid}`);

/** The guide's TypeScript blocks, by the file name each declares. */
async function extract(): Promise<Map<string, string>> {
  const md = await fs.readFile(GUIDE, 'utf8');
  const blocks = new Map<string, string>();
  for (const m of md.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const code = m[1]!;
    const name = /^\/\/ guide: ([\w-]+\.ts)\n/.exec(code)?.[1];
    // Every TypeScript block must be one that runs here.
    expect(name, `a \`\`\`ts block without "// guide: NAME.ts":\n${code.slice(0, 200)}`).toBeDefined();
    expect(blocks.has(name!), `two blocks named ${name}`).toBe(false);
    blocks.set(name!, code);
  }
  return blocks;
}

type Storage = { createStorage: (o?: { concurrency?: number }) => GFile };
type Promote = { promoteLatest: (g: GFile, run: string, release: string) => Promise<{ prefix: string; step: number | null; filesCopied: number; filesSkipped: number }> };
type Deploy = { main: (args: string[]) => Promise<number> };
type Evaluate = {
  evaluateNew: (g: GFile, run: string, evaluate: (prefix: string, step: number | null) => Promise<void>, o?: { interval?: number; timeout?: number }) => Promise<number>;
};
type Repair = { repairMovedRun: (g: GFile, dir: string) => Promise<string[]> };
type NightlyPrune = {
  pruneRuns: (g: GFile, prefix: string, rules: { keepLast?: number }, o?: { execute?: boolean }) => Promise<Array<{ dir: string; deleted: number; bytesFreed: number }>>;
};
type Inventory = { inventory: (g: GFile, root: string) => Promise<Array<{ model: string; format: string; bytes: number; complete: boolean }>> };

const load = <T>(name: string) => import(path.join(OUT, name)) as Promise<T>;

/** A TF2 run: complete ckpt-1 and ckpt-2, ckpt-3 with a shard missing, the state file naming ckpt-3. */
async function seedRun(g: GFile, dir: string): Promise<void> {
  for (const step of [1, 2, 3]) {
    const built = await buildBundle(
      [0, 1].map((i) => ({ key: `layer_${i}/kernel/.ATTRIBUTES/VARIABLE_VALUE`, dtype: 'DT_FLOAT', shape: [4, 4], data: new Uint8Array(64).fill(step * 10 + i), shard: i })),
      { numShards: 2 },
    );
    for (const [i, shard] of built.shards.entries()) if (!(step === 3 && i === 1)) await g.writeFile(`${dir}/${dataFilename(`ckpt-${step}`, i, 2)}`, shard);
    await g.writeFile(`${dir}/ckpt-${step}.index`, built.index);
  }
  await g.writeText(`${dir}/checkpoint`, formatCheckpointState({ modelCheckpointPath: 'ckpt-3', allModelCheckpointPaths: ['ckpt-1', 'ckpt-2', 'ckpt-3'], allModelCheckpointTimestamps: [], lastPreservedTimestamp: 0 }));
}

let tmp: string;
beforeAll(async () => {
  const blocks = await extract();
  expect([...blocks.keys()].sort()).toEqual(['deploy.ts', 'evaluate-new.ts', 'inventory.ts', 'nightly-prune.ts', 'promote-latest.ts', 'repair-moved-run.ts', 'storage.ts']);
  await fs.mkdir(OUT, { recursive: true });
  for (const [name, code] of blocks) await fs.writeFile(path.join(OUT, name), code);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-guide-'));
});
afterAll(async () => {
  await fs.rm(OUT, { recursive: true, force: true });
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('docs/guide.md', () => {
  it('type-checks with the strict settings of the repository', async () => {
    await fs.writeFile(
      path.join(OUT, 'tsconfig.json'),
      JSON.stringify({ extends: '../../../tsconfig.base.json', compilerOptions: { composite: false, declaration: false, declarationMap: false, sourceMap: false, noEmit: true }, include: ['*.ts'] }),
    );
    const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', OUT], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('promoteLatest on memory stores: the newest complete checkpoint, copied, recorded, verified; again: nothing sent', async () => {
    const { createStorage } = await load<Storage>('storage.ts');
    const { promoteLatest } = await load<Promote>('promote-latest.ts');
    const g = createStorage();
    await seedRun(g, 'memory://guide-run/runs/42');
    const p = await promoteLatest(g, 'memory://guide-run/runs/42', 'memory://guide-release/models/resnet');
    expect(p).toEqual({ prefix: 'memory://guide-release/models/resnet/ckpt-2', step: 2, filesCopied: 3, filesSkipped: 0 });
    expect(await readStateFile(g, 'memory://guide-release/models/resnet')).toMatchObject({ kind: 'ok', state: { modelCheckpointPath: 'ckpt-2' } });
    const again = await promoteLatest(g, 'memory://guide-run/runs/42', 'memory://guide-release/models/resnet');
    expect(again).toMatchObject({ filesCopied: 0, filesSkipped: 3 });
    await g.close();
  });

  it('the deploy script on the local disk: exit 0, one line out, TensorFlow finds the release; exit 2 on bad input', async () => {
    const { main } = await load<Deploy>('deploy.ts');
    const { createStorage } = await load<Storage>('storage.ts');
    const g = createStorage();
    await seedRun(g, `${tmp}/runs/42`);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main([`${tmp}/runs/42`, `${tmp}/release`])).toBe(0);
      expect(log.mock.calls.map((c) => c.join(' '))).toEqual([`promoted step 2 to ${tmp}/release/ckpt-2 (3 files sent, 0 already there)`]);
      expect((await tfLatestCheckpoint(g, `${tmp}/release`)).prefix).toBe(`${tmp}/release/ckpt-2`);
      expect(await main([`${tmp}/runs/42`])).toBe(2);
      expect(await main([`${tmp}/no-such-run`, `${tmp}/release2`])).toBe(1);
      expect(await main([`nope://bucket/run`, `${tmp}/release3`])).toBe(2);
      expect(err.mock.calls.at(-1)![0]).toMatch(/^INVALID_PATH during /);
    } finally {
      log.mockRestore();
      err.mockRestore();
      await g.close();
    }
  });

  it('evaluateNew: every checkpoint written while it watches, once, in order', async () => {
    const { createStorage } = await load<Storage>('storage.ts');
    const { evaluateNew } = await load<Evaluate>('evaluate-new.ts');
    const g = createStorage();
    const run = 'memory://guide-watch/runs/7';
    await seedRun(g, run);
    const seen: Array<number | null> = [];
    const writer = (async () => {
      await new Promise((r) => setTimeout(r, 50));
      // ckpt-4; ckpt-3 stays incomplete and is never evaluated.
      const built = await buildBundle([{ key: 'x', dtype: 'DT_FLOAT', shape: [1], data: new Uint8Array(4) }]);
      await g.writeFile(`${run}/${dataFilename('ckpt-4', 0, 1)}`, built.shards[0]!);
      await g.writeFile(`${run}/ckpt-4.index`, built.index);
    })();
    const n = await evaluateNew(g, run, async (_prefix, step) => void seen.push(step), { interval: 0.02, timeout: 0.4 });
    await writer;
    expect(seen).toEqual([2, 4]);
    expect(n).toBe(2);
    await g.close();
  });

  it('pruneRuns on memory stores: every run under the prefix, a dry run first, then the newest kept', async () => {
    const { createStorage } = await load<Storage>('storage.ts');
    const { pruneRuns } = await load<NightlyPrune>('nightly-prune.ts');
    const g = createStorage();
    for (const run of ['a', 'b']) {
      for (const step of [1, 2, 3]) {
        await g.writeText(`memory://guide-prune/runs/${run}/ckpt-${step}.index`, 'i');
        await g.writeText(`memory://guide-prune/runs/${run}/ckpt-${step}.data-00000-of-00001`, 'dd');
      }
    }
    const dry = await pruneRuns(g, 'memory://guide-prune/runs', { keepLast: 1 });
    expect(dry).toEqual([
      { dir: 'memory://guide-prune/runs/a', deleted: 2, bytesFreed: 6 },
      { dir: 'memory://guide-prune/runs/b', deleted: 2, bytesFreed: 6 },
    ]);
    expect(await g.exists('memory://guide-prune/runs/a/ckpt-1.index')).toBe(true);
    await pruneRuns(g, 'memory://guide-prune/runs', { keepLast: 1 }, { execute: true });
    expect(await g.exists('memory://guide-prune/runs/a/ckpt-1.index')).toBe(false);
    expect(await g.exists('memory://guide-prune/runs/b/ckpt-3.index')).toBe(true);
    expect(await pruneRuns(g, 'memory://guide-prune/runs', { keepLast: 1 })).toEqual([
      { dir: 'memory://guide-prune/runs/a', deleted: 0, bytesFreed: 0 },
      { dir: 'memory://guide-prune/runs/b', deleted: 0, bytesFreed: 0 },
    ]);
    await g.close();
  });

  it('repairMovedRun on the local disk: absolute paths from another machine made relative', async () => {
    const { createStorage } = await load<Storage>('storage.ts');
    const { repairMovedRun } = await load<Repair>('repair-moved-run.ts');
    const g = createStorage();
    const dir = `${tmp}/moved/42`;
    await seedRun(g, dir);
    await g.writeText(`${dir}/checkpoint`, 'model_checkpoint_path: "/home/bob/42/ckpt-2"\nall_model_checkpoint_paths: "/home/bob/42/ckpt-1"\nall_model_checkpoint_paths: "/home/bob/42/ckpt-2"\n');
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await repairMovedRun(g, dir)).toEqual([]);
    vi.restoreAllMocks();
    expect((await tfLatestCheckpoint(g, dir)).prefix).toBe(`${dir}/ckpt-2`);
    expect(await repairMovedRun(g, dir)).toEqual([]);
    await g.close();
  });

  it('inventory of a zoo mirror on the local disk: one line per model folder', async () => {
    const { createStorage } = await load<Storage>('storage.ts');
    const { inventory } = await load<Inventory>('inventory.ts');
    const { buildZooMirror } = (await import(path.join(REPO, 'examples', 'zoo-mirror', 'build-zoo-mirror.mjs'))) as {
      buildZooMirror: (g: GFile, dest: string, o: { models: number }) => Promise<{ models: Array<{ rel: string }> }>;
    };
    const g = createStorage();
    const { models } = await buildZooMirror(g, `${tmp}/zoo`, { models: 12 });
    const lines = await inventory(g, `${tmp}/zoo`);
    expect(lines).toHaveLength(12);
    expect(new Set(lines.map((l) => l.format))).toEqual(new Set(['tf-od-zoo-v2', 'tf-od-zoo-v1', 'tf-slim']));
    expect(lines.every((l) => l.complete && l.bytes > 0)).toBe(true);
    // Each line names a model folder of the mirror (the TF2 prefix sits one folder deeper).
    for (const m of models) expect(lines.some((l) => l.model === m.rel || l.model === `${m.rel}/checkpoint`), m.rel).toBe(true);
    await g.close();
  });
});
