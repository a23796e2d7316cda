import { afterEach, describe, expect, it } from 'vitest';
import { clearMemoryStore, createGFile, createMemoryAdapter, createRegistry, isCkptError, isRangedBody, type GFile, type StorageAdapter } from '@ckptkit/gfile';
import { writeBundle } from '../bundle/storage.js';
import { verifyBundle } from '../bundle/storage.js';
import { readStateFile } from '../state/state-file.js';
import { copyCheckpoint } from './copy.js';

const SRC = 'copy-test-src';
const DST = 'copy-test-dst';
afterEach(() => {
  clearMemoryStore(SRC);
  clearMemoryStore(DST);
});

interface Write {
  key: string;
  start: number;
  end: number;
  op?: 'write' | 'delete';
}

/** The memory store, with every write's start and end recorded (to check the order of files). */
function recordingGFile(): { gfile: GFile; writes: Write[] } {
  const writes: Write[] = [];
  let tick = 0;
  const wrap = (inner: StorageAdapter): StorageAdapter => ({
    ...inner,
    async write(key, body, o) {
      const w = { key, start: tick++, end: -1 };
      writes.push(w);
      // Let other writes start meanwhile, so an ordering bug would show.
      await new Promise((r) => setTimeout(r, 2));
      const out = await inner.write(key, body, o);
      w.end = tick++;
      return out;
    },
    async delete(key, o) {
      writes.push({ key, start: tick++, end: tick++, op: 'delete' });
      return inner.delete(key, o);
    },
  });
  const registry = createRegistry().register('memory', () => (store: string) => wrap(createMemoryAdapter(store)));
  return { gfile: createGFile({ registry }), writes };
}

function tensors(step: number, shards: number) {
  return Array.from({ length: 6 }, (_, i) => ({
    key: `layer_${i}/kernel`,
    dtype: 'DT_FLOAT',
    shape: [64, 16],
    data: new Uint8Array(64 * 16 * 4).map((_, j) => (j * (i + 1) + step) & 0xff),
    shard: i % shards,
  }));
}

async function sourceBundle(g: GFile, prefix: string, step: number, shards = 3): Promise<void> {
  await writeBundle(g, prefix, tensors(step, shards), { numShards: shards });
  await g.writeText(`${prefix}.meta`, 'graph');
}

/**
 * Memory stores where DST writes ranged bodies the way a local disk does: the ranges side by side
 * (each recorded with the most open at once), assembled at their offsets.
 */
function rangedDestination(): { gfile: GFile; ranged: { key: string; ranges: [number, number][]; mostOpen: number }[] } {
  const ranged: { key: string; ranges: [number, number][]; mostOpen: number }[] = [];
  const wrap = (inner: StorageAdapter): StorageAdapter => ({
    ...inner,
    capabilities: { ...inner.capabilities, rangedWrites: true },
    async write(key, body, o) {
      if (!isRangedBody(body)) return inner.write(key, body, o);
      const record = { key, ranges: body.ranges.map((r): [number, number] => [r.offset, r.length]), mostOpen: 0 };
      ranged.push(record);
      const out = new Uint8Array(body.size);
      let open = 0;
      await Promise.all(
        body.ranges.map(async (r) => {
          open++;
          record.mostOpen = Math.max(record.mostOpen, open);
          let at = r.offset;
          for await (const chunk of r.open(undefined)) {
            out.set(chunk, at);
            at += chunk.byteLength;
          }
          open--;
        }),
      );
      return inner.write(key, out, o);
    },
  });
  const registry = createRegistry().register('memory', () => (store: string) => (store === DST ? wrap(createMemoryAdapter(store)) : createMemoryAdapter(store)));
  return { gfile: createGFile({ registry }), ranged };
}

