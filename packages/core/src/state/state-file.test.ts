import { describe, expect, it } from 'vitest';
import { createGFile, createRegistry, isCkptError } from '@ckptkit/gfile';
import { checkpointStateFor, getCheckpointState, readStateFile, writeCheckpointState } from './index.js';

const gfile = () => createGFile({ registry: createRegistry() });
const root = () => `memory://state-${Math.random().toString(16).slice(2)}/run`;

describe('state file I/O', () => {
  it('writes what it reads back, in TensorFlow text format', async () => {
    const g = gfile();
    const dir = root();
    const state = checkpointStateFor('ckpt-3', { allModelCheckpointPaths: ['ckpt-1', 'ckpt-2'], allModelCheckpointTimestamps: [1, 2, 3], lastPreservedTimestamp: 0.5 });
    const uri = await writeCheckpointState(g, dir, state);
    expect(uri).toBe(`${dir}/checkpoint`);
    expect(await g.readText(uri)).toBe(
      'model_checkpoint_path: "ckpt-3"\nall_model_checkpoint_paths: "ckpt-1"\nall_model_checkpoint_paths: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-3"\n' +
        'all_model_checkpoint_timestamps: 1.0\nall_model_checkpoint_timestamps: 2.0\nall_model_checkpoint_timestamps: 3.0\nlast_preserved_timestamp: 0.5\n',
    );
    const read = await readStateFile(g, dir);
    expect(read.kind === 'ok' && read.state).toEqual(state);
  });

  it('get_checkpoint_state joins relative paths to the directory without normalising, keeps absolute ones', async () => {
    const g = gfile();
    const dir = root();
    await g.writeText(`${dir}/checkpoint`, 'model_checkpoint_path: "a/../ckpt-2"\nall_model_checkpoint_paths: "/abs/ckpt-1"\nall_model_checkpoint_paths: "gs://b/x"\n');
    const s = await getCheckpointState(g, dir);
    expect(s?.modelCheckpointPath).toBe(`${dir}/a/../ckpt-2`);
    expect(s?.allModelCheckpointPaths).toEqual(['/abs/ckpt-1', `${dir}/gs://b/x`]);
  });

  it('classifies what TensorFlow returns None for and what it raises on', async () => {
    const g = gfile();
    const dir = root();
    expect((await readStateFile(g, dir)).kind).toBe('missing');
    expect(await getCheckpointState(g, dir)).toBeNull();
    await g.writeText(`${dir}/checkpoint`, 'model_checkpoint: "x"');
    expect((await readStateFile(g, dir)).kind).toBe('malformed');
    expect(await getCheckpointState(g, dir)).toBeNull();
    await g.writeText(`${dir}/checkpoint`, '');
    expect((await readStateFile(g, dir)).kind).toBe('empty');
    expect(isCkptError(await getCheckpointState(g, dir).catch((e: unknown) => e), 'CORRUPT')).toBe(true);
    await g.writeFile(`${dir}/checkpoint`, Uint8Array.from([0xc3, 0x28]));
    expect((await readStateFile(g, dir)).kind).toBe('not-utf8');
    expect(isCkptError(await getCheckpointState(g, dir).catch((e: unknown) => e), 'CORRUPT')).toBe(true);
    expect((await readStateFile(g, dir, { latestFilename: 'other' })).uri).toBe(`${dir}/other`);
  });

  it('refuses states TensorFlow could not read back or that would overwrite the checkpoint', async () => {
    const g = gfile();
    const dir = root();
    const empty = { modelCheckpointPath: '', allModelCheckpointPaths: [], allModelCheckpointTimestamps: [], lastPreservedTimestamp: 0 };
    await expect(writeCheckpointState(g, dir, empty)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(writeCheckpointState(g, dir, checkpointStateFor('checkpoint'))).rejects.toThrow(/conflicts with path used for checkpoint state/);
  });
});
