#!/usr/bin/env node
// Listing at internet scale, simulated (decision 0015): what listing one flat prefix of N objects
// costs on an object store with a fixed round trip per page and a per-prefix request-rate limit,
// sequentially (the floor) and with ckptkit's listing planner (listRecursive, key ranges side by
// side). Runs the real planner code against a store in memory, on a virtual clock: each list
// request takes --rtt-ms of simulated time (plus --per-key-us per key returned), requests beyond
// --rate per second are answered 503 SlowDown after one round trip and retried with capped
// exponential backoff and full jitter (the AWS SDKs' standard mode: base 100 ms, cap 20 s, a
// seeded random source so that runs reproduce). Prints a markdown table; nothing touches a network.
//
//   node test/bench/listing-sim.mjs [--objects 1000000] [--big 10000000] [--rtt-ms 50] [--per-key-us 20] [--rate 5500]
//
// Up to 2,000,000 objects the store is ckptkit's memory adapter holding every key; --big sizes use
// a synthetic adapter that computes the same keys from their index (10 million keys do not fit the
// memory of a CI machine), with the same list semantics (start key, page token, page size).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { clearMemoryStore, compareKeys, createMemoryAdapter, CkptError, listEntries, listRecursive } = await import(path.join(repo, 'packages', 'gfile', 'dist', 'index.js'));

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '1000000' },
    big: { type: 'string', default: '10000000' },
    'rtt-ms': { type: 'string', default: '50' },
    'per-key-us': { type: 'string', default: '20' },
    rate: { type: 'string', default: '5500' },
    // Only the scenarios whose label contains this (quick checks).
    only: { type: 'string', default: '' },
  },
});
const RTT = Number(values['rtt-ms']);
const PER_KEY = Number(values['per-key-us']) / 1000;
const RATE = Number(values.rate);
/** USD per 1,000 list requests: S3 Standard LIST (us-east-1) and GCS objects.list (Class A, Standard). */
const PRICE = { s3: 0.005, gcs: 0.005 };

/** A seeded random source (mulberry32): the same run gives the same table. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A virtual clock: `sleep(ms)` resolves when simulated time reaches it; `run(main)` advances time to
 * the next timer whenever every promise chain is waiting on one (checked after the event loop has
 * drained its microtasks and immediates).
 */
class Clock {
  now = 0;
  timers = [];
  sleep(ms) {
    return new Promise((resolve) => {
      this.timers.push({ at: this.now + ms, resolve });
    });
  }
  async run(main) {
    let done = false;
    let failure;
    let result;
    main().then(
      (r) => ((done = true), (result = r)),
      (e) => ((done = true), (failure = e)),
    );
    while (true) {
      // One turn of the event loop: every promise chain has run as far as it can.
      await new Promise((r) => setImmediate(r));
      if (done) break;
      if (this.timers.length === 0) throw new Error('simulation stalled: nothing to wait for');
      let at = Infinity;
      for (const t of this.timers) at = Math.min(at, t.at);
      // Every timer due within a microsecond fires in the same step.
      const due = this.timers.filter((t) => t.at <= at + 0.001);
      this.timers = this.timers.filter((t) => t.at > at + 0.001);
      this.now = Math.max(this.now, at);
      for (const t of due) t.resolve();
    }
    if (failure) throw failure;
    return result;
  }
}

/** Keys of the simulated prefix: a TF checkpoint's two files per step. */
const keyOf = (i) => `run/ckpt-${String(Math.floor(i / 2) + 1).padStart(8, '0')}.${i % 2 === 0 ? 'data-00000-of-00001' : 'index'}`;

/** The same keys computed from their index: list semantics of the memory adapter without holding them. */
function syntheticAdapter(n) {
  const first = (after) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(keyOf(mid), after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    scheme: 'sim',
    store: 'sim',
    capabilities: { directories: 'virtual', atomicRename: false, rangeReads: true, conditionalWrite: false, startAfter: true, maxPageSize: 1000, maxDeleteBatch: 1000 },
    uriOf: (key) => `sim://bucket/${key}`,
    async list(prefix, o = {}) {
      const size = Math.min(o.pageSize ?? 1000, 1000);
      const from = o.pageToken !== undefined ? Number(o.pageToken) : o.startAfter !== undefined ? first(o.startAfter) : 0;
      const entries = [];
      for (let i = from; i < Math.min(n, from + size); i++) entries.push({ key: keyOf(i), kind: 'file', size: 1 });
      return from + size < n ? { entries, nextPageToken: String(from + size) } : { entries };
    },
  };
}

/**
 * The store as the planner sees it: every list request costs a round trip (and time per key) on
 * the clock, and a token bucket of `rate` requests a second (burst: one second's worth) answers the
 * excess 503 SlowDown, retried with backoff as the SDKs do. Counts requests, throttled ones included.
 */
