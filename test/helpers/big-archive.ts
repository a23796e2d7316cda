/**
 * Large `.tar.gz` model-zoo archives on disk for the memory and pass-count tests of archive views
 * (decision 0016): a real bundle written by the project's own `BundleWriter` straight to files
 * (random tensor bytes, so gzip cannot shrink them), then tar and gzip by node-tar as streams.
 * Nothing holds the archive in memory, so the test process stays small whatever the size.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { create } from 'tar';
import { BundleWriter, dataFilename, formatCheckpointState } from '@ckptkit/core';

/** What {@link writeZooTgz} made. */
export interface ZooTgz {
  file: string;
  /** The checkpoint's member prefix (`m/checkpoint/ckpt-0`). */
  prefix: string;
  /** Member paths in archive order. */
  members: string[];
  /** Bytes of the data shards together. */
  dataBytes: number;
}

const TENSOR = 4 * 2 ** 20;

/**
 * Writes `<dir>/<name>.tar.gz` holding `m/checkpoint/{checkpoint, ckpt-0.data-*, ckpt-0.index}`
 * (that order: the data before its index, unless `indexFirst`; the shards not in name order) and
 * `m/pipeline.config`: `shards` data shards of `shardMiB` MiB each, in tensors of at most 4 MiB.
 * The sources are removed.
 */
export async function writeZooTgz(dir: string, name: string, options: { shards: number; shardMiB: number; indexFirst?: boolean }): Promise<ZooTgz> {
  const src = path.join(dir, `${name}-src`);
  const ckptDir = path.join(src, 'm', 'checkpoint');
  fs.mkdirSync(ckptDir, { recursive: true });
  const writer = new BundleWriter({
    numShards: options.shards,
    openShard: (id, n) => {
      const fd = fs.openSync(path.join(ckptDir, path.basename(dataFilename('ckpt-0', id, n))), 'w');
      return { write: (c) => void fs.writeSync(fd, c), close: () => fs.closeSync(fd) };
    },
  });
  const shardBytes = options.shardMiB * 2 ** 20;
  let t = 0;
  for (let shard = 0; shard < options.shards; shard++) {
    for (let left = shardBytes; left > 0; left -= TENSOR) {
      const data = randomBytes(Math.min(TENSOR, left));
      await writer.add(`model/layer_${t++}/kernel/.ATTRIBUTES/VARIABLE_VALUE`, { dtype: 'DT_FLOAT', shape: [data.length / 4], data }, { shard });
    }
  }
  fs.writeFileSync(path.join(ckptDir, 'ckpt-0.index'), await writer.finish());
  fs.writeFileSync(path.join(ckptDir, 'checkpoint'), formatCheckpointState({ modelCheckpointPath: 'ckpt-0', allModelCheckpointPaths: ['ckpt-0'], allModelCheckpointTimestamps: [1594425600], lastPreservedTimestamp: 1594425599 }));
  fs.writeFileSync(path.join(src, 'm', 'pipeline.config'), 'model { ssd { num_classes: 90 } }\n');
  // GNU tar stores a directory in the order the file system lists it, not sorted: here the last shard first.
  const order = Array.from({ length: options.shards }, (_, i) => options.shards - 1 - i);
  const shards = order.map((i) => `m/checkpoint/${path.basename(dataFilename('ckpt-0', i, options.shards))}`);
  const index = 'm/checkpoint/ckpt-0.index';
  const members = ['m/checkpoint/checkpoint', ...(options.indexFirst ? [index, ...shards] : [...shards, index]), 'm/pipeline.config'];
  const file = path.join(dir, `${name}.tar.gz`);
  await create({ gzip: { level: 1 }, file, cwd: src, portable: true }, members);
  fs.rmSync(src, { recursive: true, force: true });
  return { file, prefix: 'm/checkpoint/ckpt-0', members, dataBytes: shardBytes * options.shards };
}
