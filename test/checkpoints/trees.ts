/**
 * The example trees of checkpoint-layouts.md (F01-F23 and the layouts without a numbered fixture)
 * and the rows of tf-checkpoint-format.md §1.3's edge-case table, as specs the checkpoint suite
 * writes to every store. Sizes are tiny; what matters is names, which files exist, and the few
 * bytes the content checks look at.
 */
import { bundle, filler, hdf5, json, stateFile, table, truncatedZip, type TreeSpec, zip } from './bytes.js';

const merge = (...parts: TreeSpec[]): TreeSpec => Object.assign({}, ...parts);
const under = (dir: string, spec: TreeSpec): TreeSpec => Object.fromEntries(Object.entries(spec).map(([k, v]) => [`${dir}/${k}`, v]));

/** F01: TF1 Estimator model_dir with eval and export dirs (an export in progress). */
export const F01 = under('f01/iris', {
  checkpoint: stateFile('model.ckpt-200', ['model.ckpt-1', 'model.ckpt-200']),
  'graph.pbtxt': 100,
  'events.out.tfevents.1596211234.trainer-0': 50,
  ...bundle('model.ckpt-1', { meta: true }),
  ...bundle('model.ckpt-200', { meta: true }),
  'eval/events.out.tfevents.1596211300.trainer-0': 10,
  'export/best_exporter/1596211300/saved_model.pb': 90,
  ...under('export/best_exporter/1596211300/variables', bundle('variables')),
  'export/best_exporter/temp-1596211420/saved_model.pb': 90,
});

/** F03: a stale state file naming a deleted prefix (F03b: a 0-byte state file). */
function f03(dir: string, state: string): TreeSpec {
  const spec: TreeSpec = { checkpoint: state };
  for (let n = 6; n <= 11; n++) Object.assign(spec, bundle(`ckpt-${n}`));
  return under(dir, spec);
}
export const F03 = f03('f03/exp7', stateFile('ckpt-12', ['ckpt-6', 'ckpt-7', 'ckpt-8', 'ckpt-9', 'ckpt-10', 'ckpt-11', 'ckpt-12']));
export const F03B = f03('f03b/exp7', '');

/** F05: a partially uploaded sharded checkpoint and TensorFlow's S3 `.part` leftovers. */
export const F05 = under('f05/bert', {
  ...bundle('model.ckpt-19000', { shards: 4 }),
  ...bundle('model.ckpt-20000', { shards: 4, missing: [1, 3] }),
  'model.ckpt-21000.part-00000-of-00002.index': 40,
  'model.ckpt-21000.part-00000-of-00002.data-00000-of-00001': 64,
  checkpoint: stateFile('model.ckpt-20000'),
});

/** F07: a TF Serving base path with numeric quirks. */
const savedModel = (vars: TreeSpec = bundle('variables')): TreeSpec => ({ 'saved_model.pb': 80, ...under('variables', vars) });
export const F07 = under('f07/resnet', {
  ...under('1', savedModel()),
  ...under('2', savedModel()),
  ...under('10', savedModel({ 'variables.index': 40 })),
  ...under('00000009', savedModel()),
  'temp-1700000000/saved_model.pb': 80,
  'README.md': 'resnet',
  '.DS_Store': 12,
});

/** F09 (TF2 OD zoo), F10 (TF1 OD zoo), F12 (TF-Slim). */
export const ZOO = merge(
  under('zoo/tf2/20200711/efficientdet_d0_coco17_tpu-32', {
    'pipeline.config': 40,
    'checkpoint/checkpoint': stateFile('ckpt-0'),
    ...under('checkpoint', bundle('ckpt-0')),
    ...under('saved_model', savedModel()),
    'saved_model/assets': null,
  }),
  under('zoo/tf1/ssd_mobilenet_v2_coco_2018_03_29', {
    checkpoint: stateFile('model.ckpt'),
    ...bundle('model.ckpt', { meta: true }),
    'pipeline.config': 40,
    'saved_model/saved_model.pb': 80,
    'saved_model/variables': null,
    'frozen_inference_graph.pb': 70,
  }),
  {
    'zoo/slim/inception_v3_2016_08_28/inception_v3.ckpt': table(120),
    ...under('zoo/slim/mobilenet_v1_2018_02_22/mobilenet_v1_1.0_224', {
      ...bundle('mobilenet_v1_1.0_224.ckpt', { meta: true }),
      'mobilenet_v1_1.0_224_frozen.pb': 50,
      'mobilenet_v1_1.0_224.tflite': 50,
      'mobilenet_v1_1.0_224_info.txt': 'info',
    }),
  },
);

