/**
 * The checkpoint suite: written once, run against every store (memory, local, S3 on Ceph RGW, GCS
 * on the emulator). It writes the example trees of checkpoint-layouts.md and the rows of
 * tf-checkpoint-format.md §1.3 to the store, then checks `findCheckpoints` and `latestCheckpoint`
 * (both modes) against the answers those documents give, and the request budgets of the issue.
 * Every expectation is the same on every store.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckpointInfo, type LatestResolution, findCheckpoints, latestCheckpoint, newestComplete, writeBundle } from '@ckptkit/core';
import { type GFile, isCkptError } from '@ckptkit/gfile';
import { filler, type TreeSpec } from './bytes.js';
import { layoutDirectory, placedDirectory, selfDirectory } from './layout-arbitraries.js';
import { defineLayoutCases } from './layouts.js';
import { ABSOLUTE_TARGET, F01, F02_STEPS, F03, F03B, F05, F07, F13, F15, F17, F19, F21, F23, HIDDEN, ORDER, ORDER_MTIME_FIRST, ORDER_RUNS, ORDER_MTIME_SECOND, OTHERS, ZOO, edgeCases } from './trees.js';

/** What a target provides. */
export interface CheckpointSuiteContext {
  /** A facade for the store, with `file` registered too (absolute paths in state files are local). */
  gfile: GFile;
  /** An empty directory URI of the store, without a trailing slash. */
  root: string;
  /** An empty local directory (absolute path), for state files recording absolute paths. */
  localDir: string;
  cleanup?: () => Promise<void>;
}

export interface CheckpointTarget {
  name: string;
  setup(): Promise<CheckpointSuiteContext>;
  /** Checkpoints in the request-budget directory (default 10,000, as the issue asks). */
  budgetCheckpoints?: number;
  /** Timeout of the budget tree's setup, in ms. */
  budgetTimeout?: number;
  /** Keys one list request returns at most on this store (default 1,000: S3, GCS; Azure: 5,000). */
  listPageSize?: number;
  /** Random trees of the latest-model property (default 60). */
  propertyRuns?: number;
}

/** Writes a tree spec under `base` with bounded parallelism. */
export async function writeTree(gfile: GFile, base: string, spec: TreeSpec, concurrency = 32): Promise<void> {
  const entries = Object.entries(spec);
  for (let i = 0; i < entries.length; i += concurrency) {
    await Promise.all(
      entries.slice(i, i + concurrency).map(([rel, value]) => {
        const uri = `${base}/${rel}`;
        if (value === null) return gfile.makeDirs(uri);
        if (typeof value === 'number') return gfile.writeFile(uri, filler(value));
        return gfile.writeFile(uri, value);
      }),
    );
  }
}

/** The requests `fn` sent, by kind. */
async function counting<T>(gfile: GFile, fn: () => Promise<T>): Promise<{ value: T; requests: Record<string, number>; total: number }> {
  const before = gfile.metrics.snapshot().requests;
  const value = await fn();
  const after = gfile.metrics.snapshot().requests;
  const requests = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]]));
  return { value, requests, total: Object.values(requests).reduce((a, b) => a + b, 0) };
}

