/**
 * The planner's flow control under stress: range listings that wait to start while segments hold
 * `parallelism x 2` pages ahead of the consumer (plan-context.ts `room`), flat key ranges that wait
 * beyond `parallelism x 8` pages (flat-ranges.ts), and pages passed through path order and the
 * facade. What could go wrong is a deadlock (the consumer waits on a segment whose listing never
 * starts), a lost wake-up, an entry lost or given twice, a bound that does not hold, or a listing
 * that outlives its consumer. Stores here answer after random delays and consumers pause at random.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListOptions, ListPage, ObjectMeta, StorageAdapter } from '../adapter.js';
import { createGFile, type FileInfo, type GFile } from '../gfile.js';
import { compareKeys } from '../keys.js';
import { listEntries } from '../listing.js';
import { clearMemoryStore, createMemoryAdapter } from '../memory-adapter.js';
import { createRegistry } from '../registry.js';
import { listRecursivePages, type PlanDecision, type PlannerOptions } from './index.js';

let storeCounter = 0;

/** A memory store holding `keys` (a key ending in `/` is a directory marker), as planner.test.ts builds them. */
async function storeOf(keys: Iterable<string>, maxPageSize: number): Promise<{ store: StorageAdapter; name: string }> {
  const name = `planner-flow-${process.pid}-${storeCounter++}`;
  clearMemoryStore(name);
  const store = createMemoryAdapter(name, { maxPageSize });
  for (const key of keys) await store.write(key, new TextEncoder().encode(key));
  return { store, name };
}

/** A small deterministic generator, so that a failing fast-check run replays the same pauses. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The store with random latency (0-5 ms a request, or `latency`) and what it handed out counted:
 * the distinct keys of non-delimiter listings (a range's last page partly past its end is listed
 * again by the next range: counted once), requests in flight, and an optional failure.
 */
function tracked(inner: StorageAdapter, options: { rand: () => number; latency?: () => number; fail?: (n: number, prefix: string, o: ListOptions) => Error | undefined }) {
  const fetched = new Set<string>();
  let inFlight = 0;
  let calls = 0;
  let idleWaiters: (() => void)[] = [];
  const adapter: StorageAdapter = {
    ...inner,
    async list(prefix: string, o: ListOptions = {}): Promise<ListPage> {
      const n = ++calls;
      inFlight++;
      try {
        await sleep(options.latency ? options.latency() : Math.floor(options.rand() * 6));
        const error = options.fail?.(n, prefix, o);
        if (error) throw error;
        o.signal?.throwIfAborted();
        const page = await inner.list(prefix, o);
        if (!o.delimiter) for (const e of page.entries) fetched.add(e.key);
        return page;
      } finally {
        if (--inFlight === 0) {
          const w = idleWaiters;
          idleWaiters = [];
          for (const wake of w) wake();
        }
      }
    },
  };
  return {
    adapter,
    fetched,
    get inFlight() {
      return inFlight;
    },
    get calls() {
      return calls;
    },
    /** Resolves once no request has been in flight for `quiet` ms (the producers are idle: waiting, or done). */
    async idle(quiet = 25): Promise<void> {
      for (;;) {
        if (inFlight > 0) await new Promise<void>((r) => idleWaiters.push(r));
        const before = calls;
        await sleep(quiet);
        if (inFlight === 0 && calls === before) return;
      }
    },
  };
}

/** A consumer's pause: none, a microtask, a timer, or now and then a long one. */
async function pause(rand: () => number): Promise<void> {
  const r = rand();
  if (r < 0.4) return;
  if (r < 0.6) return await Promise.resolve();
  if (r < 0.97) return await sleep(Math.floor(rand() * 3));
  await sleep(10 + Math.floor(rand() * 30));
}

/** Rejects with a "deadlock" error when `work` has not settled within `ms`. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no progress within ${ms} ms: deadlock?`)), ms)));
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const view = (entries: readonly ObjectMeta[]) => entries.map((e) => `${e.kind}:${e.key}:${e.size}`);

/** What one flat paged listing gives: the reference every plan must reproduce exactly. */
async function flat(adapter: StorageAdapter, prefix: string): Promise<string[]> {
  const out: ObjectMeta[] = [];
  for await (const e of listEntries(adapter, prefix)) out.push(e);
  return view(out);
}

const pad = (n: number, w = 4) => String(n).padStart(w, '0');

