/**
 * The layouts of docs/layouts.md (issue 18, part 3), as trees every store can hold, with the
 * answers `find` and `latest` must give on each: the Hugging Face hub cache as copied to an object
 * store (no symlinks; test/checkpoints/symlinks.test.ts covers the local links), NeMo Automodel,
 * Orbax v1 and the Keras Orbax callback, Keras 3 ModelCheckpoint names, and directory
 * placeholders (`dir/` markers and Hadoop `_$folder$` objects) around checkpoints.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type CheckpointInfo, findCheckpoints, latestCheckpoint } from '@ckptkit/core';
import type { GFile } from '@ckptkit/gfile';
import { hdf5, json, truncatedZip, type TreeSpec, zip } from './bytes.js';

const under = (dir: string, spec: TreeSpec): TreeSpec => Object.fromEntries(Object.entries(spec).map(([k, v]) => [`${dir}/${k}`, v]));
const sha = (c: string, n = 40) => c.repeat(n);

/** A snapshot of a model repo as a copy holds it: the files themselves. */
const snapshot = (): TreeSpec => ({ 'config.json': json({ model_type: 'bert' }), 'model.safetensors': 96 });

/** Hugging Face hub cache repos written at once (their order is decided by refs or names). */
export const HF_HUB: TreeSpec = under('hub', {
  // refs/main names B; A is older: B is the current snapshot.
  ...under('models--acme--tiny', {
    [`blobs/${sha('a')}`]: 20,
    [`blobs/${sha('b', 64)}`]: 96,
    'refs/main': sha('b'),
    'refs/main.0123abcd.tmp': sha('a'),
    ...under(`snapshots/${sha('a')}`, snapshot()),
    ...under(`snapshots/${sha('b')}`, snapshot()),
  }),
  // A download into the revision refs/main names is running: that snapshot is incomplete, the
  // other one (no ref) is whole.
  ...under('models--acme--dl', {
    [`blobs/${sha('c', 64)}.5f3e9a1b.incomplete`]: 50,
    [`blobs/${sha('d')}`]: 20,
    'refs/main': sha('c'),
    [`snapshots/${sha('c')}/config.json`]: json({}),
    ...under(`snapshots/${sha('d')}`, snapshot()),
  }),
  // No ref says which revision an incomplete blob is for: every snapshot is charged.
  ...under('datasets--acme--data', {
    [`blobs/${sha('e', 64)}.incomplete`]: 10,
    [`snapshots/${sha('e')}/data/train-00000-of-00001.parquet`]: 64,
    [`snapshots/${sha('e')}/README.md`]: 'data',
  }),
  // Copied with `rclone copy --links`: links kept as `.rclonelink` objects naming their blob.
  ...under('models--acme--rc', {
    [`blobs/${sha('3')}`]: 20,
    'refs/main': sha('5'),
    [`snapshots/${sha('4')}/config.json.rclonelink`]: `../../blobs/${sha('3')}`,
    [`snapshots/${sha('5')}/config.json.rclonelink`]: `../../blobs/${sha('3')}`,
    [`snapshots/${sha('5')}/model.safetensors.rclonelink`]: `../../blobs/${sha('6', 64)}`,
  }),
  // A space with a nested file, and a ref that is not main.
  ...under('spaces--acme--app', {
    'refs/refs/pr/1': sha('f'),
    [`snapshots/${sha('f')}/app.py`]: 'print()',
    [`snapshots/${sha('f')}/static/index.html`]: '<p>',
    '.no_exist/0000000000000000000000000000000000000000/missing.json': '',
  }),
});

/** Written in two rounds, the second over a second later: no ref, so the newest files decide. */
export const HF_HUB_OLDER: TreeSpec = under('hub/models--acme--mtime', under(`snapshots/${sha('9')}`, snapshot()));
export const HF_HUB_NEWER: TreeSpec = under('hub/models--acme--mtime', under(`snapshots/${sha('1')}`, snapshot()));

/** A NeMo Automodel checkpoint directory's files. */
const automodel = (): TreeSpec => ({
  'model/consolidated/model.safetensors': 96,
  'model/consolidated/config.json': json({}),
  'optim/.metadata': 30,
  'optim/__0_0.distcp': 40,
  'config.yaml': 'step_scheduler: {}',
  'losses.json': json({ train_loss: 1.5, val_loss: 1.2 }),
  'rng.pt': 10,
});

