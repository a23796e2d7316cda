#!/usr/bin/env node
// Deep-verify throughput on a local ~1 GiB checkpoint written by ckptkit's BundleWriter.
//
//   npx tsc -b packages/core adapters/local && node test/bench/verify-deep.mjs [--gib 1] [--runs 3] [--dir /tmp]
//
// Writes the bundle into a temporary directory, runs `verifyBundle(..., { deep: true })` through
// the gfile facade with the local adapter (what `ckpt verify --deep` does: streamed ranged reads)
// and, for comparison, `verifyBundleFiles` over plain node:fs file handles read in 8 MiB chunks;
// prints one table row per configuration (median of the runs) and removes the directory. The page
// cache is warm (the files were just written): this measures the verifier, not the disk.
import { open, mkdtemp, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BundleWriter, dataFilename, indexFilename, storageSource, verifyBundle, verifyBundleFiles } from '@ckptkit/core';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { localFactory } from '@ckptkit/local';

const { values } = parseArgs({
  options: { gib: { type: 'string', default: '1' }, runs: { type: 'string', default: '3' }, dir: { type: 'string', default: os.tmpdir() } },
});
const MiB = 1024 * 1024;
const target = Math.round(Number(values.gib) * 1024 * MiB);
const runs = Math.max(1, Number(values.runs));

/** A shard sink on a node:fs file handle. */
async function fileSink(file) {
  const fh = await open(file, 'w');
  return { write: async (chunk) => void (await fh.write(chunk)), close: () => fh.close() };
}

/** A ByteSource on a node:fs file handle (kept open for all reads). */
async function fileSource(file) {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  }
  const size = (await fh.stat()).size;
  return {
    uri: file,
    size: async () => size,
    read: async (offset, length) => {
      const buf = new Uint8Array(Math.min(length, Math.max(0, size - offset)));
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === buf.length ? buf : buf.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

/** A model-like mix: a few 64 MiB tensors, many 8 MiB and 64 KiB ones, scalars and a string, 2 shards. */
async function writeCheckpoint(prefix) {
  const pool = randomBytes(64 * MiB + 8);
  const writer = new BundleWriter({ numShards: 2, openShard: (id, n) => fileSink(dataFilename(prefix, id, n)) });
  let written = 0;
  let i = 0;
  const add = async (bytes) => {
    const data = pool.subarray(i % 7, (i % 7) + bytes);
    await writer.add(`model/layer_${String(i).padStart(5, '0')}/kernel/.ATTRIBUTES/VARIABLE_VALUE`, { dtype: 'DT_FLOAT', shape: [bytes / 4], data }, { shard: 1 - (i % 2) });
    written += bytes;
    i++;
  };
  await writer.add('_CHECKPOINTABLE_OBJECT_GRAPH', { dtype: 'DT_STRING', shape: [], strings: [pool.subarray(0, MiB)] });
  for (let k = 0; k < 1000; k++) await writer.add(`step/${k}`, { dtype: 'DT_INT64', shape: [], data: pool.subarray(k, k + 8) });
  while (written + 64 * MiB <= target / 2) await add(64 * MiB);
  while (written + 8 * MiB <= (target * 7) / 8) await add(8 * MiB);
  while (written + 64 * 1024 <= target - MiB) await add(64 * 1024);
  const index = await writer.finish();
  const fh = await open(indexFilename(prefix), 'w');
  await fh.write(index);
  await fh.close();
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(label, fn) {
  const times = [];
  const cpus = [];
  let report;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    report = await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6);
    if (!report.ok) throw new Error(`${label}: verification failed: ${JSON.stringify(report.problems.slice(0, 3))}`);
  }
  const secs = median(times);
  return {
    label,
    bytes: report.bytesChecked,
    tensors: report.tensorsChecked,
    secs,
    gbps: report.bytesChecked / secs / 1e9,
    best: report.bytesChecked / Math.min(...times) / 1e9,
    cpuPerGB: median(cpus) / (report.bytesChecked / 1e9),
  };
}

const dir = await mkdtemp(path.join(values.dir, 'ckptkit-bench-'));
try {
  const prefix = path.join(dir, 'ckpt-1');
  const t0 = process.hrtime.bigint();
  await writeCheckpoint(prefix);
  const writeSecs = Number(process.hrtime.bigint() - t0) / 1e9;
  const total = (await stat(dataFilename(prefix, 0, 2))).size + (await stat(dataFilename(prefix, 1, 2))).size;
  process.stderr.write(`\nwrote ${(total / 1e9).toFixed(3)} GB in ${writeSecs.toFixed(2)} s (${(total / writeSecs / 1e9).toFixed(2)} GB/s) to ${dir}\n`);

  const registry = createRegistry().register('file', () => localFactory());
  const rows = [];
  const configs = [
    { windowMiB: 64, concurrency: 1 },
    { windowMiB: 64, concurrency: 2 },
    { windowMiB: 64, concurrency: 4 },
    { windowMiB: 64, concurrency: 8 },
    { windowMiB: 8, concurrency: 8 },
  ];
  for (const { windowMiB, concurrency } of configs) {
    const gfile = createGFile({ registry, concurrency: 16 });
    const label = `gfile local (streamed), ${windowMiB} MiB windows, concurrency ${concurrency}`;
    rows.push(await measure(label, () => verifyBundle(gfile, prefix, { deep: true, concurrency, windowSize: windowMiB * MiB })));
    await gfile.close();
  }
  {
    // The same facade without streams: each window read as ranged readFile calls of 8 MiB.
    const gfile = createGFile({ registry, concurrency: 16 });
    const noStream = (uri) => {
      const { stream: _stream, ...src } = storageSource(gfile, uri);
      return src;
    };
    const viaReadFile = { prefix, index: async () => noStream(indexFilename(prefix)), shard: async (id, n) => noStream(dataFilename(prefix, id, n)) };
    rows.push(await measure('gfile local, ranged readFile of 8 MiB (no stream), concurrency 8', () => verifyBundleFiles(viaReadFile, { deep: true, concurrency: 8 })));
    await gfile.close();
  }
  const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli', 'dist', 'bin.js');
  if (existsSync(bin)) {
    // The command a user runs, process start-up included (default --concurrency 16).
    rows.push(
      await measure('ckpt verify --deep (built CLI, whole process)', () => {
        const r = spawnSync(process.execPath, [bin, 'verify', '--deep', '--json', prefix], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`ckpt verify exited ${r.status}: ${r.stderr}`);
        return JSON.parse(r.stdout);
      }),
    );
    rows.at(-1).cpuPerGB = NaN; // the child's CPU is not this process's
  }
  const sources = [];
  const files = {
    prefix,
    index: async () => fileSource(indexFilename(prefix)).then((s) => (s && sources.push(s), s)),
    shard: async (id, n) => fileSource(dataFilename(prefix, id, n)).then((s) => (s && sources.push(s), s)),
  };
  rows.push(await measure('node:fs handles (8 MiB reads, no stream), concurrency 8', () => verifyBundleFiles(files, { deep: true, concurrency: 8 })));
  await Promise.all(sources.map((s) => s.close()));

  const header = ['configuration', 'tensors', 'bytes', `median s (${runs} runs)`, 'GB/s (median)', 'GB/s (best)', 'CPU s/GB'];
  const body = rows.map((r) => [r.label, String(r.tensors), String(r.bytes), r.secs.toFixed(3), r.gbps.toFixed(2), r.best.toFixed(2), Number.isNaN(r.cpuPerGB) ? '-' : r.cpuPerGB.toFixed(2)]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
  console.log(`\nnode ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()} ${os.release()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
