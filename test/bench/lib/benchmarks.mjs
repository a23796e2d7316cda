/**
 * The six benchmarks of issue 8. Each returns `{ tables: string[], goals: Goal[] }`; a goal is a
 * measured value against its target, evaluated from the same run.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { latestCheckpoint, findCheckpoints, dataFilename, indexFilename } from '@ckptkit/core';
import { listEntries } from '@ckptkit/gfile';
import { loadNow, measureRow, median, run, table } from './measure.mjs';
import { peerEnv, rcloneS3 } from './peers.mjs';
import { tfGlob, tfLatestCheckpoint, tfWalk } from './tf-reenact.mjs';
import { checkpointDir, stateFile, writeBigCheckpoint, writeKeys, zoo } from './trees.mjs';

const goal = (name, value, target, met, detail = '') => ({ name, value, target, met, detail });
const sum = (r) => (r ? r.list + r.get + r.head + r.put + r.other : NaN);

/** Runs `fn` with a fresh facade through `endpoint` and closes it. */
async function withGFile(store, endpoint, options, fn) {
  const gfile = store.gfile(endpoint, options);
  try {
    return await fn(gfile);
  } finally {
    await gfile.close();
  }
}

/** A raw adapter (no layers: one call, one request) through `endpoint`. */
async function withAdapter(store, endpoint, fn) {
  const adapter = store.adapter(endpoint);
  try {
    return await fn(adapter);
  } finally {
    await adapter.close?.();
  }
}

/** A row timed through the latency proxy and counted once through the recording proxy. */
function row(ctx, store, label, fn, options = {}) {
  return measureRow({
    label,
    runs: options.runs ?? ctx.runs,
    warmup: options.warmup ?? 0,
    timed: () => fn(store.timed),
    counting: async () => {
      const mark = store.mark();
      await fn(store.counting);
      return store.since(mark);
    },
    check: options.check,
  });
}

/** The built `ckpt` as a process (start-up included), under `node` (one of `ctx.nodes`). */
function ckpt(ctx, store, endpoint, args, node) {
  return run(node.exec, [ctx.bin, ...args, ...store.cliArgs(endpoint)], { env: store.cliEnv(ctx.home) });
}

/** A `ckpt` row's label, naming the Node it ran under when the run compares several (`--node`). */
function nodeLabel(ctx, label, node) {
  if (ctx.nodes.length < 2) return label;
  return label.endsWith(')') ? `${label.slice(0, -1)}, Node ${node.version})` : `${label} (Node ${node.version})`;
}

/** The rows of one `ckpt` command, one per Node of the run, each timed and counted like {@link row}. */
async function ckptRows(ctx, store, label, args, options) {
  const rows = [];
  for (const node of ctx.nodes) rows.push(await row(ctx, store, nodeLabel(ctx, label, node), (ep) => ckpt(ctx, store, ep, args, node), options));
  return rows;
}

function expect(cond, message) {
  if (!cond) throw new Error(`benchmark check failed: ${message}`);
}

