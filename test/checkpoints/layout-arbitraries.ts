/**
 * Random directories of every layout discovery knows (fast-check): the checkpoints of one directory,
 * with random steps (huge ones past 2^53 included), random damage (a missing shard, a missing
 * commit file, a marker of a save in progress), temporaries and the layouts' pointer files. The
 * latest-model property runs them on every store: robust latest must answer what find reports.
 */
import fc from 'fast-check';
import { bundle, hdf5, json, stateFile, table, truncatedZip, type TreeSpec, zip } from './bytes.js';

const merge = (...parts: TreeSpec[]): TreeSpec => Object.assign({}, ...parts);
const under = (dir: string, spec: TreeSpec): TreeSpec => Object.fromEntries(Object.entries(spec).map(([k, v]) => [`${dir}/${k}`, v]));

/** Steps: mostly small (collisions and digit-count traps: 9 vs 10, 99 vs 100), some past 2^53. */
export const stepText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 120 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('9', '10', '99', '100', '999', '1000', '999900', '1000000') },
  { weight: 1, arbitrary: fc.bigInt({ min: 2n ** 53n - 2n, max: 2n ** 64n }).map(String) },
);

/** Distinct steps (as integers), 1 to `max` of them. */
const steps = (max = 4) => fc.uniqueArray(stepText, { minLength: 1, maxLength: max, selector: (s) => BigInt(s) });
const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

const pad7 = (s: string) => s.padStart(7, '0');

/** TF2 CheckpointManager: ckpt-N bundles, some damaged, a state file naming one (or a missing one). */
const tf2 = fc
  .record({
    steps: steps(),
    damage: fc.array(fc.constantFrom('index', 'shard', 'tempstate', 'none'), { minLength: 4, maxLength: 4 }),
    shards: fc.integer({ min: 1, max: 3 }),
    state: fc.option(fc.nat(5), { nil: undefined }),
    extras: fc.subarray(['temp', 'part']),
  })
  .map(({ steps: ss, damage, shards, state, extras }) => {
    const spec: TreeSpec = {};
    ss.forEach((s, i) => {
      const d = damage[i];
      const files = bundle(`ckpt-${s}`, { shards, missing: d === 'shard' ? [0] : [] });
      if (d === 'index') delete files[`ckpt-${s}.index`];
      if (d === 'tempstate') files[`ckpt-${s}.index.tempstate123`] = 40;
      Object.assign(spec, files);
    });
    if (state !== undefined) {
      const named = state < ss.length ? ss[state]! : '424242';
      spec.checkpoint = stateFile(`ckpt-${named}`, ss.map((s) => `ckpt-${s}`));
    }
    if (extras.includes('temp')) spec[`ckpt-${ss[0]}1_temp/part-00000-of-00001.index`] = 40;
    if (extras.includes('part')) spec[`ckpt-${ss[0]}2.part-00000-of-00001.index`] = 40;
    return spec;
  });

/** TF1 Saver: model.ckpt-N with .meta, and a V1 file or two. */
const tf1 = fc.record({ steps: steps(3), missing: fc.boolean(), v1: fc.boolean() }).map(({ steps: ss, missing, v1 }) => {
  const spec: TreeSpec = {};
  ss.forEach((s, i) => Object.assign(spec, bundle(`model.ckpt-${s}`, { meta: true, shards: 2, missing: missing && i === 0 ? [1] : [] })));
  if (v1) Object.assign(spec, { 'model.ckpt-7': table(96), 'model.ckpt-7.meta': 30 });
  return spec;
});

/** Keras: `.keras` archives (some truncated), HDF5 weights by template, `*_epoch_N.weights.h5`. */
const keras = fc
  .record({ epochs: steps(4), kind: pick(['keras', 'hdf5', 'weights']), truncated: fc.option(fc.nat(3), { nil: undefined }) })
  .map(({ epochs, kind, truncated }) => {
    const spec: TreeSpec = {};
    epochs.forEach((e, i) => {
      const bad = truncated === i;
      if (kind === 'keras') spec[`epoch_${e}.keras`] = bad ? truncatedZip(60) : zip(90);
      else if (kind === 'hdf5') spec[`weights.${e}-0.53.hdf5`] = bad ? hdf5(96, 4096) : hdf5(128);
      else spec[`model_epoch_${e}.weights.h5`] = bad ? hdf5(96, 4096) : hdf5(128);
    });
    return spec;
  });