// Names around `/` in key order (`-`, `.`, space sort below it), `_$folder$` placeholders, markers.
const name = fc.constantFrom('a', 'a-b', 'a.txt', 'a b', 'a0', 'ab', 'a_', 'a_$folder$', 'b', 'b-1', 'ckpt', 'ckpt-1', 'ckpt-10.index', 'ckpt-1.index', '_$folder$', 'Z');

/** Random trees mixing the shapes the planner treats apart. */
const tree = fc
  .record({
    deep: fc.uniqueArray(
      fc.array(name, { minLength: 1, maxLength: 6 }).chain((parts) => fc.constantFrom(parts.join('/'), `${parts.join('/')}/`)),
      { maxLength: 80 },
    ),
    smallDirs: fc.integer({ min: 0, max: 120 }),
    hugeDirs: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 3 }),
    flatPrefix: fc.constantFrom(0, 0, 50, 300, 700),
  })
  .map(({ deep, smallDirs, hugeDirs, flatPrefix }) => {
    const keys = new Set(deep);
    for (let i = 0; i < smallDirs; i++) {
      keys.add(`m/d-${pad(i)}/x`);
      if (i % 3 === 0) keys.add(`m/d-${pad(i)}/y.index`);
      if (i % 7 === 0) keys.add(`m/d-${pad(i)}_$folder$`);
      if (i % 5 === 0) keys.add(`m/d-${pad(i)}.txt`);
    }
    hugeDirs.forEach((n, d) => {
      for (let i = 0; i < n; i++) keys.add(`h${d}/ckpt-${i}.data`);
      keys.add(`h${d}-/x`);
      keys.add(`h${d}.meta`);
    });
    for (let i = 0; i < flatPrefix; i++) keys.add(`f/ckpt-${pad(i, 6)}.index`);
    return [...keys];
  });

/** Reads `pages` pausing at random between pages and, now and then, between entries of a page. */
async function consume(pages: AsyncIterable<readonly ObjectMeta[]>, rand: () => number): Promise<ObjectMeta[]> {
  const out: ObjectMeta[] = [];
  for await (const page of pages) {
    await pause(rand);
    for (const e of page) {
      out.push(e);
      if (rand() < 0.02) await pause(rand);
    }
  }
  return out;
}

describe('planner flow control: random trees, latencies and consumers', () => {
  it('listRecursivePages completes and gives exactly the flat listing, whatever the pauses (fast-check)', async () => {
    const decisions = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        tree,
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom('', 'm/', 'h0/', 'zoo/'),
        fc.integer(),
        async (keys, pageSize, parallelism, prefix, seed) => {
          const rand = random(seed);
          const { store, name } = await storeOf(keys, pageSize);
          const t = tracked(store, { rand });
          const options: PlannerOptions = { pageSize, parallelism, minKeysBeforeSplit: pageSize, onDecision: (d: PlanDecision) => decisions.add(d.kind) };
          const got = await within(20_000, consume(listRecursivePages(t.adapter, prefix, options), rand));
          expect(view(got)).toEqual(await flat(store, prefix));
          // Nothing left running once the consumer is done.
          await sleep(10);
          expect(t.inFlight).toBe(0);
          clearMemoryStore(name);
        },
      ),
      {
        numRuns: 100,
        // Besides the random runs, one of each plan for sure: ranges cut from the frontier, one
        // big directory listed on as a range of its own, one flat prefix cut by guessed keys.
        examples: [
          [zoo(60), 7, 3, '', 11],
          [[...zoo(20), ...Array.from({ length: 400 }, (_, i) => `zoo/~big/f-${pad(i)}`)], 10, 2, 'zoo/', 12],
          [Array.from({ length: 700 }, (_, i) => `f/ckpt-${pad(i, 6)}.index`), 10, 4, '', 13],
        ],
      },
    );
    // The runs went through every kind of plan, not only the flat listing.
    expect([...decisions].sort()).toEqual(expect.arrayContaining(['cut', 'key-ranges', 'ranges', 'sequential']));
  }, 240_000);
});

