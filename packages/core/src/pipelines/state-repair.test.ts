import { afterEach, describe, expect, it } from 'vitest';
import { clearMemoryStore, createGFile, isCkptError } from '@ckptkit/gfile';
import { tfLatestCheckpoint } from '../latest/tf-latest.js';
import { readStateFile } from '../state/state-file.js';
import { readStateReport, repairCheckpointState } from './state-repair.js';

const STORE = 'state-repair-test';
const DIR = `memory://${STORE}/moved/run42`;
afterEach(() => clearMemoryStore(STORE));

/** A run saved on another machine under /home/alice/runs/42 and then copied here. */
async function movedRun(g = createGFile()) {
  for (const s of [998, 999, 1000]) {
    await g.writeText(`${DIR}/model.ckpt-${s}.index`, 'i');
    await g.writeText(`${DIR}/model.ckpt-${s}.data-00000-of-00001`, 'd');
  }
  await g.writeText(
    `${DIR}/checkpoint`,
    [
      'model_checkpoint_path: "/home/alice/runs/42/model.ckpt-1000"',
      'all_model_checkpoint_paths: "/home/alice/runs/42/model.ckpt-998"',
      'all_model_checkpoint_paths: "/home/alice/runs/42/model.ckpt-999"',
      'all_model_checkpoint_paths: "/home/alice/runs/42/model.ckpt-1000"',
      'all_model_checkpoint_timestamps: 1700000000.5',
      'all_model_checkpoint_timestamps: 1700000100.25',
      'all_model_checkpoint_timestamps: 1700000200.125',
      '',
    ].join('\n'),
  );
  return g;
}

describe('state report and repair', () => {
  it('explains where each recorded path points', async () => {
    const g = await movedRun();
    await g.writeText(`${DIR}/checkpoint`, `model_checkpoint_path: "ckpt-3"\nall_model_checkpoint_paths: "../old/ckpt-1"\nall_model_checkpoint_paths: "${DIR}/sub/ckpt-2"\nall_model_checkpoint_paths: "ckpt-3"\n`);
    const r = await readStateReport(DIR, { gfile: g });
    expect(r.status).toBe('ok');
    expect(r.paths.map((p) => [p.recorded, p.where, p.relative])).toEqual([
      ['ckpt-3', 'relative', 'ckpt-3'],
      ['../old/ckpt-1', 'outside', undefined],
      [`${DIR}/sub/ckpt-2`, 'absolute-inside', 'sub/ckpt-2'],
    ]);
    expect(r.paths[0]!.tfResolved).toBe(`${DIR}/ckpt-3`);
    expect((await readStateReport(`memory://${STORE}/nowhere`, { gfile: g })).status).toBe('missing');
    await g.writeText(`${DIR}/checkpoint`, 'model_checkpoint: "typo"\n');
    expect(await readStateReport(DIR, { gfile: g })).toMatchObject({ status: 'malformed', error: expect.stringMatching(/no field named "model_checkpoint"/) });
  });

  it('rewrites a moved run’s absolute paths to relative ones, keeps the timestamps, leaves a backup, and TensorFlow then finds it', async () => {
    const g = await movedRun();
    const before = await g.readText(`${DIR}/checkpoint`);
    // TensorFlow would look under /home/alice, which is not here.
    expect((await readStateReport(DIR, { gfile: g })).paths.map((p) => p.where)).toEqual(['outside', 'outside', 'outside']);
    const r = await repairCheckpointState(DIR, { gfile: g, now: () => new Date('2026-01-02T03:04:05.678Z') });
    expect(r.written).toBe(true);
    expect(r.unresolved).toEqual([]);
    expect(r.changes.map((c) => [c.from, c.to])).toEqual([
      ['/home/alice/runs/42/model.ckpt-1000', 'model.ckpt-1000'],
      ['/home/alice/runs/42/model.ckpt-998', 'model.ckpt-998'],
      ['/home/alice/runs/42/model.ckpt-999', 'model.ckpt-999'],
    ]);
    expect(r.backup).toBe(`${DIR}/checkpoint.bak-20260102T030405Z`);
    expect(await g.readText(r.backup!)).toBe(before);
    const read = await readStateFile(g, DIR);
    expect(read).toMatchObject({
      kind: 'ok',
      state: {
        modelCheckpointPath: 'model.ckpt-1000',
        allModelCheckpointPaths: ['model.ckpt-998', 'model.ckpt-999', 'model.ckpt-1000'],
        allModelCheckpointTimestamps: [1700000000.5, 1700000100.25, 1700000200.125],
      },
    });
    expect((await tfLatestCheckpoint(g, DIR)).prefix).toBe(`${DIR}/model.ckpt-1000`);
    // Nothing left to do: a second run writes nothing.
    const again = await repairCheckpointState(DIR, { gfile: g });
    expect(again).toMatchObject({ written: false, changes: [] });
  });

  it('an absolute path into the directory itself becomes relative; a path whose checkpoint is not here stays and is reported', async () => {
    const g = await movedRun();
    await g.writeText(`${DIR}/checkpoint`, `model_checkpoint_path: "${DIR}/model.ckpt-1000"\nall_model_checkpoint_paths: "/elsewhere/model.ckpt-5"\nall_model_checkpoint_paths: "${DIR}/model.ckpt-1000"\n`);
    const dry = await repairCheckpointState(DIR, { gfile: g, dryRun: true });
    expect(dry.written).toBe(false);
    expect(dry.state).toMatchObject({ modelCheckpointPath: 'model.ckpt-1000', allModelCheckpointPaths: ['/elsewhere/model.ckpt-5', 'model.ckpt-1000'] });
    expect(dry.unresolved).toEqual([{ path: '/elsewhere/model.ckpt-5', reason: expect.stringMatching(/no checkpoint named model\.ckpt-5/) }]);
    expect(await g.readText(`${DIR}/checkpoint`)).toContain(`"${DIR}/model.ckpt-1000"`);
    const r = await repairCheckpointState(DIR, { gfile: g });
    expect(r.written).toBe(true);
    expect(await g.readText(`${DIR}/checkpoint`)).toBe('model_checkpoint_path: "model.ckpt-1000"\nall_model_checkpoint_paths: "/elsewhere/model.ckpt-5"\nall_model_checkpoint_paths: "model.ckpt-1000"\n');
  });

  it('refuses to repair a missing or unreadable state file', async () => {
    const g = createGFile();
    const missing = await repairCheckpointState(DIR, { gfile: g }).catch((e: unknown) => e);
    expect(isCkptError(missing, 'NOT_FOUND')).toBe(true);
    await g.writeText(`${DIR}/checkpoint`, '');
    const empty = await repairCheckpointState(DIR, { gfile: g }).catch((e: unknown) => e);
    expect(isCkptError(empty, 'CORRUPT')).toBe(true);
  });
});
