import { afterEach, describe, expect, it } from 'vitest';
import { clearMemoryStore, createGFile, isCkptError, type GFile } from '@ckptkit/gfile';
import { buildBundle } from '../bundle/bundle-writer.js';
import { dataFilename } from '../bundle/naming.js';
import { verifyBundle } from '../bundle/storage.js';
import { watchCheckpoints, type WatchedCheckpoint, type WatchOptions } from './watch.js';

const STORE = 'watch-test';
const DIR = `memory://${STORE}/run`;
afterEach(() => clearMemoryStore(STORE));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bundleFiles(step: number, shards = 3) {
  const tensors = Array.from({ length: shards }, (_, i) => ({ key: `v${i}`, dtype: 'DT_FLOAT', shape: [8], data: new Uint8Array(32).fill(step), shard: i }));
  const built = await buildBundle(tensors, { numShards: shards });
  return { shards: built.shards.map((data, i) => ({ name: dataFilename(`ckpt-${step}`, i, shards), data })), index: built.index };
}

/** Writes ckpt-STEP file by file with a pause between files; `indexFirst` is the hostile order. */
async function slowSave(g: GFile, step: number, options: { pauseMs: number; indexFirst?: boolean }): Promise<void> {
  const { shards, index } = await bundleFiles(step);
  const files = [...shards.map((s) => [s.name, s.data] as const), [`ckpt-${step}.index`, index] as const];
  if (options.indexFirst) files.unshift(files.pop()!);
  for (const [name, data] of files) {
    await g.writeFile(`${DIR}/${name}`, data);
    await sleep(options.pauseMs);
  }
}

/** Consumes a watch, checking at each yield that the checkpoint is whole right then. */
async function collect(g: GFile, options: Omit<WatchOptions, 'gfile'>, onYield?: (c: WatchedCheckpoint) => Promise<void>) {
  const seen: Array<{ c: WatchedCheckpoint; ok: boolean; at: number }> = [];
  const t0 = Date.now();
  for await (const c of watchCheckpoints(DIR, { gfile: g, ...options })) {
    const report = await verifyBundle(g, c.prefix, { deep: true });
    seen.push({ c, ok: report.ok, at: Date.now() - t0 });
    await onYield?.(c);
  }
  return seen;
}