export const AUTOMODEL: TreeSpec = under('am', {
  ...under('ckpts', {
    ...under('epoch_0_step_100', automodel()),
    ...under('epoch_0_step_200', automodel()),
    // interrupted: the marker is still there (the save had reached the optimizer)
    ...under('epoch_1_step_300', { ...automodel(), '.incomplete': '' }),
    // reserved, then the job died before the rename
    'epoch_1_step_400.reserving-3f2a9c0d1e2b4a5f8c7d6e5f4a3b2c1d/.incomplete': '',
    'LATEST.txt': 'epoch_0_step_200',
    'LOWEST_VAL.txt': 'epoch_0_step_100\n',
  }),
  // LATEST names a checkpoint an interrupted re-save left marked: Automodel falls back.
  ...under('stale', {
    ...under('epoch_0_step_10', automodel()),
    ...under('epoch_0_step_20', { ...automodel(), '.incomplete': '' }),
    'LATEST.txt': './epoch_0_step_20/',
  }),
  // The links copied as files: a plain LATEST holding the path, rclone's LOWEST_VAL.rclonelink.
  ...under('plain', {
    ...under('epoch_0_step_1', automodel()),
    ...under('epoch_0_step_2', automodel()),
    LATEST: 'epoch_0_step_1',
    'LOWEST_VAL.rclonelink': 'epoch_0_step_2',
  }),
  // A cache copied with its LATEST symlink followed: LATEST/ is a copy of a checkpoint.
  ...under('copied', {
    ...under('epoch_0_step_5', automodel()),
    ...under('epoch_0_step_7', { ...automodel(), 'losses.json': json({ train_loss: 0.9 }) }),
    ...under('LATEST', { ...automodel(), 'losses.json': json({ train_loss: 0.9 }) }),
  }),
});

/** Orbax v1 step directories (the Keras OrbaxCheckpoint callback's digits included). */
const v1Step = (commit: boolean): TreeSpec => ({
  'orbax.checkpoint': '',
  _CHECKPOINT_METADATA: json({ init_timestamp_nsecs: 1 }),
  'pytree/_METADATA': json({}),
  'pytree/manifest.ocdbt': 20,
  'model_config/config.json': json({}),
  ...(commit ? { 'commit_success.txt': 'Checkpoint commit was successful' } : {}),
});
export const ORBAX_V1: TreeSpec = under('ox', {
  ...under('keras/0', v1Step(true)),
  ...under('keras/1', v1Step(true)),
  ...under('keras/9', v1Step(true)),
  ...under('keras/10', v1Step(true)),
  ...under('keras/11.orbax-checkpoint-tmp', v1Step(false)),
  // only the indicator, the data and the commit file (no _CHECKPOINT_METADATA)
  'bare/3/orbax.checkpoint': '',
  'bare/3/state/_METADATA': json({}),
  'bare/3/commit_success.txt': 'ok',
  'bare/12/orbax.checkpoint': '',
  'bare/12/state/_METADATA': json({}),
  'bare/12/commit_success.txt': 'ok',
  // the finalizing rename of step 5 is still copying (object stores): its tmp directory is left
  ...under('renaming/4', v1Step(true)),
  ...under('renaming/5', v1Step(true)),
  ...under('renaming/5.orbax-checkpoint-tmp', v1Step(true)),
  // one checkpoint saved without a manager
  ...under('single/export', { 'orbax.checkpoint': '', 'state/_METADATA': json({}), 'commit_success.txt': 'ok' }),
});

/** Keras 3 ModelCheckpoint names whose templates put the epoch last or after `epoch_`. */
export const KERAS_NAMES: TreeSpec = under('kn', {
  'words/my_model_05.keras': zip(60),
  'words/my_model_9.keras': zip(60),
  'words/my_model_12.keras': zip(60),
  'words/my_model_13.keras': truncatedZip(40),
  'epoch/ckpt_epoch_3.weights.h5': hdf5(96),
  'epoch/ckpt_epoch_20.weights.h5': hdf5(96),
  'epoch/ckpt_epoch_100.weights.h5': hdf5(96),
  'metric/05-0.53.keras': zip(60),
  'metric/11-0.41.keras': zip(60),
  'metric/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5': hdf5(96),
});

/** A run whose directories carry placeholders of both kinds (null: a `dir/` marker). */
const hfCheckpoint = (step: number): TreeSpec => ({ 'model.safetensors': 100, 'trainer_state.json': json({ global_step: step }), 'config.json': json({}) });
export const PLACEHOLDERS: TreeSpec = under('ph', {
  run: null,
  'run_$folder$': '',
  ...under('run/checkpoint-100', hfCheckpoint(100)),
  'run/checkpoint-100_$folder$': '',
  'run/checkpoint-200': null,
  'run/checkpoint-300_$folder$': '',
  'run/ckpt-7_$folder$': '',
  'run/nested/global_step9': null,
  'run/nested/global_step9_$folder$': '',
});

