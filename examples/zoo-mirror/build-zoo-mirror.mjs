#!/usr/bin/env node
// Builds a model-zoo mirror (checkpoint-layouts.md §5, fixture F11) on a local disk, S3 or GCS:
// hundreds of model folders in the layouts of the TF2 and TF1 Object Detection zoos and of the
// TF-Slim MobileNet v1 release. Every checkpoint (`ckpt-0`, `model.ckpt`, `<model>.ckpt`, and the
// SavedModel variables) is a real TensorFlow V2 bundle written with ckptkit's bundle writer, with
// small tensors; the other members (pipeline.config, saved_model.pb, frozen graphs, .tflite) are
// short placeholders with the right names. Then `ckpt find <dest>` lists one line per model.
//
//   node examples/zoo-mirror/build-zoo-mirror.mjs <dest-uri> [--models N] [--concurrency C]
//
//   <dest-uri>      ./zoo, /abs/zoo, s3://bucket/prefix or gs://bucket/prefix
//   --models N      model folders to write (default: the catalog once, 110). Beyond the catalog the
//                   models are repeated under mirror-YYYY-MM/ prefixes, as mirrors keep snapshots.
//   --concurrency C models written at once (default 16)
//   --archives N    also N TF2 models as the zoo ships them: one `<name>.tar.gz` each under
//                   archives/tf2/<date>/ (default 0). `ckpt find` lists the checkpoint inside each.
//
// S3 and GCS are configured as `ckpt` is: AWS_* variables (AWS_ENDPOINT_URL_S3 for an
// S3-compatible server such as Ceph RGW or MinIO), STORAGE_EMULATOR_HOST for a GCS emulator, or
// --s3-endpoint / --gcs-endpoint. Needs `tsc -b` (imports the packages' dist/).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SLIM_MOBILENET_V1, TF1_DETECTION, TF2_DETECTION } from './catalog.mjs';

/** Model folders in the catalog: one mirror snapshot. */
export const CATALOG_SIZE = TF2_DETECTION.length + TF1_DETECTION.length + SLIM_MOBILENET_V1.length;

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => path.join(repo, p, 'dist', 'index.js');

/** A facade over local disks, S3 and GCS; the cloud SDKs load only when a URI needs them. */
export async function createMirrorGFile({ s3Endpoint, gcsEndpoint, concurrency = 64 } = {}) {
  const { createGFile, createRegistry } = await import(dist('packages/gfile'));
  const registry = createRegistry()
    .register('file', async () => (await import(dist('adapters/local'))).localFactory())
    .register('s3', async () => {
      const endpoint = s3Endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
      return (await import(dist('adapters/s3'))).s3Factory(endpoint ? { endpoint, forcePathStyle: true } : {});
    })
    .register('gs', async () => {
      const endpoint = gcsEndpoint ?? process.env.STORAGE_EMULATOR_HOST;
      return (await import(dist('adapters/gcs'))).gcsFactory(endpoint ? { apiEndpoint: endpoint } : {});
    });
  return createGFile({ registry, concurrency });
}