describe('copyCheckpoint into a store that writes ranges side by side', () => {
  it('fetches each large file as rangeStreams ranged reads, side by side, and the copy is byte-identical', async () => {
    const { gfile, ranged } = rangedDestination();
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-7`, 7);
    const shard = Math.min(...(await gfile.glob(`memory://${SRC}/run/ckpt-7.data-*`)).map((f) => f.size));
    gfile.metrics.reset();
    const progress: number[] = [];
    const r = await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/mirror`, {
      gfile,
      rangeStreams: 4,
      rangeMinBytes: Math.floor(shard / 4),
      onProgress: (p) => progress.push(p.bytesDone),
    });
    // The three shards went in 4 ranges each; the index and the graph (smaller) as one stream.
    expect(ranged.map((w) => w.key).sort()).toEqual(['mirror/ckpt-7.data-00000-of-00003', 'mirror/ckpt-7.data-00001-of-00003', 'mirror/ckpt-7.data-00002-of-00003']);
    for (const w of ranged) {
      expect(w.ranges).toHaveLength(4);
      expect(w.mostOpen).toBe(4);
    }
    expect(gfile.metrics.snapshot().requests.get).toBe(3 * 4 + 2);
    expect(progress.at(-1)).toBe(r.bytesCopied);
    for (const f of r.files) expect(Buffer.from(await gfile.readFile(f.dst)).equals(Buffer.from(await gfile.readFile(f.src)))).toBe(true);
    expect((await verifyBundle(gfile, r.prefix, { deep: true })).ok).toBe(true);
  });

  it('rangeStreams 1, or files under twice rangeMinBytes: one stream per file', async () => {
    const { gfile, ranged } = rangedDestination();
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-7`, 7);
    await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/a`, { gfile, rangeStreams: 1, rangeMinBytes: 16 });
    await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/b`, { gfile });
    expect(ranged).toEqual([]);
  });
});

