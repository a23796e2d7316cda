#!/usr/bin/env node
// Where the memory of a big S3 listing goes (issue 23, item 2): one recursive listing through the
// facade and S3 adapter, counting entries, with the live heap sampled after a full collection every
// 200 ms (what is held: the planner's read-ahead, pages in flight) beside the peak RSS (what V8 and
// the SDK's garbage add to it). `--parallelism 1`: one page after the other, no read-ahead.
// Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION.
//
//   node --expose-gc test/bench/scale-heap.mjs ENDPOINT BUCKET PREFIX [--parallelism N]
import { createGFile, createRegistry } from '@ckptkit/gfile';
import { s3Factory } from '@ckptkit/s3';

const args = process.argv.slice(2);
const [endpoint, bucket, prefix] = args;
const p = args.indexOf('--parallelism');
const parallelism = p >= 0 ? Number(args[p + 1]) : undefined;
if (!endpoint || !bucket || prefix === undefined || !globalThis.gc) {
  process.stderr.write('usage: node --expose-gc scale-heap.mjs ENDPOINT BUCKET PREFIX [--parallelism N]\n');
  process.exit(2);
}
const g = createGFile({
  ...(parallelism ? { listingParallelism: parallelism } : {}),
  registry: createRegistry().register('s3', () =>
    s3Factory({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY } }),
  ),
});
globalThis.gc();
const base = process.memoryUsage().heapUsed;
let maxLive = base;
const sampler = setInterval(() => {
  globalThis.gc();
  maxLive = Math.max(maxLive, process.memoryUsage().heapUsed);
}, 200);
const t0 = performance.now();
let keys = 0;
for await (const e of g.list(`s3://${bucket}/${prefix}`, { recursive: true })) if (e.kind === 'file') keys++;
clearInterval(sampler);
await g.close();
const mb = (n) => Math.round(n / 2 ** 20);
process.stdout.write(`${JSON.stringify({ keys, requests: g.metrics.requests.list, parallelism: parallelism ?? 'default', wallS: +((performance.now() - t0) / 1000).toFixed(2), baseHeapMb: mb(base), maxLiveHeapGrowthMb: mb(maxLive - base), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