describe('watchCheckpoints', () => {
  it('yields the latest existing checkpoint, then each new one once, in step order, never half-written', async () => {
    const g = createGFile();
    await slowSave(g, 1, { pauseMs: 0 });
    await slowSave(g, 0, { pauseMs: 0 });
    const writer = (async () => {
      await sleep(50);
      await slowSave(g, 2, { pauseMs: 60, indexFirst: true });
      // A save in progress beside the next one: never yielded.
      await g.writeText(`${DIR}/ckpt-4.data-00000-of-00001.tempstate8812`, 'partial');
      await g.writeText(`${DIR}/ckpt-9_temp/part-00000-of-00001.index`, 'x');
      await slowSave(g, 3, { pauseMs: 60 });
    })();
    const seen = await collect(g, { interval: 0.01, timeout: 0.6 });
    await writer;
    expect(seen.map((s) => s.c.step)).toEqual([1, 2, 3]);
    expect(seen.every((s) => s.ok)).toBe(true);
    expect(seen.map((s) => s.c.prefix)).toEqual([`${DIR}/ckpt-1`, `${DIR}/ckpt-2`, `${DIR}/ckpt-3`]);
    expect(seen[1]!.c).toMatchObject({ format: 'tf2-checkpoint', complete: true, files: expect.arrayContaining([`${DIR}/ckpt-2.index`]) });
  });

  it('existing: "all" yields everything in step order; "none" only what completes later', async () => {
    const g = createGFile();
    for (const s of [10, 2, 7]) await slowSave(g, s, { pauseMs: 0 });
    expect((await collect(g, { interval: 0.01, timeout: 0.05, existing: 'all' })).map((s) => s.c.step)).toEqual([2, 7, 10]);
    const writer = (async () => {
      await sleep(50);
      await slowSave(g, 11, { pauseMs: 10 });
    })();
    expect((await collect(g, { interval: 0.01, timeout: 0.4, existing: 'none' })).map((s) => s.c.step)).toEqual([11]);
    await writer;
  });

  it('two new checkpoints between polls: both, in order; latestOnly (TensorFlow) only the newer', async () => {
    for (const latestOnly of [false, true]) {
      clearMemoryStore(STORE);
      const g = createGFile();
      await slowSave(g, 1, { pauseMs: 0 });
      const steps = await collect(g, { interval: 0.3, timeout: 0.8, latestOnly }, async (c) => {
        // A busy consumer: two saves land before the next look.
        if (c.step === 1) {
          await slowSave(g, 5, { pauseMs: 0 });
          await slowSave(g, 6, { pauseMs: 0 });
        }
      });
      expect(steps.map((s) => s.c.step)).toEqual(latestOnly ? [1, 6] : [1, 5, 6]);
    }
  });

  it('one listing per poll for file checkpoints, and the timeout ends a watch that found nothing', async () => {
    const g = createGFile();
    await g.writeText(`${DIR}/events.out.tfevents.1`, 'e');
    let polls = 0;
    const t0 = Date.now();
    const exists: boolean[] = [];
    const seen = await collect(g, { interval: 0.05, timeout: 0.3, onPoll: (p) => ((polls = p.polls), exists.push(p.exists)) });
    const elapsed = Date.now() - t0;
    expect(seen).toEqual([]);
    expect(g.metrics.snapshot().requests.list).toBe(polls);
    expect(polls).toBeGreaterThanOrEqual(4);
    // Returns before sleeping past the deadline, as TensorFlow does.
    expect(elapsed).toBeLessThan(450);
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(exists.every((e) => e)).toBe(true);
    // A directory that does not exist (yet) is waited for, and said so.
    const missing: boolean[] = [];
    for await (const c of watchCheckpoints(`memory://${STORE}/not-yet`, { gfile: g, interval: 0.01, timeout: 0.03, onPoll: (p) => missing.push(p.exists) })) void c;
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.every((e) => !e)).toBe(true);
  });

  it('minInterval spaces the yields', async () => {
    const g = createGFile();
    for (const s of [1, 2, 3]) await slowSave(g, s, { pauseMs: 0 });
    const seen = await collect(g, { interval: 0.01, timeout: 0.05, existing: 'all', minInterval: 0.15 });
    expect(seen.map((s) => s.c.step)).toEqual([1, 2, 3]);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(140);
    expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(140);
  });

  it('directory checkpoints (HF checkpoint-N) are yielded once their trainer_state.json is there', async () => {
    const g = createGFile();
    const writer = (async () => {
      await sleep(30);
      await g.writeText(`${DIR}/checkpoint-100/model.safetensors`, 'w');
      await sleep(80);
      await g.writeText(`${DIR}/checkpoint-100/trainer_state.json`, JSON.stringify({ global_step: 100 }));
    })();
    const seen: WatchedCheckpoint[] = [];
    let polls = 0;
    for await (const c of watchCheckpoints(DIR, { gfile: g, interval: 0.01, timeout: 0.3, onPoll: (p) => (polls = p.polls) })) seen.push(c);
    await writer;
    expect(seen.map((c) => [c.format, c.step, c.prefix])).toEqual([['hf-trainer', 100, `${DIR}/checkpoint-100`]]);
    expect(polls).toBeGreaterThan(3);
  });

  it('a shard filled in place (a local writer without renames) is waited for: the index says how long it must be', async () => {
    for (const verify of [true, false]) {
      clearMemoryStore(STORE);
      const g = createGFile();
      const { shards, index } = await bundleFiles(4, 1);
      const shard = shards[0]!;
      await g.writeFile(`${DIR}/${shard.name}`, shard.data.subarray(0, 10));
      await g.writeFile(`${DIR}/ckpt-4.index`, index);
      const writer = (async () => {
        await sleep(150);
        await g.writeFile(`${DIR}/${shard.name}`, shard.data);
      })();
      const pending: string[] = [];
      const seen = await collect(g, { interval: 0.02, timeout: 0.4, verify, onPoll: (p) => pending.push(...p.pending.flatMap((x) => x.problems)) });
      await writer;
      expect(seen.map((s) => s.c.step)).toEqual([4]);
      // Without the check it is yielded half-written, which is what the check is for.
      expect(seen[0]!.ok).toBe(verify);
      if (verify) expect(pending.some((p) => /SHORT_SHARD/.test(p))).toBe(true);
    }
  });

  it('an abort ends the watch with ABORTED', async () => {
    const g = createGFile();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    let error: unknown;
    try {
      for await (const c of watchCheckpoints(DIR, { gfile: g, interval: 1, signal: controller.signal })) void c;
    } catch (e) {
      error = e;
    }
    expect(isCkptError(error, 'ABORTED')).toBe(true);
  });
});