/** 1,000 model folders of 8 objects (as planner.test.ts's zoo), under `zoo/`. */
function zoo(models: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < models; i++) {
    const m = `zoo/model-${pad(i)}`;
    keys.push(`${m}/pipeline.config`, `${m}/checkpoint/checkpoint`, `${m}/checkpoint/ckpt-0.index`, `${m}/checkpoint/ckpt-0.data-00000-of-00001`, `${m}/saved_model/saved_model.pb`, `${m}/saved_model/variables/variables.index`, `${m}/saved_model/variables/variables.data-00000-of-00001`, `${m}/saved_model/assets/`);
  }
  return keys;
}

/**
 * Reads the listing a page at a time, stopping after each of the first `stops` pages until the
 * producers are idle; returns the most entries ever fetched and not handed out at such a stop.
 */
async function readAhead(keys: string[], prefix: string, pageSize: number, parallelism: number, stops: number, startAfter = true) {
  const { store, name } = await storeOf(keys, pageSize);
  const t = tracked(store, { rand: random(1), latency: () => 1 });
  // Without start keys (the GCS emulator) the planner walks directories instead of cutting ranges.
  const adapter: StorageAdapter = { ...t.adapter, capabilities: { ...t.adapter.capabilities, startAfter } };
  const decisions: PlanDecision[] = [];
  let given = 0;
  let maxAhead = 0;
  let n = 0;
  const aheads: number[] = [];
  const listed: string[] = [];
  for await (const page of listRecursivePages(adapter, prefix, { pageSize, parallelism, minKeysBeforeSplit: pageSize, onDecision: (d) => decisions.push(d) })) {
    given += page.length;
    listed.push(...page.map((e) => e.key));
    if (n++ < stops) {
      await within(10_000, t.idle());
      aheads.push(t.fetched.size - given);
      maxAhead = Math.max(maxAhead, t.fetched.size - given);
    }
  }
  expect(listed).toEqual([...keys].sort(compareKeys));
  clearMemoryStore(name);
  return { maxAhead, aheads, decisions, calls: t.calls };
}

describe('planner flow control: read-ahead of a consumer that stops reading', () => {
  // Read-ahead is measured at each stop once the producers are idle: keys listed (distinct) minus
  // entries handed out. The documented bounds: segments hold parallelism x 2 pages before range
  // listings wait to start, flat key ranges parallelism x 8; on top of that, at most a page per
  // worker in flight (a range's last page, partly past its end, counts until the next range's turn).
  it('a split listing holds parallelism x 2 pages (+ a page a worker) ahead of a consumer that stops, not the listing', async () => {
    const keys = zoo(500);
    const pageSize = 10;
    for (const parallelism of [2, 4, 16]) {
      const r = await readAhead(keys, 'zoo/', pageSize, parallelism, 60);
      expect(r.decisions[0]).toMatchObject({ kind: 'ranges' });
      expect(r.maxAhead).toBeGreaterThan(0);
      expect(r.maxAhead, `parallelism ${parallelism}: ${r.aheads.join(',')}`).toBeLessThanOrEqual((2 + 1) * parallelism * pageSize);
    }
  }, 60_000);

  it('a split listing whose rest is one big directory holds no more: the directory is listed a page per turn', async () => {
    // 200 small directories, then 3,000 files in one: the last range (or, without start keys, the
    // walk's flat carry-on) is a run of pages, not a page. Before it gave its turn up: 3,183 ahead.
    const keys = [...Array.from({ length: 200 }, (_, i) => `a/d${pad(i, 3)}/x`), ...Array.from({ length: 3000 }, (_, i) => `z/f${pad(i, 5)}`)];
    const pageSize = 10;
    for (const startAfter of [true, false]) {
      for (const parallelism of [2, 4]) {
        const r = await readAhead(keys, '', pageSize, parallelism, 60, startAfter);
        expect(r.decisions[0]).toMatchObject({ kind: startAfter ? 'ranges' : 'walk' });
        expect(r.maxAhead).toBeGreaterThan(0);
        expect(r.maxAhead, `start keys ${startAfter}, parallelism ${parallelism}: ${r.aheads.join(',')}`).toBeLessThanOrEqual((2 + 1) * parallelism * pageSize);
      }
    }
  }, 60_000);

  it('one big flat prefix holds parallelism x 8 pages (+ a page a worker) ahead of a consumer that stops', async () => {
    const keys = Array.from({ length: 6000 }, (_, i) => `run/ckpt-${pad(i, 6)}.index`);
    const pageSize = 10;
    for (const parallelism of [2, 4]) {
      const r = await readAhead(keys, 'run/', pageSize, parallelism, 60);
      expect(r.decisions[0]).toMatchObject({ kind: 'key-ranges' });
      expect(r.maxAhead).toBeGreaterThan(0);
      expect(r.maxAhead, `parallelism ${parallelism}: ${r.aheads.join(',')}`).toBeLessThanOrEqual((8 + 1) * parallelism * pageSize);
    }
  }, 60_000);
});