/** A small deterministic pseudo-random generator, so that a mirror is the same every time. */
function bytesFor(seedText, n) {
  let x = 2166136261;
  for (const c of seedText) x = Math.imul(x ^ c.charCodeAt(0), 16777619) >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const float = (seed, shape) => ({ dtype: 'DT_FLOAT', shape, data: bytesFor(seed, shape.reduce((a, b) => a * b, 1) * 4) });
const text = (s) => new TextEncoder().encode(s);

/** TF2 object-based checkpoint tensors of a detection model (`tf.train.Checkpoint` naming). */
function tf2Tensors(name) {
  return [
    { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: [`object graph of ${name}`] },
    { key: 'model/_feature_extractor/conv1/kernel/.ATTRIBUTES/VARIABLE_VALUE', ...float(`${name}/conv1`, [3, 3, 3, 16]) },
    { key: 'model/_box_predictor/_prediction_heads/box_encodings/kernel/.ATTRIBUTES/VARIABLE_VALUE', ...float(`${name}/box`, [16, 4]) },
    { key: 'save_counter/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_INT64', shape: [], data: new Uint8Array(8) },
  ];
}

/** TF1 name-based checkpoint tensors (`tf.compat.v1.train.Saver` naming). */
function tf1Tensors(name, scope) {
  return [
    { key: `${scope}/Conv/weights`, ...float(`${name}/conv`, [3, 3, 3, 16]) },
    { key: `${scope}/Conv/BatchNorm/gamma`, ...float(`${name}/gamma`, [16]) },
    { key: 'global_step', dtype: 'DT_INT64', shape: [], data: new Uint8Array(new BigInt64Array([200000n]).buffer) },
  ];
}

const pipelineConfig = (name, ckpt) => `# ${name}\nmodel {\n  ssd {\n    num_classes: 90\n  }\n}\ntrain_config {\n  fine_tune_checkpoint: "${ckpt}"\n  fine_tune_checkpoint_type: "detection"\n}\n`;

/** Writes one bundle: data shards first, then the index (as TensorFlow orders it). */
async function writeBundleFiles(gfile, core, prefix, tensors) {
  const built = await core.buildBundle(tensors);
  await Promise.all(built.shards.map((data, i) => gfile.writeFile(core.dataFilename(prefix, i, built.shards.length), data)));
  await gfile.writeFile(`${prefix}.index`, built.index);
  return built.shards.reduce((n, s) => n + s.length, built.index.length);
}

/** One model folder of the TF2 zoo (F09): checkpoint/ckpt-0, saved_model/, pipeline.config. */
async function tf2Model(gfile, core, dir, name) {
  let bytes = await writeBundleFiles(gfile, core, `${dir}/checkpoint/ckpt-0`, tf2Tensors(name));
  bytes += await writeBundleFiles(gfile, core, `${dir}/saved_model/variables/variables`, tf2Tensors(`${name}/saved`));
  const state = core.formatCheckpointState({ modelCheckpointPath: 'ckpt-0', allModelCheckpointPaths: ['ckpt-0'], allModelCheckpointTimestamps: [1594425600], lastPreservedTimestamp: 1594425599 });
  const small = [
    [`${dir}/saved_model/saved_model.pb`, text(`placeholder SavedModel graph of ${name}`)],
    [`${dir}/pipeline.config`, text(pipelineConfig(name, 'PATH_TO_BE_CONFIGURED/checkpoint/ckpt-0'))],
    [`${dir}/checkpoint/checkpoint`, text(state)],
  ];
  for (const [uri, data] of small) await gfile.writeFile(uri, data);
  return { files: 9, bytes: bytes + small.reduce((n, [, d]) => n + d.length, 0) };
}

/** One model folder of the TF1 zoo (F10): model.ckpt.{index,data,meta}, frozen graph, saved_model/. */
async function tf1Model(gfile, core, dir, name) {
  const scope = name.includes('mobilenet') ? 'FeatureExtractor/MobilenetV2' : 'FirstStageFeatureExtractor/resnet_v1_101';
  let bytes = await writeBundleFiles(gfile, core, `${dir}/model.ckpt`, tf1Tensors(name, scope));
  const small = [
    [`${dir}/model.ckpt.meta`, text(`placeholder MetaGraphDef of ${name}`)],
    [`${dir}/frozen_inference_graph.pb`, text(`placeholder frozen graph of ${name}`)],
    [`${dir}/saved_model/saved_model.pb`, text(`placeholder SavedModel graph of ${name}`)],
    [`${dir}/pipeline.config`, text(pipelineConfig(name, 'PATH_TO_BE_CONFIGURED/model.ckpt'))],
    [`${dir}/checkpoint`, text('model_checkpoint_path: "model.ckpt"\nall_model_checkpoint_paths: "model.ckpt"\n')],
  ];
  for (const [uri, data] of small) await gfile.writeFile(uri, data);
  bytes += small.reduce((n, [, d]) => n + d.length, 0);
  return { files: 7, bytes };
}

/** One TF-Slim MobileNet folder (F12): <model>.ckpt.{index,data,meta}, _frozen.pb, _info.txt, .tflite. */
async function slimModel(gfile, core, dir, name) {
  const scope = 'MobilenetV1';
  let bytes = await writeBundleFiles(gfile, core, `${dir}/${name}.ckpt`, tf1Tensors(name, scope));
  const small = [
    [`${dir}/${name}.ckpt.meta`, text(`placeholder MetaGraphDef of ${name}`)],
    [`${dir}/${name}_frozen.pb`, text(`placeholder frozen graph of ${name}`)],
    [`${dir}/${name}_info.txt`, text(`Model: ${name}\nInput: ${name.split('_')[3]}\n`)],
    [`${dir}/${name}.tflite`, text(`placeholder TFLite flatbuffer of ${name}`)],
  ];
  for (const [uri, data] of small) await gfile.writeFile(uri, data);
  bytes += small.reduce((n, [, d]) => n + d.length, 0);
  return { files: 6, bytes };
}

/** A tar.gz of the files of a memory:// folder (node-tar's header codec, zlib's gzip), names relative to `base`. */
async function tarGzOf(gfile, base) {
  const { createRequire } = await import('node:module');
  const { gzipSync } = await import('node:zlib');
  // node-tar is a dependency of @ckptkit/gfile (its archive views read what this writes).
  const { Header } = createRequire(path.join(repo, 'packages', 'gfile', 'package.json'))('tar');
  const parts = [];
  const block = (h) => {
    const b = Buffer.alloc(512);
    new Header(h).encode(b, 0);
    return b;
  };
  const mtime = new Date('2020-07-11T00:00:00Z');
  const files = [];
  for await (const f of gfile.list(base, { recursive: true })) if (f.kind === 'file') files.push(f.uri);
  const dirs = new Set();
  for (const uri of files.sort()) {
    const rel = uri.slice(base.length + 1);
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) {
      const d = rel.slice(0, i + 1);
      if (!dirs.has(d)) {
        dirs.add(d);
        parts.push(block({ path: d, type: 'Directory', mode: 0o755, size: 0, mtime }));
      }
    }
    const data = Buffer.from(await gfile.readFile(uri));
    parts.push(block({ path: rel, type: 'File', mode: 0o644, size: data.length, mtime }), data);
    if (data.length % 512) parts.push(Buffer.alloc(512 - (data.length % 512)));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

/**
 * Writes `count` TF2 Detection Zoo models as the zoo publishes them, one `<name>.tar.gz` each
 * (`<name>/checkpoint/{checkpoint,ckpt-0.index,ckpt-0.data-00000-of-00001}`, `<name>/saved_model/…`,
 * `<name>/pipeline.config`) under `<dest>/archives/tf2/<date>/`. Returns the archive URIs.
 */
export async function buildZooArchives(gfile, dest, { count, onArchive } = {}) {
  const core = await import(dist('packages/core'));
  const { createGFile } = await import(dist('packages/gfile'));
  const scratch = createGFile();
  const root = dest.replace(/\/+$/, '');
  const out = [];
  for (let i = 0; i < count; i++) {
    const [date, name] = TF2_DETECTION[i % TF2_DETECTION.length];
    const snapshot = i < TF2_DETECTION.length ? '' : `mirror-${2022 + Math.floor(i / TF2_DETECTION.length) - 1}/`;
    const base = `memory://zoo-archive-${process.pid}/${i}`;
    await tf2Model(scratch, core, `${base}/${name}`, name);
    const uri = `${root}/archives/${snapshot}tf2/${date}/${name}.tar.gz`;
    await gfile.writeFile(uri, await tarGzOf(scratch, base));
    await scratch.removeTree(`${base}/`);
    out.push(uri);
    onArchive?.(uri);
  }
  return out;
}

/**
 * The model folders of a mirror of `count` models: the catalog's three kinds interleaved (so a
 * small mirror holds all three layouts), repeated under `mirror-YYYY-MM/` beyond the catalog.
 * Each entry: the folder's path below the destination, its kind and its model name.
 */
export function mirrorPlan(count) {
  const kinds = [
    TF2_DETECTION.map(([date, name]) => ({ kind: 'tf2', name, rel: `object_detection/tf2/${date}/${name}` })),
    TF1_DETECTION.map((name) => ({ kind: 'tf1', name, rel: `object_detection/${name}` })),
    SLIM_MOBILENET_V1.map((name) => ({ kind: 'slim', name, rel: `slim/mobilenet_v1_2018_02_22/${name}` })),
  ];
  const catalog = [];
  for (let i = 0; catalog.length < kinds.reduce((n, k) => n + k.length, 0); i++) for (const k of kinds) if (i < k.length) catalog.push(k[i]);
  const out = [];
  for (let copy = 0; out.length < count; copy++) {
    const snapshot = copy === 0 ? '' : `mirror-${2022 + Math.floor((copy - 1) / 12)}-${String(((copy - 1) % 12) + 1).padStart(2, '0')}/`;
    for (const m of catalog) {
      if (out.length >= count) break;
      out.push({ ...m, rel: `${snapshot}${m.rel}` });
    }
  }
  return out;
}

/** Writes a mirror of `models` model folders under `dest`; returns what was written. */
export async function buildZooMirror(gfile, dest, { models = CATALOG_SIZE, concurrency = 16, onModel } = {}) {
  const core = await import(dist('packages/core'));
  const plan = mirrorPlan(models);
  const writers = { tf2: tf2Model, tf1: tf1Model, slim: slimModel };
  const root = dest.replace(/\/+$/, '');
  let next = 0;
  let files = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < plan.length) {
      const m = plan[next++];
      const r = await writers[m.kind](gfile, core, `${root}/${m.rel}`, m.name);
      files += r.files;
      bytes += r.bytes;
      onModel?.(m);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, plan.length)) }, worker));
  return { models: plan, files, bytes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { models: { type: 'string' }, concurrency: { type: 'string' }, archives: { type: 'string' }, 's3-endpoint': { type: 'string' }, 'gcs-endpoint': { type: 'string' } },
  });
  if (positionals.length !== 1) {
    process.stderr.write('usage: build-zoo-mirror.mjs <dest-uri> [--models N] [--concurrency C] [--archives N] [--s3-endpoint URL] [--gcs-endpoint URL]\n');
    process.exit(2);
  }
  const models = values.models === undefined ? CATALOG_SIZE : Number(values.models);
  const concurrency = values.concurrency === undefined ? 16 : Number(values.concurrency);
  const archives = values.archives === undefined ? 0 : Number(values.archives);
  if (!Number.isInteger(models) || models < 1 || !Number.isInteger(concurrency) || concurrency < 1 || !Number.isInteger(archives) || archives < 0) {
    process.stderr.write('--models and --concurrency take positive integers, --archives a non-negative one\n');
    process.exit(2);
  }
  if (!process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const gfile = await createMirrorGFile({ s3Endpoint: values['s3-endpoint'], gcsEndpoint: values['gcs-endpoint'] });
  const t0 = Date.now();
  try {
    const r = await buildZooMirror(gfile, positionals[0], { models, concurrency });
    const kinds = r.models.reduce((m, x) => ({ ...m, [x.kind]: (m[x.kind] ?? 0) + 1 }), {});
    process.stdout.write(`wrote ${r.models.length} model folders (${kinds.tf2 ?? 0} TF2 detection, ${kinds.tf1 ?? 0} TF1 detection, ${kinds.slim ?? 0} TF-Slim), ${r.files} files, ${r.bytes} bytes under ${positionals[0]} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    if (archives > 0) {
      const written = await buildZooArchives(gfile, positionals[0], { count: archives });
      process.stdout.write(`wrote ${written.length} .tar.gz archives of TF2 detection models under ${positionals[0].replace(/\/+$/, '')}/archives\n`);
    }
  } catch (error) {
    process.stderr.write(`build-zoo-mirror: ${error?.message ?? error}\n`);
    process.exitCode = error?.code === 'INVALID_PATH' || error?.code === 'INVALID_CONFIG' ? 2 : 4;
  } finally {
    await gfile.close();
  }
}