describe('copyCheckpoint (memory stores)', () => {
  it('copies every file of a prefix, data before the index, and the copy verifies', async () => {
    const { gfile, writes } = recordingGFile();
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-7`, 7);
    writes.length = 0;
    const r = await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/mirror`, { gfile, concurrency: 8 });
    expect(r.prefix).toBe(`memory://${DST}/mirror/ckpt-7`);
    expect(r.source).toMatchObject({ format: 'tf1-saver', step: 7, complete: true });
    expect(r.files.map((f) => f.rel).sort()).toEqual(['ckpt-7.data-00000-of-00003', 'ckpt-7.data-00001-of-00003', 'ckpt-7.data-00002-of-00003', 'ckpt-7.index', 'ckpt-7.meta']);
    expect(r.filesCopied).toBe(5);
    expect(r.filesSkipped).toBe(0);
    // Two memory stores are two stores: streamed. Within one store: server-side copies.
    expect(r.files.every((f) => f.how === 'streamed')).toBe(true);
    const inStore = await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${SRC}/other`, { gfile });
    expect(inStore.files.every((f) => f.how === 'server-side')).toBe(true);
    const index = writes.find((w) => w.key.endsWith('.index'))!;
    for (const w of writes.filter((x) => !x.key.endsWith('.index'))) expect(w.end).toBeLessThan(index.start);
    expect((await verifyBundle(gfile, r.prefix, { deep: true })).ok).toBe(true);
    for (const f of r.files) expect(Buffer.from(await gfile.readFile(f.dst)).equals(Buffer.from(await gfile.readFile(f.src)))).toBe(true);
  });

  it('a checkpoint saved again under the same name: the old index goes before any new data lands, and comes back last', async () => {
    const { gfile, writes } = recordingGFile();
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-7`, 7);
    await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/mirror`, { gfile });
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-7`, 8);
    writes.length = 0;
    const r = await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/mirror`, { gfile, concurrency: 8 });
    const dst = writes.filter((w) => w.key.startsWith('mirror/'));
    const removed = dst.find((w) => w.op === 'delete' && w.key.endsWith('.index'))!;
    const rewritten = dst.find((w) => w.op !== 'delete' && w.key.endsWith('.index'))!;
    for (const w of dst.filter((x) => x.op !== 'delete' && x.key.includes('.data-'))) {
      expect(removed.end).toBeLessThan(w.start);
      expect(w.end).toBeLessThan(rewritten.start);
    }
    // Three new shards and the index; the .meta graph did not change.
    expect(r.files.filter((f) => f.action === 'skipped').map((f) => f.rel)).toEqual(['ckpt-7.meta']);
    expect(r.filesCopied).toBe(4);
    expect((await verifyBundle(gfile, r.prefix, { deep: true })).ok).toBe(true);
  });

  it('run again, skips every identical file and writes nothing; a changed file is replaced', async () => {
    const gfile = createGFile();
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-7`, 7);
    await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/mirror`, { gfile });
    gfile.metrics.reset();
    const again = await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/mirror`, { gfile });
    expect(again.filesSkipped).toBe(5);
    expect(again.files.every((f) => f.action === 'skipped' && f.identicalBy === 'crc32c (computed)')).toBe(true);
    expect(gfile.metrics.snapshot().requests.put).toBe(0);
    expect(gfile.metrics.snapshot().requests.copy).toBe(0);
    // Same size, different bytes: found by the hash, replaced.
    const shard = `memory://${DST}/mirror/ckpt-7.data-00001-of-00003`;
    const bytes = Buffer.from(await gfile.readFile(shard));
    bytes[100] ^= 0xff;
    await gfile.writeFile(shard, bytes);
    const third = await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/mirror`, { gfile });
    // The changed shard, and the index, which is taken away while data under it is replaced.
    expect(third.files.filter((f) => f.action === 'copied').map((f) => [f.rel, f.replacedBecause])).toEqual([
      ['ckpt-7.index', 'removed before the data it describes was replaced'],
      ['ckpt-7.data-00001-of-00003', 'crc32c differs'],
    ]);
    expect((await verifyBundle(gfile, third.prefix, { deep: true })).ok).toBe(true);
  });

  it('reports destination files under the same name that are not part of the copied checkpoint', async () => {
    const gfile = createGFile();
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-5`, 5, 1);
    // An older save of ckpt-5 with two shards, and a neighbour whose name extends the prefix.
    await gfile.writeText(`memory://${DST}/m/ckpt-5.data-00001-of-00002`, 'old');
    await gfile.writeText(`memory://${DST}/m/ckpt-50.index`, 'other checkpoint');
    const r = await copyCheckpoint(`memory://${SRC}/run/ckpt-5`, `memory://${DST}/m`, { gfile });
    expect(r.extraneous).toEqual([`memory://${DST}/m/ckpt-5.data-00001-of-00002`]);
    expect(await gfile.exists(`memory://${DST}/m/ckpt-5.data-00001-of-00002`)).toBe(true);
  });

  it('refuses an incomplete checkpoint and writes nothing; allowIncomplete copies what is there, never temporaries', async () => {
    const gfile = createGFile();
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-7`, 7);
    await gfile.remove(`memory://${SRC}/run/ckpt-7.data-00002-of-00003`);
    await gfile.writeText(`memory://${SRC}/run/ckpt-7.data-00002-of-00003.tempstate123`, 'half');
    let error: unknown;
    await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/mirror`, { gfile }).catch((e: unknown) => (error = e));
    expect(isCkptError(error, 'CORRUPT')).toBe(true);
    expect((error as Error).message).toMatch(/missing data shard 00002.*nothing was written/);
    expect(await gfile.exists(`memory://${DST}/mirror`)).toBe(false);
    const r = await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/mirror`, { gfile, allowIncomplete: true });
    expect(r.files.map((f) => f.rel)).not.toContain('ckpt-7.data-00002-of-00003.tempstate123');
    expect(r.filesCopied).toBe(4);
  });

  it('--update-state: the copy becomes the latest, an older copy is listed before it', async () => {
    const gfile = createGFile();
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-7`, 7);
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-5`, 5);
    const r = await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/mirror`, { gfile, updateState: true });
    expect(r.state).toMatchObject({ latest: true, previous: 'missing' });
    await copyCheckpoint(`memory://${SRC}/run/ckpt-5`, `memory://${DST}/mirror`, { gfile, updateState: true });
    const read = await readStateFile(gfile, `memory://${DST}/mirror`);
    expect(read).toMatchObject({ kind: 'ok', state: { modelCheckpointPath: 'ckpt-7', allModelCheckpointPaths: ['ckpt-5', 'ckpt-7'] } });
  });

  it('copies a checkpoint directory with its structure (an HF checkpoint-N)', async () => {
    const gfile = createGFile();
    const src = `memory://${SRC}/out/checkpoint-500`;
    await gfile.writeText(`${src}/model.safetensors`, 'weights');
    await gfile.writeText(`${src}/trainer_state.json`, JSON.stringify({ global_step: 500 }));
    await gfile.writeText(`${src}/sub/extra.bin`, 'x');
    const r = await copyCheckpoint(src, `memory://${DST}/backup/`, { gfile });
    expect(r.source).toMatchObject({ format: 'hf-trainer', step: 500 });
    expect(r.prefix).toBe(`memory://${DST}/backup/checkpoint-500`);
    expect(r.files.map((f) => f.dst).sort()).toEqual([
      `memory://${DST}/backup/checkpoint-500/model.safetensors`,
      `memory://${DST}/backup/checkpoint-500/sub/extra.bin`,
      `memory://${DST}/backup/checkpoint-500/trainer_state.json`,
    ]);
    let error: unknown;
    await copyCheckpoint(src, `memory://${DST}/backup`, { gfile, updateState: true }).catch((e: unknown) => (error = e));
    expect(isCkptError(error, 'INVALID_CONFIG')).toBe(true);
  });

  it('refuses a directory of several checkpoints, naming how many', async () => {
    const gfile = createGFile();
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-1`, 1, 1);
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-2`, 2, 1);
    await expect(copyCheckpoint(`memory://${SRC}/run`, `memory://${DST}/x`, { gfile })).rejects.toThrow(/holding 2 checkpoint/);
  });

  it('a hostile listing (`..` below a checkpoint directory) is refused before anything is written', async () => {
    const gfile = createGFile();
    const src = `memory://${SRC}/zoo/checkpoint-9`;
    await gfile.writeText(`${src}/model.safetensors`, 'weights');
    await gfile.writeText(`${src}/trainer_state.json`, JSON.stringify({ global_step: 9 }));
    await gfile.writeText(`${src}/../../../../escape.txt`, 'gotcha');
    let error: unknown;
    await copyCheckpoint(src, `memory://${DST}/safe/dst`, { gfile }).catch((e: unknown) => (error = e));
    expect(isCkptError(error, 'INVALID_PATH')).toBe(true);
    expect((error as Error).message).toMatch(/`\.\.` segment; nothing was written/);
    expect(await gfile.exists(`memory://${DST}/safe`)).toBe(false);
    expect(await gfile.exists(`memory://${DST}/escape.txt`)).toBe(false);
  });

  it('aborted half-way, leaves only whole files, and the rerun sends only the rest', async () => {
    const gfile = createGFile();
    await sourceBundle(gfile, `memory://${SRC}/run/ckpt-7`, 7);
    const controller = new AbortController();
    let done = 0;
    let error: unknown;
    await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/m`, {
      gfile,
      concurrency: 1,
      signal: controller.signal,
      onFile: () => {
        if (++done === 2) controller.abort();
      },
    }).catch((e: unknown) => (error = e));
    expect(isCkptError(error, 'ABORTED')).toBe(true);
    const present = await gfile.listDir(`memory://${DST}/m`);
    expect(present.map((f) => f.name)).toEqual(['ckpt-7.data-00000-of-00003', 'ckpt-7.data-00001-of-00003']);
    const again = await copyCheckpoint(`memory://${SRC}/run/ckpt-7`, `memory://${DST}/m`, { gfile, concurrency: 1 });
    expect(again.files.filter((f) => f.action === 'skipped').map((f) => f.rel)).toEqual(['ckpt-7.data-00000-of-00003', 'ckpt-7.data-00001-of-00003']);
    expect(again.filesCopied).toBe(3);
  });
});
