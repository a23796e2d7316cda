#!/usr/bin/env node
// Writes the example trees the README's quick start runs `ckpt latest` and `ckpt find` on, with the
// project's own bundle writer (so every `.index` is a real TensorFlow V2 index). Deterministic: the
// committed files are exactly what this script writes, and test/checkpoints/examples.test.ts checks
// that they still are.
//
//   node examples/generate.mjs [out-dir]      (default: the examples/ folder itself; needs `tsc -b`)
//
// examples/run42 is a TF2 CheckpointManager directory:
//   checkpoint                      state file: ckpt-1000 latest, ckpt-998..1000 kept, with timestamps
//   ckpt-998/999/1000.{index,data}  complete checkpoints (string order puts 999 after 1000)
//   ckpt-500.{index,data}           a hidden one: complete, but not in the state file
//   ckpt-1001_temp/part-00000-of-00001.{index,data}
//                                   an intermediate one: a save that was interrupted before its merge
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The tensors of a small Keras-like model at `step`: a kernel, a bias, a step counter, the object graph. */
function tensors(step) {
  const kernel = new Float32Array(12).map((_, i) => (i + 1) / (step + 1));
  const bias = new Float32Array(3).fill(step / 1000);
  return [
    { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: [`example object graph at step ${step}`] },
    { key: 'model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_FLOAT', shape: [4, 3], data: new Uint8Array(kernel.buffer) },
    { key: 'model/dense/bias/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_FLOAT', shape: [3], data: new Uint8Array(bias.buffer) },
    { key: 'save_counter/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_INT64', shape: [], data: new Uint8Array(new BigInt64Array([BigInt(step)]).buffer) },
  ];
}

/** Writes every example under `outDir`; returns the relative paths written. */
export async function generateExamples(outDir, core) {
  const { buildBundle, dataFilename, formatCheckpointState } = core ?? (await import('../packages/core/dist/index.js'));
  const written = [];
  const put = async (rel, bytes) => {
    const file = path.join(outDir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, bytes);
    written.push(rel);
  };
  const bundle = async (prefix, step) => {
    const built = await buildBundle(tensors(step));
    for (const [i, shard] of built.shards.entries()) await put(dataFilename(prefix, i, built.shards.length), shard);
    await put(`${prefix}.index`, built.index);
  };
  for (const step of [500, 998, 999, 1000]) await bundle(`run42/ckpt-${step}`, step);
  await bundle('run42/ckpt-1001_temp/part-00000-of-00001', 1001);
  await put(
    'run42/checkpoint',
    formatCheckpointState({
      modelCheckpointPath: 'ckpt-1000',
      allModelCheckpointPaths: ['ckpt-998', 'ckpt-999', 'ckpt-1000'],
      allModelCheckpointTimestamps: [1767225600.5, 1767225900.25, 1767226200.125],
      lastPreservedTimestamp: 1767225000,
    }),
  );
  return written.sort();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? here);
  const files = await generateExamples(out);
  process.stdout.write(`wrote ${files.length} files under ${out}\n`);
}
