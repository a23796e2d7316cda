#!/usr/bin/env node
// The one test command (`pnpm test`): starts the real servers the suites need (Ceph RGW for S3,
// Google's storage emulator for GCS), runs vitest with their endpoints in the environment, and
// stops the servers by pid whatever happens.
//
// Each server script in test/servers/ is called as `<script> start <state-dir>` and prints
// KEY=VALUE lines (endpoints, test credentials) on stdout; `<script> stop <state-dir>` stops it.
// Set CKPT_SKIP_SERVERS=1 to run without servers (server suites then skip visibly, or fail under CI=true).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
// One state folder per run, so two runs in one checkout never stop each other's servers.
const stateRoot = path.join(repo, '.servers', `run-${process.pid}`);
const servers = [
  { name: 's3 (Ceph RGW)', script: path.join(here, 'servers', 'rgw.sh'), dir: 'rgw' },
  { name: 'gcs (storage emulator)', script: path.join(here, 'servers', 'gcs-emulator.sh'), dir: 'gcs' },
];

// End-to-end tests run the built CLI: bring dist/ up to date first (incremental, fast when nothing changed).
const build = spawnSync(process.execPath, [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: repo, stdio: 'inherit' });
if (build.status !== 0) {
  process.stderr.write('[test] the TypeScript build failed\n');
  process.exit(build.status ?? 1);
}
// The one-file bundle of `ckpt latest`'s start-up fast path (without it the CLI runs the unbundled modules).
const bundle = spawnSync(process.execPath, [path.join(repo, 'cli', 'scripts', 'bundle-fast-path.mjs')], { cwd: repo, stdio: 'inherit' });
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
const child = spawn(process.execPath, [vitest, 'run', ...process.argv.slice(2)], { cwd: repo, env, stdio: 'inherit' });
child.on('exit', (code, signal) => {
  stopAll();
  process.exit(code ?? (signal ? 1 : 0));
});
