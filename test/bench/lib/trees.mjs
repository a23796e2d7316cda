/**
 * The trees the benchmarks run on, as key lists (so every store gets the same objects), and the
 * code that writes them: a directory of N TensorFlow checkpoints (3 objects each, plus the state
 * file), a model-zoo mirror of TF2 detection-zoo folders (8 objects each), and a 1 GiB bundle.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { BundleWriter, dataFilename, indexFilename } from '@ckptkit/core';

const pad = (n, w) => String(n).padStart(w, '0');

/** `ckpt-1` ... `ckpt-N` (TF1 Saver: .index, one data shard, .meta), without the state file. */
export function checkpointDir(dir, n) {
  const keys = [];
  for (let i = 1; i <= n; i++) keys.push(`${dir}/ckpt-${i}.index`, `${dir}/ckpt-${i}.data-00000-of-00001`, `${dir}/ckpt-${i}.meta`);
  return keys;
}

/** The state file naming the newest of {@link checkpointDir}'s checkpoints. */
export function stateFile(n) {
  return `model_checkpoint_path: "ckpt-${n}"\nall_model_checkpoint_paths: "ckpt-${n - 1}"\nall_model_checkpoint_paths: "ckpt-${n}"\n`;
}

/** `models` folders of an extracted TF2 detection-zoo tarball (checkpoint-layouts.md, F09): 8 objects each. */
export function zoo(dir, models) {
  const keys = [];
  for (let i = 0; i < models; i++) {
    const m = `${dir}/efficientdet_d${i % 8}_coco17_tpu-32_${pad(i, 5)}`;
    keys.push(
      `${m}/pipeline.config`,
      `${m}/checkpoint/checkpoint`,
      `${m}/checkpoint/ckpt-0.index`,
      `${m}/checkpoint/ckpt-0.data-00000-of-00001`,
      `${m}/saved_model/saved_model.pb`,
      `${m}/saved_model/variables/variables.index`,
      `${m}/saved_model/variables/variables.data-00000-of-00001`,
      `${m}/saved_model/assets/`,
    );
  }
  return keys;
}

/** Writes `keys` under `root` of a facade (a key ending in `/` is a directory marker), `content(key)` bytes each. */
export async function writeKeys(gfile, root, keys, content = (key) => key) {
  await Promise.all(
    keys.map((key) => {
      const uri = `${root}/${key}`;
      return key.endsWith('/') ? gfile.makeDirs(uri.slice(0, -1)) : gfile.writeText(uri, content(key));
    }),
  );
}

/**
 * A TensorFlow V2 bundle of about `bytes` bytes at the local path `prefix` (2 data shards of 64 MiB
 * tensors and a few small ones), written with ckptkit's own BundleWriter.
 */
export async function writeBigCheckpoint(prefix, bytes) {
  const MiB = 1024 * 1024;
  const tensor = Math.min(64 * MiB, Math.max(MiB, Math.floor(bytes / 16)));
  const pool = Buffer.alloc(tensor + 64);
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE((i * 2654435761) >>> 0, i);
  await fs.mkdir(path.dirname(prefix), { recursive: true });
  const sink = async (file) => {
    const fh = await fs.open(file, 'w');
    return { write: async (chunk) => void (await fh.write(chunk)), close: () => fh.close() };
  };
  const writer = new BundleWriter({ numShards: 2, openShard: (id, n) => sink(dataFilename(prefix, id, n)) });
  let written = 0;
  for (let i = 0; written + tensor <= bytes; i++) {
    await writer.add(`layer_${pad(i, 4)}/kernel`, { dtype: 'DT_FLOAT', shape: [tensor / 4], data: pool.subarray(i % 64, (i % 64) + tensor) }, { shard: i % 2 });
    written += tensor;
  }
  await writer.add('global_step', { dtype: 'DT_INT64', shape: [], data: pool.subarray(0, 8) });
  await fs.writeFile(indexFilename(prefix), await writer.finish());
  return written;
}