/** F13: Keras outputs of five kinds. */
export const F13 = under('f13/k', {
  'run1/weights.09-0.53.hdf5': hdf5(160),
  'run1/weights.10-0.49.hdf5': hdf5(160),
  'run2/epoch_9.keras': zip(90),
  'run2/epoch_10.keras': zip(90),
  'run2/epoch_11.keras': zip(90),
  'run2/epoch_12.keras': truncatedZip(60),
  'run3/training_2/checkpoint': stateFile('cp-0050.ckpt', ['cp-0045.ckpt', 'cp-0050.ckpt']),
  ...under('run3/training_2', bundle('cp-0045.ckpt')),
  ...under('run3/training_2', bundle('cp-0050.ckpt')),
  'run4/backup/latest.weights.h5': hdf5(160),
  'run4/backup/latest.weights.h5.bkp': hdf5(160),
  'run4/backup/training_metadata.json': json({ epoch: 7, batch: 0 }),
  'run5/big.weights.json': json({ weight_map: { 'dense/kernel': 'big_00000.weights.h5', 'dense/bias': 'big_00001.weights.h5' } }),
  'run5/big_00000.weights.h5': hdf5(96),
  'run5/big_00001.weights.h5': hdf5(96),
});

/** F15: an HF Trainer output_dir with staging dirs, shards, DeepSpeed and an HP-search run. */
const hfCheckpoint = (step: number): TreeSpec => ({
  'config.json': json({}),
  'model.safetensors': 100,
  'optimizer.pt': 50,
  'scheduler.pt': 10,
  'rng_state.pth': 10,
  'trainer_state.json': json({ global_step: step, log_history: [] }),
  'training_args.bin': 10,
});
export const F15 = under('f15/out', {
  'config.json': json({}),
  'model.safetensors': 100,
  'training_args.bin': 10,
  'all_results.json': json({}),
  ...under('checkpoint-500', hfCheckpoint(500)),
  ...under('checkpoint-999', hfCheckpoint(999)),
  'checkpoint-1000/model.safetensors.index.json': json({
    metadata: { total_size: 300 },
    weight_map: { a: 'model-00001-of-00003.safetensors', b: 'model-00002-of-00003.safetensors', c: 'model-00003-of-00003.safetensors' },
  }),
  'checkpoint-1000/model-00001-of-00003.safetensors': 100,
  'checkpoint-1000/model-00002-of-00003.safetensors': 100,
  'checkpoint-1000/trainer_state.json': json({ global_step: 1000 }),
  'tmp-checkpoint-1500/model.safetensors': 100,
  'tmp-checkpoint-pe8ry7n_/config.json': json({}),
  'checkpoint-1200/global_step1200/mp_rank_00_model_states.pt': 100,
  'checkpoint-1200/latest': 'global_step1200',
  'checkpoint-1200/zero_to_fp32.py': 'print()',
  'checkpoint-1200/trainer_state.json': json({ global_step: 1200 }),
  'checkpoint-1200/config.json': json({}),
  'checkpoint-1200/pytorch_model.bin': 100,
  ...under('run-3/checkpoint-250', hfCheckpoint(250)),
});

/** F17: Orbax with commit files, prefixed and zero-padded step names. */
export const F17 = under('f17/jax', {
  'run1/checkpoint_1000/_CHECKPOINT_METADATA': json({ commit_timestamp_nsecs: 1 }),
  'run1/checkpoint_1000/commit_success.txt': 'Checkpoint commit was successful',
  'run1/checkpoint_1000/default/_METADATA': json({}),
  'run1/checkpoint_1000/default/manifest.ocdbt': 20,
  'run1/checkpoint_2000/_CHECKPOINT_METADATA': json({}),
  'run1/checkpoint_2000/default/ocdbt.process_3/d/0a1b2c': 150,
  'run2/step_00000500/commit_success.txt': 'ok',
  'run2/step_00000500/default/_METADATA': json({}),
  'run2/step_00001500/commit_success.txt': 'ok',
  'run2/step_00001500/default/_METADATA': json({}),
  'run2/step_1500/commit_success.txt': 'ok',
  'run2/step_1500/default/_METADATA': json({}),
  'run3/2000/_CHECKPOINT_METADATA': json({}),
  'run3/2000/commit_success.txt': 'ok',
  'run3/2000/state/_METADATA': json({}),
  'run3/3000.orbax-checkpoint-tmp-1712345678123456/_CHECKPOINT_METADATA': json({}),
  'run3/3000.orbax-checkpoint-tmp-1712345678123456/state/_METADATA': json({}),
});

