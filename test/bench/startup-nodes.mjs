#!/usr/bin/env node
// Benchmark 4 (start-up of `ckpt latest ./dir` against `node -e 0`) on several Nodes in one run,
// interleaved so that the machine's load hits every row alike (decision 0014). Prints a markdown
// table. Run after a build (`tsc -b && node cli/scripts/bundle-fast-path.mjs`).
//
//   node test/bench/startup-nodes.mjs [--runs 20] [NODE_BINARY...]
//
// Without binaries: the system Node (/usr/bin/node; older than the floor, ckpt re-runs itself under
// the cached 24) and the cached Node 22 and 24 of cli/bin/node-runtime.cjs. Each process gets only
// PATH and HOME, as in the harness (test/bench/lib/benchmarks.mjs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const runtime = createRequire(import.meta.url)(path.join(repo, 'cli', 'bin', 'node-runtime.cjs'));
const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '20' } }, allowPositionals: true });
const runs = Number(values.runs);
const bin = path.join(repo, 'cli', 'bin', 'ckpt.cjs');

const nodes = positionals.length > 0 ? positionals : [fs.existsSync('/usr/bin/node') ? '/usr/bin/node' : undefined, ...runtime.TESTED_MAJORS.map((m) => runtime.ensureNode(m))].filter(Boolean);
const versionOf = (node) => spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-startup-nodes-'));
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-startup-home-'));
try {
  const n = 1000;
  fs.mkdirSync(path.join(cwd, 'dir'));
  for (let i = 1; i <= n; i++) {
    fs.writeFileSync(path.join(cwd, 'dir', `ckpt-${i}.index`), 'x');
    fs.writeFileSync(path.join(cwd, 'dir', `ckpt-${i}.data-00000-of-00001`), 'x');
  }
  fs.writeFileSync(path.join(cwd, 'dir', 'checkpoint'), `model_checkpoint_path: "ckpt-${n}"\n`);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? home };
  const time = (node, args) => {
    const t0 = performance.now();
    const r = spawnSync(node, args, { cwd, env, encoding: 'utf8' });
    const s = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${node} ${args.join(' ')} failed: ${r.stderr}`);
    return { s, stdout: r.stdout, stderr: r.stderr };
  };
  const rows = nodes.map((node) => ({ node, version: versionOf(node), base: [], ckpt: [] }));
  // One untimed run each: the first run under a Node writes its V8 code cache.
  for (const row of rows) {
    const first = time(row.node, [bin, 'latest', './dir']);
    if (first.stdout.trim() !== `./dir/ckpt-${n}` && first.stdout.trim() !== `dir/ckpt-${n}`) throw new Error(`ckpt latest ./dir printed ${first.stdout}`);
    if (/^\(node:\d+\)|Warning\b|\bDEP0\d{3}\b/m.test(first.stderr)) throw new Error(`ckpt latest ./dir on ${row.version} printed a runtime warning: ${first.stderr}`);
  }
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  for (let i = 0; i < runs; i++) {
    for (const row of rows) {
      row.base.push(time(row.node, ['-e', '0']).s);
      row.ckpt.push(time(row.node, [bin, 'latest', './dir']).s);
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  process.stdout.write(`${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${runs} interleaved rounds, load ${load} -> ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n\n`);
  process.stdout.write('| Node | node -e 0, median s (min) | ckpt latest ./dir, median s (min) | ratio of medians |\n|---|---|---|---|\n');
  for (const row of rows) {
    const note = runtime.atLeast(row.version, runtime.FLOOR) ? '' : ` (older than ${runtime.FLOOR}: ckpt re-runs under ${versionOf(runtime.cachedNode(runtime.PREFERRED_MAJOR) ?? row.node)})`;
    const b = median(row.base);
    const c = median(row.ckpt);
    process.stdout.write(`| ${row.version}${note} | ${b.toFixed(3)} (${Math.min(...row.base).toFixed(3)}) | ${c.toFixed(3)} (${Math.min(...row.ckpt).toFixed(3)}) | ${(c / b).toFixed(2)} |\n`);
  }
} finally {
  fs.rmSync(cwd, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
}