/** A facade over `adapter` (one memory store) with the planner splitting early. */
function facade(adapter: StorageAdapter, pageSize: number, listingParallelism: number): GFile {
  const registry = createRegistry().register('memory', () => () => adapter);
  return createGFile({ registry, retry: false, pageSize, listingParallelism, minKeysBeforeSplit: pageSize });
}

/** The walk, every entry sorted by URI (what `ls -R` printed before it streamed; see path-order.test.ts). */
async function walkSorted(g: GFile, uri: string): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for await (const dir of g.walk(uri)) out.push(...dir.dirs, ...dir.files);
  return out.sort((a, b) => compareKeys(a.uri, b.uri));
}

const shape = (xs: FileInfo[]) => xs.map((x) => `${x.kind[0]} ${x.uri} ${x.size}`);

/** Reads entries one by one, pausing at random between some of them. */
async function consumeEntries(entries: AsyncIterable<FileInfo>, rand: () => number): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for await (const e of entries) {
    out.push(e);
    if (rand() < 0.05) await pause(rand);
  }
  return out;
}

async function settled<T>(work: Promise<T>): Promise<T | Error> {
  return work.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
}

describe('planner flow control through path order and the facade', () => {
  it('walkEntries and globEntries("**") give what they give without a plan, whatever the latencies and pauses (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(tree, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 2, max: 16 }), fc.integer(), async (keys, pageSize, parallelism, seed) => {
        const rand = random(seed);
        const { store, name } = await storeOf(keys, pageSize);
        const plain = facade(store, pageSize, 1);
        const g = facade(tracked(store, { rand }).adapter, pageSize, parallelism);
        const root = `memory://${name}/`;
        const expectedWalk = await settled(walkSorted(plain, root));
        const gotWalk = await settled(within(20_000, consumeEntries(g.walkEntries(root), rand)));
        if (expectedWalk instanceof Error || gotWalk instanceof Error) expect(String(gotWalk)).toBe(String(expectedWalk));
        else expect(shape(gotWalk)).toEqual(shape(expectedWalk));
        const expectedGlob = await settled(plain.glob(`${root}**`));
        const gotGlob = await settled(within(20_000, consumeEntries(g.globEntries(`${root}**`), rand)));
        if (expectedGlob instanceof Error || gotGlob instanceof Error) expect(String(gotGlob)).toBe(String(expectedGlob));
        else expect(shape(gotGlob)).toEqual(shape(expectedGlob));
        clearMemoryStore(name);
      }),
      { numRuns: 30 },
    );
  }, 240_000);
});

