#!/usr/bin/env node
// The one test command (`pnpm test`): starts the real servers the suites need (Ceph RGW for S3,
// Google's storage emulator for GCS), runs vitest with their endpoints in the environment, and
// stops the servers by pid whatever happens.
//
// Each server script in test/servers/ is called as `<script> start <state-dir>` and prints
// KEY=VALUE lines (endpoints, test credentials) on stdout; `<script> stop <state-dir>` stops it.
// Set CKPT_SKIP_SERVERS=1 to run without servers (server suites then skip visibly, or fail under CI=true).
//
// Node versions (decision 0014): the suite runs once, under the running Node when the tooling
// supports it (22.13+, 24, 26+), else under Node 24 fetched from the npm registry into a cache
// (cli/bin/node-runtime.cjs). `--node 22,24` (or CKPT_TEST_NODE=22,24) runs it once per line
// named, one after the other against the same servers; `--node all` or CI=true runs every line
// CI tests (22 and 24). The exit status is the first failure's.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const runtime = createRequire(import.meta.url)(path.join(repo, 'cli', 'bin', 'node-runtime.cjs'));

/** What vitest 5 and eslint 10 run on (the root package's engines: ^22.13, ^24, >= 26). */
const testable = (version) => {
  const [major] = runtime.parse(version);
  return major === 22 ? runtime.atLeast(version, '22.13.0') : major === 24 || major >= 26;
};

function requestedLines() {
  const args = process.argv.slice(2);
  const i = args.findIndex((a) => a === '--node' || a.startsWith('--node='));
  let spec = process.env.CKPT_TEST_NODE;
  if (i >= 0) {
    spec = args[i].includes('=') ? args[i].slice('--node='.length) : args[i + 1];
    args.splice(i, args[i].includes('=') ? 1 : 2);
  }
  if (spec === undefined && process.env.CI === 'true') spec = 'all';
  const lines = spec === undefined ? [] : spec === 'all' ? runtime.TESTED_MAJORS : spec.split(',').map((m) => Number(m.trim()));
  if (lines.some((m) => !Number.isInteger(m) || m < 22)) {
    process.stderr.write(`[test] --node takes Node major lines of 22 or later, comma-separated, or "all"; got ${JSON.stringify(spec)}\n`);
    process.exit(2);
  }
  return { lines, vitestArgs: args };
}

/** The Node binaries to run the suite under, fetched into the cache when needed. */
function nodesToTest(lines) {
  const log = (line) => process.stderr.write(`[test] ${line}\n`);
  if (lines.length === 0) return [testable(process.version) ? process.execPath : runtime.ensureNode(runtime.PREFERRED_MAJOR, { log })];
  return lines.map((m) => (runtime.parse(process.version)[0] === m && testable(process.version) ? process.execPath : runtime.ensureNode(m, { log })));
}

const { lines, vitestArgs } = requestedLines();
let nodes;
try {
  nodes = nodesToTest(lines);
} catch (error) {
  process.stderr.write(`[test] no Node to run the suite under: ${error.message}\n`);
  process.exit(2);
}
// One state folder per run, so two runs in one checkout never stop each other's servers.
const stateRoot = path.join(repo, '.servers', `run-${process.pid}`);
const servers = [
  { name: 's3 (Ceph RGW)', script: path.join(here, 'servers', 'rgw.sh'), dir: 'rgw' },
  { name: 'gcs (storage emulator)', script: path.join(here, 'servers', 'gcs-emulator.sh'), dir: 'gcs' },
  { name: 'azure (Azurite)', script: path.join(here, 'servers', 'azurite.sh'), dir: 'azurite' },
];

// End-to-end tests run the built CLI: bring dist/ up to date first (incremental, fast when nothing changed).
const build = spawnSync(nodes[0], [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: repo, stdio: 'inherit' });
if (build.status !== 0) {
  process.stderr.write('[test] the TypeScript build failed\n');
  process.exit(build.status ?? 1);
}
// The one-file bundle of `ckpt latest`'s start-up fast path (without it the CLI runs the unbundled modules).
const bundle = spawnSync(nodes[0], [path.join(repo, 'cli', 'scripts', 'bundle-fast-path.mjs')], { cwd: repo, stdio: 'inherit' });
if (bundle.status !== 0) {
  process.stderr.write('[test] bundling the CLI fast path failed\n');
  process.exit(bundle.status ?? 1);
}

