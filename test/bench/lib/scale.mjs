/**
 * The scale benchmark (issue 23): N tiny objects in one flat prefix of an S3 server (Ceph RGW),
 * listed whole by the sequential floor (a bare ListObjectsV2 loop, `scale-floor.mjs`), `ckpt ls -R
 * --json`, `ckpt find --json`, `rclone lsjson -R --fast-list` and `aws s3 ls --recursive`, through
 * the project's latency proxy and directly. Each row runs as its own process under GNU time (wall
 * time and peak RSS); rows are interleaved (round 1 of every row, then round 2, ...) so that a
 * noisy stretch of the machine hits every row alike, and the median of the rounds is reported.
 * Requests are counted once per row through the recording proxy (no added delay).
 *
 * The sizes grow in one prefix (10,000, then 40,000 more, ...): each object is written once. The
 * bucket is emptied and deleted at the end, also on failure (RGW's memory store is shared).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { createBucket, deleteBucket, s3Factory } from '@ckptkit/s3';
import { startProxy } from '../../dist/proxy/proxy.js';
import { classify, loadNow, median } from './measure.mjs';

const PREFIX = 'run/';
const pad = (n) => String(n).padStart(6, '0');
/** Object `i` (0-based) of the flat prefix: a TF checkpoint's two files per step, in key order by step. */
const keyOf = (i) => `${PREFIX}ckpt-${pad(Math.floor(i / 2) + 1)}.${i % 2 === 0 ? 'data-00000-of-00001' : 'index'}`;

/**
 * Runs a command under GNU time; resolves with wall seconds, peak RSS in MB, exit code, stdout
 * (kept only when `keep`: a 200,000-entry JSON document is tens of MB) and the tail of stderr.
 */
