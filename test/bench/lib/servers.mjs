/**
 * The real servers of a benchmark run (Ceph RGW for S3, Google's storage emulator for GCS), started
 * with the test suite's own scripts in state folders of their own (`.servers/bench-<pid>/...`), so
 * that a benchmark never touches the servers of a test run, and stopped by those scripts (by pid).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Starts the named servers; resolves with their KEY=VALUE output merged and a `stop()` that stops
 * them all (also called on SIGINT/SIGTERM). A server that fails to start fails the run.
 */
export function startServers(repo, names, log) {
  const root = path.join(repo, '.servers', `bench-${process.pid}`);
  const scripts = { s3: ['rgw.sh', 'rgw'], gcs: ['gcs-emulator.sh', 'gcs'] };
  const started = [];
  const env = {};
  const stop = () => {
    for (const s of started.splice(0).reverse()) spawnSync('bash', [s.script, 'stop', s.state], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60_000 });
    fs.rmSync(root, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      stop();
      process.exit(130);
    });
  }
  for (const name of names) {
    const [file, dir] = scripts[name];
    const script = path.join(repo, 'test', 'servers', file);
    const state = path.join(root, dir);
    fs.mkdirSync(state, { recursive: true });
    const t0 = Date.now();
    const r = spawnSync('bash', [script, 'start', state], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    if (r.status !== 0) {
      spawnSync('bash', [script, 'stop', state], { stdio: 'ignore', timeout: 60_000 });
      stop();
      throw new Error(`could not start ${file} (exit ${r.status}):\n${r.stderr}${r.stdout}`);
    }
    started.push({ script, state });
    for (const line of r.stdout.split('\n')) {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (m) env[m[1]] = m[2];
    }
    log(`${file} up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { env, stop };
}
