import { describe, expect, it } from 'vitest';
import { CkptError, createGFile, type GFile } from '@ckptkit/gfile';
import { resolveLatestCheckpoint } from '../latest/robust-latest.js';
import { createDetectContext } from './detect.js';

const enc = new TextEncoder();

/** A facade whose reads of one URI fail with `code`, as a store does after the retries ran out. */
function failingReads(g: GFile, failing: string, code: 'UNAVAILABLE' | 'PERMISSION_DENIED' | 'NOT_FOUND'): GFile {
  const fail = (uri: string) => {
    if (uri === failing) throw new CkptError(code, { operation: 'read', uri });
  };
  return new Proxy(g, {
    get(target, prop, receiver) {
      if (prop === 'readFile') return async (uri: string, o?: object) => (fail(uri), target.readFile(uri, o));
      if (prop === 'exists') return async (uri: string, o?: object) => (fail(uri), target.exists(uri, o));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('content checks and storage failures', () => {
  const file = { name: 'trainer_state.json', uri: 'memory://d/run/checkpoint-2/trainer_state.json', size: 20 };

  it('a file that vanished since it was listed reads as undefined', async () => {
    const ctx = createDetectContext(createGFile(), 'memory://d/run');
    expect(await ctx.readText(file)).toBeUndefined();
    expect(await ctx.readBytes(file, 0, 4)).toBeUndefined();
    expect(await ctx.exists(file.uri)).toBe(false);
  });

  it.each(['UNAVAILABLE', 'PERMISSION_DENIED'] as const)('a %s read is thrown, not taken for a missing or malformed file', async (code) => {
    const g = failingReads(createGFile(), file.uri, code);
    const ctx = createDetectContext(g, 'memory://d/run');
    await expect(ctx.readText(file)).rejects.toMatchObject({ code });
    await expect(ctx.readBytes(file, -8, 8)).rejects.toMatchObject({ code });
    await expect(ctx.exists(file.uri)).rejects.toMatchObject({ code });
  });

  it('robust latest never answers with an older checkpoint because the newest one could not be read', async () => {
    const g = createGFile();
    for (const step of [1, 2]) {
      await g.writeFile(`memory://d/run/checkpoint-${step}/model.safetensors`, enc.encode('weights'));
      await g.writeText(`memory://d/run/checkpoint-${step}/trainer_state.json`, JSON.stringify({ global_step: step }));
    }
    expect((await resolveLatestCheckpoint('memory://d/run', { gfile: g })).checkpoint?.step).toBe(2);
    const flaky = failingReads(g, 'memory://d/run/checkpoint-2/trainer_state.json', 'UNAVAILABLE');
    await expect(resolveLatestCheckpoint('memory://d/run', { gfile: flaky })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // A file that is really gone is a fact about the checkpoint: it is passed over, with the reason.
    const gone = failingReads(g, 'memory://d/run/checkpoint-2/trainer_state.json', 'NOT_FOUND');
    const r = await resolveLatestCheckpoint('memory://d/run', { gfile: gone });
    expect(r.checkpoint?.step).toBe(1);
    expect(r.passedOver[0]).toMatchObject({ step: 2, reasons: ['trainer_state.json does not parse'] });
  });
});
