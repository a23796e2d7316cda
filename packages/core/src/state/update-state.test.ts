import { describe, expect, it } from 'vitest';
import { createGFile, isCkptError, type GFile } from '@ckptkit/gfile';
import { recordCheckpointInState } from '../pipelines/record-state.js';
import { parseCheckpointState } from './checkpoint-state.js';
import { updateCheckpointState } from './state-file.js';

let n = 0;
const dir = () => `memory://update-state-${++n}/run`;

/** A facade whose first state-file write waits until `release` is called (a slow writer). */
function stalledOnce(g: GFile): { gfile: GFile; stalled: Promise<void>; release: () => void } {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const stalled = new Promise<void>((r) => (reached = r));
  let first = true;
  const gfile = new Proxy(g, {
    get(target, prop, receiver) {
      if (prop === 'writeFile') {
        return async (...args: Parameters<GFile['writeFile']>) => {
          if (first && String(args[0]).endsWith('/checkpoint')) {
            first = false;
            reached();
            await gate;
          }
          return target.writeFile(...args);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { gfile, stalled, release };
}

describe('updateCheckpointState: read-modify-write without lost updates', () => {
  it('a writer that read before another wrote re-reads and keeps the other update (object stores)', async () => {
    const g = createGFile();
    const d = dir();
    await recordCheckpointInState(g, d, 'ckpt-1');
    const slow = stalledOnce(g);
    const first = recordCheckpointInState(slow.gfile, d, 'ckpt-2');
    await slow.stalled;
    // Meanwhile the training job records ckpt-3.
    await recordCheckpointInState(g, d, 'ckpt-3');
    slow.release();
    await first;
    const state = parseCheckpointState(await g.readText(`${d}/checkpoint`));
    expect(state.modelCheckpointPath).toBe('ckpt-3');
    expect([...state.allModelCheckpointPaths].sort()).toEqual(['ckpt-1', 'ckpt-2', 'ckpt-3']);
  });

  it('many concurrent writers: every one of them is recorded', async () => {
    const g = createGFile();
    const d = dir();
    const steps = Array.from({ length: 12 }, (_, i) => i + 1);
    await Promise.all(steps.map((s) => recordCheckpointInState(g, d, `ckpt-${s}`)));
    const state = parseCheckpointState(await g.readText(`${d}/checkpoint`));
    expect(state.allModelCheckpointPaths).toHaveLength(12);
    expect(state.modelCheckpointPath).toBe('ckpt-12');
  });

  it('gives up with PRECONDITION_FAILED when the file changes under every attempt, and overwrites nothing', async () => {
    const g = createGFile();
    const d = dir();
    await g.writeText(`${d}/checkpoint`, 'model_checkpoint_path: "ckpt-0"\n');
    let round = 0;
    const error = await updateCheckpointState(g, d, () => {
      // Another writer replaces the file between this read and this write, every time.
      void g.writeText(`${d}/checkpoint`, `model_checkpoint_path: "other-${++round}"\n`);
      return { modelCheckpointPath: 'mine', allModelCheckpointPaths: ['mine'], allModelCheckpointTimestamps: [], lastPreservedTimestamp: 0 };
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCkptError(error, 'PRECONDITION_FAILED'), String(error)).toBe(true);
    expect(await g.readText(`${d}/checkpoint`)).toBe(`model_checkpoint_path: "other-${round}"\n`);
  });
});