/** Benchmarks 1 and 2: latest with and without a state file in a directory of N checkpoints. */
export async function benchLatest(ctx) {
  const n = ctx.size.checkpoints;
  const objects = 3 * n;
  const tables = [];
  const goals = [];
  for (const store of ctx.stores) {
    const dir = 'latest';
    ctx.log(`${store.name}: writing ${objects + 1} objects (${n} checkpoints)`);
    await writeKeys(store.direct, store.root, checkpointDir(dir, n), () => 'x');
    await store.direct.writeText(store.uri(`${dir}/checkpoint`), stateFile(n));
    const uri = store.uri(dir);
    const want = `${uri}/ckpt-${n}`;

    // 1. With the state file.
    let load = loadNow();
    const rows1 = [
      await row(ctx, store, 'ckptkit latestCheckpoint (library)', (ep) => withGFile(store, ep, {}, (g) => latestCheckpoint(uri, { gfile: g })), {
        check: (r) => expect(r.checkpoint?.prefix === want && r.checkpoint.source === 'state', `latest ${JSON.stringify(r.checkpoint?.prefix)}`),
      }),
      ...(await ckptRows(ctx, store, 'ckpt latest --json (process)', ['latest', '--json', uri], {
        check: (r) => expect(JSON.parse(r.stdout).prefix === want, 'ckpt latest'),
      })),
      ...(await ckptRows(ctx, store, 'ckpt latest --tf-compat --json (process)', ['latest', '--tf-compat', '--json', uri], {
        check: (r) => expect(JSON.parse(r.stdout).prefix === want, 'ckpt latest --tf-compat'),
      })),
      await row(ctx, store, 'TensorFlow latest_checkpoint (re-enacted)', (ep) => withAdapter(store, ep, (a) => tfLatestCheckpoint(a, store.kind, dir)), {
        check: (r) => expect(r === `${dir}/ckpt-${n}`, `tf latest ${r}`),
      }),
    ];
    tables.push(
      table(`Benchmark 1: latest with a state file, ${n.toLocaleString('en')} checkpoints (${objects.toLocaleString('en')} objects), ${store.name}`, rows1, {
        ref: 'ckptkit latestCheckpoint (library)',
        note: `load ${load} -> ${loadNow()}. Goal: at most 2 requests.`,
      }),
    );
    for (const r of rows1.filter((x) => x.label.startsWith('ckpt'))) goals.push(goal(`1 ${store.kind}: ${r.label} requests`, sum(r.requests), '<= 2', sum(r.requests) <= 2));

    // 2. Without it (the same directory, state file removed).
    await store.direct.remove(store.uri(`${dir}/checkpoint`));
    const pages = Math.ceil(objects / 1000);
    load = loadNow();
    const rows2 = [
      await row(ctx, store, 'floor: one delimiter listing, pages one after another', (ep) => withAdapter(store, ep, async (a) => {
        let k = 0;
        for await (const e of listEntries(a, `${dir}/`, { delimiter: true })) k += e.kind === 'file' ? 1 : 0;
        return k;
      }), { check: (k) => expect(k === objects, `floor listed ${k}`) }),
      await row(ctx, store, 'ckptkit latestCheckpoint (library)', (ep) => withGFile(store, ep, {}, (g) => latestCheckpoint(uri, { gfile: g })), {
        check: (r) => expect(r.checkpoint?.prefix === want && r.checkpoint.source === 'scan', `scan ${JSON.stringify(r.checkpoint?.prefix)}`),
      }),
      ...(await ckptRows(ctx, store, 'ckpt latest --json (process)', ['latest', '--json', uri], {
        check: (r) => expect(JSON.parse(r.stdout).prefix === want, 'ckpt latest scan'),
      })),
      await row(ctx, store, "TensorFlow-style glob('ckpt-*.index'), highest step (re-enacted)", (ep) => withAdapter(store, ep, (a) => tfGlob(a, store.kind, `${dir}/ckpt-*.index`)), {
        check: (m) => expect(m.length === n, `tf glob ${m.length}`),
      }),
    ];
    if (store.kind === 's3') {
      const env = peerEnv(store, ctx.home);
      if (ctx.peers.aws) {
        rows2.push(await row(ctx, store, 'aws s3 ls (the listing a script sorts)', (ep) => run(ctx.peers.aws, ['s3', 'ls', `s3://${store.bucket}/${dir}/`, '--endpoint-url', ep], { env }), {
          check: (r) => expect(r.stdout.split('\n').filter(Boolean).length === objects, 'aws s3 ls'),
        }));
      }
      if (ctx.peers.rclone) {
        rows2.push(await row(ctx, store, 'rclone lsf (the listing a script sorts)', (ep) => run(ctx.peers.rclone, ['lsf', `:s3:${store.bucket}/${dir}`, ...rcloneS3(store, ep)], { env }), {
          check: (r) => expect(r.stdout.split('\n').filter(Boolean).length === objects, 'rclone lsf'),
        }));
      }
    }
    await store.direct.writeText(store.uri(`${dir}/checkpoint`), stateFile(n));
    tables.push(
      table(`Benchmark 2: latest without a state file, the same directory, ${store.name}`, rows2, {
        ref: 'floor: one delimiter listing, pages one after another',
        note: `load ${load} -> ${loadNow()}. Goal: ceil(${objects}/1000) = ${pages} list requests (plus the one GET that finds no state file).`,
      }),
    );
    // The store decides how many keys a page holds: the floor row (the same listing and nothing
    // else) shows the pages it needed, so a store answering short pages is told apart from us.
    const floorPages = rows2[0].requests.list;
    for (const r of rows2.filter((x) => x.label.startsWith('ckpt'))) goals.push(goal(`2 ${store.kind}: ${r.label} list requests`, r.requests.list, `= ${pages}`, r.requests.list === pages, `${sum(r.requests)} requests in all; the floor row's listing alone took ${floorPages} pages`));
  }
  return { tables, goals };
}