export function defineCheckpointSuite(target: CheckpointTarget): void {
  describe(`checkpoints: ${target.name}`, () => {
    let ctx: CheckpointSuiteContext;
    let g: GFile;
    let root: string;
    const u = (rel: string) => `${root}/${rel}`;
    const rel = (uri: string) => (uri.startsWith(`${root}/`) ? uri.slice(root.length + 1) : uri);
    const line = (c: CheckpointInfo) => `${rel(c.prefix)} ${c.format} ${c.step} ${c.temporary ? 'temporary' : c.complete ? 'complete' : 'incomplete'}`;
    const find = async (dir: string) => (await findCheckpoints(u(dir), { gfile: g })).map(line);
    const robust = (dir: string, options: { verify?: boolean; latestFilename?: string } = {}) => latestCheckpoint(u(dir), { gfile: g, ...options });
    const tf = (dir: string, latestFilename?: string) => latestCheckpoint(u(dir), { gfile: g, mode: 'tf', latestFilename });
    const chosen = (r: LatestResolution) => (r.checkpoint ? `${rel(r.checkpoint.prefix)} ${r.checkpoint.source} ${r.checkpoint.format} ${r.checkpoint.step}` : null);

    beforeAll(async () => {
      ctx = await target.setup();
      g = ctx.gfile;
      root = ctx.root;
      const schemeRoot = root.startsWith('/') ? `file://${root}` : root;
      await writeTree(g, root, { ...F01, ...F03, ...F03B, ...F05, ...F07, ...ZOO, ...F13, ...F15, ...F17, ...F19, ...F21, ...F23, ...OTHERS, ...HIDDEN, ...edgeCases(`${ctx.localDir}/abs`, schemeRoot) });
      await writeTree(g, `${ctx.localDir}/abs`, ABSOLUTE_TARGET);
      await writeTree(g, root, { ...ORDER, ...ORDER_RUNS });
      // Modification times a second apart (S3 reports whole seconds).
      await writeTree(g, root, ORDER_MTIME_FIRST);
      await new Promise((r) => setTimeout(r, 1100));
      await writeTree(g, root, ORDER_MTIME_SECOND);
      // F02 with real bundles from the project's writer; a copy without a state file.
      for (const dir of ['f02/tf2', 'f02b/tf2']) {
        for (const n of F02_STEPS) await writeBundle(g, u(`${dir}/ckpt-${n}`), [{ key: 'step', dtype: 'DT_INT64', shape: [], data: new Uint8Array(new BigInt64Array([BigInt(n)]).buffer) }]);
      }
      await g.writeText(u('f02/tf2/checkpoint'), `model_checkpoint_path: "ckpt-1001"\n${F02_STEPS.map((n) => `all_model_checkpoint_paths: "ckpt-${n}"\n`).join('')}`);
    }, 300_000);
    afterAll(async () => {
      await ctx?.cleanup?.();
    }, 600_000);

    describe('tf.train.latest_checkpoint, row by row (tf-checkpoint-format.md §1.3)', () => {
      it('no state file: None', async () => expect((await tf('edge/nostate')).prefix).toBeNull());
      it('empty state file: raises (CORRUPT)', async () => {
        const e = await tf('edge/empty').catch((x: unknown) => x);
        expect(isCkptError(e, 'CORRUPT')).toBe(true);
        expect(String((e as Error).message)).toMatch(/Invalid checkpoint state loaded from/);
      });
      it('state file without model_checkpoint_path: raises', async () => {
        expect(isCkptError(await tf('edge/onlyall').catch((x: unknown) => x), 'CORRUPT')).toBe(true);
      });
      it('state file that is not UTF-8: raises (UnicodeDecodeError)', async () => {
        expect(isCkptError(await tf('edge/notutf8').catch((x: unknown) => x), 'CORRUPT')).toBe(true);
      });
      it('malformed state file (unknown field): None', async () => expect((await tf('edge/malformed')).prefix).toBeNull());
      it('relative prefix with .index: the directory joined with it', async () => expect((await tf('edge/relative')).prefix).toBe(u('edge/relative/ckpt-2')));
      it('absolute prefix: the absolute path verbatim', async () => expect((await tf('edge/absolute')).prefix).toBe(`${ctx.localDir}/abs/ckpt-2`));
      it("another machine's absolute path: None", async () => expect((await tf('edge/foreign')).prefix).toBeNull());
      it('a recorded URI counts as relative (joined, so it does not exist): None', async () => expect((await tf('edge/scheme')).prefix).toBeNull());
      it('V1 single file: the prefix', async () => expect((await tf('edge/v1single')).prefix).toBe(u('edge/v1single/model.ckpt-7')));
      it('V1 sharded pattern: the pattern string itself', async () => expect((await tf('edge/v1sharded')).prefix).toBe(u('edge/v1sharded/model.ckpt-8-?????-of-00002')));
      it('prefix naming a directory: the prefix', async () => expect((await tf('edge/dirprefix')).prefix).toBe(u('edge/dirprefix/ckpt-3')));
      it('.index without data: the prefix (data never checked)', async () => expect((await tf('edge/nodata')).prefix).toBe(u('edge/nodata/ckpt-4')));
      it('only data shards: None', async () => expect((await tf('edge/onlydata')).prefix).toBeNull());
      it('only .meta: None', async () => expect((await tf('edge/onlymeta')).prefix).toBeNull());
      it('state names a deleted prefix while older ones exist: None (F03)', async () => {
        const r = await tf('f03/exp7');
        expect(r.prefix).toBeNull();
        expect(r.warnings.join()).toMatch(/Couldn't match files for checkpoint/);
      });
      it('0-byte state file (F03b): raises', async () => expect(isCkptError(await tf('f03b/exp7').catch((x: unknown) => x), 'CORRUPT')).toBe(true));
      it('newer checkpoints not in the state file: the older recorded one', async () => expect((await tf('hidden/run')).prefix).toBe(u('hidden/run/ckpt-5')));
      it('glob characters in the directory: the literal path does not match, None', async () => expect((await tf('edge/globA/run[1]')).prefix).toBeNull());
      it('glob characters in the directory: another path matches, the literal string is returned', async () =>
        expect((await tf('edge/globB/run[1]')).prefix).toBe(u('edge/globB/run[1]/ckpt-5')));
      it('latest_filename reads another file', async () => {
        expect((await tf('edge/latestname')).prefix).toBe(u('edge/latestname/ckpt-0'));
        expect((await tf('edge/latestname', 'foo')).prefix).toBe(u('edge/latestname/ckpt-1'));
      });
      it('an incomplete recorded checkpoint with an .index is still returned (F05)', async () => expect((await tf('f05/bert')).prefix).toBe(u('f05/bert/model.ckpt-20000')));
    });

    describe('robust latest on the same rows', () => {
      const cases: Array<[string, string | null]> = [
        ['edge/nostate', 'edge/nostate/ckpt-1 scan tf2-checkpoint 1'],
        ['edge/empty', 'edge/empty/ckpt-1 scan tf2-checkpoint 1'],
        ['edge/onlyall', 'edge/onlyall/ckpt-1 scan tf2-checkpoint 1'],
        ['edge/notutf8', 'edge/notutf8/ckpt-1 scan tf2-checkpoint 1'],
        ['edge/malformed', 'edge/malformed/ckpt-1 scan tf2-checkpoint 1'],
        ['edge/relative', 'edge/relative/ckpt-2 state tf2-checkpoint 2'],
        ['edge/absolute', 'edge/absolute/ckpt-2 basename tf2-checkpoint 2'],
        ['edge/foreign', 'edge/foreign/model.ckpt-5000 basename tf1-saver 5000'],
        ['edge/scheme', 'edge/scheme/ckpt-1 state tf2-checkpoint 1'],
        ['edge/v1single', 'edge/v1single/model.ckpt-7 state tf1-saver-v1 7'],
        ['edge/v1sharded', 'edge/v1sharded/model.ckpt-8-?????-of-00002 state tf1-saver-v1 8'],
        ['edge/dirprefix', 'edge/dirprefix/ckpt-2 scan tf2-checkpoint 2'],
        ['edge/nodata', 'edge/nodata/ckpt-3 scan tf2-checkpoint 3'],
        ['edge/onlydata', null],
        ['edge/onlymeta', null],
        ['edge/globA/run[1]', 'edge/globA/run[1]/ckpt-5 state tf2-checkpoint 5'],
        ['edge/latestname', 'edge/latestname/ckpt-0 state tf2-checkpoint 0'],
      ];
      for (const [dir, expected] of cases) {
        it(`${dir} -> ${expected ?? 'none'}`, async () => {
          const r = await robust(dir);
          expect(chosen(r)).toBe(expected);
          expect(r.notes.length).toBeGreaterThan(0);
        });
      }
      it('--state-file reads another name', async () => expect(chosen(await robust('edge/latestname', { latestFilename: 'foo' }))).toBe('edge/latestname/ckpt-1 state tf2-checkpoint 1'));
      it('explains the stale state file and the missing prefix (F03)', async () => {
        const r = await robust('f03/exp7');
        expect(chosen(r)).toBe('f03/exp7/ckpt-11 scan tf2-checkpoint 11');
        expect(r.passedOver.map((p) => rel(p.prefix))).toEqual(['f03/exp7/ckpt-12']);
        expect(r.notes.join('\n')).toMatch(/stale state file/);
      });
      it('ignores a 0-byte state file and scans (F03b)', async () => expect(chosen(await robust('f03b/exp7'))).toBe('f03b/exp7/ckpt-11 scan tf2-checkpoint 11'));
      it('passes over missing shards and S3 .part leftovers (F05)', async () => {
        const r = await robust('f05/bert');
        expect(chosen(r)).toBe('f05/bert/model.ckpt-19000 scan tf1-saver 19000');
        expect(r.passedOver.map((p) => `${rel(p.prefix)} ${p.step}`)).toEqual(['f05/bert/model.ckpt-20000 20000', 'f05/bert/model.ckpt-21000 21000']);
        const byStep = Object.fromEntries(r.passedOver.map((p) => [p.step, p.reasons.join(' ')]));
        expect(byStep[20000]).toMatch(/missing data shards 00001, 00003 of 00004/);
        expect(byStep[21000]).toMatch(/S3 temporary/);
      });
      it('compares steps as numbers: ckpt-1001 after ckpt-999 (F02), from the state file in 2 requests', async () => {
        const r = await counting(g, () => robust('f02/tf2'));
        expect(chosen(r.value)).toBe('f02/tf2/ckpt-1001 state tf2-checkpoint 1001');
        expect(r.requests).toMatchObject({ get: 1, list: 1 });
        expect(r.total).toBe(2);
      });
      it('compares steps as numbers without a state file (F02)', async () => expect(chosen(await robust('f02b/tf2'))).toBe('f02b/tf2/ckpt-1001 scan tf2-checkpoint 1001'));
      it('--verify reads the chosen index and checks its shards', async () => {
        const r = await robust('f02/tf2', { verify: true });
        expect(r.checkpoint?.verify?.ok).toBe(true);
        expect(r.checkpoint?.step).toBe(1001);
      });
      it('--verify passes over a checkpoint whose index does not parse', async () => {
        const r = await robust('f03/exp7', { verify: true });
        expect(r.checkpoint).toBeNull();
        expect(r.verifyFailed).toBe(true);
        expect(r.passedOver.some((p) => p.reasons.join(' ').includes('CORRUPT_INDEX'))).toBe(true);
      });
      it('trusts a valid state file over unrecorded newer checkpoints, never a temporary one', async () => expect(chosen(await robust('hidden/run'))).toBe('hidden/run/ckpt-5 state tf2-checkpoint 5'));
    });

    describe('robust latest on the layouts', () => {
      const cases: Array<[string, string | null, string[]?]> = [
        ['f01/iris', 'f01/iris/model.ckpt-200 state tf1-saver 200'],
        ['f01/iris/export/best_exporter', 'f01/iris/export/best_exporter/1596211300 scan estimator-export 1596211300'],
        ['f07/resnet', 'f07/resnet/00000009 scan savedmodel 9', ['f07/resnet/10']],
        ['f13/k/run1', 'f13/k/run1/weights.10-0.49.hdf5 scan keras 10'],
        ['f13/k/run2', 'f13/k/run2/epoch_11.keras scan keras 11', ['f13/k/run2/epoch_12.keras']],
        ['f13/k/run3/training_2', 'f13/k/run3/training_2/cp-0050.ckpt state keras-tf-weights 50'],
        ['f13/k/run4/backup', 'f13/k/run4/backup/latest.weights.h5 scan keras-backup 7'],
        ['f15/out', 'f15/out/checkpoint-1200 scan hf-trainer 1200', ['f15/out/tmp-checkpoint-1500']],
        ['f17/jax/run1', 'f17/jax/run1/checkpoint_1000 scan orbax 1000', ['f17/jax/run1/checkpoint_2000']],
        ['f17/jax/run2', 'f17/jax/run2/step_00001500 scan orbax 1500', ['f17/jax/run2/step_1500']],
        ['f17/jax/run3', 'f17/jax/run3/2000 scan orbax 2000', ['f17/jax/run3/3000.orbax-checkpoint-tmp-1712345678123456']],
        ['f19/t5x/base', 'f19/t5x/base/checkpoint_1000000 scan t5x 1000000', ['f19/t5x/base/checkpoint_1001000', 'f19/t5x/base/checkpoint_1000700.tmp-1712345678']],
        ['f21/tt/outputs/checkpoint', 'f21/tt/outputs/checkpoint/step-30 scan torchtitan 30'],
        ['f23/nemo2/llama/checkpoints', 'f23/nemo2/llama/checkpoints/llama--reduced_train_loss=1.10-step=1999-consumed_samples=128000.0-last scan nemo 1999', [
          'f23/nemo2/llama/checkpoints/llama--reduced_train_loss=1.05-step=2999-consumed_samples=192000.0-last',
        ]],
        ['f23/nemo/exp/megatron_gpt/2024-05-01_10-00-00/checkpoints', 'f23/nemo/exp/megatron_gpt/2024-05-01_10-00-00/checkpoints/megatron_gpt--val_loss=2.1234-epoch=3-last.ckpt scan nemo null'],
        ['pl/lightning_logs/version_0/checkpoints', 'pl/lightning_logs/version_0/checkpoints/epoch=19-step=2000-v1.ckpt scan lightning 2000', ['pl/lightning_logs/version_0/checkpoints/epoch=29-step=3000.ckpt']],
        ['ds/save', 'ds/save/global_step3000 scan deepspeed 3000', ['ds/save/global_step4000']],
        ['meg/save', 'meg/save/iter_0002000 scan megatron 2000', ['meg/save/iter_0003000']],
        ['meg/legacy', 'meg/legacy/release scan megatron null', ['meg/legacy/iter_0000500']],
        ['acc/project/checkpoints', 'acc/project/checkpoints/checkpoint_1 scan accelerate 1', ['acc/project/checkpoints/checkpoint_2']],
        ['flax/ckpts', 'flax/ckpts/checkpoint_200 scan flax 200'],
        // A TF1 zoo tarball's state file names model.ckpt: the tarball is the checkpoint, as find says.
        ['zoo/tf1/ssd_mobilenet_v2_coco_2018_03_29', 'zoo/tf1/ssd_mobilenet_v2_coco_2018_03_29/model.ckpt scan tf-od-zoo-v1 null'],
        ['zoo/tf2/20200711/efficientdet_d0_coco17_tpu-32/checkpoint', 'zoo/tf2/20200711/efficientdet_d0_coco17_tpu-32/checkpoint/ckpt-0 state tf2-checkpoint 0'],
        // A directory holding no checkpoint that is itself one (its state file is a directory here).
        ['zoo/tf2/20200711/efficientdet_d0_coco17_tpu-32', 'zoo/tf2/20200711/efficientdet_d0_coco17_tpu-32/checkpoint/ckpt-0 scan tf-od-zoo-v2 null'],
        ['f15/out/checkpoint-500', 'f15/out/checkpoint-500 scan hf-trainer 500'],
        ['f01/iris/eval', null],
      ];
      for (const [dir, expected, passed] of cases) {
        it(`${dir} -> ${expected ?? 'none'}`, async () => {
          const r = await robust(dir);
          expect(chosen(r)).toBe(expected);
          if (passed) expect(r.passedOver.map((p) => rel(p.prefix))).toEqual(passed);
          if (r.checkpoint) {
            expect(r.checkpoint.complete).toBe(true);
            expect(r.checkpoint.files.length).toBeGreaterThan(0);
            expect(r.checkpoint.bytes).toBeGreaterThan(0);
          }
        });
      }
    });

    describe('findCheckpoints on the layouts', () => {
      it('F01: Estimator checkpoints, the export and the export in progress', async () => {
        expect(await find('f01')).toEqual([
          'f01/iris/model.ckpt-1 tf1-saver 1 complete',
          'f01/iris/model.ckpt-200 tf1-saver 200 complete',
          'f01/iris/export/best_exporter/temp-1596211420 estimator-export null temporary',
          'f01/iris/export/best_exporter/1596211300 estimator-export 1596211300 complete',
        ]);
      });
      it('F05: steps of prefixes, never of shard counters', async () => {
        expect(await find('f05')).toEqual([
          'f05/bert/model.ckpt-19000 tf1-saver 19000 complete',
          'f05/bert/model.ckpt-20000 tf1-saver 20000 incomplete',
          'f05/bert/model.ckpt-21000 tf1-saver 21000 temporary',
        ]);
      });
      it('F07: Serving versions as numbers, the incomplete one, the temp dir; other files ignored', async () => {
        expect(await find('f07')).toEqual([
          'f07/resnet/temp-1700000000 savedmodel null temporary',
          'f07/resnet/1 savedmodel 1 complete',
          'f07/resnet/2 savedmodel 2 complete',
          'f07/resnet/00000009 savedmodel 9 complete',
          'f07/resnet/10 savedmodel 10 incomplete',
        ]);
      });
      it('F09-F12: zoo tarballs have no step (dates and tpu-32 are not steps)', async () => {
        expect(await find('zoo')).toEqual([
          'zoo/slim/inception_v3_2016_08_28/inception_v3.ckpt tf-slim null complete',
          'zoo/slim/mobilenet_v1_2018_02_22/mobilenet_v1_1.0_224/mobilenet_v1_1.0_224.ckpt tf-slim null complete',
          'zoo/tf1/ssd_mobilenet_v2_coco_2018_03_29/model.ckpt tf-od-zoo-v1 null complete',
          'zoo/tf2/20200711/efficientdet_d0_coco17_tpu-32/checkpoint/ckpt-0 tf-od-zoo-v2 null complete',
        ]);
      });
      it('F13: Keras files, epochs from names, a truncated archive, backups, sharded weights', async () => {
        expect(await find('f13')).toEqual([
          'f13/k/run1/weights.09-0.53.hdf5 keras 9 complete',
          'f13/k/run1/weights.10-0.49.hdf5 keras 10 complete',
          'f13/k/run2/epoch_9.keras keras 9 complete',
          'f13/k/run2/epoch_10.keras keras 10 complete',
          'f13/k/run2/epoch_11.keras keras 11 complete',
          'f13/k/run2/epoch_12.keras keras 12 incomplete',
          'f13/k/run3/training_2/cp-0045.ckpt keras-tf-weights 45 complete',
          'f13/k/run3/training_2/cp-0050.ckpt keras-tf-weights 50 complete',
          'f13/k/run4/backup/latest.weights.h5 keras-backup 7 complete',
          'f13/k/run5/big.weights.json keras null complete',
        ]);
      });
      it('F15: HF checkpoints, a missing shard, staging dirs, the HP-search run', async () => {
        expect(await find('f15')).toEqual([
          'f15/out/tmp-checkpoint-pe8ry7n_ hf-trainer null temporary',
          'f15/out/checkpoint-500 hf-trainer 500 complete',
          'f15/out/checkpoint-999 hf-trainer 999 complete',
          'f15/out/checkpoint-1000 hf-trainer 1000 incomplete',
          'f15/out/checkpoint-1200 hf-trainer 1200 complete',
          'f15/out/tmp-checkpoint-1500 hf-trainer 1500 temporary',
          'f15/out/run-3/checkpoint-250 hf-trainer 250 complete',
        ]);
      });
      it('F19: T5X, the iterator bundle is not a TensorFlow checkpoint of step 1', async () => {
        const all = await findCheckpoints(u('f19'), { gfile: g });
        expect(all.map(line)).toEqual([
          'f19/t5x/base/checkpoint_999900 t5x 999900 complete',
          'f19/t5x/base/checkpoint_1000000 t5x 1000000 complete',
          'f19/t5x/base/checkpoint_1000700.tmp-1712345678 t5x 1000700 temporary',
          'f19/t5x/base/checkpoint_1001000 t5x 1001000 incomplete',
        ]);
        expect(all[1]!.extra.pinned).toBe(true);
      });
      it('F21, F23, and the other layouts', async () => {
        expect(await find('f21')).toEqual([
          'f21/tt/outputs/checkpoint/step-5 torchtitan 5 complete',
          'f21/tt/outputs/checkpoint/step-10 torchtitan 10 complete',
          'f21/tt/outputs/checkpoint/step-20 torchtitan 20 incomplete',
          'f21/tt/outputs/checkpoint/step-30 torchtitan 30 complete',
        ]);
        expect(await find('f23/nemo2')).toEqual([
          'f23/nemo2/llama/checkpoints/llama--reduced_train_loss=1.20-step=999-consumed_samples=64000.0 nemo 999 complete',
          'f23/nemo2/llama/checkpoints/llama--reduced_train_loss=1.10-step=1999-consumed_samples=128000.0-last nemo 1999 complete',
          'f23/nemo2/llama/checkpoints/llama--reduced_train_loss=1.05-step=2999-consumed_samples=192000.0-last nemo 2999 incomplete',
        ]);
        expect(await find('ds')).toEqual(['ds/save/global_step1000 deepspeed 1000 complete', 'ds/save/global_step3000 deepspeed 3000 complete', 'ds/save/global_step4000 deepspeed 4000 incomplete']);
        expect(await find('flax')).toEqual(['flax/ckpts/checkpoint_tmp flax null temporary', 'flax/ckpts/checkpoint_100 flax 100 complete', 'flax/ckpts/checkpoint_200 flax 200 complete']);
        expect(await find('pl')).toEqual([
          'pl/lightning_logs/version_0/checkpoints/last-v1.ckpt lightning null complete',
          'pl/lightning_logs/version_0/checkpoints/last.ckpt lightning null complete',
          'pl/lightning_logs/version_0/checkpoints/epoch=9-step=1000.ckpt lightning 1000 complete',
          'pl/lightning_logs/version_0/checkpoints/epoch=19-step=2000-v1.ckpt lightning 2000 complete',
          'pl/lightning_logs/version_0/checkpoints/epoch=19-step=2000.ckpt lightning 2000 complete',
          'pl/lightning_logs/version_0/checkpoints/epoch=29-step=3000.ckpt lightning 3000 incomplete',
        ]);
      });
      it('hidden and intermediate checkpoints, each with its state-file status', async () => {
        const all = await findCheckpoints(u('hidden'), { gfile: g });
        expect(all.map(line)).toEqual([
          'hidden/run/ckpt-3 tf2-checkpoint 3 complete',
          'hidden/run/ckpt-4 tf2-checkpoint 4 complete',
          'hidden/run/ckpt-5 tf2-checkpoint 5 complete',
          // Whole, but newer than the checkpoint the state file names: TensorFlow's commit is the
          // state file, so it is not committed (robust latest answers ckpt-5, from the state file).
          'hidden/run/ckpt-6 tf2-checkpoint 6 incomplete',
          'hidden/run/ckpt-7 tf2-checkpoint 7 temporary',
          'hidden/run/ckpt-8 tf2-checkpoint 8 incomplete',
          'hidden/run/ckpt-9 tf2-checkpoint 9 incomplete',
          'hidden/run/temp_worker_001/ckpt-5 tf2-checkpoint 5 temporary',
        ]);
        const status = Object.fromEntries(all.filter((c) => c.dir === u('hidden/run')).map((c) => [c.step, c.extra.stateFile]));
        expect(status).toEqual({ 3: 'unlisted', 4: 'listed', 5: 'latest', 6: 'unlisted', 8: 'unlisted', 9: 'unlisted', 7: undefined });
        expect(all.find((c) => c.step === 9)!.problems.join(' ')).toMatch(/tempstate/);
        expect(all.find((c) => c.step === 6 && c.dir === u('hidden/run'))!.problems.join(' ')).toMatch(/newer than ckpt-5, which the directory's state file \(checkpoint\) names as the latest: not committed/);
      });
      it('--format and --max-depth narrow the results', async () => {
        const hf = await findCheckpoints(u('f15'), { gfile: g, formats: ['hf-trainer'], maxDepth: 1 });
        expect(hf.map(line)).not.toContain('f15/out/run-3/checkpoint-250 hf-trainer 250 complete');
        expect(hf.length).toBe(6);
        const none = await findCheckpoints(u('f15'), { gfile: g, formats: ['orbax'] });
        expect(none).toEqual([]);
        await expect(findCheckpoints(u('f15'), { gfile: g, formats: ['nope'] })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      });
      it('reports files, bytes, dir and problems', async () => {
        const [c] = (await findCheckpoints(u('f05'), { gfile: g })).filter((x) => x.step === 20000);
        expect(c!.dir).toBe(u('f05/bert'));
        expect(c!.files.map(rel)).toEqual(['f05/bert/model.ckpt-20000.index', 'f05/bert/model.ckpt-20000.data-00000-of-00004', 'f05/bert/model.ckpt-20000.data-00002-of-00004']);
        expect(c!.bytes).toBe(40 + 64 + 64);
        expect(c!.problems).toEqual(['missing data shards 00001, 00003 of 00004']);
      });
      it('costs one recursive listing, plus reads of the state files it lists only', async () => {
        const r = await counting(g, () => findCheckpoints(u('f02b'), { gfile: g }));
        expect(r.value.map(line)).toEqual(F02_STEPS.map((n) => `f02b/tf2/ckpt-${n} tf2-checkpoint ${n} complete`));
        expect(r.requests).toMatchObject({ list: 1, get: 0, head: 0 });
        const s = await counting(g, () => findCheckpoints(u('f02'), { gfile: g }));
        expect(s.requests).toMatchObject({ list: 1, get: 1, head: 0 });
      });
    });

    defineLayoutCases(() => ({ gfile: g, root: `${root}/layouts`, writeTree: (spec) => writeTree(g, `${root}/layouts`, spec) }));

    describe('order and pointers (issue 18)', () => {
      const both = async (dir: string) => ({ r: await robust(dir), found: await findCheckpoints(u(dir), { gfile: g, maxDepth: 0 }) });
      it('numbers in names are steps compared as integers: hpc_ckpt_100 after hpc_ckpt_3 and _20', async () => {
        const { r, found } = await both('order/hpc');
        expect(chosen(r)).toBe('order/hpc/hpc_ckpt_100.ckpt scan lightning 100');
        expect(found.map((c) => c.step)).toEqual([3, 20, 100]);
        expect(r.notes.join('\n')).toMatch(/step 100 > 20 \(steps compare as integers\)/);
      });
      it('Flax legacy: the commit marker in checkpoint_N_gda/ is evidence for latest as for find', async () => {
        const { r, found } = await both('order/flaxgda');
        expect(found.map(line)).toEqual([
          'order/flaxgda/checkpoint_500 flax 500 complete',
          'order/flaxgda/checkpoint_5000 flax 5000 complete',
          'order/flaxgda/checkpoint_50000 flax 50000 incomplete',
        ]);
        expect(chosen(r)).toBe('order/flaxgda/checkpoint_5000 scan flax 5000');
        expect(r.passedOver).toEqual([{ prefix: u('order/flaxgda/checkpoint_50000'), step: 50000, format: 'flax', reasons: found[2]!.problems }]);
        expect(found[2]!.problems.join()).toMatch(/checkpoint_50000_gda\/ has no commit_success.txt/);
      });
      it('steps past 2^53 are exact: a decimal string in the answer, compared as integers', async () => {
        const { r, found } = await both('order/huge');
        expect(chosen(r)).toBe('order/huge/ckpt-9007199254740993 scan tf2-checkpoint 9007199254740993');
        expect(r.checkpoint!.step).toBe('9007199254740993');
        // 2^53 - 1 is the last step JSON readers take exactly as a number; beyond, the digits.
        expect(found.map((c) => c.step)).toEqual([9007199254740991, '9007199254740992', '9007199254740993', '999999999999999999999']);
        expect(r.passedOver.map((p) => p.step)).toEqual(['999999999999999999999']);
        const hf = await both('order/hugehf');
        expect(chosen(hf.r)).toBe('order/hugehf/checkpoint-18446744073709551616 scan hf-trainer 18446744073709551616');
        expect(hf.found.map((c) => [c.step, c.complete])).toEqual([['18446744073709551615', true], ['18446744073709551616', true]]);
      });
      it('Keras *_epoch_N.weights.h5 and Orbax step_N order by the number', async () => {
        expect(chosen(await robust('order/kerasw'))).toBe('order/kerasw/model_epoch_10.weights.h5 scan keras 10');
        expect(chosen(await robust('order/orbaxsteps'))).toBe('order/orbaxsteps/step_10 scan orbax 10');
      });
      it('DeepSpeed: at equal step the tag latest names beats its universal conversion', async () => {
        const { r, found } = await both('order/ds');
        expect(chosen(r)).toBe('order/ds/global_step30 scan deepspeed 30');
        expect(found.find((c) => c.prefix.endsWith('_universal'))).toMatchObject({ step: 30, complete: true, extra: { conversion: true, pointedBy: 'latest_universal' } });
        expect(r.notes.join('\n')).toMatch(/same step as global_step30_universal, which is a conversion of it/);
        const only = await robust('order/dsu');
        expect(chosen(only)).toBe('order/dsu/global_step30_universal scan deepspeed 30');
        expect(only.notes.join('\n')).toMatch(/latest_universal names it/);
      });
      it('Megatron legacy: an iteration beyond the tracker is in progress, for find and latest', async () => {
        const { r, found } = await both('order/meglegacy');
        expect(found.map(line)).toEqual(['order/meglegacy/iter_0001000 megatron 1000 complete', 'order/meglegacy/iter_0002000 megatron 2000 incomplete']);
        expect(found[1]!.problems.join()).toMatch(/newer than latest_checkpointed_iteration.txt \(1000\), which commits a legacy Megatron save/);
        expect(chosen(r)).toBe('order/meglegacy/iter_0001000 scan megatron 1000');
        expect(r.passedOver.map((p) => [rel(p.prefix), p.reasons])).toEqual([['order/meglegacy/iter_0002000', found[1]!.problems]]);
      });
      it('verl: global_step_N/actor beside the tracker; a newer untracked step is in progress; missing ranks', async () => {
        const { r, found } = await both('order/verl');
        expect(found.map(line)).toEqual(['order/verl/global_step_10 verl 10 complete', 'order/verl/global_step_20 verl 20 complete', 'order/verl/global_step_30 verl 30 incomplete']);
        expect(found[2]!.problems.join()).toMatch(/newer than latest_checkpointed_iteration.txt \(20\)/);
        expect(found[1]!.extra).toMatchObject({ pointedBy: 'latest_checkpointed_iteration.txt', roles: ['actor', 'critic'] });
        expect(chosen(r)).toBe('order/verl/global_step_20 scan verl 20');
        const ranks = await both('order/verlrank');
        expect(ranks.found.map(line)).toEqual(['order/verlrank/global_step_5 verl 5 complete', 'order/verlrank/global_step_6 verl 6 incomplete']);
        expect(ranks.found[1]!.problems.join()).toMatch(/missing model shard of rank 0 \(world size 2\)/);
        expect(chosen(ranks.r)).toBe('order/verlrank/global_step_5 scan verl 5');
      });
      it('without a step: the newest modification time decides, and the notes say so', async () => {
        const { r, found } = await both('order/mtime');
        expect(found.map((c) => c.step)).toEqual([null, null]);
        expect(chosen(r)).toBe('order/mtime/a.h5 scan keras null');
        expect(r.notes.join('\n')).toMatch(/newer than b.h5: no step or pointer tells it from b.h5: newest modification time/);
      });
      it('a run named like a step (runs/42, runs/7): one listing of it and of its newest candidate, 3 requests', async () => {
        const hf = await counting(g, () => robust('order/runs/42'));
        expect(chosen(hf.value)).toBe('order/runs/42/checkpoint-1000 scan hf-trainer 1000');
        expect(hf.requests).toMatchObject({ get: 2, list: 2 }); // state file (missing), trainer_state.json
        const orbax = await counting(g, () => robust('order/runs/7'));
        expect(chosen(orbax.value)).toBe('order/runs/7/2000 scan orbax 2000');
        expect(orbax.requests).toMatchObject({ get: 1, list: 2 });
      });
      it('Lightning last.ckpt wins over a newer step-less checkpoint: it is the layout\'s pointer', async () => {
        const r = await robust('order/last/checkpoints');
        expect(chosen(r)).toBe('order/last/checkpoints/last.ckpt scan lightning null');
        expect(r.notes.join('\n')).toMatch(/its name marks it as the layout's last save/);
      });
    });

    describe('one model of latest (property over random trees of every layout)', () => {
      const runs = Number(process.env.CKPT_PROPERTY_RUNS ?? target.propertyRuns ?? 60);
      const summary = (c: { prefix: string; step: unknown; format: string; complete: boolean } | null | undefined) =>
        c ? { prefix: c.prefix, step: c.step, format: c.format, complete: c.complete } : null;
      it(`latest(dir) is the newest complete checkpoint find(dir, depth 0) reports, with the same reasons (${runs} trees)`, async () => {
        let n = 0;
        await fc.assert(
          fc.asyncProperty(fc.oneof({ weight: 12, arbitrary: layoutDirectory }, { weight: 1, arbitrary: selfDirectory }, { weight: 1, arbitrary: placedDirectory }), async ({ spec, root: sub }) => {
            const base = u(`prop/t${n++}`);
            await writeTree(g, base, spec);
            const dir = sub ? `${base}/${sub}` : base;
            const found = await findCheckpoints(dir, { gfile: g, maxDepth: 0 });
            const r = await latestCheckpoint(dir, { gfile: g });
            expect(summary(r.checkpoint)).toEqual(summary(newestComplete(found)));
            // Every candidate latest passed over is one find reports as not complete, for the same reasons;
            // only the state file's own recorded path may be one find does not know (it names nothing here).
            const unknown = r.passedOver.filter((p) => !found.some((f) => f.prefix === p.prefix));
            expect(unknown.length).toBeLessThanOrEqual(1);
            for (const p of r.passedOver) {
              const f = found.find((x) => x.prefix === p.prefix);
              if (!f) continue;
              expect(f.complete && !f.temporary).toBe(false);
              expect(p.reasons).toEqual(f.problems.length > 0 ? f.problems : ['incomplete']);
              expect(p.step).toEqual(f.step);
            }
          }),
          { numRuns: runs },
        );
      }, 600_000);
    });

    describe('request budget on a directory of many checkpoints', () => {
      const n = target.budgetCheckpoints ?? 10_000;
      beforeAll(async () => {
        const spec: TreeSpec = { checkpoint: `model_checkpoint_path: "ckpt-${n}"\nall_model_checkpoint_paths: "ckpt-${n}"\n` };
        for (let i = 1; i <= n; i++) {
          spec[`ckpt-${i}.index`] = 8;
          spec[`ckpt-${i}.data-00000-of-00001`] = 8;
        }
        await writeTree(g, u('budget/many'), spec, 64);
      }, target.budgetTimeout ?? 300_000);
      it(`robust latest with a valid state file among ${n} checkpoints: at most 2 requests`, async () => {
        const r = await counting(g, () => robust('budget/many'));
        expect(chosen(r.value)).toBe(`budget/many/ckpt-${n} state tf2-checkpoint ${n}`);
        expect(r.total).toBeLessThanOrEqual(2);
      });
      it(`tf latest with a valid state file among ${n} checkpoints: at most 2 requests`, async () => {
        const r = await counting(g, () => tf('budget/many'));
        expect(r.value.prefix).toBe(u(`budget/many/ckpt-${n}`));
        expect(r.total).toBeLessThanOrEqual(2);
      });
      it('without a usable state file: one paged listing of the directory', async () => {
        const r = await counting(g, () => robust('budget/many', { latestFilename: 'missing' }));
        expect(chosen(r.value)).toBe(`budget/many/ckpt-${n} scan tf2-checkpoint ${n}`);
        const objects = 2 * n + 1;
        expect(r.requests.list).toBe(Math.ceil(objects / (target.listPageSize ?? 1000)));
        expect(r.requests.get).toBe(1); // the state file it was told to read, which is missing
        expect(r.requests.head).toBe(0);
      }, 120_000);
    });
  });
}
