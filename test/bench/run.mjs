#!/usr/bin/env node
// The benchmark harness of issue 8 (a script, not a test):
//
//   node test/bench/run.mjs [--size small|full] [--latency MS] [--only 1,2,3,4,5,6] [--node 22,24] [--no-install]
//   node test/bench/run.mjs --scale [--scale-sizes 10000,50000,200000] [--rounds 3] [--latency MS] [--sim-objects 1000000] [--scale-rows 'find,rclone']
//
// --scale (issue 23) runs only the scale benchmark (lib/scale.mjs): one flat prefix of tiny
// objects on RGW listed by the floor, ckpt ls -R / find, rclone and aws, through the latency proxy
// and directly; then the listing simulation (listing-sim.mjs) at --sim-objects. It uses the S3
// server named by CKPT_TEST_S3_* when set (`source /work/srv/env`), and starts its own otherwise.
//
// Builds the workspace (tsc -b and the CLI's fast-path bundle, incremental), starts Ceph RGW and
// Google's storage emulator with the test suite's scripts (state under .servers/bench-<pid>/),
// puts the project's latency proxy (test/proxy, default 10 ms each way) in front of each, writes
// the trees, and prints one markdown table per benchmark (requests, median and best wall time of
// several runs, ratios) and the goals, all from this one run. Timed runs go through the pure
// latency proxy; each row is counted once more through the recording proxy behind the same delay.
// Peers: TensorFlow's gfile walk/glob/latest_checkpoint re-enacted over the same adapters, rclone
// and aws-cli (installed with apt-get when missing, configured by flags and environment only).
// Servers are stopped at the end, also on failure or Ctrl-C.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// On a Node older than the floor (decision 0014) every row would measure ckpt's re-run under a
// supported Node: the whole harness runs under that Node instead (fetched into the cache once).
const runtime = createRequire(import.meta.url)(path.join(repo, 'cli', 'bin', 'node-runtime.cjs'));
if (!runtime.atLeast(process.version, runtime.FLOOR)) {
  runtime.rerunUnderSupportedNode(fileURLToPath(import.meta.url), process.argv.slice(2));
  await new Promise(() => {}); // the re-run ends this process
}
const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'full' },
    latency: { type: 'string', default: '10' },
    only: { type: 'string', default: '1,2,3,4,5,6' },
    'no-install': { type: 'boolean', default: false },
    // Leaves out the two rows that take minutes (benchmark 3's TensorFlow N+1 walk and rclone's
    // default lsjson -R, a HEAD per object), for a rerun of the rest; their goals are then not judged.
    'skip-slow': { type: 'boolean', default: false },
    // Node major lines to run every `ckpt` process row under, side by side in one run against the
    // same servers and trees (e.g. `--node 22,24`); by default the harness's own Node.
    node: { type: 'string' },
    scale: { type: 'boolean', default: false },
    'scale-sizes': { type: 'string', default: '10000,50000,200000' },
    rounds: { type: 'string', default: '3' },
    'seed-concurrency': { type: 'string', default: '64' },
    'sim-objects': { type: 'string', default: '1000000' },
    // Only the scale rows whose label contains one of these (comma-separated), beside the floor.
    'scale-rows': { type: 'string' },
    // A bucket an interrupted --scale run left behind (same keys): reused instead of seeding again.
    bucket: { type: 'string' },
  },
});
const SIZES = {
  full: { checkpoints: 10_000, zooModels: 1000, bigBytes: 2 ** 30, runs: 5, n1Runs: 1, startupRuns: 20, verifyGib: 1, verifyRuns: 3, cpRuns: 5 },
  small: { checkpoints: 200, zooModels: 20, bigBytes: 32 * 2 ** 20, runs: 2, n1Runs: 1, startupRuns: 5, verifyGib: 0.03125, verifyRuns: 1, cpRuns: 1 },
};
const size = SIZES[values.size];
if (!size) {
  process.stderr.write(`--size must be one of ${Object.keys(SIZES).join(', ')}\n`);
  process.exit(2);
}
const only = new Set(values.only.split(',').map((s) => Number(s.trim())));
const majors = values.node === undefined ? [] : values.node.split(',').map((s) => Number(s.trim()));
if (majors.some((m) => !Number.isInteger(m) || m < 22)) {
  process.stderr.write(`--node takes Node major lines of 22 or later, comma-separated; got ${JSON.stringify(values.node)}\n`);
  process.exit(2);
}
const t0 = Date.now();
const log = (line) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);

