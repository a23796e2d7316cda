/** `ckpt inspect` and `ckpt verify` end to end: the built binary on real and writer-built checkpoints. */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, dataFilename, type TensorToWrite } from '@ckptkit/core';
import { REPO, runCli } from '../helpers/cli.js';

const FIXTURES = path.join(REPO, '..', 'shared', 'fixtures', 'tf');
const PRESENT = existsSync(FIXTURES);
const MUST_RUN = process.env.CI === 'true';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckptkit-bundle-e2e-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function walk(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = path.join(d, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

async function writeLocal(prefix: string, tensors: TensorToWrite[], numShards: number): Promise<void> {
  const b = await buildBundle(tensors, { numShards });
  await fs.mkdir(path.dirname(prefix), { recursive: true });
  await Promise.all(b.shards.map((s, i) => fs.writeFile(dataFilename(prefix, i, numShards), s)));
  await fs.writeFile(`${prefix}.index`, b.index);
}

const sample = (): TensorToWrite[] => [
  { key: 'dense/kernel/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_FLOAT', shape: [64, 32], data: new Uint8Array(64 * 32 * 4).map((_, i) => i % 251) },
  { key: 'dense/bias/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_FLOAT', shape: [32], data: new Uint8Array(128).fill(3), shard: 1 },
  { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], strings: ['object graph'] },
  { key: 'save_counter/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_INT64', shape: [], data: new Uint8Array(8).fill(1), shard: 1 },
  { key: 'emb', dtype: 'DT_HALF', shape: [2, 4], data: new Uint8Array(16).fill(7), slice: { fullShape: [4, 4], extents: [{ start: 0, length: 2 }, { start: 0, length: -1 }] } },
  { key: 'emb', dtype: 'DT_HALF', shape: [2, 4], data: new Uint8Array(16).fill(8), shard: 1, slice: { fullShape: [4, 4], extents: [{ start: 2, length: 2 }, { start: 0, length: -1 }] } },
];

describe('ckpt inspect / verify on bundles written by the writer', () => {
  it('inspect --json lists variables in key order; partitioned ones with their slices; one GET for the index', async () => {
    const prefix = path.join(dir, 'run', 'ckpt-7');
    await writeLocal(prefix, sample(), 2);
    const r = await runCli(['inspect', '--json', '--stats', prefix]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { header: unknown; entries: Array<Record<string, unknown>> };
    expect(doc.header).toEqual({ numShards: 2, endianness: 'LITTLE', version: { producer: 1, minConsumer: 0 } });
    expect(doc.entries.map((e) => e.key)).toEqual([
      '_CHECKPOINTABLE_OBJECT_GRAPH',
      'dense/bias/.ATTRIBUTES/VARIABLE_VALUE',
      'dense/kernel/.ATTRIBUTES/VARIABLE_VALUE',
      'emb',
      'save_counter/.ATTRIBUTES/VARIABLE_VALUE',
    ]);
    expect(doc.entries[3]).toEqual({
      key: 'emb',
      dtype: 'DT_HALF',
      shape: [4, 4],
      slices: [
        { spec: '0,2:-', extents: [{ start: 0, length: 2 }, { start: 0, length: -1 }], shardId: 0, offset: expect.any(Number), size: 16, crc32c: expect.any(Number) },
        { spec: '2,2:-', extents: [{ start: 2, length: 2 }, { start: 0, length: -1 }], shardId: 1, offset: expect.any(Number), size: 16, crc32c: expect.any(Number) },
      ],
    });
    expect(r.stats?.requests).toMatchObject({ get: 1, head: 0, list: 0 });
    const human = await runCli(['inspect', `${prefix}.index`]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^dense\/kernel\/\.ATTRIBUTES\/VARIABLE_VALUE +DT_FLOAT +\[64,32\] +shard 0 @\d+ 8\.0 KiB$/m);
  });

  it('verify passes, and --deep finds one flipped byte of tensor data (exit 3, CRC_MISMATCH with the key)', async () => {
    const prefix = path.join(dir, 'flip', 'ckpt-1');
    await writeLocal(prefix, sample(), 2);
    const ok = await runCli(['verify', '--deep', '--json', prefix]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ ok: true, problems: [], tensorsChecked: 6, bytesChecked: expect.any(Number) });

    const shard0 = dataFilename(prefix, 0, 2);
    const data = await fs.readFile(shard0);
    data[100] = (data[100] as number) ^ 0x10; // inside dense/kernel, the first tensor written
    await fs.writeFile(shard0, data);
    const shallow = await runCli(['verify', '--json', prefix]);
    expect(shallow.code).toBe(0);
    const deep = await runCli(['verify', '--deep', '--json', prefix]);
    expect(deep.code).toBe(3);
    expect(JSON.parse(deep.stdout)).toMatchObject({
      ok: false,
      problems: [{ code: 'CRC_MISMATCH', key: 'dense/kernel/.ATTRIBUTES/VARIABLE_VALUE', uri: shard0 }],
    });
  });

  it('verify reports a flipped index byte, a short shard and a missing index (exit 3)', async () => {
    const prefix = path.join(dir, 'bad', 'ckpt-2');
    await writeLocal(prefix, sample(), 2);
    const index = await fs.readFile(`${prefix}.index`);
    index[10] = (index[10] as number) ^ 0x01;
    await fs.writeFile(`${prefix}.index`, index);
    const corrupt = await runCli(['verify', '--json', prefix]);
    expect(corrupt.code).toBe(3);
    expect(JSON.parse(corrupt.stdout).problems).toMatchObject([{ code: 'CORRUPT_INDEX', reason: 'BLOCK_CHECKSUM', uri: `${prefix}.index` }]);
    const inspect = await runCli(['inspect', '--json', prefix]);
    expect(inspect.code).toBe(3);
    expect(JSON.parse(inspect.stderr.trim())).toMatchObject({ error: { code: 'CORRUPT', message: expect.stringContaining('block checksum mismatch') } });

    const prefix2 = path.join(dir, 'bad', 'ckpt-3');
    await writeLocal(prefix2, sample(), 2);
    const shard1 = dataFilename(prefix2, 1, 2);
    await fs.truncate(shard1, 10);
    const short = await runCli(['verify', '--json', prefix2]);
    expect(short.code).toBe(3);
    expect(JSON.parse(short.stdout).problems.map((p: { code: string }) => p.code)).toEqual(['SHORT_SHARD', 'SHORT_SHARD', 'SHORT_SHARD']);

    // Nothing at all under the name is a missing path (4, the contract), not a checkpoint with problems.
    const none = await runCli(['verify', '--json', path.join(dir, 'bad', 'ckpt-404')]);
    expect(none.code).toBe(4);
    expect(JSON.parse(none.stderr.trim())).toMatchObject({ error: { code: 'NOT_FOUND' } });
    // Data without its index is a checkpoint missing its index (3).
    await fs.copyFile(dataFilename(prefix2, 0, 2), `${path.join(dir, 'bad', 'ckpt-405')}.data-00000-of-00001`);
    const noIndex = await runCli(['verify', '--json', path.join(dir, 'bad', 'ckpt-405')]);
    expect(noIndex.code).toBe(3);
    expect(JSON.parse(noIndex.stdout).problems).toMatchObject([{ code: 'MISSING_INDEX' }]);
    const missingInspect = await runCli(['inspect', '--json', path.join(dir, 'bad', 'ckpt-404')]);
    expect(missingInspect.code).toBe(4);
    expect(JSON.parse(missingInspect.stderr.trim())).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('says so when the index is truncated', async () => {
    const prefix = path.join(dir, 'cut', 'ckpt-9');
    await writeLocal(prefix, sample(), 2);
    const index = await fs.readFile(`${prefix}.index`);
    await fs.writeFile(`${prefix}.index`, index.subarray(0, index.length - 20));
    const r = await runCli(['inspect', prefix]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/truncated/);
    const v = await runCli(['verify', '--json', prefix]);
    expect(JSON.parse(v.stdout).problems).toMatchObject([{ code: 'CORRUPT_INDEX', reason: 'TRUNCATED' }]);
  });

  it('says so when the index is a Git LFS pointer', async () => {
    const prefix = path.join(dir, 'lfs', 'variables');
    await writeLocal(prefix, sample(), 2);
    await fs.writeFile(`${prefix}.index`, 'version https://git-lfs.github.com/spec/v1\noid sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\nsize 4747\n');
    const r = await runCli(['inspect', prefix]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('this is a Git LFS pointer, fetch the object');
    const v = await runCli(['verify', '--json', prefix]);
    expect(v.code).toBe(3);
    expect(JSON.parse(v.stdout).problems).toMatchObject([{ code: 'CORRUPT_INDEX', reason: 'LFS_POINTER' }]);
  });
});

describe.skipIf(!PRESENT && !MUST_RUN)(`ckpt inspect / verify on the TensorFlow fixtures in ${FIXTURES}`, () => {
  // One CLI process per fixture: on a loaded 2-core machine these take minutes, not the default 30 s.
  it('inspect --json reproduces EXPECTED_index_entries.json entry for entry', { timeout: 180_000 }, async () => {
    const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'EXPECTED_index_entries.json'), 'utf8')) as Record<
      string,
      { header: { num_shards: number; endianness: number; producer: number; min_consumer: number }; entries: Array<{ key: string; dtype: string; shape: number[]; shard_id: number; offset: number; size: number; crc32c_masked: number }> }
    >;
    expect(Object.keys(expected)).toHaveLength(10);
    for (const [rel, exp] of Object.entries(expected)) {
      const r = await runCli(['inspect', '--json', path.join(FIXTURES, rel)]);
      expect(r.code, rel).toBe(0);
      const doc = JSON.parse(r.stdout) as { header: unknown; entries: unknown[] };
      expect(doc.header, rel).toEqual({
        numShards: exp.header.num_shards,
        endianness: exp.header.endianness === 0 ? 'LITTLE' : 'BIG',
        version: { producer: exp.header.producer, minConsumer: exp.header.min_consumer },
      });
      expect(doc.entries, rel).toEqual(exp.entries.map((e) => ({ key: e.key, dtype: e.dtype, shape: e.shape, shardId: e.shard_id, offset: e.offset, size: e.size, crc32c: e.crc32c_masked })));
    }
  });

  it('verify --deep passes every fixture whose data is present and reports MISSING_SHARD for the others', { timeout: 300_000 }, async () => {
    const indexes = walk(FIXTURES).filter((p) => p.endsWith('.index'));
    expect(indexes).toHaveLength(29);
    const outcomes = { passed: 0, missing: 0 };
    for (const index of indexes) {
      const prefix = index.slice(0, -'.index'.length);
      const r = await runCli(['verify', '--deep', '--json', prefix]);
      const report = JSON.parse(r.stdout) as { ok: boolean; problems: Array<{ code: string; uri: string }> };
      const shards = readdirSync(path.dirname(prefix)).filter((n) => n.startsWith(`${path.basename(prefix)}.data-`));
      if (report.ok) {
        expect(r.code, prefix).toBe(0);
        expect(shards.length, prefix).toBeGreaterThan(0);
        outcomes.passed++;
      } else {
        expect(r.code, prefix).toBe(3);
        expect(report.problems.length, prefix).toBeGreaterThan(0);
        for (const p of report.problems) {
          expect(p.code, prefix).toBe('MISSING_SHARD');
          expect(existsSync(p.uri), p.uri).toBe(false);
        }
        outcomes.missing++;
      }
    }
    expect(outcomes).toEqual({ passed: 19, missing: 10 });
  });

  it('inspect reads V1 checkpoints when no .index exists', async () => {
    const r = await runCli(['inspect', '--json', path.join(FIXTURES, 'v1_single_file_matrices_2016', 'model.ckpt')]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { format: string; entries: Array<{ key: string; shape: number[] }> };
    expect(doc.format).toBe('tf-v1');
    expect(doc.entries.find((e) => e.key === 'mweight')?.shape).toHaveLength(2);
  });
});
