/**
 * `run.mjs --scale`: the scale benchmark on RGW (lib/scale.mjs) and the listing simulation
 * (../listing-sim.mjs), printed as markdown on stdout (progress on stderr). Resolves with the exit code.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadNow, machine } from './measure.mjs';
import { findPeers } from './peers.mjs';
import { benchScale } from './scale.mjs';

export async function runScale({ repo, values, log, startServers }) {
  const sizes = values['scale-sizes'].split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0).sort((a, b) => a - b);
  const rounds = Number(values.rounds);
  if (sizes.length === 0 || !(rounds >= 1)) {
    process.stderr.write('--scale-sizes must be positive integers, --rounds at least 1\n');
    return 2;
  }
  // The running servers of the machine when named (never a second RGW next to them), else our own.
  const own = !process.env.CKPT_TEST_S3_ENDPOINT;
  const servers = own ? startServers(repo, ['s3'], log) : { env: process.env, stop: () => undefined };
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-scale-home-'));
  let code = 0;
  try {
    const peers = findPeers(log, { install: !values['no-install'] });
    process.stdout.write(`## Scale benchmark ${new Date().toISOString()}\n\n${machine()}\nload average at start: ${loadNow()}\npeers: ${peers.rcloneVersion ?? 'rclone not available'}; ${peers.awsVersion ?? 'aws-cli not available'}\n`);
    process.stdout.write(`reproduce: \`node test/bench/run.mjs --scale --scale-sizes ${sizes.join(',')} --rounds ${rounds} --latency ${values.latency} --sim-objects ${values['sim-objects']}${values['scale-rows'] ? ` --scale-rows '${values['scale-rows']}'` : ''}\`\n`);
    const r = await benchScale({ repo, env: servers.env, log, sizes, rounds, latencyMs: Number(values.latency), peers, home, bin: path.join(repo, 'cli', 'bin', 'ckpt.cjs'), seedConcurrency: Number(values['seed-concurrency']), bucket: values.bucket, rows: values['scale-rows'] ? values['scale-rows'].split(',').map((w) => w.trim()).filter((w) => w !== '') : undefined });
    for (const t of r.tables) process.stdout.write(`${t}\n`);
    const sim = Number(values['sim-objects']);
    if (sim > 0) {
      log(`listing simulation at ${sim} objects`);
      const s = spawnSync(process.execPath, [path.join(repo, 'test', 'bench', 'listing-sim.mjs'), '--objects', String(sim)], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 3_600_000, maxBuffer: 64 * 2 ** 20 });
      process.stdout.write(`\n${s.stdout}`);
      if (s.status !== 0) code = 1;
    }
  } catch (error) {
    code = 1;
    process.stderr.write(`[bench] failed: ${error?.stack ?? error}\n`);
  } finally {
    servers.stop();
    await fs.rm(home, { recursive: true, force: true });
  }
  return code;
}