// The proxy and the CLI run from their builds: bring them up to date first.
for (const [what, args] of [
  ['tsc -b', [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']],
  ['the CLI fast-path bundle', [path.join(repo, 'cli', 'scripts', 'bundle-fast-path.mjs')]],
]) {
  const r = spawnSync(process.execPath, args, { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`[bench] ${what} failed\n`);
    process.exit(r.status ?? 1);
  }
}

/** The Node binaries `ckpt` runs under, fetched into the cache (decision 0014) when needed. */
const nodes = (majors.length === 0 ? [process.execPath] : majors.map((m) => (runtime.parse(process.version)[0] === m ? process.execPath : runtime.ensureNode(m, { log })))).map((exec) => ({
  exec,
  version: spawnSync(exec, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^v/, ''),
}));

const { startServers } = await import('./lib/servers.mjs');
if (values.scale) {
  const { runScale } = await import('./lib/scale-run.mjs');
  process.exit(await runScale({ repo, values, log, startServers }));
}
const { openStores } = await import('./lib/stores.mjs');
const { findPeers } = await import('./lib/peers.mjs');
const { machine, loadNow } = await import('./lib/measure.mjs');
const bench = await import('./lib/benchmarks.mjs');

const needsServers = [1, 2, 3, 6].some((b) => only.has(b));
const servers = needsServers ? startServers(repo, only.has(1) || only.has(2) || only.has(3) ? ['s3', 'gcs'] : ['s3'], log) : { env: {}, stop: () => undefined };
const home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-bench-home-'));
let stores = [];
let failed = false;
try {
  const peers = needsServers ? findPeers(log, { install: !values['no-install'] }) : {};
  stores = needsServers ? await openStores(servers.env, { latencyMs: Number(values.latency), bucket: `ckpt-bench-${process.pid}` }) : [];
  const ctx = { repo, size, stores, peers, home, log, runs: size.runs, bin: path.join(repo, 'cli', 'bin', 'ckpt.cjs'), skipSlow: values['skip-slow'], nodes };
  const out = [
    `## Benchmark run (${values.size}, ${values.latency} ms each way) ${new Date().toISOString()}`,
    '',
    machine(),
    `load average at start: ${loadNow()}`,
    `peers: ${peers.rcloneVersion ?? 'rclone not available'}; ${peers.awsVersion ?? 'aws-cli not available'}`,
    `ckpt processes under Node ${nodes.map((n) => n.version).join(' and ')}; the harness and library rows under Node ${process.version.slice(1)}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  const goals = [];
  const steps = [
    [[1, 2], 'latest', bench.benchLatest],
    [[3], 'find', bench.benchFind],
    [[4], 'start-up', bench.benchStartup],
    [[5], 'deep verify', bench.benchVerify],
    [[6], 'cp', bench.benchCp],
  ];
  for (const [ids, name, fn] of steps) {
    if (!ids.some((i) => only.has(i))) continue;
    log(`benchmark ${ids.join(' and ')}: ${name}`);
    const r = await fn(ctx);
    for (const t of r.tables) process.stdout.write(`${t}\n`);
    goals.push(...r.goals);
  }
  const caveat = values.size === 'full' ? '' : ` (at --size ${values.size} the trees and files are too small for the targets to mean anything: this run checks that the harness works)`;
  process.stdout.write(`\n### Goals${caveat}\n\n| goal | measured | target | met |\n|---|---|---|---|\n`);
  for (const g of goals) process.stdout.write(`| ${g.name} | ${g.value}${g.detail ? ` (${g.detail})` : ''} | ${g.target} | ${g.met ? 'yes' : '**no**'} |\n`);
  process.stdout.write(`\nload average at the end: ${loadNow()}; ${((Date.now() - t0) / 1000).toFixed(0)} s in all\n`);
} catch (error) {
  failed = true;
  process.stderr.write(`[bench] failed: ${error?.stack ?? error}\n`);
} finally {
  for (const s of stores) await s.close().catch(() => undefined);
  servers.stop();
  await fs.rm(home, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