/** Lightning: epoch=E-step=S[-vN].ckpt, last[-vN].ckpt, hpc_ckpt_N.ckpt, some truncated. */
const lightning = fc
  .record({ steps: steps(3), hpc: fc.uniqueArray(stepText, { maxLength: 3, selector: (s) => BigInt(s) }), last: fc.boolean(), version: fc.boolean(), truncated: fc.option(fc.nat(2), { nil: undefined }) })
  .map(({ steps: ss, hpc, last, version, truncated }) => {
    const spec: TreeSpec = {};
    ss.forEach((s, i) => (spec[`epoch=${i}-step=${s}.ckpt`] = truncated === i ? truncatedZip(60) : zip(80)));
    if (version) spec[`epoch=0-step=${ss[0]}-v1.ckpt`] = zip(80);
    if (last) spec['last.ckpt'] = zip(80);
    hpc.forEach((n, i) => (spec[`hpc_ckpt_${n}.ckpt`] = truncated === i ? truncatedZip(60) : zip(80)));
    return spec;
  });

/** NeMo 1 files (epoch, -last) and NeMo 2 directories with -unfinished markers. */
const nemo = fc
  .record({ steps: steps(3), unfinished: fc.option(fc.nat(2), { nil: undefined }), lastIndex: fc.nat(2), files: fc.boolean() })
  .map(({ steps: ss, unfinished, lastIndex, files }) => {
    if (files) {
      return merge(...ss.map((e, i) => ({ [`gpt--val_loss=1.5-epoch=${e}${i === lastIndex ? '-last' : ''}.ckpt`]: zip(80) })));
    }
    const spec: TreeSpec = {};
    ss.forEach((s, i) => {
      const name = `llama--reduced_train_loss=1.10-step=${s}-consumed_samples=64.0${i === lastIndex ? '-last' : ''}`;
      Object.assign(spec, under(name, { 'weights/.metadata': 30, 'weights/__0_0.distcp': 40, 'weights/metadata.json': json({}), 'context/io.json': json({}) }));
      if (unfinished === i) spec[`${name}-unfinished`] = '';
    });
    return spec;
  });

/** HF Trainer: checkpoint-N/ (trainer_state agreeing or not, weights whole or not), staging dirs. */
const hf = fc
  .record({ steps: steps(3), damage: fc.array(pick(['none', 'state', 'shard', 'nostate']), { minLength: 3, maxLength: 3 }), tmp: fc.option(stepText, { nil: undefined }) })
  .map(({ steps: ss, damage, tmp }) => {
    const spec: TreeSpec = {};
    ss.forEach((s, i) => {
      const d = damage[i];
      const files: TreeSpec = { 'config.json': json({}), 'trainer_state.json': json({ global_step: d === 'state' ? 1 : Number(s) }) };
      if (d === 'nostate') delete files['trainer_state.json'];
      if (d === 'shard') {
        files['model.safetensors.index.json'] = json({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } });
        files['model-00001-of-00002.safetensors'] = 50;
      } else files['model.safetensors'] = 60;
      Object.assign(spec, under(`checkpoint-${s}`, files));
    });
    if (tmp !== undefined) spec[`tmp-checkpoint-${tmp}/model.safetensors`] = 60;
    return spec;
  });

/** Orbax: `N/` or `step_N/` step directories, commit files on some, a tmp directory. */
const orbax = fc
  .record({ steps: steps(4), prefix: pick(['', 'step_', 'checkpoint_']), commit: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), tmp: fc.boolean() })
  .map(({ steps: ss, prefix, commit, tmp }) => {
    const spec: TreeSpec = {};
    ss.forEach((s, i) => {
      Object.assign(spec, under(`${prefix}${s}`, { _CHECKPOINT_METADATA: json({}), 'default/_METADATA': json({}), ...(commit[i] ? { 'commit_success.txt': 'ok' } : {}) }));
    });
    if (tmp) spec[`${prefix}${ss[0]}5.orbax-checkpoint-tmp-1712345678123456/_CHECKPOINT_METADATA`] = json({});
    return spec;
  });