describe('planner flow control: stopping a listing while range listings wait to start', () => {
  /** A listing of `zoo/` split into ranges, read up to its first page, then left until its producers wait. */
  async function stalled(parallelism: number, signal?: AbortSignal) {
    const keys = zoo(500);
    const { store, name } = await storeOf(keys, 10);
    const t = tracked(store, { rand: random(7), latency: () => 1 });
    const decisions: PlanDecision[] = [];
    const pages = listRecursivePages(t.adapter, 'zoo/', { pageSize: 10, parallelism, minKeysBeforeSplit: 10, signal, onDecision: (d) => decisions.push(d) });
    const got: ObjectMeta[] = [...((await pages.next()).value ?? [])];
    got.push(...((await pages.next()).value ?? []));
    await within(10_000, t.idle());
    // The plan is split and waits for the consumer: far from the whole listing was fetched.
    expect(decisions[0]).toMatchObject({ kind: 'ranges' });
    expect(t.fetched.size).toBeLessThan(keys.length / 4);
    return { pages, got, t, keys, store, name };
  }

  it('a consumer that breaks off leaves nothing running and nothing unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      for (const parallelism of [1, 2, 16]) {
        const s = await stalled(Math.max(2, parallelism));
        // Read some more, then break off (what `for await ... break` does: return()).
        for (let i = 0; i < 3; i++) s.got.push(...((await s.pages.next()).value ?? []));
        const result = await within(5_000, s.pages.return(undefined));
        expect(result.done).toBe(true);
        const calls = s.t.calls;
        await sleep(50);
        // The listings that waited to start were let go to fail in the pool: none sent a request.
        expect(s.t.calls).toBe(calls);
        expect(s.t.inFlight).toBe(0);
        expect(view(s.got)).toEqual((await flat(s.store, 'zoo/')).slice(0, s.got.length));
        clearMemoryStore(s.name);
      }
      await sleep(20);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }, 60_000);

  it('an abort while range listings wait to start ends the listing promptly, with no new request', async () => {
    const controller = new AbortController();
    const s = await stalled(4, controller.signal);
    const calls = s.t.calls;
    controller.abort();
    const started = Date.now();
    let error: unknown;
    try {
      // What was listed before the abort may still come out (no more than the bound); then the abort.
      for (let r = await s.pages.next(); !r.done; r = await s.pages.next()) s.got.push(...r.value);
    } catch (e) {
      error = e;
    }
    expect(Date.now() - started).toBeLessThan(1_000);
    // Typed as the store's own requests say it (not the signal's bare DOMException).
    expect(error).toMatchObject({ code: 'ABORTED', operation: 'list' });
    expect(s.got.length).toBeLessThan(s.keys.length);
    expect(view(s.got)).toEqual((await flat(s.store, 'zoo/')).slice(0, s.got.length));
    await sleep(30);
    expect(s.t.calls).toBe(calls);
    clearMemoryStore(s.name);
  }, 30_000);

  it('through the facade, an abort while range listings wait to start is ABORTED', async () => {
    // Lower-case names: path order can hand entries out as they come (a name with a digit or `-`
    // after a prefix keeps the run behind it until the listing passes that prefix's `/`).
    const word = (i: number) => String.fromCharCode(97 + Math.floor(i / 676), 97 + (Math.floor(i / 26) % 26), 97 + (i % 26));
    const keys = Array.from({ length: 600 }, (_, i) => [`zoo/${word(i)}/x`, `zoo/${word(i)}/y/z`]).flat();
    const { store, name } = await storeOf(keys, 10);
    const t = tracked(store, { rand: random(3), latency: () => 1 });
    const g = facade(t.adapter, 10, 4);
    const controller = new AbortController();
    const entries = g.walkEntryBatches(`memory://${name}/zoo/`, { signal: controller.signal });
    let given = (await entries.next()).value?.length ?? 0;
    await within(10_000, t.idle());
    expect(t.fetched.size).toBeLessThan(keys.length / 4);
    const calls = t.calls;
    controller.abort();
    const error = await within(
      2_000,
      (async () => {
        for await (const batch of entries) given += batch.length;
      })().then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(error).toMatchObject({ code: 'ABORTED' });
    expect(given).toBeLessThan(keys.length);
    expect(t.calls).toBe(calls);
    clearMemoryStore(name);
  }, 30_000);

  it('a range listing that fails while others wait to start: the consumer gets its error, not a hang', async () => {
    for (const failAt of [3, 8, 15, 40]) {
      const keys = zoo(500);
      const { store, name } = await storeOf(keys, 10);
      const boom = Object.assign(new Error(`boom ${failAt}`), { code: 'UNAVAILABLE' });
      // The failing request is a range's (a start key, not a delimiter listing), well into the plan.
      let ranges = 0;
      const t = tracked(store, { rand: random(failAt), fail: (_n, _p, o) => (o.startAfter !== undefined && !o.delimiter && ++ranges === failAt ? boom : undefined) });
      const rand = random(failAt + 1);
      const got: ObjectMeta[] = [];
      const error = await within(
        10_000,
        (async () => {
          for await (const page of listRecursivePages(t.adapter, 'zoo/', { pageSize: 10, parallelism: 3, minKeysBeforeSplit: 10 })) {
            got.push(...page);
            // A slow consumer: range listings wait to start while it sleeps.
            if (rand() < 0.3) await sleep(15);
          }
        })().then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      expect(error, `request ${failAt}`).toBe(boom);
      expect(got.length).toBeLessThan(keys.length);
      expect(view(got)).toEqual((await flat(store, 'zoo/')).slice(0, got.length));
      await sleep(20);
      expect(t.inFlight).toBe(0);
      clearMemoryStore(name);
    }
  }, 60_000);
});
