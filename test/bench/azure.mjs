#!/usr/bin/env node
// Benchmarks 1-3 of docs/benchmarks.md (latest with and without a state file, find over a model-zoo
// mirror) on Azure Blob Storage: Azurite behind the project's latency proxy (test/proxy, 10 ms each
// way), with rclone's azureblob backend beside ckpt where Debian's rclone can reach Azurite.
//
//   node test/bench/azure.mjs [--size small|full] [--latency MS] [--runs N]
//
// Builds the workspace, starts its own Azurite with test/servers/azurite.sh (state under
// .servers/bench-azure-<pid>/), writes the trees, prints markdown tables (requests by kind, median
// and best wall time) and the goals, and stops Azurite. Timed runs go through the pure latency
// proxy; each row is counted once more through the recording proxy behind the same delay.
//
// rclone 1.60 (Debian 12) takes an Azure endpoint only as a host suffix (`https://<account>.<suffix>`)
// and its `--azureblob-use-emulator` fails here ("unsupported protocol scheme"), but a container
// SAS URL (`--azureblob-sas-url`, read-only, made with the SDK) names any endpoint: rclone goes
// through the same proxies that way. If rclone cannot list Azurite, its rows are left out, saying why.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const runtime = createRequire(import.meta.url)(path.join(repo, 'cli', 'bin', 'node-runtime.cjs'));
if (!runtime.atLeast(process.version, runtime.FLOOR)) {
  runtime.rerunUnderSupportedNode(fileURLToPath(import.meta.url), process.argv.slice(2));
  await new Promise(() => {});
}
const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'full' },
    latency: { type: 'string', default: '10' },
    runs: { type: 'string' },
  },
});
const SIZES = { full: { checkpoints: 10_000, zooModels: 1000, runs: 5 }, small: { checkpoints: 200, zooModels: 20, runs: 2 } };
const size = SIZES[values.size];
if (!size) {
  process.stderr.write(`--size must be one of ${Object.keys(SIZES).join(', ')}\n`);
  process.exit(2);
}
const runs = values.runs ? Number(values.runs) : size.runs;
const latencyMs = Number(values.latency);
const t0 = Date.now();
const log = (line) => process.stderr.write(`[bench-azure ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);

for (const [what, args] of [
  ['tsc -b', [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']],
  ['the CLI fast-path bundle', [path.join(repo, 'cli', 'scripts', 'bundle-fast-path.mjs')]],
]) {
  const r = spawnSync(process.execPath, args, { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`[bench-azure] ${what} failed\n`);
    process.exit(r.status ?? 1);
  }
}

// From test/'s dependencies (this script lives outside any package).
const fromTest = createRequire(path.join(repo, 'test', 'package.json'));
const imp = (name) => import(fromTest.resolve(name));
const { azureFactory, createAzureAdapter, createServiceClient, ensureAzureContainer, resolveAzureOptions } = await imp('@ckptkit/azure');
// The SAS for rclone is made with the SDK the adapter uses.
const { ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } = await import(
  createRequire(path.join(repo, 'adapters', 'azure', 'package.json')).resolve('@azure/storage-blob')
);
const { createGFile, createRegistry, listEntries } = await imp('@ckptkit/gfile');
const { findCheckpoints, latestCheckpoint } = await imp('@ckptkit/core');
const { startProxy } = await import('../dist/proxy/proxy.js');
const { loadNow, machine, measureRow, run, table } = await import('./lib/measure.mjs');
const { checkpointDir, stateFile, zoo } = await import('./lib/trees.mjs');

const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Requests of the recording proxy's log since `from`, by kind, read from the Blob REST API's shapes. */
function classify(requests, from = 0) {
  const out = { list: 0, get: 0, head: 0, put: 0, other: 0 };
  for (const r of requests.slice(from)) {
    const query = r.url.split('?')[1] ?? '';
    if (r.method === 'HEAD') out.head++;
    else if (r.method === 'PUT' || r.method === 'POST') out.put++;
    else if (r.method === 'GET' && /(^|&)comp=list(&|$)/.test(query)) out.list++;
    else if (r.method === 'GET') out.get++;
    else out.other++;
  }
  return out;
}
const sum = (r) => (r ? r.list + r.get + r.head + r.put + r.other : NaN);
const goal = (name, value, target, met, detail = '') => ({ name, value, target, met, detail });
function expect(cond, message) {
  if (!cond) throw new Error(`benchmark check failed: ${message}`);
}

const stateRoot = path.join(repo, '.servers', `bench-azure-${process.pid}`);
const script = path.join(repo, 'test', 'servers', 'azurite.sh');
const stopAzurite = () => {
  spawnSync('bash', [script, 'stop', stateRoot], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60_000 });
  spawnSync('rm', ['-rf', stateRoot]);
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    stopAzurite();
    process.exit(130);
  });
}

const home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-bench-az-home-'));
const closers = [];
let failed = false;
try {
  await fs.mkdir(stateRoot, { recursive: true });
  const started = spawnSync('bash', [script, 'start', stateRoot], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  if (started.status !== 0) throw new Error(`azurite.sh start failed:\n${started.stderr}`);
  const connection = /CKPT_TEST_AZURE_CONNECTION_STRING=(.*)/.exec(started.stdout)?.[1]?.trim();
  const origin = /BlobEndpoint=(http:\/\/[^/;]+)/.exec(connection ?? '')?.[1];
  if (!connection || !origin) throw new Error(`azurite.sh printed no connection string: ${started.stdout}`);
  log(`Azurite at ${origin}`);

  const timedProxy = await startProxy({ target: origin, latencyMs, faults: false });
  const countingProxy = await startProxy({ target: origin, latencyMs, faults: true });
  closers.push(() => timedProxy.close(), () => countingProxy.close());
  const endpointOf = (proxyUrl) => `${proxyUrl}/${ACCOUNT}`;
  const options = (endpoint) => ({ endpoint, account: ACCOUNT, accountKey: KEY, env: {} });
  const container = `bench-${process.pid}`;
  await ensureAzureContainer(container, options(`${origin}/${ACCOUNT}`));
  const gfileAt = (endpoint, extra = {}) => createGFile({ registry: createRegistry().register('az', () => azureFactory(options(endpoint))), ...extra });
  const direct = gfileAt(`${origin}/${ACCOUNT}`, { concurrency: 64 });
  closers.push(() => direct.close());
  const uri = (key) => `az://${container}/${key}`;
  const adapterAt = async (endpoint) => {
    const cfg = resolveAzureOptions(options(endpoint));
    return createAzureAdapter(container, await createServiceClient(cfg), cfg);
  };

  // rclone through a container SAS URL on the proxy's address (see the header), if it answers.
  let rclone = spawnSync('bash', ['-c', 'command -v rclone'], { encoding: 'utf8' }).stdout.trim() || undefined;
  if (!rclone && process.getuid?.() === 0) {
    log('installing rclone with apt-get');
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'rclone'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'ignore', timeout: 600_000 });
    rclone = spawnSync('bash', ['-c', 'command -v rclone'], { encoding: 'utf8' }).stdout.trim() || undefined;
  }
  const rcloneVersion = rclone ? spawnSync(rclone, ['version'], { encoding: 'utf8' }).stdout.split('\n')[0] : undefined;
  let rcloneNote = rclone ? '' : 'rclone not available';
  const sas = generateBlobSASQueryParameters(
    { containerName: container, permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 6 * 3600_000), version: '2019-12-12' },
    new StorageSharedKeyCredential(ACCOUNT, KEY),
  ).toString();
  const rcloneEnv = { PATH: process.env.PATH, HOME: home, RCLONE_CONFIG: path.join(home, 'no-rclone.conf') };
  const viaRclone = (proxyUrl, args) => run(rclone, [...args, '--azureblob-sas-url', `${endpointOf(proxyUrl)}/${container}?${sas}`], { env: rcloneEnv });
  if (rclone) {
    await direct.writeText(uri('probe/x'), 'x');
    const probe = await run(rclone, ['lsf', `:azureblob:${container}/probe`, '--azureblob-sas-url', `${origin}/${ACCOUNT}/${container}?${sas}`], { env: rcloneEnv, allowFail: true, timeoutMs: 120_000 });
    if (probe.code !== 0 || probe.stdout.trim() !== 'x') {
      rcloneNote = `${rcloneVersion} could not list Azurite through a container SAS URL (${(probe.stderr.trim().split('\n').at(-1) ?? '').slice(0, 200)}): its rows are left out`;
      rclone = undefined;
    }
  }

  const ckptEnv = { PATH: process.env.PATH, HOME: home, AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};` };
  const ckpt = (proxyUrl, args) => run(process.execPath, [path.join(repo, 'cli', 'bin', 'ckpt.cjs'), ...args, '--azure-endpoint', endpointOf(proxyUrl)], { env: ckptEnv });
  const row = (label, fn, check) =>
    measureRow({
      label,
      runs,
      timed: () => fn(timedProxy.url),
      counting: async () => {
        const mark = countingProxy.stats.requests.length;
        await fn(countingProxy.url);
        return classify(countingProxy.stats.requests, mark);
      },
      check,
    });
  const withGFile = async (proxyUrl, extra, fn) => {
    const g = gfileAt(endpointOf(proxyUrl), extra);
    try {
      return await fn(g);
    } finally {
      await g.close();
    }
  };
  const writeAll = async (keys) => {
    for (let i = 0; i < keys.length; i += 2000) {
      await Promise.all(keys.slice(i, i + 2000).map((k) => (k.endsWith('/') ? direct.makeDirs(uri(k.slice(0, -1))) : direct.writeText(uri(k), 'x'))));
    }
  };

  process.stdout.write(
    `## Azure Blob benchmark run (${values.size}, ${latencyMs} ms each way) ${new Date().toISOString()}\n\n${machine()}\nload average at start: ${loadNow()}\nAzurite 3.37.0 (in memory); peers: ${rcloneVersion ?? rcloneNote}\n`,
  );
  const goals = [];

  // Benchmarks 1 and 2: latest in a directory of N checkpoints, with and without the state file.
  const n = size.checkpoints;
  const objects = 3 * n;
  log(`writing ${objects + 1} blobs (${n} checkpoints)`);
  await writeAll(checkpointDir('latest', n));
  await direct.writeText(uri('latest/checkpoint'), stateFile(n));
  const want = `${uri('latest')}/ckpt-${n}`;
  let load = loadNow();
  const rows1 = [
    await row('ckptkit latestCheckpoint (library)', (ep) => withGFile(ep, {}, (g) => latestCheckpoint(uri('latest'), { gfile: g })), (r) => expect(r.checkpoint?.prefix === want && r.checkpoint.source === 'state', 'latest')),
    await row('ckpt latest --json (process)', (ep) => ckpt(ep, ['latest', '--json', uri('latest')]), (r) => expect(JSON.parse(r.stdout).prefix === want, 'ckpt latest')),
    await row('ckpt latest --tf-compat --json (process)', (ep) => ckpt(ep, ['latest', '--tf-compat', '--json', uri('latest')]), (r) => expect(JSON.parse(r.stdout).prefix === want, 'ckpt latest --tf-compat')),
  ];
  process.stdout.write(
    `${table(`Benchmark 1 on Azure: latest with a state file, ${n.toLocaleString('en')} checkpoints (${objects.toLocaleString('en')} blobs), Azurite`, rows1, { ref: 'ckptkit latestCheckpoint (library)', note: `load ${load} -> ${loadNow()}. Goal: at most 2 requests.` })}\n`,
  );
  for (const r of rows1.filter((x) => x.label.startsWith('ckpt '))) goals.push(goal(`1 azure: ${r.label} requests`, sum(r.requests), '<= 2', sum(r.requests) <= 2));

  await direct.remove(uri('latest/checkpoint'));
  const pages = Math.ceil(objects / 5000);
  load = loadNow();
  const rows2 = [
    await row('floor: one delimiter listing, pages one after another', async (ep) => {
      const a = await adapterAt(endpointOf(ep));
      let k = 0;
      for await (const e of listEntries(a, 'latest/', { delimiter: true })) k += e.kind === 'file' ? 1 : 0;
      return k;
    }, (k) => expect(k === objects, `floor listed ${k}`)),
    await row('ckptkit latestCheckpoint (library)', (ep) => withGFile(ep, {}, (g) => latestCheckpoint(uri('latest'), { gfile: g })), (r) => expect(r.checkpoint?.prefix === want && r.checkpoint.source === 'scan', 'scan')),
    await row('ckpt latest --json (process)', (ep) => ckpt(ep, ['latest', '--json', uri('latest')]), (r) => expect(JSON.parse(r.stdout).prefix === want, 'ckpt latest scan')),
  ];
  if (rclone) {
    rows2.push(await row('rclone lsf (the listing a script sorts)', (ep) => viaRclone(ep, ['lsf', `:azureblob:${container}/latest`]), (r) => expect(r.stdout.split('\n').filter(Boolean).length === objects, 'rclone lsf')));
  }
  process.stdout.write(
    `${table('Benchmark 2 on Azure: latest without a state file, the same directory, Azurite', rows2, {
      ref: 'floor: one delimiter listing, pages one after another',
      note: `load ${load} -> ${loadNow()}. Goal: ceil(${objects}/5000) = ${pages} list requests (plus the one GET that finds no state file).${rclone ? '' : ` ${rcloneNote}.`}`,
    })}\n`,
  );
  for (const r of rows2.filter((x) => x.label.startsWith('ckpt '))) goals.push(goal(`2 azure: ${r.label} list requests`, r.requests.list, `= ${pages}`, r.requests.list === pages, `${sum(r.requests)} requests in all`));

  // Benchmark 3: find over a model-zoo mirror.
  const m = size.zooModels;
  log(`writing the zoo mirror (${m} folders, ${8 * m} blobs)`);
  await writeAll(zoo('zoo', m));
  load = loadNow();
  const found = (r) => expect(r.length === m && r.every((c) => c.format === 'tf-od-zoo-v2' && c.complete), `find gave ${r.length}`);
  const files = (r) => JSON.parse(r.stdout).filter((e) => !e.IsDir).length;
  const rows3 = [
    await row('floor: one flat listing, pages one after another', async (ep) => {
      const a = await adapterAt(endpointOf(ep));
      let k = 0;
      for await (const e of listEntries(a, 'zoo/')) k += e.kind === 'file' ? 1 : 0;
      return k;
    }, (k) => expect(k === 7 * m, `floor listed ${k}`)),
    await row('ckptkit findCheckpoints (library)', (ep) => withGFile(ep, {}, (g) => findCheckpoints(uri('zoo'), { gfile: g })), found),
    await row('ckpt find --json (process)', (ep) => ckpt(ep, ['find', '--json', uri('zoo')]), (r) => expect(JSON.parse(r.stdout).length === m, 'ckpt find')),
  ];
  if (rclone) {
    rows3.push(
      await row('rclone lsjson -R --fast-list --no-modtime --no-mimetype', (ep) => viaRclone(ep, ['lsjson', '-R', '--fast-list', '--no-modtime', '--no-mimetype', `:azureblob:${container}/zoo`]), (r) => expect(files(r) === 7 * m, `rclone ${files(r)}`)),
      await row('rclone lsjson -R', (ep) => viaRclone(ep, ['lsjson', '-R', `:azureblob:${container}/zoo`]), (r) => expect(files(r) === 7 * m, `rclone ${files(r)}`)),
    );
  }
  process.stdout.write(
    `${table(`Benchmark 3 on Azure: find over a model-zoo mirror, ${m.toLocaleString('en')} folders of 8 blobs, Azurite`, rows3, {
      ref: 'floor: one flat listing, pages one after another',
      note: `load ${load} -> ${loadNow()}. Goals: find within 1.5x the floor, faster than rclone (whole processes).${rclone ? '' : ` ${rcloneNote}.`}`,
    })}\n`,
  );
  const by = (label) => rows3.find((r) => r.label === label);
  const floor = by('floor: one flat listing, pages one after another');
  const find = by('ckptkit findCheckpoints (library)');
  const cli = by('ckpt find --json (process)');
  goals.push(goal('3 azure: find / floor (wall)', (find.median / floor.median).toFixed(2), '<= 1.5', find.median <= 1.5 * floor.median, `${find.median.toFixed(3)} s vs ${floor.median.toFixed(3)} s`));
  for (const peer of rows3.filter((r) => r.label.startsWith('rclone'))) {
    goals.push(goal(`3 azure: ${peer.label} / ckpt find (processes, wall)`, (peer.median / cli.median).toFixed(2), '> 1', cli.median < peer.median, `${peer.median.toFixed(3)} s vs ${cli.median.toFixed(3)} s`));
  }

  process.stdout.write(`\n### Goals on Azure\n\n| goal | measured | target | met |\n|---|---|---|---|\n`);
  for (const g of goals) process.stdout.write(`| ${g.name} | ${g.value}${g.detail ? ` (${g.detail})` : ''} | ${g.target} | ${g.met ? 'yes' : '**no**'} |\n`);
  process.stdout.write(`\nload average at the end: ${loadNow()}; ${((Date.now() - t0) / 1000).toFixed(0)} s in all\n`);
} catch (error) {
  failed = true;
  process.stderr.write(`[bench-azure] failed: ${error?.stack ?? error}\n`);
} finally {
  for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
  stopAzurite();
  await fs.rm(home, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
