#!/usr/bin/env node
// Benchmark of archive views (issue 20, decision 0016), a script, not a test:
//
//   source /work/srv/env   # or any CKPT_TEST_S3_* pointing at an S3 server (Ceph RGW)
//   npx tsc -b && node test/bench/archives.mjs [--mib 1024] [--runs 2] [--latency 10]
//
// Writes a TF2-Detection-Zoo-shaped model of `--mib` MiB (64 data shards of random tensor bytes, a state
// file, the index, a SavedModel and pipeline.config) as a .tar.gz and as a .zip, uploads one at a
// time to a new bucket on the S3 server, and lists each through the project's latency proxy
// (test/proxy, 10 ms each way) with `ckpt ls -R` inside the archive, against what users do
// without it: `aws s3 cp s3://… - | tar tz` and download-then-`unzip -l`, in the same run. Prints
// a markdown table: median wall time, bytes read, requests, peak RSS (GNU time's %M). For the
// .tar.gz also `ckpt cp` of the checkpoint out of it to a local directory and `ckpt verify --deep`
// of it (the model is a real bundle written by the project's BundleWriter). The
// archives and the bucket are deleted at the end (RGW's memory store is shared and finite), also
// on failure.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { BundleWriter, dataFilename } from '@ckptkit/core';
import { deleteBucket } from '@ckptkit/s3';
import { median, run } from './lib/measure.mjs';
import { findPeers, peerEnv } from './lib/peers.mjs';
import { openStores } from './lib/stores.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { mib: { type: 'string', default: '1024' }, runs: { type: 'string', default: '2' }, latency: { type: 'string', default: '10' }, only: { type: 'string' } } });
// `--only verify`: just `ckpt verify --deep` of the .tar.gz, as tar stores the directory and with the `.index` first.
const ONLY_VERIFY = values.only === 'verify';
const MIB = Number(values.mib);
const RUNS = Number(values.runs);
const t0 = Date.now();
const log = (line) => process.stderr.write(`[archives ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
if (!process.env.CKPT_TEST_S3_ENDPOINT) {
  process.stderr.write('set CKPT_TEST_S3_ENDPOINT, CKPT_TEST_S3_ACCESS_KEY, CKPT_TEST_S3_SECRET_KEY (source /work/srv/env)\n');
  process.exit(2);
}

const MODEL = 'ssd_resnet152_v1_fpn_1024x1024_coco17_tpu-8';
const SHARDS = 64;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-archive-bench-'));
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-archive-bench-home-'));
const bucket = `ckpt-archive-bench-${randomBytes(4).toString('hex')}`;
const s3Env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CKPT_TEST_S3_')));
const [store] = await openStores(s3Env, { latencyMs: Number(values.latency), bucket });
const peers = findPeers(log, { install: false });

/** The model folder on disk: a real bundle of 64 shards of random tensor bytes (the project's BundleWriter), then the small members. */
async function writeModel() {
  const dir = path.join(work, 'src', MODEL);
  fs.mkdirSync(path.join(dir, 'checkpoint'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'saved_model'), { recursive: true });
  const shard = Math.floor((MIB * 2 ** 20) / SHARDS / 4) * 4;
  const writer = new BundleWriter({
    numShards: SHARDS,
    openShard: (id, n) => {
      const fd = fs.openSync(path.join(dir, 'checkpoint', path.basename(dataFilename('ckpt-0', id, n))), 'w');
      return { write: (c) => void fs.writeSync(fd, c), close: () => fs.closeSync(fd) };
    },
  });
  let t = 0;
  for (let i = 0; i < SHARDS; i++) {
    for (let left = shard; left > 0; left -= 4 * 2 ** 20) {
      const data = randomBytes(Math.min(4 * 2 ** 20, left));
      await writer.add(`model/layer_${t++}/kernel/.ATTRIBUTES/VARIABLE_VALUE`, { dtype: 'DT_FLOAT', shape: [data.length / 4], data }, { shard: i });
    }
  }
  fs.writeFileSync(path.join(dir, 'checkpoint', 'ckpt-0.index'), await writer.finish());
  fs.writeFileSync(path.join(dir, 'checkpoint', 'checkpoint'), 'model_checkpoint_path: "ckpt-0"\nall_model_checkpoint_paths: "ckpt-0"\n');
  fs.writeFileSync(path.join(dir, 'saved_model', 'saved_model.pb'), randomBytes(4096));
  fs.writeFileSync(path.join(dir, 'pipeline.config'), 'model { ssd { num_classes: 90 } }\n');
  return SHARDS + 4;
}

/** Runs a command under GNU time: wall seconds, peak RSS in MiB, and its output. */
async function timed(cmd, args, env) {
  const tfile = path.join(work, 'time.txt');
  const start = performance.now();
  const r = await run('/usr/bin/time', ['-f', '%M', '-o', tfile, cmd, ...args], { env });
  const seconds = (performance.now() - start) / 1000;
  const rssMiB = Number(fs.readFileSync(tfile, 'utf8').trim().split('\n').at(-1)) / 1024;
  return { seconds, rssMiB, stdout: r.stdout, stderr: r.stderr };
}

async function row(label, fn, check) {
  const results = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await fn();
    check(r);
    results.push(r);
  }
  const best = results.reduce((a, b) => (a.seconds < b.seconds ? a : b));
  return { label, seconds: median(results.map((r) => r.seconds)), best: best.seconds, rssMiB: Math.max(...results.map((r) => r.rssMiB)), bytesRead: results[0].bytesRead, requests: results[0].requests };
}

const fmtBytes = (n) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
const ckptEnv = store.cliEnv(home);
const awsEnv = peerEnv(store, home);
const tables = [];

try {
  const members = await writeModel();
  log(`model folder written: ${members} files, ${MIB} MiB`);
  const tgz = {
    name: '.tar.gz',
    file: path.join(work, `${MODEL}.tar.gz`),
    make: (file) => spawnSync('bash', ['-c', `tar -C ${JSON.stringify(path.join(work, 'src'))} -cf - ${MODEL} | gzip -1 > ${JSON.stringify(file)}`], { stdio: 'inherit' }),
    ckpt: (uri) => `tar:${uri}!/`,
    peerLabel: 'aws s3 cp - | tar tz',
    peer: (uri, ep) => ['bash', ['-c', `${peers.aws} s3 cp ${uri} - --endpoint-url ${ep} | tar tz | wc -l`]],
    peerLines: (out) => Number(out.trim()),
  };
  const zip = {
    name: '.zip',
    file: path.join(work, `${MODEL}.zip`),
    make: (file) => spawnSync('bash', ['-c', `cd ${JSON.stringify(path.join(work, 'src'))} && zip -q -1 -r ${JSON.stringify(file)} ${MODEL}`], { stdio: 'inherit' }),
    ckpt: (uri) => `zip:${uri}!/`,
    peerLabel: 'aws s3 cp (download), then unzip -l',
    peer: (uri, ep) => ['bash', ['-c', `${peers.aws} s3 cp ${uri} ${JSON.stringify(path.join(work, 'dl.zip'))} --only-show-errors --endpoint-url ${ep} && unzip -l ${JSON.stringify(path.join(work, 'dl.zip'))} | tail -1 && rm -f ${JSON.stringify(path.join(work, 'dl.zip'))}`]],
    peerLines: (out) => Number(out.trim().split(/\s+/)[1]),
  };
  // The same members, the `.index` first (the rest in the order the file system lists them).
  const indexFirst = {
    name: '.tar.gz, index first',
    file: path.join(work, `${MODEL}-index-first.tar.gz`),
    make: (file) =>
      spawnSync('bash', ['-c', `cd ${JSON.stringify(path.join(work, 'src'))} && (echo ${MODEL}/checkpoint/ckpt-0.index; find ${MODEL} -type f ! -name ckpt-0.index) | tar -cf - --no-recursion -T - | gzip -1 > ${JSON.stringify(file)}`], { stdio: 'inherit' }),
    ckpt: (uri) => `tar:${uri}!/`,
  };
  const cases = ONLY_VERIFY ? [tgz, indexFirst] : [tgz, zip];
  for (const c of cases) {
    const made = c.make(c.file);
    if (made.status !== 0) throw new Error(`could not make ${c.file}`);
    const size = fs.statSync(c.file).size;
    const uri = store.uri(path.basename(c.file));
    log(`${c.name}: ${fmtBytes(size)}, uploading`);
    await store.direct.copy(`file://${c.file}`, uri);
    fs.rmSync(c.file);
    const rows = [];
    if (!ONLY_VERIFY) rows.push(
      await row(
        `ckpt ls -R ${c.name === '.zip' ? 'zip' : 'tar'}:…!/`,
        async () => {
          const r = await timed(process.execPath, [path.join(repo, 'cli', 'bin', 'ckpt.cjs'), 'ls', '-R', '--json', '--stats', c.ckpt(uri), ...store.cliArgs(store.timed)], ckptEnv);
          const stats = JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{"stats"'))).stats;
          return { ...r, bytesRead: stats.bytesRead, requests: Object.entries(stats.requests).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') };
        },
        (r) => {
          const files = JSON.parse(r.stdout).filter((e) => e.kind === 'file').length;
          if (files !== members) throw new Error(`ckpt listed ${files} files, not ${members}`);
        },
      ),
    );
    if (c.name.startsWith('.tar.gz')) {
      // The checkpoint out of the archive (one pass: its listing stages the shards), and deep verification (two).
      const member = `${c.ckpt(uri)}${MODEL}/checkpoint/ckpt-0`;
      const dst = path.join(work, 'cp-out');
      const counted = async (args) => {
        const r = await timed(process.execPath, [path.join(repo, 'cli', 'bin', 'ckpt.cjs'), ...args, '--stats', ...store.cliArgs(store.timed)], ckptEnv);
        const stats = JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{"stats"'))).stats;
        return { ...r, bytesRead: stats.bytesRead, requests: Object.entries(stats.requests).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') };
      };
      if (!ONLY_VERIFY) rows.push(
        await row(
          'ckpt cp tar:…!/…/ckpt-0 ./dir',
          async () => {
            fs.rmSync(dst, { recursive: true, force: true });
            return counted(['cp', member, dst]);
          },
          (r) => {
            const files = fs.readdirSync(dst).filter((f) => f.startsWith('ckpt-0.')).length;
            if (files !== SHARDS + 1) throw new Error(`cp wrote ${files} files, not ${SHARDS + 1}: ${r.stderr}`);
          },
        ),
      );
      fs.rmSync(dst, { recursive: true, force: true });
      rows.push(
        await row(
          'ckpt verify --deep tar:…!/…/ckpt-0',
          () => counted(['verify', '--deep', member]),
          // A problem is exit 3, which fails the run.
          (r) => {
            if (!(r.bytesRead >= size)) throw new Error(`verify read ${r.bytesRead} bytes of ${size}`);
          },
        ),
      );
    }
    if (peers.aws && !ONLY_VERIFY) {
      rows.push(
        await row(
          c.peerLabel,
          async () => ({ ...(await timed(...c.peer(uri, store.timed), awsEnv)), bytesRead: size, requests: 'the whole object' }),
          (r) => {
            const n = c.peerLines(r.stdout);
            if (!(n >= members)) throw new Error(`${c.peerLabel} listed ${r.stdout.trim()}`);
          },
        ),
      );
    }
    await store.direct.remove(uri);
    log(`${c.name}: done, deleted`);
    tables.push({ name: c.name, size, rows });
  }
} finally {
  try {
    for await (const f of store.direct.list(store.root, { recursive: true })) if (f.kind === 'file') await store.direct.remove(f.uri);
    await deleteBucket(bucket, { endpoint: store.server, region: store.region, credentials: store.credentials });
  } catch (error) {
    log(`cleanup: ${error.message}`);
  }
  await store.close();
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
}

let out = `### Listing a ${MIB} MiB archive on S3 (Ceph RGW) behind the ${values.latency} ms proxy\n\n`;
out += `One TF2 Detection Zoo model (a real bundle of ${SHARDS} data shards of random tensor bytes, its index, state file, SavedModel, config), median of ${RUNS} runs each, all in one run on ${os.cpus().length} cores (${new Date().toISOString().slice(0, 10)}, Node ${process.version}).\n\n`;
out += '| archive | command | median s | best s | bytes read | requests | peak RSS |\n|---|---|---:|---:|---:|---|---:|\n';
for (const t of tables) for (const r of t.rows) out += `| ${t.name} (${fmtBytes(t.size)}) | \`${r.label.replaceAll("|", "\\|")}\` | ${r.seconds.toFixed(2)} | ${r.best.toFixed(2)} | ${fmtBytes(r.bytesRead)} | ${r.requests} | ${r.rssMiB.toFixed(0)} MiB |\n`;
process.stdout.write(`${out}\n`);