/** F19: T5X, with a pinned checkpoint, one in progress and a partial copy. */
const t5x = (pinned: boolean): TreeSpec => ({
  checkpoint: 120,
  'target.encoder.layers_0.attention.key.kernel/.zarray': json({ zarr_format: 2 }),
  'target.encoder.layers_0.attention.key.kernel/0.0': 64,
  'train_ds-000-of-001.index': 40,
  'train_ds-000-of-001.data-00000-of-00001': 64,
  ...(pinned ? { PINNED: '1' } : {}),
});
export const F19 = under('f19/t5x/base', {
  'config.gin': 'x = 1',
  ...under('checkpoint_999900', t5x(false)),
  ...under('checkpoint_1000000', t5x(true)),
  'checkpoint_1000700.tmp-1712345678/target.encoder.layers_0.attention.key.kernel/0.0': 64,
  'checkpoint_1001000/target.encoder.layers_0.attention.key.kernel/.zarray': json({}),
  'checkpoint_1001000/target.encoder.layers_0.attention.key.kernel/0.0': 64,
  'train/events.out.tfevents.1712345678.host.v2': 20,
});

/** F21: PyTorch DCP / torchtitan. */
const dcp = (ranks: number): TreeSpec => Object.fromEntries([['.metadata', 30], ...Array.from({ length: ranks }, (_, r) => [`__${r}_0.distcp`, 40])]);
export const F21 = under('f21/tt/outputs/checkpoint', {
  ...under('step-5', dcp(2)),
  ...under('step-10', dcp(2)),
  'step-20/__0_0.distcp': 40,
  'step-20/__1_0.distcp': 40,
  'step-20/.metadata.tmp': 30,
  'step-30/model.safetensors.index.json': json({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }),
  'step-30/model-00001-of-00002.safetensors': 50,
  'step-30/model-00002-of-00002.safetensors': 50,
});

/** F23: NeMo 1 files and NeMo 2 directories with an unfinished marker. */
const nemo2 = (): TreeSpec => ({ 'weights/.metadata': 30, 'weights/__0_0.distcp': 40, 'weights/common.pt': 20, 'weights/metadata.json': json({}), 'context/io.json': json({}), 'context/model.yaml': 'a: 1' });
export const F23 = merge(
  under('f23/nemo/exp/megatron_gpt/2024-05-01_10-00-00/checkpoints', {
    'megatron_gpt--val_loss=2.1234-epoch=3.ckpt': zip(80),
    'megatron_gpt--val_loss=2.1234-epoch=3-last.ckpt': zip(80),
    'megatron_gpt.nemo': 80,
  }),
  under('f23/nemo2/llama/checkpoints', {
    ...under('llama--reduced_train_loss=1.20-step=999-consumed_samples=64000.0', nemo2()),
    ...under('llama--reduced_train_loss=1.10-step=1999-consumed_samples=128000.0-last', nemo2()),
    'llama--reduced_train_loss=1.05-step=2999-consumed_samples=192000.0-last/weights/__0_0.distcp': 40,
    'llama--reduced_train_loss=1.05-step=2999-consumed_samples=192000.0-last-unfinished': '',
  }),
);

