#!/usr/bin/env node
// Benchmark of issue 21 (a script, not a test): pruning a directory of N TensorFlow checkpoints
// (3 objects each: 10,000 checkpoints, 30,000 objects by default) on S3 (Ceph RGW) behind the
// project's latency proxy (10 ms each way), keeping the newest, against the scripts people write:
//
//   source /work/srv/env   # the running RGW: CKPT_TEST_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY
//   node test/bench/prune.mjs [--checkpoints 10000] [--latency 10] [--sample 20]
//
// Rows, each on a freshly seeded directory, timed and counted in one run through the recording
// proxy (the latency applies to every request):
//   - `ckpt prune --yes --keep-last 1` (one listing, the state file rewritten, DeleteObjects of 1,000 keys);
//   - `aws s3 rm --recursive` of the directory with `--exclude` for what is kept (one process, one
//     DeleteObject per key);
//   - `rclone delete` with the same filter (when rclone is installed);
//   - the per-checkpoint loop `for each: aws s3 rm --recursive --exclude '*' --include 'ckpt-N.*'`,
//     timed on `--sample` checkpoints and extrapolated to all (it lists the whole directory every time).
// The benchmark bucket is deleted at the end. It never starts or stops servers.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { deleteBucket } from '@ckptkit/s3';
import { openStores } from './lib/stores.mjs';
import { findPeers, peerEnv, rcloneS3 } from './lib/peers.mjs';
import { loadNow, machine, run, table } from './lib/measure.mjs';
import { checkpointDir, writeKeys } from './lib/trees.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { checkpoints: { type: 'string', default: '10000' }, latency: { type: 'string', default: '10' }, sample: { type: 'string', default: '20' } } });
const N = Number(values.checkpoints);
const SAMPLE = Math.min(Number(values.sample), N - 1);
const t0 = Date.now();
const log = (line) => process.stderr.write(`[prune-bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
if (!process.env.CKPT_TEST_S3_ENDPOINT) {
  process.stderr.write('prune-bench: no S3 server: `source /work/srv/env` (CKPT_TEST_S3_ENDPOINT, CKPT_TEST_S3_ACCESS_KEY, CKPT_TEST_S3_SECRET_KEY)\n');
  process.exit(2);
}

const bucket = `ckpt-bench-prune-${process.pid}`;
const [store] = await openStores({ CKPT_TEST_S3_ENDPOINT: process.env.CKPT_TEST_S3_ENDPOINT, CKPT_TEST_S3_ACCESS_KEY: process.env.CKPT_TEST_S3_ACCESS_KEY, CKPT_TEST_S3_SECRET_KEY: process.env.CKPT_TEST_S3_SECRET_KEY, CKPT_TEST_S3_REGION: process.env.CKPT_TEST_S3_REGION }, { latencyMs: Number(values.latency), bucket });
const home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-prune-bench-'));
const peers = findPeers(log, { install: true });
const keysOf = (dir) => checkpointDir(dir, N);
const STATE = (n) => `model_checkpoint_path: "ckpt-${n}"\nall_model_checkpoint_paths: "ckpt-${n - 1}"\nall_model_checkpoint_paths: "ckpt-${n}"\n`;
const rows = [];

async function seed(dir) {
  const keys = keysOf(dir);
  for (let i = 0; i < keys.length; i += 2000) await writeKeys(store.direct, store.root, keys.slice(i, i + 2000));
  await store.direct.writeText(store.uri(`${dir}/checkpoint`), STATE(N));
}

async function left(dir) {
  let n = 0;
  for await (const _ of store.direct.list(store.uri(dir), { recursive: true })) n++;
  return n;
}

/** Seeds `dir`, runs `fn` once through the recording proxy, checks that exactly the newest checkpoint (and the state file) is left. */
async function row(label, dir, fn, { expectLeft = 4 } = {}) {
  log(`seeding ${N} checkpoints (${3 * N} objects) for: ${label}`);
  await seed(dir);
  const mark = store.mark();
  const started = performance.now();
  const result = await fn();
  const seconds = (performance.now() - started) / 1000;
  const requests = store.since(mark);
  const remaining = await left(dir);
  if (remaining !== expectLeft) throw new Error(`${label}: ${remaining} objects left, expected ${expectLeft}`);
  log(`${label}: ${seconds.toFixed(2)} s, ${Object.values(requests).reduce((a, b) => a + b, 0)} requests`);
  rows.push({ label, runs: 1, median: seconds, min: seconds, max: seconds, requests, result });
  return result;
}

let failed = false;
try {
  const ckpt = (args) => run(process.execPath, [path.join(repo, 'cli', 'bin', 'ckpt.cjs'), ...args, ...store.cliArgs(store.counting)], { env: store.cliEnv(home) });
  const prune = await row('ckpt prune --yes --keep-last 1', 'ckpt', () => ckpt(['prune', '--yes', '--stats', '--keep-last', '1', store.uri('ckpt')]));
  const stats = prune.stderr.split('\n').find((l) => l.startsWith('{"stats"'));
  log(`ckpt --stats: ${stats}`);
  if (!peers.aws) log('aws-cli not found: its rows are left out');
  else {
    const env = peerEnv(store, home);
    const aws = (args) => run(peers.aws, ['--endpoint-url', store.counting, 's3', ...args], { env });
    await row("aws s3 rm --recursive --exclude 'ckpt-N.*' --exclude checkpoint", 'aws', () => aws(['rm', '--recursive', '--only-show-errors', `s3://${bucket}/aws/`, '--exclude', `ckpt-${N}.*`, '--exclude', 'checkpoint']));
    // The per-checkpoint loop: timed on SAMPLE checkpoints of a full directory, extrapolated.
    log(`seeding for the per-checkpoint loop (${SAMPLE} of ${N - 1} timed)`);
    await seed('loop');
    const mark = store.mark();
    const started = performance.now();
    for (let i = 1; i <= SAMPLE; i++) await aws(['rm', '--recursive', '--only-show-errors', `s3://${bucket}/loop/`, '--exclude', '*', '--include', `ckpt-${i}.*`]);
    const per = (performance.now() - started) / 1000 / SAMPLE;
    const req = store.since(mark);
    const perReq = Object.fromEntries(Object.entries(req).map(([k, v]) => [k, Math.round((v / SAMPLE) * (N - 1))]));
    if ((await left('loop')) !== 3 * N + 1 - 3 * SAMPLE) throw new Error('the per-checkpoint loop did not delete its sample');
    rows.push({ label: `aws s3 rm --recursive per checkpoint prefix (${SAMPLE} timed, x${N - 1} extrapolated)`, runs: 1, median: per * (N - 1), min: per * (N - 1), max: per * (N - 1), requests: perReq });
    log(`per-checkpoint loop: ${per.toFixed(2)} s a checkpoint`);
  }
  if (!peers.rclone) log('rclone not found: its row is left out');
  else {
    const env = peerEnv(store, home);
    await row("rclone delete --exclude 'ckpt-N.*' --exclude checkpoint", 'rclone', () => run(peers.rclone, ['delete', ...rcloneS3(store, store.counting), `:s3:${bucket}/rclone`, '--exclude', `ckpt-${N}.*`, '--exclude', 'checkpoint'], { env }));
  }
  const out = [
    `\n## Prune: ${N} checkpoints (${3 * N} objects) on ${store.name}, ${values.latency} ms each way, keeping the newest`,
    `\n${machine()}; load ${loadNow()}; ${new Date().toISOString()}; rclone ${peers.rcloneVersion ?? '-'}; ${peers.awsVersion ?? 'aws -'}`,
    table('wall time and requests', rows, { ref: 'ckpt prune --yes --keep-last 1' }),
  ].join('\n');
  process.stdout.write(`${out}\n`);
} catch (error) {
  failed = true;
  process.stderr.write(`prune-bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
} finally {
  log('deleting the benchmark bucket');
  try {
    if (await store.direct.exists(store.root + '/')) {
      for (const dir of ['ckpt', 'aws', 'loop', 'rclone']) if (await store.direct.exists(store.uri(dir))) await store.direct.removeTree(store.uri(dir));
    }
    await deleteBucket(bucket, { endpoint: process.env.CKPT_TEST_S3_ENDPOINT, region: process.env.CKPT_TEST_S3_REGION ?? 'us-east-1', credentials: { accessKeyId: process.env.CKPT_TEST_S3_ACCESS_KEY, secretAccessKey: process.env.CKPT_TEST_S3_SECRET_KEY } });
  } catch (error) {
    failed = true;
    process.stderr.write(`prune-bench: could not delete bucket ${bucket}: ${String(error)}\n`);
  }
  await store.close();
  await fs.rm(home, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