/** Legacy Flax: checkpoint_N files with checkpoint_N_gda/ arrays and their commit marker. */
const flax = fc
  .record({ steps: steps(3), gda: fc.array(pick(['none', 'committed', 'uncommitted']), { minLength: 3, maxLength: 3 }), tmp: fc.boolean() })
  .map(({ steps: ss, gda, tmp }) => {
    const spec: TreeSpec = {};
    ss.forEach((s, i) => {
      spec[`checkpoint_${s}`] = 50;
      if (gda[i] !== 'none') Object.assign(spec, under(`checkpoint_${s}_gda`, { 'a/0': 10, ...(gda[i] === 'committed' ? { 'commit_success.txt': 'ok' } : {}) }));
    });
    if (tmp) spec.checkpoint_tmp = 50;
    return spec;
  });

/** T5X: checkpoint_N/ with or without its msgpack `checkpoint`, tmp directories. */
const t5x = fc.record({ steps: steps(3), written: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), tmp: fc.boolean() }).map(({ steps: ss, written, tmp }) => {
  const spec: TreeSpec = {};
  ss.forEach((s, i) => Object.assign(spec, under(`checkpoint_${s}`, { 'target.w/.zarray': json({}), 'target.w/0.0': 40, ...(written[i] ? { checkpoint: 60 } : {}) })));
  if (tmp) spec[`checkpoint_${ss[0]}7.tmp-1712345678/target.w/0.0`] = 40;
  return spec;
});

/** DeepSpeed: global_stepN/ with ranks, `latest`, universal conversions and `latest_universal`. */
const deepspeed = fc
  .record({ steps: steps(3), latest: fc.option(fc.nat(3), { nil: undefined }), missingRank: fc.option(fc.nat(2), { nil: undefined }), universal: fc.option(fc.nat(2), { nil: undefined }), latestUniversal: fc.boolean() })
  .map(({ steps: ss, latest, missingRank, universal, latestUniversal }) => {
    const spec: TreeSpec = {};
    ss.forEach((s, i) => {
      Object.assign(spec, under(`global_step${s}`, {
        'mp_rank_00_model_states.pt': 60,
        'zero_pp_rank_0_mp_rank_00_optim_states.pt': 60,
        ...(missingRank === i ? {} : { 'zero_pp_rank_1_mp_rank_00_optim_states.pt': 60 }),
        'zero_pp_rank_2_mp_rank_00_optim_states.pt': 60,
      }));
    });
    if (latest !== undefined) spec.latest = latest < ss.length ? `global_step${ss[latest]}` : 'global_step424242';
    if (universal !== undefined && universal < ss.length) {
      const u = `global_step${ss[universal]}_universal`;
      spec[`${u}/zero/w/fp32.pt`] = 60;
      if (latestUniversal) spec.latest_universal = u;
    }
    return spec;
  });

/** Megatron-LM: iter_%07d/ dist-ckpt or legacy mp_rank_*, the tracker naming one (or release). */
const megatron = fc
  .record({ steps: steps(3), legacy: fc.boolean(), tracker: fc.option(fc.nat(3), { nil: undefined }), unfinished: fc.option(fc.nat(2), { nil: undefined }) })
  .map(({ steps: ss, legacy, tracker, unfinished }) => {
    const spec: TreeSpec = {};
    ss.forEach((s, i) => {
      const files: TreeSpec = legacy
        ? { 'mp_rank_00/model_optim_rng.pt': 60, ...(unfinished === i ? { 'mp_rank_01/distrib_optim.pt': 60 } : { 'mp_rank_01/model_optim_rng.pt': 60 }) }
        : { '.metadata': 30, '__0_0.distcp': 40, ...(unfinished === i ? {} : { 'metadata.json': json({}) }) };
      Object.assign(spec, under(`iter_${pad7(s)}`, files));
    });
    if (tracker !== undefined) spec['latest_checkpointed_iteration.txt'] = tracker < ss.length ? ss[tracker]! : 'release';
    if (tracker === 3) spec['release/mp_rank_00/model_optim_rng.pt'] = 60;
    return spec;
  });

