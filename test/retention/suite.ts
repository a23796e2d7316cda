/**
 * `pruneCheckpoints` on one store (memory, local, S3 on RGW, GCS on the emulator): the plan of a
 * dry run, the execution in the crash-safe order, what is never deleted, the state file rewritten
 * (and a trainer's update between planning and rewriting it respected), a rerun that has nothing
 * left to do, and the requests each store needs (the floor: one listing, batched deletes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PruneResult, findCheckpoints, latestCheckpoint, pruneCheckpoints, readStateFile } from '@ckptkit/core';
import { type GFile, isCkptError } from '@ckptkit/gfile';
import { bundle, json, stateFile, type TreeSpec } from '../checkpoints/bytes.js';
import { writeTree } from '../checkpoints/suite.js';

export interface PruneSuiteContext {
  gfile: GFile;
  /** A fresh directory URI (nothing under it). */
  root: string;
  cleanup(): Promise<void>;
}

export interface PruneSuiteOptions {
  name: string;
  setup(): Promise<PruneSuiteContext>;
  /** Deletes one request removes at most (S3 and memory: 1,000; GCS and local: 1). */
  deleteBatch: number;
  /** The store replaces the state file conditionally (object stores; local disks cannot compare). */
  conditionalState: boolean;
}

const under = (dir: string, spec: TreeSpec): TreeSpec => Object.fromEntries(Object.entries(spec).map(([k, v]) => [`${dir}/${k}`, v]));

/** A TF2 CheckpointManager directory: ckpt-1..6 complete, the state file naming ckpt-6, a save of ckpt-7 in progress. */
function tfRun(): TreeSpec {
  const spec: TreeSpec = {};
  for (let n = 1; n <= 6; n++) Object.assign(spec, bundle(`ckpt-${n}`, { shards: 2 }));
  spec.checkpoint = stateFile('ckpt-6', ['ckpt-1', 'ckpt-2', 'ckpt-3', 'ckpt-4', 'ckpt-5', 'ckpt-6'], [1, 2, 3, 4, 5, 6]);
  // A save in progress: data shards written, no .index yet.
  spec['ckpt-7.data-00000-of-00002'] = 64;
  spec['events.out.tfevents.1.host'] = 10;
  spec['eval/events.out.tfevents.2.host'] = 10;
  return spec;
}

/** A Hugging Face Trainer output dir: checkpoint-100..500, a staging dir, DeepSpeed-style files elsewhere. */
function hfRun(): TreeSpec {
  const spec: TreeSpec = {};
  for (const s of [100, 200, 300, 400, 500]) {
    Object.assign(spec, under(`checkpoint-${s}`, { 'model.safetensors': 96, 'trainer_state.json': json({ global_step: s }), 'optimizer.pt': 32, 'extra/rng_state.pth': 8 }));
  }
  Object.assign(spec, under('tmp-checkpoint-600', { 'model.safetensors': 96 }));
  spec['README.md'] = 'run notes';
  return spec;
}

/** DeepSpeed: `latest` names global_step2 although global_step3 is newer and complete. */
function deepspeedRun(): TreeSpec {
  const spec: TreeSpec = { latest: 'global_step2' };
  for (const s of [1, 2, 3]) Object.assign(spec, under(`global_step${s}`, { 'mp_rank_00_model_states.pt': 64, 'zero_pp_rank_0_mp_rank_00_optim_states.pt': 32 }));
  return spec;
}

function names(result: PruneResult, action: 'keep' | 'delete'): string[] {
  return result.checkpoints.filter((c) => c.action === action).map((c) => c.name);
}

async function requestsOf<T>(gfile: GFile, fn: () => Promise<T>): Promise<{ value: T; requests: Record<string, number> }> {
  const before = gfile.metrics.snapshot().requests;
  const value = await fn();
  const after = gfile.metrics.snapshot().requests;
  return { value, requests: Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]])) };
}