/** Benchmark 3: find over a model-zoo mirror. */
export async function benchFind(ctx) {
  const m = ctx.size.zooModels;
  const objects = 8 * m;
  const tables = [];
  const goals = [];
  for (const store of ctx.stores) {
    const dir = 'zoo';
    ctx.log(`${store.name}: writing the zoo mirror (${m} folders, ${objects} objects)`);
    await writeKeys(store.direct, store.root, zoo(dir, m), () => 'x');
    const uri = store.uri(dir);
    const load = loadNow();
    const found = (r) => expect(r.length === m && r.every((c) => c.format === 'tf-od-zoo-v2' && c.complete), `find gave ${r.length}`);
    const rows = [
      await row(ctx, store, 'floor: one flat listing, pages one after another', (ep) => withAdapter(store, ep, async (a) => {
        let k = 0;
        for await (const e of listEntries(a, `${dir}/`)) k += e.kind === 'file' ? 1 : 0;
        return k;
      }), { check: (k) => expect(k === objects - m, `floor listed ${k} files`) }),
      await row(ctx, store, 'ckptkit findCheckpoints (library)', (ep) => withGFile(store, ep, {}, (g) => findCheckpoints(uri, { gfile: g })), { check: found }),
      await row(ctx, store, 'ckptkit findCheckpoints, planner off (library)', (ep) => withGFile(store, ep, { listingParallelism: 1 }, (g) => findCheckpoints(uri, { gfile: g })), { check: found }),
      await row(ctx, store, 'ckptkit gfile.walk (library)', (ep) => withGFile(store, ep, {}, async (g) => {
        let dirs = 0;
        for await (const w of g.walk(uri)) dirs += w.dirs.length;
        return dirs;
      }), { check: (d) => expect(d === 5 * m, `walk saw ${d} directories`) }),
      await row(ctx, store, "ckptkit gfile.glob('*/checkpoint/ckpt-*.index') (library)", (ep) => withGFile(store, ep, {}, (g) => g.glob(`${uri}/*/checkpoint/ckpt-*.index`)), {
        check: (r) => expect(r.length === m, `glob ${r.length}`),
      }),
      ...(await ckptRows(ctx, store, 'ckpt find --json (process)', ['find', '--json', uri], {
        check: (r) => expect(JSON.parse(r.stdout).length === m, 'ckpt find'),
      })),
      await row(ctx, store, "TensorFlow glob('*/checkpoint/ckpt-*.index') (re-enacted)", (ep) => withAdapter(store, ep, (a) => tfGlob(a, store.kind, `${dir}/*/checkpoint/ckpt-*.index`)), {
        check: (r) => expect(r.length === m, `tf glob ${r.length}`),
      }),
    ];
    if (store.kind === 's3') {
      const env = peerEnv(store, ctx.home);
      const files = (r) => JSON.parse(r.stdout).filter((e) => !e.IsDir).length;
      if (ctx.peers.rclone && !ctx.skipSlow) {
        rows.push(await row(ctx, store, 'rclone lsjson -R', (ep) => run(ctx.peers.rclone, ['lsjson', '-R', `:s3:${store.bucket}/${dir}`, ...rcloneS3(store, ep)], { env }), {
          check: (r) => expect(files(r) === objects - m, `rclone lsjson ${files(r)}`),
        }));
      }
      if (ctx.peers.rclone) {
        // rclone at its quickest: one flat listing (--fast-list), and no HEAD per object for the
        // modification time or the MIME type it would otherwise read from each object's metadata.
        rows.push(await row(ctx, store, 'rclone lsjson -R --fast-list --no-modtime --no-mimetype', (ep) => run(ctx.peers.rclone, ['lsjson', '-R', '--fast-list', '--no-modtime', '--no-mimetype', `:s3:${store.bucket}/${dir}`, ...rcloneS3(store, ep)], { env }), {
          check: (r) => expect(files(r) === objects - m, `rclone lsjson --fast-list --no-modtime --no-mimetype ${files(r)}`),
        }));
      }
      if (ctx.peers.aws) {
        rows.push(await row(ctx, store, 'aws s3 ls --recursive', (ep) => run(ctx.peers.aws, ['s3', 'ls', '--recursive', `s3://${store.bucket}/${dir}/`, '--endpoint-url', ep], { env }), {
          check: (r) => expect(r.stdout.split('\n').filter(Boolean).length === objects, 'aws s3 ls --recursive'),
        }));
      }
    }
    if (!ctx.skipSlow) {
      rows.push(
        await row(ctx, store, 'TensorFlow gfile.walk, N+1 (re-enacted)', (ep) => withAdapter(store, ep, (a) => tfWalk(a, dir)), {
          runs: ctx.size.n1Runs,
          check: (w) => expect(w.length === 1 + 5 * m, `tf walk ${w.length}`),
        }),
      );
    }
    tables.push(
      table(`Benchmark 3: find over a model-zoo mirror, ${m.toLocaleString('en')} folders of 8 objects, ${store.name}`, rows, {
        ref: 'floor: one flat listing, pages one after another',
        note: `load ${load} -> ${loadNow()}. ${ctx.skipSlow ? 'Run with --skip-slow: the N+1 walk and rclone\'s default lsjson -R left out.' : `The N+1 walk is timed over ${ctx.size.n1Runs} run(s) (it takes minutes at full size).`} Goals: find within 1.5x the floor, at least 5x faster than the N+1 walk, faster than rclone and aws-cli.`,
      }),
    );
    const by = (label) => rows.find((r) => r.label === label);
    const floor = by('floor: one flat listing, pages one after another');
    const find = by('ckptkit findCheckpoints (library)');
    const n1 = by('TensorFlow gfile.walk, N+1 (re-enacted)');
    goals.push(goal(`3 ${store.kind}: find / floor (wall)`, (find.median / floor.median).toFixed(2), '<= 1.5', find.median <= 1.5 * floor.median, `${find.median.toFixed(3)} s vs ${floor.median.toFixed(3)} s`));
    if (n1) goals.push(goal(`3 ${store.kind}: N+1 walk / find (wall)`, (n1.median / find.median).toFixed(1), '>= 5', n1.median >= 5 * find.median));
    for (const node of ctx.nodes) {
      const cli = by(nodeLabel(ctx, 'ckpt find --json (process)', node));
      const under = ctx.nodes.length > 1 ? ` under Node ${node.version}` : '';
      for (const peer of rows.filter((r) => /^(rclone|aws)/.test(r.label))) {
        goals.push(goal(`3 ${store.kind}: ${peer.label} / ckpt find${under} (processes, wall)`, (peer.median / cli.median).toFixed(2), '> 1', cli.median < peer.median, `${peer.median.toFixed(3)} s vs ${cli.median.toFixed(3)} s`));
      }
    }
  }
  return { tables, goals };
}