function timed(cmd, args, { env, timeoutMs = 20 * 60_000, keep = false, onStdout } = {}) {
  return new Promise((resolve, reject) => {
    const rssFile = path.join(env.HOME, `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    const t0 = performance.now();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      onStdout?.(d);
      if (keep) stdout += d;
    });
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', reject);
    child.on('close', async (code) => {
      const wall = (performance.now() - t0) / 1000;
      const rss = await fs.readFile(rssFile, 'utf8').catch(() => '');
      await fs.rm(rssFile, { force: true });
      const kb = Number(rss.trim().split('\n').at(-1));
      resolve({ code: code ?? -1, wall, rssMb: Number.isFinite(kb) ? kb / 1024 : undefined, stdout, stderr });
    });
  });
}

/** Counts occurrences of `needle` in a stream without holding it (a match may straddle chunks). */
function counter(needle) {
  let n = 0;
  let carry = '';
  return {
    feed(chunk) {
      // The carry is shorter than the needle: no match lies wholly inside it, none is counted twice.
      const s = carry + chunk;
      for (let i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) n++;
      carry = s.slice(s.length - (needle.length - 1));
    },
    get count() {
      return n;
    },
  };
}

/** The rows of one endpoint: label, command, and how to count what it printed. */
function rowsFor(ctx, store, endpoint) {
  const cli = ['node', [ctx.bin]];
  const s3 = ['--s3-endpoint', endpoint, '--s3-path-style'];
  const rows = [
    { label: 'sequential floor (bare ListObjectsV2 loop)', cmd: 'node', args: [path.join(ctx.repo, 'test', 'bench', 'scale-floor.mjs'), endpoint, store.bucket, PREFIX], count: (r) => JSON.parse(r.stdout).keys, keep: true },
    { label: 'gfile list recursive (the planner alone, in-process, nothing printed)', cmd: 'node', args: [path.join(ctx.repo, 'test', 'bench', 'scale-gfile.mjs'), endpoint, store.bucket, PREFIX], count: (r) => JSON.parse(r.stdout).keys, keep: true },
    { label: 'ckpt ls -R --json', cmd: cli[0], args: [...cli[1], 'ls', '-R', '--json', ...s3, `s3://${store.bucket}/${PREFIX}`], pattern: '"uri"' },
    // Where the listing's memory goes (issue 23, item 2): the live heap sampled after full collections, with the planner's read-ahead and without it.
    ...[undefined, 1].map((parallelism) => ({
      label: `gfile list recursive, live heap sampled${parallelism ? ', one page at a time (no read-ahead)' : ''}`,
      cmd: 'node',
      args: ['--expose-gc', path.join(ctx.repo, 'test', 'bench', 'scale-heap.mjs'), endpoint, store.bucket, PREFIX, ...(parallelism ? ['--parallelism', String(parallelism)] : [])],
      count: (r) => JSON.parse(r.stdout).keys,
      detail: (r) => `live heap +${JSON.parse(r.stdout).maxLiveHeapGrowthMb} MB`,
      keep: true,
    })),
    { label: 'ckpt find --json', cmd: cli[0], args: [...cli[1], 'find', '--json', ...s3, `s3://${store.bucket}/${PREFIX}`], pattern: '"prefix"', expect: (n) => n / 2 },
    { label: 'ckpt ls -R --jsonl', cmd: cli[0], args: [...cli[1], 'ls', '-R', '--jsonl', ...s3, `s3://${store.bucket}/${PREFIX}`], pattern: '"uri"' },
    { label: 'ckpt find --jsonl', cmd: cli[0], args: [...cli[1], 'find', '--jsonl', ...s3, `s3://${store.bucket}/${PREFIX}`], pattern: '"prefix"', expect: (n) => n / 2 },
  ];
  if (ctx.peers.rclone) rows.push({ label: 'rclone lsjson -R --fast-list --no-modtime --no-mimetype', cmd: ctx.peers.rclone, args: ['lsjson', '-R', '--fast-list', '--no-modtime', '--no-mimetype', `scale:${store.bucket}/${PREFIX}`], pattern: '"Path"', rclone: endpoint });
  if (ctx.peers.aws) rows.push({ label: 'aws s3 ls --recursive', cmd: ctx.peers.aws, args: ['s3', 'ls', '--recursive', `s3://${store.bucket}/${PREFIX}`, '--endpoint-url', endpoint], pattern: '\n' });
  // --scale-rows: only the rows whose label contains one of these (the floor is always kept: the ratios are to it).
  const only = ctx.rows;
  return only ? rows.filter((r) => r.label.startsWith('sequential floor') || only.some((w) => r.label.includes(w))) : rows;
}

/** The environment of every row: credentials and rclone's on-the-fly remote `scale:` (no config files). */
function envFor(store, home, rcloneEndpoint) {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ACCESS_KEY_ID: store.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: store.credentials.secretAccessKey,
    AWS_REGION: store.region,
    AWS_DEFAULT_REGION: store.region,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    RCLONE_CONFIG: path.join(home, 'no-rclone.conf'),
    RCLONE_CONFIG_SCALE_TYPE: 's3',
    RCLONE_CONFIG_SCALE_PROVIDER: 'Ceph',
    RCLONE_CONFIG_SCALE_ENDPOINT: rcloneEndpoint ?? '',
    RCLONE_CONFIG_SCALE_ACCESS_KEY_ID: store.credentials.accessKeyId,
    RCLONE_CONFIG_SCALE_SECRET_ACCESS_KEY: store.credentials.secretAccessKey,
    RCLONE_CONFIG_SCALE_REGION: store.region,
    RCLONE_CONFIG_SCALE_FORCE_PATH_STYLE: 'true',
  };
}

/** One run of a row: wall, RSS, and whether it listed every object (a failure is reported, not thrown). */
async function runRow(ctx, store, row, objects) {
  const c = row.pattern ? counter(row.pattern) : undefined;
  const r = await timed(row.cmd, row.args, { env: envFor(store, ctx.home, row.rclone), keep: row.keep, onStdout: c ? (d) => c.feed(String(d)) : undefined });
  const want = row.expect ? row.expect(objects) : objects;
  let got;
  try {
    got = row.count ? row.count(r) : c.count;
  } catch {
    got = undefined;
  }
  const ok = r.code === 0 && got === want;
  const failure = ok ? undefined : `exit ${r.code}, ${got ?? '?'} of ${want}: ${r.stderr.trim().split('\n').at(-1)?.slice(0, 160) ?? ''}`;
  return { wall: r.wall, rssMb: r.rssMb, ok, failure, ...(row.detail && ok ? { detail: row.detail(r) } : {}) };
}

/** Writes objects [from, to) of the prefix, `concurrency` PUTs at once. */
async function seed(g, bucket, from, to, concurrency, log) {
  let next = from;
  const t0 = performance.now();
  const worker = async () => {
    while (next < to) {
      const i = next++;
      await g.writeText(`s3://${bucket}/${keyOf(i)}`, 'x');
      if ((i + 1) % 20_000 === 0) log(`seeded ${i + 1} objects (${((i + 1 - from) / ((performance.now() - t0) / 1000)).toFixed(0)}/s)`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * The benchmark: for each size, seeds the prefix up to it, then `rounds` interleaved rounds of
 * every row through the proxy and directly, then one counting run per row. Returns the markdown.
 */
export async function benchScale(ctx) {
  const { env, log } = ctx;
  const server = env.CKPT_TEST_S3_ENDPOINT;
  if (!server) throw new Error('--scale needs an S3 server: CKPT_TEST_S3_ENDPOINT (source /work/srv/env, or let the harness start RGW)');
  const credentials = { accessKeyId: env.CKPT_TEST_S3_ACCESS_KEY, secretAccessKey: env.CKPT_TEST_S3_SECRET_KEY ?? env.CKPT_TEST_S3_SECRET };
  const region = env.CKPT_TEST_S3_REGION ?? 'us-east-1';
  const bucket = ctx.bucket ?? `ckpt-scale-${process.pid}`;
  const store = { bucket, credentials, region };
  const options = { endpoint: server, region, credentials };
  // --bucket: a bucket left by an earlier run (its objects are the same keys): counted, not re-created.
  let existing = 0;
  if (ctx.bucket) {
    const g = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)) });
    for await (const e of g.list(`s3://${bucket}/${PREFIX}`, { recursive: true })) if (e.kind === 'file') existing++;
    await g.close();
    if (existing > ctx.sizes[0]) throw new Error(`--bucket ${bucket} holds ${existing} objects, more than the smallest size ${ctx.sizes[0]}`);
    log(`bucket ${bucket} holds ${existing} objects`);
  } else await createBucket(bucket, options);
  const timedProxy = await startProxy({ target: server, latencyMs: ctx.latencyMs, faults: false });
  const countingProxy = await startProxy({ target: server, latencyMs: 0, faults: true });
  // Seeding through the facade: its retry layer rides out RGW's occasional 503 under a burst of PUTs.
  const writer = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)), concurrency: ctx.seedConcurrency });
  const out = [];
  const results = [];
  try {
    // Objects are written by index, in parallel: a bucket holding fewer than a size may have gaps,
    // so it is written again from the start (the same keys, the same one-byte bodies).
    let seeded = existing === ctx.sizes[0] ? existing : 0;
    for (const objects of ctx.sizes) {
      log(`scale ${objects}: seeding ${objects - seeded} objects`);
      if (objects > seeded) await seed(writer, bucket, seeded, objects, ctx.seedConcurrency, log);
      seeded = objects;
      const endpoints = [
        { name: 'proxy', url: timedProxy.url },
        { name: 'direct', url: server },
      ];
      const load = loadNow();
      const walls = new Map();
      for (let round = 1; round <= ctx.rounds; round++) {
        for (const ep of endpoints) {
          for (const row of rowsFor(ctx, store, ep.url)) {
            const r = await runRow(ctx, store, row, objects);
            log(`scale ${objects} round ${round} ${ep.name} ${row.label}: ${r.wall.toFixed(2)} s, ${r.rssMb?.toFixed(0)} MB${r.ok ? '' : ` FAILED (${r.failure})`}${r.detail ? ` ${r.detail}` : ''}`);
            const k = `${row.label}|${ep.name}`;
            walls.set(k, [...(walls.get(k) ?? []), r]);
          }
        }
      }
      const requests = new Map();
      for (const row of rowsFor(ctx, store, countingProxy.url)) {
        const mark = countingProxy.stats.requests.length;
        await runRow(ctx, store, row, objects);
        const c = classify(countingProxy.stats.requests, mark);
        requests.set(row.label, c.list + c.get + c.head + c.put + c.other);
        // The log is only needed for this row: drop it, 200,000-object runs add up.
        countingProxy.stats.requests.length = 0;
      }
      const floorOf = (ep) => median((walls.get(`sequential floor (bare ListObjectsV2 loop)|${ep}`) ?? []).map((r) => r.wall));
      for (const row of rowsFor(ctx, store, server)) {
        const p = walls.get(`${row.label}|proxy`) ?? [];
        const d = walls.get(`${row.label}|direct`) ?? [];
        const failed = [...p, ...d].find((r) => !r.ok);
        results.push({
          objects,
          label: row.label,
          proxy: median(p.map((r) => r.wall)),
          direct: median(d.map((r) => r.wall)),
          rssMb: Math.max(...[...p, ...d].map((r) => r.rssMb ?? 0)),
          requests: requests.get(row.label),
          failure: failed?.failure,
          xFloor: median(p.map((r) => r.wall)) / floorOf('proxy'),
          load,
        });
      }
    }
    out.push(
      `\n### Scale: N tiny objects in one flat prefix on RGW (${ctx.latencyMs} ms each way through the latency proxy; direct in brackets), median of ${ctx.rounds} interleaved rounds\n`,
      '| objects | row | wall s proxy [direct] | x floor (proxy) | requests | peak RSS MB | note |',
      '|---|---|---|---|---|---|---|',
    );
    for (const r of results) {
      out.push(`| ${r.objects.toLocaleString('en-US')} | ${r.label} | ${r.proxy.toFixed(2)} [${r.direct.toFixed(2)}] | ${r.xFloor.toFixed(2)} | ${r.requests ?? '-'} | ${r.rssMb.toFixed(0)} | ${r.failure ? `**failed**: ${r.failure.replace(/\|/g, '/')}` : ''} |`);
    }
    out.push('', `load average at the start of each size: ${[...new Set(results.map((r) => `${r.objects}: ${r.load}`))].join('; ')}; at the end: ${loadNow()}.`);
    return { tables: [out.join('\n')], results };
  } finally {
    log(`scale: deleting bucket ${bucket}`);
    const g = createGFile({ registry: createRegistry().register('s3', () => s3Factory(options)), concurrency: 16 });
    await g.removeTree(`s3://${bucket}/${PREFIX}`).catch((e) => log(`emptying the bucket failed: ${e.message}`));
    await g.close();
    await deleteBucket(bucket, options).catch((e) => log(`deleting the bucket failed: ${e.message}`));
    await writer.close();
    await timedProxy.close();
    await countingProxy.close();
  }
}