export function definePruneSuite(options: PruneSuiteOptions): void {
  describe(`prune: ${options.name}`, () => {
    let ctx: PruneSuiteContext;
    beforeAll(async () => {
      ctx = await options.setup();
    });
    afterAll(async () => {
      await ctx?.cleanup();
    });

    it('dry run: plans every checkpoint with reasons, files and bytes, and deletes nothing', async () => {
      const dir = `${ctx.root}/tf-dry`;
      await writeTree(ctx.gfile, dir, tfRun());
      const before = (await findCheckpoints(dir, { gfile: ctx.gfile })).map((c) => c.prefix);
      const { value: plan, requests } = await requestsOf(ctx.gfile, () => pruneCheckpoints(dir, { gfile: ctx.gfile, rules: { keepLast: 2 } }));
      expect(plan.executed).toBe(false);
      expect(names(plan, 'keep')).toEqual(['ckpt-7', 'ckpt-6', 'ckpt-5']);
      expect(names(plan, 'delete')).toEqual(['ckpt-4', 'ckpt-3', 'ckpt-2', 'ckpt-1']);
      const c4 = plan.checkpoints.find((c) => c.name === 'ckpt-4')!;
      expect(c4.files).toHaveLength(3);
      expect(c4.commitFiles).toEqual([`${dir}/ckpt-4.index`]);
      expect(c4.files[0]).toBe(`${dir}/ckpt-4.index`);
      expect(c4.bytes).toBe(40 + 64 + 64);
      expect(plan.delete).toEqual({ checkpoints: 4, files: 12, bytes: 4 * 168 });
      expect(plan.checkpoints.find((c) => c.name === 'ckpt-7')!.reasons.join()).toMatch(/newer than the newest complete checkpoint ckpt-6/);
      expect(plan.checkpoints.find((c) => c.name === 'ckpt-6')!.reasons.join()).toMatch(/newest complete.*named by checkpoint/);
      expect(plan.otherFiles).toBe(3); // the state file and two event files
      expect(plan.stateFile?.removes).toEqual(['ckpt-1', 'ckpt-2', 'ckpt-3', 'ckpt-4']);
      expect(requests.delete).toBe(0);
      expect(requests.put).toBe(0);
      expect((await findCheckpoints(dir, { gfile: ctx.gfile })).map((c) => c.prefix)).toEqual(before);
    });

    it('--yes: rewrites the state file first, deletes at the request floor, keeps the rest; a rerun has nothing to do', async () => {
      const dir = `${ctx.root}/tf-yes`;
      await writeTree(ctx.gfile, dir, tfRun());
      const phases: string[] = [];
      const { value: result, requests } = await requestsOf(ctx.gfile, () =>
        pruneCheckpoints(dir, { gfile: ctx.gfile, rules: { keepLast: 2 }, execute: true, onProgress: (p) => void (phases.at(-1) !== p.phase && phases.push(p.phase)) }),
      );
      expect(result.executed).toBe(true);
      expect(result.stateRewritten).toBe(true);
      expect(result.deleted).toEqual({ checkpoints: 4, files: 12, bytes: 4 * 168 });
      expect(phases).toEqual(['listing', 'planning', 'state', 'commit-files', 'files', 'directories', 'done']);
      // Deletes: 4 commit files then 8 others, in batches where the store has them.
      const expected = options.deleteBatch > 1 ? 2 : 12;
      expect(requests.delete).toBe(expected);
      expect(requests.list).toBeLessThanOrEqual(2);
      const left = await findCheckpoints(dir, { gfile: ctx.gfile });
      expect(left.map((c) => c.prefix.slice(dir.length + 1))).toEqual(['ckpt-5', 'ckpt-6', 'ckpt-7']);
      expect(await ctx.gfile.exists(`${dir}/events.out.tfevents.1.host`)).toBe(true);
      expect(await ctx.gfile.exists(`${dir}/eval/events.out.tfevents.2.host`)).toBe(true);
      const state = await readStateFile(ctx.gfile, dir);
      expect(state.kind === 'ok' && state.state).toMatchObject({ modelCheckpointPath: 'ckpt-6', allModelCheckpointPaths: ['ckpt-5', 'ckpt-6'], allModelCheckpointTimestamps: [5, 6] });
      expect((await latestCheckpoint(dir, { gfile: ctx.gfile })).checkpoint?.prefix).toBe(`${dir}/ckpt-6`);
      expect((await latestCheckpoint(dir, { gfile: ctx.gfile, mode: 'tf' })).prefix).toBe(`${dir}/ckpt-6`);
      const again = await requestsOf(ctx.gfile, () => pruneCheckpoints(dir, { gfile: ctx.gfile, rules: { keepLast: 2 }, execute: true }));
      expect(again.value.delete.checkpoints).toBe(0);
      expect(again.requests.delete).toBe(0);
      expect(again.requests.put).toBe(0);
    });

    it('directory checkpoints: keep-every-steps, the staging dir kept, directories (and markers) removed', async () => {
      const dir = `${ctx.root}/hf`;
      await writeTree(ctx.gfile, dir, hfRun());
      const result = await pruneCheckpoints(dir, { gfile: ctx.gfile, rules: { keepEverySteps: 200 }, execute: true });
      expect(names(result, 'delete')).toEqual(['checkpoint-300', 'checkpoint-100']);
      expect(names(result, 'keep')).toEqual(['tmp-checkpoint-600', 'checkpoint-500', 'checkpoint-400', 'checkpoint-200']);
      expect(result.checkpoints.find((c) => c.name === 'checkpoint-300')!.commitFiles).toEqual([`${dir}/checkpoint-300/trainer_state.json`]);
      expect(await ctx.gfile.exists(`${dir}/checkpoint-300`)).toBe(false);
      expect(await ctx.gfile.exists(`${dir}/checkpoint-100`)).toBe(false);
      expect(await ctx.gfile.exists(`${dir}/checkpoint-200/extra/rng_state.pth`)).toBe(true);
      expect(await ctx.gfile.exists(`${dir}/tmp-checkpoint-600/model.safetensors`)).toBe(true);
      expect(await ctx.gfile.exists(`${dir}/README.md`)).toBe(true);
      const listed = (await ctx.gfile.listDir(dir)).map((e) => e.uri.replace(/\/+$/, '').split('/').pop()).sort();
      expect(listed).toEqual(['README.md', 'checkpoint-200', 'checkpoint-400', 'checkpoint-500', 'tmp-checkpoint-600']);
    });

    it('never deletes what a framework pointer names (DeepSpeed latest), even when the rules would', async () => {
      const dir = `${ctx.root}/ds`;
      await writeTree(ctx.gfile, dir, deepspeedRun());
      const result = await pruneCheckpoints(dir, { gfile: ctx.gfile, rules: { keepLast: 1 }, execute: true });
      expect(names(result, 'keep').sort()).toEqual(['global_step2', 'global_step3']);
      expect(result.checkpoints.find((c) => c.name === 'global_step2')!.reasons.join()).toMatch(/named by latest/);
      expect(names(result, 'delete')).toEqual(['global_step1']);
      expect(await ctx.gfile.exists(`${dir}/global_step1`)).toBe(false);
      expect(await ctx.gfile.exists(`${dir}/latest`)).toBe(true);
    });

    it('an AbortSignal stops it between requests (ABORTED); the directory stays sound and a rerun finishes', async () => {
      const dir = `${ctx.root}/abort`;
      await writeTree(ctx.gfile, dir, tfRun());
      const controller = new AbortController();
      let caught: unknown;
      await pruneCheckpoints(dir, {
        gfile: ctx.gfile,
        rules: { keepLast: 2 },
        execute: true,
        signal: controller.signal,
        onProgress: (p) => void (p.phase === 'files' && controller.abort()),
      }).catch((e: unknown) => (caught = e));
      expect(isCkptError(caught, 'ABORTED'), String(caught)).toBe(true);
      // The commit files went before the abort: the old checkpoints are incomplete, the newest whole.
      expect(await ctx.gfile.exists(`${dir}/ckpt-1.index`)).toBe(false);
      expect((await latestCheckpoint(dir, { gfile: ctx.gfile })).checkpoint?.prefix).toBe(`${dir}/ckpt-6`);
      expect((await latestCheckpoint(dir, { gfile: ctx.gfile, mode: 'tf' })).prefix).toBe(`${dir}/ckpt-6`);
      const rerun = await pruneCheckpoints(dir, { gfile: ctx.gfile, rules: { keepLast: 2 }, execute: true });
      expect(names(rerun, 'delete')).toEqual(['ckpt-4', 'ckpt-3', 'ckpt-2', 'ckpt-1']);
      expect((await findCheckpoints(dir, { gfile: ctx.gfile })).map((c) => c.prefix.slice(dir.length + 1))).toEqual(['ckpt-5', 'ckpt-6', 'ckpt-7']);
    });

    for (const when of ['before-read', 'after-read'] as const) {
      if (when === 'after-read' && !options.conditionalState) continue;
      it(`a trainer that rewrites the state file ${when === 'before-read' ? 'before the prune reads it again' : 'after the prune read it (a conditional write fails)'} is never overwritten: the prune plans again`, async () => {
        const dir = `${ctx.root}/race-${when}`;
        await writeTree(ctx.gfile, dir, tfRun());
        const stateUri = `${dir}/checkpoint`;
        let armed = false;
        let raced = false;
        const trainer = async () => {
          raced = true;
          await ctx.gfile.writeFile(`${dir}/ckpt-7.data-00001-of-00002`, new Uint8Array(64));
          await ctx.gfile.writeFile(`${dir}/ckpt-7.index`, new Uint8Array(40));
          await ctx.gfile.writeText(stateUri, stateFile('ckpt-7', ['ckpt-3', 'ckpt-4', 'ckpt-5', 'ckpt-6', 'ckpt-7']));
        };
        // The facade the prune uses: the first read of the state file once the rewrite started races the trainer.
        const racing = new Proxy(ctx.gfile, {
          get(target, prop) {
            const value = Reflect.get(target, prop, target) as unknown;
            if (prop !== 'readFile') return typeof value === 'function' ? value.bind(target) : value;
            return async (uri: string, o?: object) => {
              const race = armed && !raced && uri === stateUri;
              if (race && when === 'before-read') await trainer();
              const bytes = await target.readFile(uri, o);
              if (race && when === 'after-read') await trainer();
              return bytes;
            };
          },
        });
        const result = await pruneCheckpoints(dir, { gfile: racing, rules: { keepLast: 2 }, execute: true, onProgress: (p) => void (p.phase === 'state' && (armed = true)) });
        expect(raced).toBe(true);
        expect(result.plans).toBe(2);
        // Planned again on the trainer's directory: ckpt-7 is the newest complete, ckpt-6 and 7 kept.
        expect(names(result, 'keep')).toEqual(['ckpt-7', 'ckpt-6']);
        expect(names(result, 'delete')).toEqual(['ckpt-5', 'ckpt-4', 'ckpt-3', 'ckpt-2', 'ckpt-1']);
        const state = await readStateFile(ctx.gfile, dir);
        expect(state.kind === 'ok' && state.state).toMatchObject({ modelCheckpointPath: 'ckpt-7', allModelCheckpointPaths: ['ckpt-6', 'ckpt-7'] });
        expect((await latestCheckpoint(dir, { gfile: ctx.gfile })).checkpoint?.prefix).toBe(`${dir}/ckpt-7`);
        expect((await latestCheckpoint(dir, { gfile: ctx.gfile, mode: 'tf' })).prefix).toBe(`${dir}/ckpt-7`);
      });
    }
  });
}