/** PyTorch Lightning (§7), DeepSpeed (§12), Megatron-LM (§14), Accelerate (§8), legacy Flax (§10). */
export const OTHERS = merge(
  under('pl/lightning_logs/version_0', {
    'hparams.yaml': 'lr: 1',
    'checkpoints/epoch=9-step=1000.ckpt': zip(80),
    'checkpoints/epoch=19-step=2000.ckpt': zip(80),
    'checkpoints/epoch=19-step=2000-v1.ckpt': zip(80),
    'checkpoints/last.ckpt': zip(80),
    'checkpoints/last-v1.ckpt': zip(80),
    'checkpoints/epoch=29-step=3000.ckpt': truncatedZip(60),
  }),
  under('ds/save', {
    latest: 'global_step3000',
    'zero_to_fp32.py': 'print()',
    'global_step1000/mp_rank_00_model_states.pt': 60,
    'global_step1000/zero_pp_rank_0_mp_rank_00_optim_states.pt': 60,
    'global_step1000/zero_pp_rank_1_mp_rank_00_optim_states.pt': 60,
    'global_step3000/mp_rank_00_model_states.pt': 60,
    'global_step3000/zero_pp_rank_0_mp_rank_00_optim_states.pt': 60,
    'global_step3000/zero_pp_rank_1_mp_rank_00_optim_states.pt': 60,
    'global_step4000/mp_rank_00_model_states.pt': 60,
    'global_step4000/zero_pp_rank_1_mp_rank_00_optim_states.pt': 60,
  }),
  under('meg/save', {
    'latest_checkpointed_iteration.txt': '2000',
    ...under('iter_0001000', { '.metadata': 30, '__0_0.distcp': 40, 'common.pt': 20, 'metadata.json': json({}) }),
    ...under('iter_0002000', { '.metadata': 30, '__0_0.distcp': 40, 'common.pt': 20, 'metadata.json': json({}) }),
    ...under('iter_0003000', { '.metadata': 30, '__0_0.distcp': 40 }),
  }),
  under('meg/legacy', {
    'latest_checkpointed_iteration.txt': 'release',
    'release/mp_rank_00/model_optim_rng.pt': 60,
    'iter_0000500/mp_rank_00/model_optim_rng.pt': 60,
    'iter_0000500/mp_rank_01/distrib_optim.pt': 60,
  }),
  under('acc/project/checkpoints', {
    'checkpoint_0/model.safetensors': 60,
    'checkpoint_0/optimizer.bin': 60,
    'checkpoint_0/random_states_0.pkl': 10,
    'checkpoint_1/model.safetensors': 60,
    'checkpoint_1/optimizer.bin': 60,
    'checkpoint_1/random_states_0.pkl': 10,
    'checkpoint_2/optimizer.bin': 60,
    'checkpoint_2/random_states_0.pkl': 10,
  }),
  under('flax/ckpts', { checkpoint_100: 50, checkpoint_200: 50, checkpoint_tmp: 50 }),
);

/** TF checkpoints hidden from the state file and intermediate artefacts of saves in progress. */
export const HIDDEN = under('hidden/run', {
  checkpoint: stateFile('ckpt-5', ['ckpt-4', 'ckpt-5']),
  ...bundle('ckpt-3'),
  ...bundle('ckpt-4'),
  ...bundle('ckpt-5'),
  ...bundle('ckpt-6'),
  'ckpt-7_temp/part-00000-of-00001.index': 40,
  'ckpt-7_temp/part-00000-of-00001.data-00000-of-00001': 64,
  'ckpt-8.data-00000-of-00001': 64,
  'checkpoint.tmp0123456789abcdef0123456789abcdef': stateFile('ckpt-6'),
  'ckpt-9.index.tempstate7093432498217658117': 40,
  'ckpt-9.data-00000-of-00001.tempstate2284702301711612937': 64,
  'temp_worker_001/ckpt-5.index': 40,
  'temp_worker_001/ckpt-5.data-00000-of-00001': 64,
});

/**
 * tf-checkpoint-format.md §1.3, one directory per row. `abs` is a directory on the local disk
 * (absolute paths in a state file always mean the local disk, whatever the store), `schemeRoot`
 * the suite root spelled with its scheme (`file://...` for local roots).
 */
