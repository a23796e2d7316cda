#!/usr/bin/env node
// Listing at scale on a local disk and on the in-memory store: wall time and peak RSS of
// `ckpt ls -R` (and `glob`, `find`) as the number of files grows. Shows whether a listing is
// linear in time and flat in memory (docs/benchmarks.md, "Listing at scale").
//
//   node test/bench/scale-local.mjs [--sizes 10000,20000,40000,80000,200000] [--modes json,jsonl]
//                                   [--memory 1000000] [--dir /tmp/ckpt-scale] [--runs 3]
// Each row: the best wall time of --runs runs (a shared machine is noisy) and the largest peak RSS.
//
// Needs the built CLI (`npx tsc -b && node cli/scripts/bundle-fast-path.mjs`). Trees are made
// once per size under --dir (one flat directory of empty files `ckpt-N.index`) and reused.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ckpt = path.join(root, 'cli/bin/ckpt.cjs');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const sizes = opt('sizes', '10000,20000,40000,80000,200000').split(',').filter(Boolean).map(Number);
const modes = opt('modes', 'json,jsonl').split(',').filter(Boolean);
const memory = Number(opt('memory', '1000000'));
const base = opt('dir', '/tmp/ckpt-scale');
const runs = Math.max(1, Number(opt('runs', '3')));

/** One flat directory of `n` empty files, made once. */
function tree(n) {
  const dir = path.join(base, `flat-${n}`);
  const done = path.join(base, `.flat-${n}.done`);
  if (fs.existsSync(done)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `ckpt-${i}.index`), '');
  fs.writeFileSync(done, '');
  return dir;
}

/** Wall seconds and peak RSS (MB) of one command, its stdout counted, not kept. */
function measure(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...argv], { encoding: 'buffer', maxBuffer: 2 ** 31 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const err = r.stderr.toString().trim().split('\n');
  const rssKb = Number(err.at(-1));
  return { wall, rssMb: rssKb / 1024, status: r.status, bytes: r.stdout.length, err: err.slice(0, -1).join('\n') };
}

const rows = [];
for (const n of sizes) {
  const dir = tree(n);
  for (const mode of modes) {
    const all = Array.from({ length: runs }, () => measure([ckpt, 'ls', '-R', `--${mode}`, dir]));
    const m = { ...all[0], wall: Math.min(...all.map((r) => r.wall)), rssMb: Math.max(...all.map((r) => r.rssMb)) };
    rows.push({ what: `local ls -R --${mode}`, n, ...m });
    console.log(`${`local ls -R --${mode}`.padEnd(26)} ${String(n).padStart(9)}  ${m.wall.toFixed(2).padStart(7)} s  ${m.rssMb.toFixed(0).padStart(5)} MB  exit ${m.status}${m.err ? `  ${m.err.slice(0, 120)}` : ''}`);
  }
}
if (memory > 0) {
  // The in-memory store lives in one process: a child seeds it, then lists it through the CLI's main().
  const m = measure([path.join(root, 'test/bench/scale-memory-child.mjs'), String(memory)]);
  console.log(`${'memory ls -R --jsonl'.padEnd(26)} ${String(memory).padStart(9)}  ${m.wall.toFixed(2).padStart(7)} s  ${m.rssMb.toFixed(0).padStart(5)} MB  exit ${m.status}  ${m.err}`);
}