/** verl: global_step_N/actor (and critic) FSDP shards, data.pt, the tracker committing a save. */
const verl = fc
  .record({ steps: steps(3), tracker: fc.option(fc.nat(2), { nil: undefined }), critic: fc.boolean(), missingRank: fc.option(fc.nat(2), { nil: undefined }) })
  .map(({ steps: ss, tracker, critic, missingRank }) => {
    const spec: TreeSpec = {};
    const role = (missing: boolean): TreeSpec => ({
      'model_world_size_2_rank_0.pt': 60,
      ...(missing ? {} : { 'model_world_size_2_rank_1.pt': 60 }),
      'optim_world_size_2_rank_0.pt': 60,
      'extra_state_world_size_2_rank_0.pt': 10,
    });
    ss.forEach((s, i) => {
      Object.assign(spec, under(`global_step_${s}`, { 'data.pt': 10, ...under('actor', role(missingRank === i)), ...(critic ? under('critic', role(false)) : {}) }));
    });
    if (tracker !== undefined && tracker < ss.length) spec['latest_checkpointed_iteration.txt'] = ss[tracker]!;
    return spec;
  });

/** PyTorch DCP / torchtitan: step-N/ with .metadata (or only .metadata.tmp). */
const torchtitan = fc.record({ steps: steps(3), unfinished: fc.option(fc.nat(2), { nil: undefined }) }).map(({ steps: ss, unfinished }) =>
  merge(...ss.map((s, i) => under(`step-${s}`, { '__0_0.distcp': 40, '__1_0.distcp': 40, ...(unfinished === i ? { '.metadata.tmp': 30 } : { '.metadata': 30 }) }))),
);

/** TF Serving base path: integer version directories (zero-padded too), a temp export. */
const serving = fc.record({ steps: steps(3), padded: fc.boolean(), missing: fc.option(fc.nat(2), { nil: undefined }), temp: fc.boolean() }).map(({ steps: ss, padded, missing, temp }) => {
  const spec: TreeSpec = {};
  ss.forEach((s, i) => {
    const name = padded ? s.padStart(8, '0') : s;
    Object.assign(spec, under(name, { 'saved_model.pb': 80, ...under('variables', bundle('variables', { shards: 2, missing: missing === i ? [1] : [] })) }));
  });
  if (temp) spec['temp-1700000000/saved_model.pb'] = 80;
  return spec;
});

/** Keras BackupAndRestore and sharded weights (`.weights.json` naming its shards). */
const kerasMore = fc.record({ backup: fc.option(fc.nat(40), { nil: undefined }), sharded: fc.option(fc.boolean(), { nil: undefined }) }).map(({ backup, sharded }) => {
  const spec: TreeSpec = {};
  if (backup !== undefined) Object.assign(spec, { 'latest.weights.h5': hdf5(128), 'latest.weights.h5.bkp': hdf5(128), 'training_metadata.json': json({ epoch: backup, batch: 0 }) });
  if (sharded !== undefined) {
    Object.assign(spec, { 'big_epoch_3.weights.json': json({ weight_map: { a: 'big_epoch_3_00000.weights.h5', b: 'big_epoch_3_00001.weights.h5' } }), 'big_epoch_3_00000.weights.h5': hdf5(96) });
    if (sharded) spec['big_epoch_3_00001.weights.h5'] = hdf5(96);
  }
  return spec;
});

/** TF-Slim pretrained files (no step) beside nothing else. */
const slim = fc.boolean().map((whole) => ({
  'inception_v3.ckpt': whole ? table(120) : table(120).subarray(0, 60),
  ...bundle('mobilenet_v1_1.0_224.ckpt', { meta: true }),
  'mobilenet_v1_1.0_224_frozen.pb': 50,
  'mobilenet_v1_1.0_224.tflite': 50,
}));

/** Lightning sharded checkpoints: `<name>.ckpt/` directories (DeepSpeed or FSDP), and a plain DCP directory. */
const shardedDirs = fc.record({ steps: steps(3), kind: pick(['deepspeed', 'fsdp']), broken: fc.option(fc.nat(2), { nil: undefined }), dcp: fc.boolean() }).map(({ steps: ss, kind, broken, dcp }) => {
  const spec: TreeSpec = {};
  ss.forEach((s, i) => {
    const name = `epoch=${i}-step=${s}.ckpt`;
    if (kind === 'deepspeed') Object.assign(spec, under(name, { latest: 'checkpoint', ...(broken === i ? { 'checkpoint/zero_pp_rank_0_mp_rank_00_optim_states.pt': 60 } : { 'checkpoint/mp_rank_00_model_states.pt': 60 }) }));
    else Object.assign(spec, under(name, { 'meta.pt': 10, '__0_0.distcp': 40, ...(broken === i ? {} : { '.metadata': 30 }) }));
  });
  if (dcp) Object.assign(spec, under('exported', { '.metadata': 30, '__0_0.distcp': 40 }));
  return spec;
});

