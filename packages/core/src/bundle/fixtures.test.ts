/**
 * Real TensorFlow checkpoints from ../shared/fixtures/tf (never copied into the project). Skipped
 * visibly when the folder is absent, except under CI=true where it must be present.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildBundle, type TensorToWrite } from './bundle-writer.js';
import { encodeBundleEntry, encodeBundleHeader } from './bundle-proto.js';
import { bytesSource } from './byte-source.js';
import { unmaskCrc } from './crc.js';
import { dtypeLayout, dtypeName } from './dtypes.js';
import { readBundleIndex, type BundleIndex } from './index-reader.js';
import { inspectBundleJson } from './inspect-json.js';
import { dataFilename } from './naming.js';
import { decodeTensorNameSlice } from './ordered-code.js';
import { buildSSTable } from './sstable-writer.js';
import { decodeStringTensor } from './tensor-checksum.js';
import { parseV1Checkpoint, readV1Checkpoint } from './v1-reader.js';
import { memoryBundleFiles, verifyBundleFiles } from './verify.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURES = join(REPO_ROOT, '..', 'shared', 'fixtures', 'tf');
const PRESENT = existsSync(FIXTURES);
const MUST_RUN = process.env.CI === 'true';

interface ExpectedEntry {
  key: string;
  dtype: string;
  dtype_enum: number;
  shape: number[];
  shard_id: number;
  offset: number;
  size: number;
  crc32c_masked: number;
  crc32c_unmasked: number;
}
interface ExpectedIndex {
  kind: string;
  header: { num_shards: number; endianness: number; producer: number; min_consumer: number; raw_hex: string };
  blocks: Array<{ kind: string; offset: number; size: number; compression: number; entries: number; restarts: number }>;
  entries: ExpectedEntry[];
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

async function readIndex(path: string): Promise<BundleIndex> {
  return readBundleIndex(bytesSource(readFileSync(path), `file://${path}`));
}

function bundleFiles(prefix: string, index: BundleIndex) {
  const n = index.header.numShards;
  const shards = Array.from({ length: n }, (_, i) => {
    const p = dataFilename(prefix, i, n);
    return existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined;
  });
  return memoryBundleFiles(prefix, { index: readFileSync(`${prefix}.index`), shards });
}

describe.skipIf(!PRESENT && !MUST_RUN)(`TensorFlow fixtures in ${FIXTURES}`, () => {
  it('the fixture folder exists (required when CI=true)', () => {
    expect(existsSync(FIXTURES), `${FIXTURES} is missing`).toBe(true);
  });

  const expected = (): Record<string, ExpectedIndex> => JSON.parse(readFileSync(join(FIXTURES, 'EXPECTED_index_entries.json'), 'utf8')) as Record<string, ExpectedIndex>;
  const indexFiles = (): string[] => walk(FIXTURES).filter((p) => p.endsWith('.index')).sort();

  it('reproduces EXPECTED_index_entries.json: header, blocks and every entry', async () => {
    const all = expected();
    expect(Object.keys(all).length).toBeGreaterThan(0);
    for (const [rel, exp] of Object.entries(all)) {
      const index = await readIndex(join(FIXTURES, rel));
      expect(index.header, rel).toEqual({
        numShards: exp.header.num_shards,
        endianness: exp.header.endianness === 1 ? 'BIG' : 'LITTLE',
        version: { producer: exp.header.producer, minConsumer: exp.header.min_consumer, badConsumers: [] },
      });
      expect(Buffer.from(encodeBundleHeader(index.header)).toString('hex'), rel).toBe(exp.header.raw_hex);
      const order = (b: { kind: string; offset: number }) => `${b.kind}:${b.offset}`;
      expect([...index.blocks].sort((a, b) => order(a).localeCompare(order(b))), rel).toEqual([...exp.blocks].sort((a, b) => order(a).localeCompare(order(b))));
      expect(
        index.entries.map((e) => ({
          key: e.key,
          dtype: dtypeName(e.dtype),
          dtype_enum: e.dtype,
          shape: e.shape.dims,
          shard_id: e.shardId,
          offset: e.offset,
          size: e.size,
          crc32c_masked: e.crc32c,
          crc32c_unmasked: unmaskCrc(e.crc32c),
        })),
        rel,
      ).toEqual(exp.entries);
      // The `ckpt inspect --json` document carries the same facts.
      expect(inspectBundleJson(index).entries, rel).toEqual(
        exp.entries.map((e) => ({ key: e.key, dtype: e.dtype, shape: e.shape, shardId: e.shard_id, offset: e.offset, size: e.size, crc32c: e.crc32c_masked })),
      );
    }
  });

  it('reads all 29 V2 indexes, including the snappy-compressed ones', async () => {
    const files = indexFiles();
    expect(files).toHaveLength(29);
    const snappy: string[] = [];
    for (const f of files) {
      const index = await readIndex(f);
      expect(index.entries.length, f).toBeGreaterThan(0);
      if (index.blocks.some((b) => b.compression === 1)) snappy.push(relative(FIXTURES, f));
    }
    expect(snappy.sort()).toEqual([
      'serving_half_plus_two_cpu/00000123/variables/variables.index',
      'serving_half_plus_two_tf2_cpu/00000123/variables/variables.index',
      'tfx_tfma_savedmodel_snappy_2shards/variables/variables.index',
    ]);
  });

  it('deep-verifies every fixture whose data is present and reports MISSING_SHARD for the others', async () => {
    let withData = 0;
    let tensors = 0;
    let missing = 0;
    for (const f of indexFiles()) {
      const prefix = f.slice(0, -'.index'.length);
      const index = await readIndex(f);
      const files = bundleFiles(prefix, index);
      const absent = Array.from({ length: index.header.numShards }, (_, i) => dataFilename(prefix, i, index.header.numShards)).filter((p) => !existsSync(p));
      const report = await verifyBundleFiles(files, { deep: true });
      if (absent.length === 0) {
        expect(report, f).toMatchObject({ ok: true, problems: [] });
        withData++;
        tensors += report.tensorsChecked;
        const shardBytes = Array.from({ length: index.header.numShards }, (_, i) => statSync(dataFilename(prefix, i, index.header.numShards)).size).reduce((a, b) => a + b, 0);
        expect(report.bytesChecked, f).toBe(shardBytes);
      } else {
        expect(report.ok, f).toBe(false);
        expect(report.problems.map((p) => [p.code, p.uri]), f).toEqual(absent.map((p) => ['MISSING_SHARD', p]));
        missing++;
      }
    }
    // Format doc §6.2: 464 tensors in 19 files verified; 10 index-only files.
    expect({ withData, tensors, missing }).toEqual({ withData: 19, tensors: 464, missing: 10 });
  });

  it('writes indexes byte-identical to TensorFlow from the same entries (uncompressed fixtures)', async () => {
    let compared = 0;
    for (const f of indexFiles()) {
      const original = readFileSync(f);
      const index = await readIndex(f);
      if (index.blocks.some((b) => b.compression !== 0)) continue;
      const rows = [
        { key: new Uint8Array(0), value: encodeBundleHeader(index.header) },
        ...index.entries.map((e) => ({ key: e.keyBytes, value: encodeBundleEntry(e) })),
      ];
      expect(Buffer.from(buildSSTable(rows)).equals(original), f).toBe(true);
      compared++;
    }
    expect(compared).toBe(26);
  });

  it('rewrites complete fixtures with BundleWriter into identical data shards and indexes', async () => {
    let rewritten = 0;
    for (const f of indexFiles()) {
      const prefix = f.slice(0, -'.index'.length);
      const index = await readIndex(f);
      const n = index.header.numShards;
      const paths = Array.from({ length: n }, (_, i) => dataFilename(prefix, i, n));
      if (!paths.every((p) => existsSync(p)) || index.blocks.some((b) => b.compression !== 0)) continue;
      const shards = paths.map((p) => new Uint8Array(readFileSync(p)));
      // Add in (shard, offset) order so offsets come out as TensorFlow wrote them.
      const ordered = [...index.entries].sort((a, b) => a.shardId - b.shardId || a.offset - b.offset);
      const tensors: TensorToWrite[] = ordered.map((e) => {
        const bytes = (shards[e.shardId] as Uint8Array).subarray(e.offset, e.offset + e.size);
        const shape = e.shape.dims;
        if (dtypeLayout(e.dtype) === 'string') {
          return { key: e.keyBytes, dtype: 'DT_STRING', shape, strings: decodeStringTensor(bytes, shape.reduce((a, b) => a * b, 1), e.crc32c), shard: e.shardId };
        }
        return { key: e.keyBytes, dtype: e.dtype, shape, data: bytes, shard: e.shardId };
      });
      const built = await buildBundle(tensors, { numShards: n });
      built.shards.forEach((s, i) => expect(Buffer.from(s).equals(Buffer.from(shards[i] as Uint8Array)), `${f} shard ${i}`).toBe(true));
      expect(Buffer.from(built.index).equals(readFileSync(f)), f).toBe(true);
      rewritten++;
    }
    expect(rewritten).toBe(16); // the 19 complete fixtures minus the 3 with snappy blocks
  });

  it('reads the metadata of the three V1 checkpoints, consistent with their data records', async () => {
    const v1 = [
      'serving_bad_half_plus_two_v1/00000123/export',
      'serving_session_bundle_half_plus_two_v1sharded/00000123/export-00000-of-00001',
      'v1_single_file_matrices_2016/model.ckpt',
    ];
    for (const rel of v1) {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, rel)));
      const full = parseV1Checkpoint(bytes, rel);
      const meta = await readV1Checkpoint(bytesSource(bytes, rel));
      expect(meta.tensors, rel).toEqual(full.tensors);
      expect(meta.tensors.length, rel).toBeGreaterThan(0);
      // Every tensor listed in the metadata has exactly its listed slices as records, and nothing else is stored.
      const recorded = full.records.map((r) => `${r.name}|${JSON.stringify(r.slice)}`).sort();
      const listed = full.tensors.flatMap((t) => t.slices.map((s) => `${t.name}|${JSON.stringify(s)}`)).sort();
      expect(recorded, rel).toEqual(listed);
      for (const t of full.tensors) expect(t.dtypeName, rel).toMatch(/^DT_[A-Z0-9_]+$/);
    }
    const matrices = parseV1Checkpoint(new Uint8Array(readFileSync(join(FIXTURES, 'v1_single_file_matrices_2016/model.ckpt'))));
    const mweight = matrices.tensors.find((t) => t.name === 'mweight');
    expect(mweight?.shape.dims).toHaveLength(2);
    expect(mweight?.slices).toEqual([[{ start: 0, length: -1 }, { start: 0, length: -1 }]]);
    // The documented raw key of mweight (format doc §4.4) decodes to the same name and slice.
    const key = Uint8Array.from(Buffer.from('006d77656967687400010102807f807f', 'hex'));
    expect(decodeTensorNameSlice(key)?.slice).toEqual(mweight?.slices[0]);
  });
});