/** Benchmark 4: `ckpt latest ./dir` start-up against `node -e 0`. */
export async function benchStartup(ctx) {
  const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-bench-startup-'));
  try {
    const n = 1000;
    await fs.mkdir(path.join(cwd, 'dir'));
    for (let i = 1; i <= n; i++) {
      await fs.writeFile(path.join(cwd, 'dir', `ckpt-${i}.index`), 'x');
      await fs.writeFile(path.join(cwd, 'dir', `ckpt-${i}.data-00000-of-00001`), 'x');
    }
    await fs.writeFile(path.join(cwd, 'dir', 'checkpoint'), `model_checkpoint_path: "ckpt-${n}"\n`);
    const env = { PATH: process.env.PATH, HOME: ctx.home };
    const cmds = [
      ['node -e 0', ['-e', '0']],
      ['ckpt latest ./dir', [ctx.bin, 'latest', './dir']],
      ['ckpt latest ./dir --s3-region x (not the fast path: yargs, unbundled modules)', [ctx.bin, 'latest', './dir', '--s3-region', 'x']],
    ];
    const first = await run(process.execPath, [ctx.bin, 'latest', './dir'], { cwd, env });
    expect(first.stdout.trim() === `./dir/ckpt-${n}` || first.stdout.trim() === `dir/ckpt-${n}`, `ckpt latest ./dir printed ${first.stdout}`);
    const times = new Map(cmds.map(([label]) => [label, []]));
    const load = loadNow();
    // Interleaved, so that a change in machine load hits every command alike.
    for (let i = 0; i < ctx.size.startupRuns; i++) {
      for (const [label, args] of cmds) {
        const t0 = performance.now();
        await run(process.execPath, args, { cwd, env });
        times.get(label).push((performance.now() - t0) / 1000);
      }
    }
    const rows = cmds.map(([label]) => {
      const t = times.get(label);
      return { label, runs: t.length, median: median(t), min: Math.min(...t), max: Math.max(...t) };
    });
    const base = rows[0];
    const fast = rows[1];
    const tables = [
      table(`Benchmark 4: start-up of \`ckpt latest ./dir\` (local, state file, ${n} checkpoints)`, rows, {
        ref: 'node -e 0',
        note: `load ${load} -> ${loadNow()}. Goal: at most 0.15 s and at most 2x \`node -e 0\`.`,
      }),
    ];
    const goals = [
      goal('4: ckpt latest ./dir (median s)', fast.median.toFixed(3), '<= 0.150', fast.median <= 0.15),
      goal('4: ckpt latest ./dir / node -e 0', (fast.median / base.median).toFixed(2), '<= 2', fast.median <= 2 * base.median, `node -e 0: ${base.median.toFixed(3)} s`),
    ];
    return { tables, goals };
  } finally {
    await fs.rm(cwd, { recursive: true, force: true });
  }
}