/** The directory is itself one checkpoint (an HF checkpoint-N, a SavedModel, a zoo tarball): it is the only one. */
const selfCheckpoint = pick([
  under('efficientdet_d0_coco17_tpu-32', {
    'pipeline.config': 40,
    'checkpoint/checkpoint': stateFile('ckpt-0'),
    ...under('checkpoint', bundle('ckpt-0')),
    'saved_model/saved_model.pb': 80,
    ...under('saved_model/variables', bundle('variables')),
  }),
  under('ssd_mobilenet_v2_coco_2018_03_29', { ...bundle('model.ckpt', { meta: true }), 'pipeline.config': 40, 'frozen_inference_graph.pb': 70 }),
  under('ssd_mobilenet_v1_coco_2018_01_28', { checkpoint: stateFile('model.ckpt'), ...bundle('model.ckpt', { meta: true }), 'frozen_inference_graph.pb': 70 }),
  under('global_step30', { 'mp_rank_00_model_states.pt': 60 }),
  under('iter_0000100', { '.metadata': 30, '__0_0.distcp': 40, 'metadata.json': json({}) }),
  { 'checkpoint-7/model.safetensors': 60, 'checkpoint-7/trainer_state.json': json({ global_step: 7 }) },
  { 'checkpoint-7/model.safetensors': 60 },
  { '00000123/saved_model.pb': 80, ...under('00000123/variables', bundle('variables')) },
]);

/** A NeMo Automodel checkpoint directory's files. */
const automodelFiles = (loss: number): TreeSpec => ({
  'model/consolidated/model.safetensors': 96,
  'optim/.metadata': 30,
  'optim/__0_0.distcp': 40,
  'config.yaml': 'step_scheduler: {}',
  'losses.json': json({ train_loss: loss }),
});

/**
 * NeMo Automodel (docs/layouts.md): epoch_E_step_S/ (some still marked `.incomplete`), a
 * `.reserving-<hex>` staging directory, and LATEST as a text file, a plain file, or a directory
 * copied from the link (an object-store copy of the symlink).
 */
const automodel = fc
  .record({ steps: steps(3), marked: fc.option(fc.nat(2), { nil: undefined }), staging: fc.boolean(), latest: fc.option(fc.nat(3), { nil: undefined }), how: pick(['txt', 'plain', 'copy']) })
  .map(({ steps: ss, marked, staging, latest, how }) => {
    const spec: TreeSpec = {};
    const name = (s: string, i: number) => `epoch_${i}_step_${s}`;
    ss.forEach((s, i) => Object.assign(spec, under(name(s, i), { ...automodelFiles(i), ...(marked === i ? { '.incomplete': '' } : {}) })));
    if (staging) Object.assign(spec, under(`epoch_9_step_${ss[0]}1.reserving-0a1b2c`, { '.incomplete': '', 'config.yaml': 'x' }));
    if (latest !== undefined && latest < ss.length) {
      const target = name(ss[latest]!, latest);
      if (how === 'txt') spec['LATEST.txt'] = `./${target}/`;
      else if (how === 'plain') spec.LATEST = target;
      else Object.assign(spec, under('LATEST', { ...automodelFiles(latest), ...(marked === latest ? { '.incomplete': '' } : {}) }));
    }
    return spec;
  });

/**
 * A Hugging Face hub cache repo as a copy holds it (docs/layouts.md): snapshots/<sha>/ with the
 * files themselves, refs naming some, `*.incomplete` blobs of a download.
 */