export function edgeCases(abs: string, schemeRoot: string): TreeSpec {
  return under('edge', {
    ...under('nostate', bundle('ckpt-1')),
    ...under('empty', { checkpoint: '', ...bundle('ckpt-1') }),
    ...under('onlyall', { checkpoint: 'all_model_checkpoint_paths: "ckpt-1"\n', ...bundle('ckpt-1') }),
    ...under('malformed', { checkpoint: 'model_checkpoint: "ckpt-1"\n', ...bundle('ckpt-1') }),
    ...under('notutf8', { checkpoint: Uint8Array.from([0x6d, 0xff, 0xfe, 0x0a]), ...bundle('ckpt-1') }),
    ...under('relative', { checkpoint: stateFile('ckpt-2'), ...bundle('ckpt-1'), ...bundle('ckpt-2') }),
    ...under('absolute', { checkpoint: stateFile(`${abs}/ckpt-2`), ...bundle('ckpt-2') }),
    ...under('foreign', { checkpoint: stateFile('/home/alice/run/model.ckpt-5000'), ...bundle('model.ckpt-5000', { meta: true }) }),
    ...under('scheme', { checkpoint: stateFile(`${schemeRoot}/edge/scheme/ckpt-1`), ...bundle('ckpt-1') }),
    ...under('v1single', { checkpoint: stateFile('model.ckpt-7'), 'model.ckpt-7': table(96) }),
    ...under('v1sharded', {
      checkpoint: stateFile('model.ckpt-8-?????-of-00002'),
      'model.ckpt-8-00000-of-00002': table(96),
      'model.ckpt-8-00001-of-00002': table(96),
      'model.ckpt-8.meta': 30,
    }),
    ...under('dirprefix', { checkpoint: stateFile('ckpt-3'), 'ckpt-3/x': 1, ...bundle('ckpt-2') }),
    ...under('nodata', { checkpoint: stateFile('ckpt-4'), 'ckpt-4.index': 40, ...bundle('ckpt-3') }),
    ...under('onlydata', { checkpoint: stateFile('ckpt-4'), 'ckpt-4.data-00000-of-00001': 64 }),
    ...under('onlymeta', { checkpoint: stateFile('model.ckpt-4'), 'model.ckpt-4.meta': 30 }),
    ...under('globA/run[1]', { checkpoint: stateFile('ckpt-5'), ...bundle('ckpt-5') }),
    ...under('globB/run[1]', { checkpoint: stateFile('ckpt-5'), ...bundle('ckpt-5') }),
    ...under('globB/run1', bundle('ckpt-5')),
    ...under('latestname', { checkpoint: stateFile('ckpt-0'), foo: stateFile('ckpt-1'), ...bundle('ckpt-0'), ...bundle('ckpt-1') }),
  });
}

/** The local files the `absolute` row's state file points at. */
export const ABSOLUTE_TARGET: TreeSpec = bundle('ckpt-2');

/** F02: the lexicographic trap, written with the project's own bundle writer (see suite). */
export const F02_STEPS = [997, 998, 999, 1000, 1001];

export { filler };

/**
 * Issue 18's order and pointer rules, one directory each: numbers in names compared as integers
 * of any size, evidence beside the checkpoint (Flax `_gda/` commits), pointers winning ties, and
 * trackers that commit a save (Megatron legacy, verl). `mtime/*` are written later, in two steps.
 */
