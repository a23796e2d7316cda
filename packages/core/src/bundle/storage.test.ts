import { afterEach, describe, expect, it } from 'vitest';
import { clearMemoryStore, createGFile, isCkptError, type GFile } from '@ckptkit/gfile';
import { buildSSTable } from './sstable-writer.js';
import { corruptReason } from './errors.js';
import { inspectCheckpoint, openBundle, verifyBundle, writeBundle } from './storage.js';
import { encodeTensorNameSlice } from './ordered-code.js';
import { ProtoWriter } from './proto.js';

const enc = (s: string) => new TextEncoder().encode(s);
const STORE = 'bundle-storage-test';
const requests = (g: GFile) => g.metrics.snapshot().requests;

afterEach(() => clearMemoryStore(STORE));

async function sample(g: GFile, prefix: string) {
  return writeBundle(
    g,
    prefix,
    [
      { key: 'dense/kernel', dtype: 'DT_FLOAT', shape: [2, 2], data: new Uint8Array(16).fill(1) },
      { key: 'dense/bias', dtype: 'DT_FLOAT', shape: [2], data: new Uint8Array(8).fill(2), shard: 1 },
      { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: ['graph'] },
    ],
    { numShards: 2 },
  );
}

describe('bundle storage glue', () => {
  it('writes data shards then the index, and reads the index back with one GET', async () => {
    const g = createGFile();
    const written = await sample(g, `memory://${STORE}/run/ckpt-3`);
    expect(written.shardUris).toEqual([`memory://${STORE}/run/ckpt-3.data-00000-of-00002`, `memory://${STORE}/run/ckpt-3.data-00001-of-00002`]);
    expect(written.indexUri).toBe(`memory://${STORE}/run/ckpt-3.index`);
    g.metrics.reset();
    const index = await openBundle(g, `memory://${STORE}/run/ckpt-3`);
    expect(index.entries.map((e) => e.key)).toEqual(['_CHECKPOINTABLE_OBJECT_GRAPH', 'dense/bias', 'dense/kernel']);
    expect(requests(g)).toMatchObject({ get: 1, head: 0, list: 0 });
    // The index URI itself is accepted too.
    expect((await openBundle(g, written.indexUri)).header.numShards).toBe(2);
  });

  it('reads a large index with two GETs and a HEAD', async () => {
    const g = createGFile();
    const tensors = Array.from({ length: 3000 }, (_, i) => ({ key: `layer_${i}/kernel/.ATTRIBUTES/VARIABLE_VALUE`, dtype: 'DT_UINT8', shape: [1], data: Uint8Array.of(i & 0xff) }));
    const w = await writeBundle(g, `memory://${STORE}/big/ckpt`, tensors);
    expect((await g.stat(w.indexUri)).size).toBeGreaterThan(128 * 1024);
    g.metrics.reset();
    const index = await openBundle(g, `memory://${STORE}/big/ckpt`);
    expect(index.entries).toHaveLength(3000);
    expect(requests(g)).toMatchObject({ get: 2, head: 1, list: 0 });
    expect(g.metrics.snapshot().bytesRead).toBe((await g.stat(w.indexUri)).size);
  });

  it('verifies from one listing plus ranged GETs, and finds a missing shard', async () => {
    const g = createGFile();
    await sample(g, `memory://${STORE}/run/ckpt-1`);
    // A neighbour whose name extends the prefix must not confuse the listing.
    await sample(g, `memory://${STORE}/run/ckpt-10`);
    g.metrics.reset();
    const shallow = await verifyBundle(g, `memory://${STORE}/run/ckpt-1`);
    expect(shallow).toEqual({ ok: true, problems: [], tensorsChecked: 3, bytesChecked: 0 });
    expect(requests(g)).toMatchObject({ list: 1, get: 1, head: 0 });

    g.metrics.reset();
    const deep = await verifyBundle(g, `memory://${STORE}/run/ckpt-1`, { deep: true });
    expect(deep).toMatchObject({ ok: true, tensorsChecked: 3 });
    // One read per shard: tensors of a shard are read together.
    expect(requests(g)).toMatchObject({ list: 1, get: 3, head: 0 });

    await g.remove(`memory://${STORE}/run/ckpt-1.data-00001-of-00002`);
    const missing = await verifyBundle(g, `memory://${STORE}/run/ckpt-1`, { deep: true });
    expect(missing.problems).toEqual([{ code: 'MISSING_SHARD', detail: 'data shard 1 of 2 does not exist', uri: `memory://${STORE}/run/ckpt-1.data-00001-of-00002` }]);

    const none = await verifyBundle(g, `memory://${STORE}/run/ckpt-2`);
    expect(none.problems).toMatchObject([{ code: 'MISSING_INDEX', uri: `memory://${STORE}/run/ckpt-2.index` }]);
  });

  it('reports an LFS pointer stored as the index', async () => {
    const g = createGFile();
    await sample(g, `memory://${STORE}/lfs/variables`);
    await g.writeFile(`memory://${STORE}/lfs/variables.index`, 'version https://git-lfs.github.com/spec/v1\noid sha256:abc123\nsize 999\n');
    const r = await verifyBundle(g, `memory://${STORE}/lfs/variables`);
    expect(r.problems).toMatchObject([{ code: 'CORRUPT_INDEX', reason: 'LFS_POINTER' }]);
    const err = await openBundle(g, `memory://${STORE}/lfs/variables`).catch((e: unknown) => e);
    expect(isCkptError(err, 'CORRUPT')).toBe(true);
    expect(corruptReason(err)).toBe('LFS_POINTER');
    expect((err as Error).message).toContain('this is a Git LFS pointer, fetch the object');
  });

  it('inspects V2 bundles, V1 files, and reports NOT_FOUND for neither', async () => {
    const g = createGFile();
    await sample(g, `memory://${STORE}/run/ckpt-1`);
    const v2 = await inspectCheckpoint(g, `memory://${STORE}/run/ckpt-1`);
    expect(v2.format).toBe('tf-v2');
    expect(v2.header).toEqual({ numShards: 2, endianness: 'LITTLE', version: { producer: 1, minConsumer: 0 } });
    expect(v2.entries[0]).toMatchObject({ key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], shardId: 0, offset: 16 }); // after dense/kernel: offsets follow write order

    // A minimal V1 file: metadata for one tensor "w" [2] float, and its record.
    const meta = new ProtoWriter()
      .message(1, (m) =>
        m
          .message(1, (t) => t.bytes(1, enc('w')).message(2, (s) => s.message(2, (d) => d.int64(1, 2))).int64(3, 1).message(4, (sl) => sl.message(1, () => undefined)))
          .message(2, (v) => v.int64(1, 1)),
      )
      .finish();
    const record = new ProtoWriter().message(2, (s) => s.bytes(1, enc('w')).message(2, (sl) => sl.message(1, () => undefined)).message(3, (t) => t.int64(1, 1))).finish();
    const v1 = buildSSTable([
      { key: new Uint8Array(0), value: meta },
      { key: encodeTensorNameSlice(enc('w'), [{ start: 0, length: -1 }]), value: record },
    ]);
    await g.writeFile(`memory://${STORE}/old/model.ckpt`, v1);
    const j = await inspectCheckpoint(g, `memory://${STORE}/old/model.ckpt`);
    expect(j).toEqual({
      format: 'tf-v1',
      header: { version: { producer: 1, minConsumer: 0 } },
      entries: [{ key: 'w', dtype: 'DT_FLOAT', shape: [2], slices: [{ spec: '-', extents: [{ start: 0, length: -1 }] }] }],
    });

    // A large V1 file: only its tail and first block are read, never the tensor data.
    const names = Array.from({ length: 300 }, (_, i) => `v${String(i).padStart(3, '0')}`);
    const bigMeta = new ProtoWriter()
      .message(1, (m) => {
        for (const n of names) m.message(1, (t) => t.bytes(1, enc(n)).message(2, (s) => s.message(2, (d) => d.int64(1, 256))).int64(3, 1).message(4, (sl) => sl.message(1, () => undefined)));
      })
      .finish();
    const rows = [
      { key: new Uint8Array(0), value: bigMeta },
      ...names.map((n) => ({
        key: encodeTensorNameSlice(enc(n), [{ start: 0, length: -1 }]),
        value: new ProtoWriter().message(2, (sv) => sv.bytes(1, enc(n)).message(2, (sl) => sl.message(1, () => undefined)).message(3, (t) => t.int64(1, 1).bytes(4, new Uint8Array(8192)))).finish(),
      })),
    ];
    const bigV1 = buildSSTable(rows);
    await g.writeFile(`memory://${STORE}/old/big.ckpt`, bigV1);
    g.metrics.reset();
    const big = await inspectCheckpoint(g, `memory://${STORE}/old/big.ckpt`);
    expect(big.entries.map((e) => e.key)).toEqual(names);
    expect(requests(g).head).toBe(1);
    // The first data block is at most ~256 KiB (TensorFlow's block size) whatever the file size.
    expect(bigV1.length).toBeGreaterThan(2_000_000);
    expect(g.metrics.snapshot().bytesRead).toBeLessThan(400 * 1024);

    const err = await inspectCheckpoint(g, `memory://${STORE}/nothing/here`).catch((e: unknown) => e);
    expect(isCkptError(err, 'NOT_FOUND')).toBe(true);
    expect((err as { uri?: string }).uri).toBe(`memory://${STORE}/nothing/here.index`);
  });
});
