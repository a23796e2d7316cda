#!/usr/bin/env node
// Child of scale-local.mjs and of test/e2e/scale-listing.test.ts: seeds an in-memory store with N
// empty objects (`run/ckpt-<i>.index`, plus one directory level every 1,000 objects when
// `--tree`; with `--pairs` each beside its `run/ckpt-<i>.data-00000-of-00001`: 2N objects), then runs the CLI's own main() on it (`ckpt ls -R --jsonl memory://scale/` unless
// other arguments follow). Prints one JSON line on stderr: objects, seed and listing seconds, the
// RSS after seeding and the peak RSS (MB), and under `node --expose-gc` the most live heap the
// command added to the seeded store (sampled after a full collection every 500 ms): what the
// listing holds, apart from the store and from garbage not yet collected. Stdout is the command's.
//   node [--expose-gc] test/bench/scale-memory-child.mjs N [--tree] [--pairs] [-- ckpt args...]
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const gfile = await import(pathToFileURL(path.join(root, 'cli/node_modules/@ckptkit/gfile/dist/index.js')).href);
const { main } = await import(pathToFileURL(path.join(root, 'cli/dist/main.js')).href);
const { processGuard } = await import(pathToFileURL(path.join(root, 'cli/dist/process-guard.js')).href);

const argv = process.argv.slice(2);
const n = Number(argv[0]);
const dash = argv.indexOf('--');
const own = dash >= 0 ? argv.slice(0, dash) : argv;
const tree = own.includes('--tree');
const pairs = own.includes('--pairs');
const cmd = dash >= 0 ? argv.slice(dash + 1) : ['ls', '-R', '--jsonl', 'memory://scale/'];
processGuard();
const t0 = performance.now();
const adapter = gfile.createMemoryAdapter('scale');
const empty = new Uint8Array(0);
for (let i = 0; i < n; i++) {
  const key = tree ? `run/d${String(Math.floor(i / 1000)).padStart(5, '0')}/ckpt-${i}.index` : `run/ckpt-${i}.index`;
  await adapter.write(key, empty);
  if (pairs) await adapter.write(key.replace(/\.index$/, '.data-00000-of-00001'), empty);
}
// The store's sorted key index is built on the first listing: built here, so that it counts as seed.
await adapter.list('', { pageSize: 1 });
const t1 = performance.now();
const gc = globalThis.gc;
gc?.();
const seededMb = process.memoryUsage().rss / 2 ** 20;
const seededHeap = process.memoryUsage().heapUsed;
let maxHeap = seededHeap;
const sampler = gc
  ? setInterval(() => {
      gc();
      maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
    }, 500)
  : undefined;
await main(cmd);
clearInterval(sampler);
const t2 = performance.now();
const report = { objects: pairs ? 2 * n : n, seedS: +((t1 - t0) / 1000).toFixed(2), listS: +((t2 - t1) / 1000).toFixed(2), seededRssMb: Math.round(seededMb), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) };
if (gc) report.heapGrowthMb = Math.round((maxHeap - seededHeap) / 2 ** 20);
process.stderr.write(`${JSON.stringify(report)}\n`);