/** Benchmark 5: deep verify of a local checkpoint, by the bundle engineer's script. */
export async function benchVerify(ctx) {
  const load = loadNow();
  const r = await run(process.execPath, [path.join(ctx.repo, 'test', 'bench', 'verify-deep.mjs'), '--gib', String(ctx.size.verifyGib), '--runs', String(ctx.size.verifyRuns)], { env: process.env });
  const lines = r.stdout.trim().split('\n');
  const rowOf = (re) => lines.find((l) => re.test(l));
  const gbps = (l) => Number(l?.split('|')[5]?.trim());
  const def = gbps(rowOf(/64 MiB windows, concurrency 8 /));
  const cli = gbps(rowOf(/ckpt verify --deep/));
  const tables = [`\n### Benchmark 5: deep verify of a ${ctx.size.verifyGib} GiB local checkpoint (test/bench/verify-deep.mjs)\n\n${r.stdout.trim()}\n\nload ${load} -> ${loadNow()}. The default configuration is 64 MiB windows, concurrency 8. Goal: at least 1 GB/s.`];
  const goals = [goal('5: verifyBundle deep, default configuration (GB/s)', def.toFixed(2), '>= 1', def >= 1, `ckpt verify --deep, whole process: ${cli.toFixed(2)} GB/s`)];
  return { tables, goals };
}

