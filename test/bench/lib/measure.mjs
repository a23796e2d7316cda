/**
 * Timing, request counting and tables for the benchmark harness. Every row is timed through the
 * pure latency proxy (median of several runs) and counted once more through the recording proxy
 * (an HTTP proxy that logs each request, behind the same delay), so that counting never slows
 * the timed runs.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';

/** Runs at most `n` of the functions given to it at once, in the order given. */
export function limiter(n) {
  let active = 0;
  const queue = [];
  const next = () => {
    if (active >= n || queue.length === 0) return;
    active++;
    const { fn, resolve, reject } = queue.shift();
    fn()
      .then(resolve, reject)
      .finally(() => {
        active--;
        next();
      });
  };
  return (fn) =>
    new Promise((resolve, reject) => {
      queue.push({ fn, resolve, reject });
      next();
    });
}

/** The median of numbers (the lower middle for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Load averages as the tables print them. */
export function loadNow() {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/**
 * Runs a command and resolves with its exit code, stdout and stderr; rejects on a non-zero exit
 * unless `allowFail`. `env` replaces the environment (default: this process's).
 */
export function run(cmd, args, { env, cwd, allowFail = false, timeoutMs = 30 * 60_000, cpuFile } = {}) {
  return new Promise((resolve, reject) => {
    // With `cpuFile`, GNU time writes the child's user and system CPU seconds there.
    const [c, a] = cpuFile ? ['/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, cmd, ...args]] : [cmd, args];
    const child = spawn(c, a, { env: env ?? process.env, cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const r = { code: code ?? -1, signal, stdout, stderr };
      if (!allowFail && code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}:\n${stderr.slice(-2000)}${stdout.slice(-500)}`));
      else resolve(r);
    });
  });
}

/** Requests of a recording proxy's log since `from`, by kind (`list`, `get`, `head`, `put`, `other`). */
export function classify(requests, from = 0) {
  const out = { list: 0, get: 0, head: 0, put: 0, other: 0 };
  for (const r of requests.slice(from)) out[kindOf(r.method, r.url)]++;
  return out;
}

function kindOf(method, url) {
  const [path, query = ''] = url.split('?');
  if (method === 'HEAD') return 'head';
  if (method === 'PUT' || method === 'POST') return 'put';
  if (method !== 'GET') return 'other';
  // GCS JSON API: /storage/v1/b/B/o is a listing, /storage/v1/b/B/o/NAME an object (metadata or media).
  if (/^\/storage\/v1\/b\/[^/]+\/o\/?$/.test(path)) return 'list';
  if (/^\/(?:download\/)?storage\/v1\/b\/[^/]+\/o\/./.test(path)) return 'get';
  // S3 path style: GET /bucket or /bucket/ with list parameters is a listing, GET /bucket/key an object.
  const segments = path.split('/').filter(Boolean);
  if (segments.length <= 1 && /(^|&)(list-type|prefix|delimiter|marker|max-keys)=/.test(query)) return 'list';
  if (segments.length <= 1) return 'other';
  return 'get';
}

/**
 * Times `timed` `runs` times (after `warmup` untimed runs; a row that has used `budgetSeconds`
 * stops after 3) and counts the requests of one more run made with `counting` (a function that
 * runs once through the recording proxy and returns the classified requests). Returns the row.
 */
export async function measureRow({ label, runs, warmup = 0, timed, counting, check, budgetSeconds = 90 }) {
  for (let i = 0; i < warmup; i++) await timed();
  const times = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await timed();
    times.push((performance.now() - t0) / 1000);
    // Slow rows (peers that make thousands of requests) stop at 3 runs once they used their budget.
    if (times.length >= 3 && times.reduce((a, b) => a + b, 0) > budgetSeconds) break;
  }
  if (check) check(last);
  const requests = counting ? await counting() : undefined;
  return { label, runs: times.length, median: median(times), min: Math.min(...times), max: Math.max(...times), requests, result: last };
}

const fmtReq = (r) => (r ? `${r.list + r.get + r.head + r.put + r.other}` : '-');
const fmtKinds = (r) => (r ? Object.entries(r).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || '0' : '-');

/**
 * A markdown table of rows: requests, wall time (median, min), and the ratio of each row's median
 * to the reference row's (`ref`: a label).
 */
export function table(title, rows, { ref, note } = {}) {
  const refRow = rows.find((r) => r.label === ref);
  const header = ['', 'requests', 'by kind', 'median s', 'min s', 'runs', ref ? `x ${ref}` : ''].filter((h, i) => i < 6 || ref);
  const body = rows.map((r) => {
    const cells = [r.label, fmtReq(r.requests), fmtKinds(r.requests), r.median.toFixed(3), r.min.toFixed(3), String(r.runs)];
    if (ref) cells.push(refRow ? (r.median / refRow.median).toFixed(2) : '-');
    return cells;
  });
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const out = [`\n### ${title}\n`, line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
  if (note) out.push('', note);
  return out.join('\n');
}

/** One-line description of the machine for the tables. */
export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'cpu';
  return `node ${process.version}, ${os.cpus().length} x ${cpu.trim()}, ${os.platform()} ${os.release()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM`;
}