const hubRepo = fc
  .record({
    shas: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 3 }),
    main: fc.option(fc.nat(3), { nil: undefined }),
    pr: fc.option(fc.nat(3), { nil: undefined }),
    downloading: fc.boolean(),
  })
  .map(({ shas, main, pr, downloading }) => {
    const sha = (c: string) => c.repeat(40);
    const spec: TreeSpec = { [`blobs/${'f'.repeat(40)}`]: 20 };
    for (const c of shas) Object.assign(spec, under(`snapshots/${sha(c)}`, { 'config.json': json({ model_type: 'bert' }), 'model.safetensors': 96 }));
    if (main !== undefined && main < shas.length) spec['refs/main'] = sha(shas[main]!);
    if (pr !== undefined && pr < shas.length) spec['refs/refs/pr/1'] = sha(shas[pr]!);
    if (downloading) spec[`blobs/${'9'.repeat(64)}.incomplete`] = 50;
    return spec;
  });

/** Every layout, by name. */
export const LAYOUTS = { tf2, tf1, keras, kerasMore, slim, lightning, shardedDirs, nemo, automodel, hf, orbax, flax, t5x, deepspeed, megatron, verl, torchtitan, serving } as const;

/**
 * A tree every store can hold: two layouts side by side may want one name as a file (Flax
 * `checkpoint_0`) and as a directory (T5X `checkpoint_0/`); a disk cannot have both, so the file goes.
 */
function storable(spec: TreeSpec): TreeSpec {
  const dirs = new Set<string>();
  for (const rel of Object.keys(spec)) {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return Object.fromEntries(Object.entries(spec).filter(([rel]) => !dirs.has(rel)));
}

/** One directory's tree: one layout, sometimes two side by side, sometimes unrelated files too. */
export const layoutDirectory: fc.Arbitrary<{ layouts: string[]; spec: TreeSpec; root: string }> = fc
  .record({
    layouts: fc.uniqueArray(pick(Object.keys(LAYOUTS) as Array<keyof typeof LAYOUTS>), { minLength: 1, maxLength: 2 }),
    noise: fc.subarray(['README.md', 'train/events.out.tfevents.1.host', 'eval/metrics.json']),
  })
  .chain(({ layouts, noise }) =>
    fc.tuple(...layouts.map((l) => LAYOUTS[l] as fc.Arbitrary<TreeSpec>)).map((specs) => ({
      layouts,
      // Never empty: a directory with no object in it does not exist on an object store.
      spec: storable(merge({ 'notes.txt': 'x' }, ...specs, Object.fromEntries(noise.map((n) => [n, 'x'])))),
      root: '',
    })),
  );

/** Layouts recognised by where they sit: Accelerate under `checkpoints/`, Estimator exports under `export/<name>/`. */
export const placedDirectory: fc.Arbitrary<{ layouts: string[]; spec: TreeSpec; root: string }> = fc.oneof(
  hubRepo.map((spec) => ({ layouts: ['hf-hub-cache'], root: 'hub/models--acme--gen', spec: under('hub/models--acme--gen', spec) })),
  fc.record({ steps: steps(3), broken: fc.option(fc.nat(2), { nil: undefined }) }).map(({ steps: ss, broken }) => ({
    layouts: ['accelerate'],
    root: 'checkpoints',
    spec: merge(...ss.map((s, i) => under(`checkpoints/checkpoint_${s}`, { 'optimizer.bin': 60, 'random_states_0.pkl': 10, ...(broken === i ? {} : { 'model.safetensors': 60 }) }))),
  })),
  fc.record({ stamps: fc.uniqueArray(fc.integer({ min: 1500000000, max: 1999999999 }), { minLength: 1, maxLength: 3 }), broken: fc.option(fc.nat(2), { nil: undefined }) }).map(({ stamps, broken }) => ({
    layouts: ['estimator-export'],
    root: 'export/best_exporter',
    spec: merge(
      ...stamps.map((t, i) => under(`export/best_exporter/${t}`, { 'saved_model.pb': 80, ...under('variables', bundle('variables', { shards: 2, missing: broken === i ? [0] : [] })) })),
      { 'export/best_exporter/temp-1999999999/saved_model.pb': 80 },
    ),
  })),
);

/** Directories that are themselves one checkpoint: `root` is the checkpoint directory's name. */
export const selfDirectory: fc.Arbitrary<{ layouts: string[]; spec: TreeSpec; root: string }> = selfCheckpoint.map((spec) => {
  const root = Object.keys(spec)[0]!.split('/')[0]!;
  return { layouts: ['self'], spec, root };
});