/** Benchmark 6: cp of a big checkpoint from S3 to local disk. */
export async function benchCp(ctx) {
  const store = ctx.stores.find((s) => s.kind === 's3');
  if (!store) return { tables: ['\n### Benchmark 6: skipped (no S3 server)'], goals: [] };
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-bench-cp-'));
  try {
    const local = path.join(work, 'src', 'ckpt-1');
    ctx.log(`writing and uploading a ${(ctx.size.bigBytes / 2 ** 20).toFixed(0)} MiB checkpoint`);
    await writeBigCheckpoint(local, ctx.size.bigBytes);
    const names = [path.basename(indexFilename(local)), path.basename(dataFilename(local, 0, 2)), path.basename(dataFilename(local, 1, 2))];
    const sizes = new Map();
    for (const name of names) {
      sizes.set(name, (await fs.stat(path.join(work, 'src', name))).size);
      await store.direct.copy(path.join(work, 'src', name), store.uri(`cp/${name}`), { overwrite: true });
    }
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    await fs.rm(path.join(work, 'src'), { recursive: true, force: true });
    const dst = path.join(work, 'dst');
    const fresh = async () => {
      await fs.rm(dst, { recursive: true, force: true });
      await fs.mkdir(dst, { recursive: true });
    };
    const copied = async () => {
      for (const [name, size] of sizes) expect((await fs.stat(path.join(dst, name))).size === size, `${name} copied whole`);
    };
    const env = peerEnv(store, ctx.home);
    const cpuFile = path.join(work, 'cpu');
    const timing = (await fs.access('/usr/bin/time').then(() => true, () => false)) ? { cpuFile } : {};
    const ckptCp = (extra, node) => (ep) => run(node.exec, [ctx.bin, 'cp', store.uri('cp/ckpt-1'), dst, ...extra, ...store.cliArgs(ep)], { env: store.cliEnv(ctx.home), ...timing });
    const tools = ctx.nodes.flatMap((node) => [
      [nodeLabel(ctx, 'ckpt cp', node), ckptCp([], node)],
      [nodeLabel(ctx, 'ckpt cp --streams 1 (one GET stream per file)', node), ckptCp(['--streams', '1'], node)],
    ]);
    if (ctx.peers.rclone) tools.push(['rclone copy', (ep) => run(ctx.peers.rclone, ['copy', `:s3:${store.bucket}/cp`, dst, ...rcloneS3(store, ep)], { env, ...timing })]);
    if (ctx.peers.aws) tools.push(['aws s3 cp --recursive', (ep) => run(ctx.peers.aws, ['s3', 'cp', '--recursive', '--only-show-errors', `s3://${store.bucket}/cp/`, dst, '--endpoint-url', ep], { env, ...timing })]);
    const cpuOfLastRun = async () => {
      if (!timing.cpuFile) return NaN;
      const [user, sys] = (await fs.readFile(cpuFile, 'utf8')).trim().split(/\s+/).slice(-2).map(Number);
      return user + sys;
    };
    const load = loadNow();
    // One untimed run of each tool first: ckpt's first run after a build writes the V8 code cache
    // of its bundle (once per installation), and every binary is read into the page cache.
    for (const [, fn] of tools) {
      await fresh();
      await fn(store.timed);
    }
    // Rounds, each running every tool once (after a `sync`, outside the timing, so that no run pays
    // for the writeback of the one before): the tools meet the same machine. Back to back, a tool's
    // runs shared one stretch of a noisy 2-core machine, and the noise between tools was as large
    // as the difference being measured.
    const times = tools.map(() => []);
    const cpus = tools.map(() => []);
    for (let i = 0; i < ctx.size.cpRuns; i++) {
      for (const [t, [label, fn]] of tools.entries()) {
        await fresh();
        await run('sync', []);
        const t0 = performance.now();
        await fn(store.timed);
        times[t].push((performance.now() - t0) / 1000);
        cpus[t].push(await cpuOfLastRun());
        ctx.log(`  round ${i + 1}: ${label}: ${times[t].at(-1).toFixed(3)} s, ${cpus[t].at(-1).toFixed(2)} CPU s`);
        await copied();
      }
    }
    const rows = [];
    for (const [t, [label, fn]] of tools.entries()) {
      await fresh();
      const mark = store.mark();
      await fn(store.counting);
      await copied();
      const r = { label, runs: times[t].length, median: median(times[t]), min: Math.min(...times[t]), max: Math.max(...times[t]), requests: store.since(mark) };
      r.gbps = total / r.median / 1e9;
      r.cpuPerGiB = median(cpus[t]) / (total / 2 ** 30);
      rows.push(r);
    }
    // Each round's rclone time over its ckpt time: the same stretch of machine on both sides.
    const rcloneAt = tools.findIndex(([label]) => label.startsWith('rclone'));
    const rclone = rcloneAt < 0 ? undefined : rows[rcloneAt];
    const paired = rcloneAt < 0 ? '' : `Round by round, rclone's time / ckpt cp's: ${times[0].map((t, i) => (times[rcloneAt][i] / t).toFixed(2)).join(', ')} (median ${median(times[0].map((t, i) => times[rcloneAt][i] / t)).toFixed(2)}). `;
    // The client's own CPU: on two cores shared with the server and the proxy, it is what decides.
    for (const r of rows) r.label = `${r.label} (${r.gbps.toFixed(2)} GB/s, ${Number.isNaN(r.cpuPerGiB) ? '-' : r.cpuPerGiB.toFixed(1)} CPU s/GiB)`;
    const tables = [
      table(`Benchmark 6: cp of a ${(total / 2 ** 30).toFixed(2)} GiB checkpoint (3 files) from S3 to local disk, ${store.name}`, rows, {
        ref: rows[0].label,
        note: `load ${load} -> ${loadNow()}. GB/s = ${total} bytes / median wall time, process start-up included. ${paired}Goal: ckpt cp at least as fast as rclone.`,
      }),
    ];
    // One goal per Node the run compares: its plain `ckpt cp` row against rclone's.
    const plain = ctx.nodes.map((node) => tools.findIndex(([label]) => label === nodeLabel(ctx, 'ckpt cp', node)));
    const goals = rclone
      ? plain.map((t, i) => goal(`6: ckpt cp${ctx.nodes.length > 1 ? ` (Node ${ctx.nodes[i].version})` : ''} / rclone copy (throughput)`, (rows[t].gbps / rclone.gbps).toFixed(2), '>= 1', rows[t].gbps >= rclone.gbps, `${rows[t].gbps.toFixed(2)} vs ${rclone.gbps.toFixed(2)} GB/s`))
      : [];
    return { tables, goals };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