export const ORDER = under('order', {
  'hpc/hpc_ckpt_3.ckpt': zip(80),
  'hpc/hpc_ckpt_100.ckpt': zip(80),
  'hpc/hpc_ckpt_20.ckpt': zip(80),
  // Flax legacy: checkpoint_5000 is committed by its _gda/ directory's marker.
  'flaxgda/checkpoint_500': 50,
  'flaxgda/checkpoint_500_gda/commit_success.txt': 'ok',
  'flaxgda/checkpoint_500_gda/a/0': 10,
  'flaxgda/checkpoint_5000': 50,
  'flaxgda/checkpoint_5000_gda/commit_success.txt': 'ok',
  'flaxgda/checkpoint_5000_gda/a/0': 10,
  'flaxgda/checkpoint_50000': 50,
  'flaxgda/checkpoint_50000_gda/a/0': 10,
  // Past 2^53 a JavaScript number rounds 9007199254740993 to ...992: steps compare as integers.
  ...under('huge', bundle('ckpt-9007199254740991')),
  ...under('huge', bundle('ckpt-9007199254740992')),
  ...under('huge', bundle('ckpt-9007199254740993')),
  ...under('huge', bundle('ckpt-999999999999999999999', { missing: [0] })),
  'hugehf/checkpoint-18446744073709551615/model.safetensors': 60,
  'hugehf/checkpoint-18446744073709551615/trainer_state.json': '{"global_step": 18446744073709551615}',
  'hugehf/checkpoint-18446744073709551616/model.safetensors': 60,
  'hugehf/checkpoint-18446744073709551616/trainer_state.json': '{"global_step": 18446744073709551616}',
  'kerasw/model_epoch_9.weights.h5': hdf5(128),
  'kerasw/model_epoch_10.weights.h5': hdf5(128),
  'orbaxsteps/step_9/_CHECKPOINT_METADATA': json({}),
  'orbaxsteps/step_9/commit_success.txt': 'ok',
  'orbaxsteps/step_10/_CHECKPOINT_METADATA': json({}),
  'orbaxsteps/step_10/commit_success.txt': 'ok',
  // DeepSpeed: at equal step, the tag `latest` names beats its universal conversion.
  'ds/latest': 'global_step30',
  'ds/latest_universal': 'global_step30_universal',
  'ds/global_step30/mp_rank_00_model_states.pt': 60,
  'ds/global_step30_universal/zero/w/fp32.pt': 60,
  'ds/global_step20/mp_rank_00_model_states.pt': 60,
  // Only the conversion is named: it is the pointed-to one.
  'dsu/latest_universal': 'global_step30_universal',
  'dsu/global_step30/mp_rank_00_model_states.pt': 60,
  'dsu/global_step30_universal/zero/w/fp32.pt': 60,
  // Megatron legacy: the tracker commits a save; iter_0002000 is whole but not committed.
  'meglegacy/latest_checkpointed_iteration.txt': '1000',
  'meglegacy/iter_0001000/mp_rank_00/model_optim_rng.pt': 60,
  'meglegacy/iter_0002000/mp_rank_00/model_optim_rng.pt': 60,
  // verl: global_step_N/actor/... beside the tracker, which commits a save.
  'verl/latest_checkpointed_iteration.txt': '20',
  ...under('verl/global_step_10', { 'data.pt': 10, 'actor/model_world_size_2_rank_0.pt': 60, 'actor/model_world_size_2_rank_1.pt': 60, 'critic/model_world_size_2_rank_0.pt': 60, 'critic/model_world_size_2_rank_1.pt': 60 }),
  ...under('verl/global_step_20', { 'data.pt': 10, 'actor/model_world_size_2_rank_0.pt': 60, 'actor/model_world_size_2_rank_1.pt': 60, 'critic/model_world_size_2_rank_0.pt': 60, 'critic/model_world_size_2_rank_1.pt': 60 }),
  ...under('verl/global_step_30', { 'data.pt': 10, 'actor/model_world_size_2_rank_0.pt': 60, 'actor/model_world_size_2_rank_1.pt': 60 }),
  ...under('verlrank/global_step_5', { 'actor/model_world_size_2_rank_0.pt': 60, 'actor/model_world_size_2_rank_1.pt': 60 }),
  ...under('verlrank/global_step_6', { 'actor/model_world_size_2_rank_1.pt': 60 }),
});

/** Runs named like steps (`runs/42`): robust latest lists the newest candidate only, never the whole run. */
export const ORDER_RUNS = under('order/runs', {
  ...under('42/checkpoint-500', { 'model.safetensors': 60, 'trainer_state.json': json({ global_step: 500 }) }),
  ...under('42/checkpoint-1000', { 'model.safetensors': 60, 'trainer_state.json': json({ global_step: 1000 }) }),
  '42/runs/events.out.tfevents.1.host': 10,
  ...under('7/1000', { _CHECKPOINT_METADATA: json({}), 'commit_success.txt': 'ok', 'default/_METADATA': json({}) }),
  ...under('7/2000', { _CHECKPOINT_METADATA: json({}), 'commit_success.txt': 'ok', 'default/_METADATA': json({}) }),
});

/** Step-less checkpoints written one after the other (older first), for the mtime and pointer rules. */
export const ORDER_MTIME_FIRST: TreeSpec = { 'order/mtime/b.h5': hdf5(128), 'order/last/checkpoints/last.ckpt': zip(80) };
export const ORDER_MTIME_SECOND: TreeSpec = { 'order/mtime/a.h5': hdf5(128), 'order/last/checkpoints/other.ckpt': zip(80) };
