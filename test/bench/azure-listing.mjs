#!/usr/bin/env node
// The Azure adapter's listing cost in the ckpt process (issue 23): `ckpt ls -R --jsonl` and
// `ckpt find --jsonl` over a container of N blobs on a running Azurite, with wall time, user CPU
// and peak RSS of the ckpt process (/usr/bin/time) and its allocated bytes (V8's sampling heap
// profiler, collected objects included: lib/alloc-sampler.mjs) in a separate run. Azurite is
// CPU-heavy: compare user CPU of the ckpt process, not only wall time. Connection string from
// CKPT_TEST_AZURE_CONNECTION_STRING (or AZURE_STORAGE_CONNECTION_STRING).
//
//   node test/bench/azure-listing.mjs seed CONTAINER N      # N blobs, 32 writes at once
//   node test/bench/azure-listing.mjs measure CONTAINER [--repo DIR]... [--runs N]
//   node test/bench/azure-listing.mjs drop CONTAINER
//
// `--repo` names checkouts to compare (each built: cli/dist and its fast-path bundles); default
// this one. The layout: models m0000.. of 8 TF2 checkpoints (16 files) and 4 event files each.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { azureFactory, deleteAzureContainer, ensureAzureContainer } from '@ckptkit/azure';
import { createGFile, createRegistry } from '@ckptkit/gfile';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values, positionals } = parseArgs({ allowPositionals: true, options: { repo: { type: 'string', multiple: true }, runs: { type: 'string', default: '3' } } });
const [command, container, count] = positionals;
const connectionString = process.env.CKPT_TEST_AZURE_CONNECTION_STRING ?? process.env.AZURE_STORAGE_CONNECTION_STRING;
if (!command || !container || !connectionString) {
  process.stderr.write('usage: azure-listing.mjs seed|measure|drop CONTAINER [N] (CKPT_TEST_AZURE_CONNECTION_STRING set)\n');
  process.exit(2);
}
const options = { connectionString, env: {} };

if (command === 'seed') {
  const n = Number(count);
  await ensureAzureContainer(container, options);
  const g = createGFile({ concurrency: 32, registry: createRegistry().register('az', () => azureFactory(options)) });
  const names = [];
  for (let m = 0; names.length < n; m++) {
    const model = `zoo/m${String(m).padStart(4, '0')}`;
    for (let c = 1; c <= 8; c++) names.push(`${model}/ckpt-${c}.index`, `${model}/ckpt-${c}.data-00000-of-00001`);
    for (let e = 0; e < 4; e++) names.push(`${model}/logs/events.out.tfevents.${1_700_000_000 + e}.host`);
  }
  names.length = n;
  const body = new Uint8Array([1]);
  let next = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < names.length) await g.writeFile(`az://${container}/${names[next++]}`, body);
    }),
  );
  await g.close();
  process.stdout.write(`${JSON.stringify({ seeded: n, seconds: (Date.now() - t0) / 1000 })}\n`);
} else if (command === 'drop') {
  await deleteAzureContainer(container, options);
} else if (command === 'measure') {
  const repos = values.repo ?? [path.resolve(here, '..', '..')];
  const runs = Number(values.runs);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-azure-listing-'));
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home, AZURE_STORAGE_CONNECTION_STRING: connectionString };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const rows = [];
  for (const args of [['ls', '-R', '--jsonl'], ['find', '--jsonl']]) {
    for (const repo of repos) {
      const ckpt = path.join(repo, 'cli', 'bin', 'ckpt.cjs');
      const argv = [...args, `az://${container}/`];
      const timed = [];
      let lines = 0;
      for (let r = 0; r < runs; r++) {
        const timeFile = path.join(home, 'time');
        const p = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %M', process.execPath, ckpt, ...argv], { env, maxBuffer: 1 << 30 });
        if (p.status !== 0) throw new Error(`${argv.join(' ')} in ${repo}: exit ${p.status}: ${p.stderr}`);
        lines = p.stdout.toString().split('\n').filter(Boolean).length;
        const [wall, user, rssKb] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
        timed.push({ wall, user, rssKb });
      }
      const sampled = spawnSync(process.execPath, [ckpt, ...argv], { env: { ...env, NODE_OPTIONS: `--import ${path.join(here, 'lib', 'alloc-sampler.mjs')}` }, maxBuffer: 1 << 30 });
      const alloc = /\{"allocatedBytes":(\d+)\}/.exec(sampled.stderr.toString())?.[1];
      rows.push({
        command: `ckpt ${argv.join(' ')}`,
        repo,
        outputLines: lines,
        wallS: median(timed.map((t) => t.wall)),
        userS: median(timed.map((t) => t.user)),
        peakRssMb: Math.round(median(timed.map((t) => t.rssKb)) / 1024),
        allocatedMb: alloc === undefined ? undefined : Math.round(Number(alloc) / 2 ** 20),
        runs: timed,
      });
      process.stdout.write(`${JSON.stringify(rows.at(-1))}\n`);
    }
  }
  fs.rmSync(home, { recursive: true, force: true });
} else {
  process.stderr.write(`unknown command ${command}\n`);
  process.exit(2);
}