/** What a suite run provides to these cases. */
export interface LayoutCaseContext {
  gfile: GFile;
  root: string;
  writeTree(spec: TreeSpec): Promise<void>;
}

/** The layout cases, registered inside a store's checkpoint suite. */
export function defineLayoutCases(get: () => LayoutCaseContext): void {
  describe('layouts of docs/layouts.md', () => {
    let g: GFile;
    let root: string;
    const u = (rel: string) => `${root}/${rel}`;
    const rel = (uri: string) => (uri.startsWith(`${root}/`) ? uri.slice(root.length + 1) : uri);
    const line = (c: CheckpointInfo) => `${rel(c.prefix)} ${c.format} ${c.step} ${c.temporary ? 'temporary' : c.complete ? 'complete' : 'incomplete'}`;
    const find = async (dir: string) => (await findCheckpoints(u(dir), { gfile: g })).map(line);
    const latest = async (dir: string) => {
      const r = await latestCheckpoint(u(dir), { gfile: g });
      return { chosen: r.checkpoint ? `${rel(r.checkpoint.prefix)} ${r.checkpoint.format} ${r.checkpoint.step}` : null, r };
    };

    beforeAll(async () => {
      const c = get();
      g = c.gfile;
      root = c.root;
      await c.writeTree({ ...HF_HUB, ...HF_HUB_OLDER, ...AUTOMODEL, ...ORBAX_V1, ...KERAS_NAMES, ...PLACEHOLDERS });
      // Object stores keep modification times to the second: the newer snapshot comes later.
      await new Promise((r) => setTimeout(r, 1_100));
      await c.writeTree(HF_HUB_NEWER);
    }, 300_000);

    describe('Hugging Face hub cache', () => {
      it('find: one checkpoint per snapshot, in its repo directory, with repo id and revision', async () => {
        const all = await findCheckpoints(u('hub'), { gfile: g });
        expect(all.map(line)).toEqual([
          `hub/datasets--acme--data/snapshots/${sha('e')} hf-hub-cache null incomplete`,
          `hub/models--acme--dl/snapshots/${sha('c')} hf-hub-cache null incomplete`,
          `hub/models--acme--dl/snapshots/${sha('d')} hf-hub-cache null complete`,
          `hub/models--acme--mtime/snapshots/${sha('1')} hf-hub-cache null complete`,
          `hub/models--acme--mtime/snapshots/${sha('9')} hf-hub-cache null complete`,
          `hub/models--acme--rc/snapshots/${sha('4')} hf-hub-cache null complete`,
          `hub/models--acme--rc/snapshots/${sha('5')} hf-hub-cache null incomplete`,
          `hub/models--acme--tiny/snapshots/${sha('a')} hf-hub-cache null complete`,
          `hub/models--acme--tiny/snapshots/${sha('b')} hf-hub-cache null complete`,
          `hub/spaces--acme--app/snapshots/${sha('f')} hf-hub-cache null complete`,
        ]);
        const b = all.find((c) => c.prefix.endsWith(sha('b')))!;
        expect(rel(b.dir)).toBe('hub/models--acme--tiny');
        expect(b.extra).toMatchObject({ repoId: 'acme/tiny', repoType: 'model', revision: sha('b'), refs: ['main'] });
        expect(b.files.map(rel).sort()).toEqual([`hub/models--acme--tiny/snapshots/${sha('b')}/config.json`, `hub/models--acme--tiny/snapshots/${sha('b')}/model.safetensors`]);
        const space = all.find((c) => c.prefix.endsWith(sha('f')))!;
        expect(space.extra).toMatchObject({ repoId: 'acme/app', repoType: 'space', refs: ['refs/pr/1'] });
        expect(space.files.length).toBe(2);
        expect(all.find((c) => c.prefix.endsWith(sha('c')))!.problems.join(' ')).toMatch(/\.incomplete: a download in progress or killed \(a ref names this revision\)/);
        expect(all.find((c) => c.prefix.endsWith(sha('e')))!.problems.join(' ')).toMatch(/no ref says which revision/);
        // The repo directory is where they are: --max-depth 0 on a repo lists its snapshots.
        expect((await findCheckpoints(u('hub/models--acme--tiny'), { gfile: g, maxDepth: 0 })).length).toBe(2);
        expect(await findCheckpoints(u('hub'), { gfile: g, maxDepth: 0 })).toEqual([]);
      });
      it('latest: the snapshot refs/main names', async () => {
        const { chosen, r } = await latest('hub/models--acme--tiny');
        expect(chosen).toBe(`hub/models--acme--tiny/snapshots/${sha('b')} hf-hub-cache null`);
        expect(r.notes.join('\n')).toMatch(/named by refs\/main/);
        expect(r.checkpoint!.extra).toMatchObject({ repoId: 'acme/tiny', revision: sha('b') });
      });
      it('latest: a download into the current revision passes it over for the whole one', async () => {
        const { chosen, r } = await latest('hub/models--acme--dl');
        expect(chosen).toBe(`hub/models--acme--dl/snapshots/${sha('d')} hf-hub-cache null`);
        expect(r.passedOver.map((p) => rel(p.prefix))).toEqual([`hub/models--acme--dl/snapshots/${sha('c')}`]);
      });
      it('latest: links kept by rclone --links are followed to blobs/', async () => {
        const { chosen, r } = await latest('hub/models--acme--rc');
        expect(chosen).toBe(`hub/models--acme--rc/snapshots/${sha('4')} hf-hub-cache null`);
        expect(r.passedOver[0]!.reasons.join(' ')).toMatch(/link \(rclone --links\) to missing blob: model\.safetensors$/);
      });
      it('latest: without refs the newest files decide; nothing complete means no answer', async () => {
        const { chosen, r } = await latest('hub/models--acme--mtime');
        expect(chosen).toBe(`hub/models--acme--mtime/snapshots/${sha('1')} hf-hub-cache null`);
        expect(r.notes.join('\n')).toMatch(/newest modification time/);
        expect((await latest('hub/datasets--acme--data')).chosen).toBeNull();
      });

      it('a snapshots/ directory or a snapshot, seen without its repo, is judged by its own files', async () => {
        const below = await findCheckpoints(u('hub/models--acme--tiny/snapshots'), { gfile: g, maxDepth: 0 });
        expect(below.map(line)).toEqual([`hub/models--acme--tiny/snapshots/${sha('a')} hf-hub-cache null complete`, `hub/models--acme--tiny/snapshots/${sha('b')} hf-hub-cache null complete`]);
        expect(below[0]!.extra).toMatchObject({ repoId: 'acme/tiny', repoType: 'model', revision: sha('a') });
        expect(String(below[0]!.extra.note)).toMatch(/refs\/ and blobs\/ were not listed/);
        expect((await latest(`hub/models--acme--tiny/snapshots/${sha('a')}`)).chosen).toBe(`hub/models--acme--tiny/snapshots/${sha('a')} hf-hub-cache null`);
        expect((await latest('hub/models--acme--tiny/snapshots')).chosen).toMatch(/^hub\/models--acme--tiny\/snapshots\/[ab]{40} hf-hub-cache null$/);
      });
    });

    describe('NeMo Automodel', () => {
      it('find: steps from epoch_E_step_S, .incomplete markers, staging, pointers as facts', async () => {
        const all = await findCheckpoints(u('am'), { gfile: g });
        expect(all.map(line)).toEqual([
          'am/ckpts/epoch_0_step_100 nemo-automodel 100 complete',
          'am/ckpts/epoch_0_step_200 nemo-automodel 200 complete',
          'am/ckpts/epoch_1_step_300 nemo-automodel 300 incomplete',
          'am/ckpts/epoch_1_step_400.reserving-3f2a9c0d1e2b4a5f8c7d6e5f4a3b2c1d nemo-automodel 400 temporary',
          'am/copied/epoch_0_step_5 nemo-automodel 5 complete',
          'am/copied/epoch_0_step_7 nemo-automodel 7 complete',
          'am/plain/epoch_0_step_1 nemo-automodel 1 complete',
          'am/plain/epoch_0_step_2 nemo-automodel 2 complete',
          'am/stale/epoch_0_step_10 nemo-automodel 10 complete',
          'am/stale/epoch_0_step_20 nemo-automodel 20 incomplete',
        ]);
        const by = Object.fromEntries(all.map((c) => [rel(c.prefix), c]));
        expect(by['am/ckpts/epoch_0_step_200']!.extra.pointers).toEqual(['LATEST']);
        expect(by['am/ckpts/epoch_0_step_100']!.extra.pointers).toEqual(['LOWEST_VAL']);
        expect(by['am/ckpts/epoch_0_step_100']!.extra.epoch).toBe(0);
        expect(by['am/copied/epoch_0_step_7']!.extra.pointers).toEqual(['LATEST']);
        expect(by['am/stale/epoch_0_step_20']!.extra.pointers).toEqual(['LATEST']);
        expect(by['am/plain/epoch_0_step_1']!.extra.pointers).toEqual(['LATEST']);
        expect(by['am/plain/epoch_0_step_2']!.extra.pointers).toEqual(['LOWEST_VAL']);
        expect(by['am/ckpts/epoch_1_step_300']!.problems.join(' ')).toMatch(/\.incomplete marker/);
      });
      it('latest: the newest complete step; a marked one is passed over even when LATEST names it', async () => {
        expect((await latest('am/ckpts')).chosen).toBe('am/ckpts/epoch_0_step_200 nemo-automodel 200');
        const stale = await latest('am/stale');
        expect(stale.chosen).toBe('am/stale/epoch_0_step_10 nemo-automodel 10');
        expect(stale.r.passedOver.map((p) => rel(p.prefix))).toEqual(['am/stale/epoch_0_step_20']);
        expect((await latest('am/copied')).chosen).toBe('am/copied/epoch_0_step_7 nemo-automodel 7');
      });
    });

    describe('Orbax v1 and the Keras OrbaxCheckpoint callback', () => {
      it('find: digit step directories, temporaries, an unfinished rename, a single checkpoint', async () => {
        expect(await find('ox')).toEqual([
          'ox/bare/3 orbax 3 complete',
          'ox/bare/12 orbax 12 complete',
          'ox/keras/0 orbax 0 complete',
          'ox/keras/1 orbax 1 complete',
          'ox/keras/9 orbax 9 complete',
          'ox/keras/10 orbax 10 complete',
          'ox/keras/11.orbax-checkpoint-tmp orbax 11 temporary',
          'ox/renaming/4 orbax 4 complete',
          'ox/renaming/5 orbax 5 incomplete',
          'ox/renaming/5.orbax-checkpoint-tmp orbax 5 temporary',
          'ox/single/export orbax null complete',
        ]);
      });
      it('latest: steps compared as numbers; a step whose rename is unfinished is passed over', async () => {
        expect((await latest('ox/keras')).chosen).toBe('ox/keras/10 orbax 10');
        expect((await latest('ox/bare')).chosen).toBe('ox/bare/12 orbax 12');
        const renaming = await latest('ox/renaming');
        expect(renaming.chosen).toBe('ox/renaming/4 orbax 4');
        expect(renaming.r.passedOver.map((p) => p.reasons.join(' ')).join('\n')).toMatch(/orbax-checkpoint-tmp\/ still exists/);
      });
    });

    describe('Keras 3 ModelCheckpoint names', () => {
      it('the epoch is the number ending the words, or after epoch_', async () => {
        expect(await find('kn')).toEqual([
          'kn/epoch/ckpt_epoch_3.weights.h5 keras 3 complete',
          'kn/epoch/ckpt_epoch_20.weights.h5 keras 20 complete',
          'kn/epoch/ckpt_epoch_100.weights.h5 keras 100 complete',
          'kn/metric/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5 keras null complete',
          'kn/metric/05-0.53.keras keras 5 complete',
          'kn/metric/11-0.41.keras keras 11 complete',
          'kn/words/my_model_05.keras keras 5 complete',
          'kn/words/my_model_9.keras keras 9 complete',
          'kn/words/my_model_12.keras keras 12 complete',
          'kn/words/my_model_13.keras keras 13 incomplete',
        ]);
        expect((await latest('kn/words')).chosen).toBe('kn/words/my_model_12.keras keras 12');
        expect((await latest('kn/epoch')).chosen).toBe('kn/epoch/ckpt_epoch_100.weights.h5 keras 100');
        expect((await latest('kn/metric')).chosen).toBe('kn/metric/11-0.41.keras keras 11');
      });
    });

    describe('directory placeholders', () => {
      it('find: placeholders are neither files nor checkpoints, and break nothing', async () => {
        const all = await findCheckpoints(u('ph'), { gfile: g });
        expect(all.map(line)).toEqual(['ph/run/checkpoint-100 hf-trainer 100 complete']);
        expect(all[0]!.files.some((f) => f.includes('$folder$'))).toBe(false);
      });
      it('latest: the checkpoint beside them, with placeholders at every level', async () => {
        expect((await latest('ph/run')).chosen).toBe('ph/run/checkpoint-100 hf-trainer 100');
        expect((await latest('ph/run/checkpoint-200')).chosen).toBeNull();
        expect((await latest('ph/run/nested')).chosen).toBeNull();
      });
    });
  });
}