const env = { ...process.env };
const started = [];

function stopAll() {
  for (const s of started.splice(0).reverse()) {
    spawnSync('bash', [s.script, 'stop', s.state], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60_000 });
  }
  fs.rmSync(stateRoot, { recursive: true, force: true });
}

if (process.env.CKPT_SKIP_SERVERS !== '1') {
  for (const s of servers) {
    if (!fs.existsSync(s.script)) continue;
    const state = path.join(stateRoot, s.dir);
    fs.mkdirSync(state, { recursive: true });
    const t0 = Date.now();
    const r = spawnSync('bash', [s.script, 'start', state], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    if (r.status !== 0) {
      process.stderr.write(`[test] could not start ${s.name} (exit ${r.status}):\n${r.stderr}${r.stdout}\n`);
      spawnSync('bash', [s.script, 'stop', state], { stdio: 'ignore', timeout: 60_000 });
      continue;
    }
    started.push({ ...s, state });
    for (const line of r.stdout.split('\n')) {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (m) env[m[1]] = m[2];
    }
    process.stderr.write(`[test] ${s.name} up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    stopAll();
    process.exit(130);
  });
}

const vitest = path.join(repo, 'node_modules', 'vitest', 'vitest.mjs');

// The failures of every run are printed again at the very end: CI keeps only the tail of a long
// log, and with two runs (Node 22, then 24) the first run's failures would otherwise scroll out of it.
const ownReporters = !vitestArgs.some((a) => a.startsWith('--reporter') || a.startsWith('--outputFile'));

/** One vitest run under `node`; `node` also comes first on PATH, for what the tests start by name. */
function runSuite(node) {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const runEnv = { ...env, PATH: `${path.dirname(node)}${path.delimiter}${env.PATH ?? ''}` };
  process.stderr.write(`[test] node ${version} (${node})\n`);
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-test-report-')), 'report.json');
  const reporters = ownReporters ? ['--reporter=default', '--reporter=json', `--outputFile.json=${report}`] : [];
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(node, [vitest, 'run', ...reporters, ...vitestArgs], { cwd: repo, env: runEnv, stdio: 'inherit' });
    child.on('exit', (code, signal) =>
      resolve({ version, code: code ?? (signal ? 1 : 0), seconds: (Date.now() - t0) / 1000, failures: ownReporters ? failuresIn(report) : [] }),
    );
  });
}

/** Failed tests (and test files that failed outside any test) from vitest's JSON report, as text. */
function failuresIn(report) {
  let json;
  try {
    json = JSON.parse(fs.readFileSync(report, 'utf8'));
  } catch {
    return [];
  } finally {
    fs.rmSync(path.dirname(report), { recursive: true, force: true });
  }
  const out = [];
  const clip = (text) => {
    // vitest's own frames say nothing about the failure.
    const lines = String(text).split('\n').filter((l) => !/^\s+at .*node_modules/.test(l) && !/^\s+at new Promise/.test(l));
    return lines.length > 25 ? [...lines.slice(0, 25), `    … ${lines.length - 25} more lines`].join('\n') : lines.join('\n');
  };
  for (const file of json.testResults ?? []) {
    const name = path.relative(repo, file.name ?? '');
    const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const a of failed) out.push(`FAIL ${name} > ${a.fullName ?? a.title}\n${clip((a.failureMessages ?? []).join('\n'))}`);
    if (failed.length === 0 && file.status === 'failed') out.push(`FAIL ${name}\n${clip(file.message ?? '(no message)')}`);
  }
  return out;
}

const results = [];
for (const node of nodes) results.push(await runSuite(node));
stopAll();
for (const r of results) {
  if (r.failures.length === 0) continue;
  process.stderr.write(`\n[test] node ${r.version}: ${r.failures.length} failure(s), again:\n`);
  for (const f of r.failures) process.stderr.write(`${f}\n\n`);
}
if (results.length > 1) {
  for (const r of results) process.stderr.write(`[test] node ${r.version}: ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`} in ${r.seconds.toFixed(0)} s\n`);
}
process.exit(results.find((r) => r.code !== 0)?.code ?? 0);