function simulated(inner, clock, { rate, seed }) {
  const stats = { requests: 0, throttled: 0, maxInFlight: 0 };
  let tokens = rate;
  let refilled = 0;
  let inFlight = 0;
  const jitter = random(seed);
  const take = () => {
    tokens = Math.min(rate, tokens + ((clock.now - refilled) / 1000) * rate);
    refilled = clock.now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
  const adapter = {
    ...inner,
    async list(prefix, o) {
      for (let attempt = 0; ; attempt++) {
        stats.requests++;
        inFlight++;
        stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
        try {
          if (!take()) {
            stats.throttled++;
            await clock.sleep(RTT);
            if (attempt >= 9) throw new CkptError('RATE_LIMITED', { operation: 'list', uri: inner.uriOf(prefix), message: 'SlowDown: 10 attempts', retryable: true });
          } else {
            const page = await inner.list(prefix, o);
            await clock.sleep(RTT + PER_KEY * page.entries.length);
            return page;
          }
        } finally {
          inFlight--;
        }
        // Full jitter on a capped exponential (base 100 ms, cap 20 s).
        await clock.sleep(jitter() * Math.min(20_000, 100 * 2 ** attempt));
      }
    },
  };
  return { adapter, stats };
}

/** One scenario: `listers` listings of the whole prefix at once, each sequential or planned. */
async function scenario(inner, objects, { label, planned, parallelism = 16, listers = 1 }) {
  const clock = new Clock();
  const { adapter, stats } = simulated(inner, clock, { rate: RATE, seed: 42 });
  const counts = await clock.run(() =>
    Promise.all(
      Array.from({ length: listers }, async () => {
        let n = 0;
        const it = planned ? listRecursive(adapter, 'run/', { parallelism }) : listEntries(adapter, 'run/');
        for await (const e of it) {
          void e;
          n++;
        }
        return n;
      }),
    ),
  );
  if (counts.some((n) => n !== objects)) throw new Error(`${label}: listed ${counts.join(',')} of ${objects}`);
  const floor = Math.ceil(objects / 1000) * listers;
  return { objects, label, seconds: clock.now / 1000, requests: stats.requests, throttled: stats.throttled, overFloor: stats.requests / floor - 1, maxInFlight: stats.maxInFlight };
}

const scenarios = [
  { label: 'sequential floor (one page after the other)', planned: false },
  { label: 'ckpt planner, 16 at once (default)', planned: true, parallelism: 16 },
  { label: 'ckpt planner, 64 at once', planned: true, parallelism: 64 },
  { label: '32 jobs listing it at once, planner 64 each', planned: true, parallelism: 64, listers: 32 },
];

const rows = [];
const t0 = performance.now();
for (const objects of [Number(values.objects), Number(values.big)].filter((n) => n > 0)) {
  let inner;
  if (objects <= 2_000_000) {
    clearMemoryStore('listing-sim');
    inner = createMemoryAdapter('listing-sim');
    const one = new Uint8Array(1);
    for (let i = 0; i < objects; i++) await inner.write(keyOf(i), one);
  } else inner = syntheticAdapter(objects);
  for (const s of scenarios.filter((x) => x.label.includes(values.only))) {
    // 32 listers of 10 million keys is 320 million entries through the planner: the rate limit's
    // effect shows as well at the smaller size.
    if ((s.listers ?? 1) > 1 && objects > 2_000_000) continue;
    const r = await scenario(inner, objects, s);
    rows.push({ ...r, store: objects <= 2_000_000 ? 'memory adapter' : 'synthetic keys' });
    process.stderr.write(`[sim] ${objects} ${s.label}: ${r.seconds.toFixed(1)} s simulated, ${r.requests} requests (${r.throttled} throttled), ${((performance.now() - t0) / 1000).toFixed(0)} s real\n`);
  }
  if (objects <= 2_000_000) clearMemoryStore('listing-sim');
}

const usd = (requests, price) => `$${((requests / 1000) * price).toFixed(requests < 20_000 ? 4 : 2)}`;
process.stdout.write(`### Listing simulation: one flat prefix, ${RTT} ms a page + ${values['per-key-us']} µs a key, ${RATE} list requests/s per prefix (\`node test/bench/listing-sim.mjs --objects ${values.objects} --big ${values.big} --rtt-ms ${values['rtt-ms']} --per-key-us ${values['per-key-us']} --rate ${values.rate}\`)\n\n`);
process.stdout.write('| objects | store | how | simulated wall s | list requests | over the floor | throttled (503) | most in flight | S3 price | GCS price |\n|---|---|---|---|---|---|---|---|---|---|\n');
for (const r of rows) {
  process.stdout.write(`| ${r.objects.toLocaleString('en-US')} | ${r.store} | ${r.label} | ${r.seconds.toFixed(1)} | ${r.requests.toLocaleString('en-US')} | ${(100 * r.overFloor).toFixed(1)}% | ${r.throttled.toLocaleString('en-US')} | ${r.maxInFlight} | ${usd(r.requests, PRICE.s3)} | ${usd(r.requests, PRICE.gcs)} |\n`);
}
