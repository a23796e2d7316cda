import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListOptions, ListPage, ObjectMeta, StorageAdapter } from '../adapter.js';
import { compareKeys } from '../keys.js';
import { listEntries } from '../listing.js';
import { clearMemoryStore, createMemoryAdapter } from '../memory-adapter.js';
import { listRecursive, type PlanDecision, type PlannerOptions } from './index.js';

let storeCounter = 0;

/** A memory store holding `keys` (a key ending in `/` is a directory marker). */
async function storeOf(keys: Iterable<string>, maxPageSize = 1000): Promise<StorageAdapter> {
  const name = `planner-${process.pid}-${storeCounter++}`;
  clearMemoryStore(name);
  const adapter = createMemoryAdapter(name, { maxPageSize });
  for (const key of keys) await adapter.write(key, new TextEncoder().encode(key));
  return adapter;
}

interface Recorded {
  prefix: string;
  options: ListOptions;
}

/**
 * The adapter with its list requests recorded and counted in "rounds": requests sent while others
 * are in flight share a round, so `rounds` is the number of round trips one after the other a
 * store with a fixed latency would take. `startAfter: 'ignored'` plays a server that claims start
 * keys and ignores them; `'unsupported'` one that says it has none (the GCS emulator).
 */
function instrument(inner: StorageAdapter, mode: { startAfter?: 'ok' | 'ignored' | 'unsupported' } = {}) {
  const calls: Recorded[] = [];
  let inFlight = 0;
  let rounds = 0;
  let roundOpen = false;
  const capabilities = { ...inner.capabilities, startAfter: mode.startAfter !== 'unsupported' };
  const adapter: StorageAdapter = {
    ...inner,
    capabilities,
    async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
      calls.push({ prefix, options });
      if (mode.startAfter === 'unsupported' && options.startAfter !== undefined) throw new Error('startAfter sent to a store without it');
      if (!roundOpen) {
        rounds++;
        roundOpen = true;
      }
      inFlight++;
      try {
        // A macrotask of "latency", so that requests sent together overlap.
        await new Promise((r) => setTimeout(r, 1));
        const sent = mode.startAfter === 'ignored' ? { ...options, startAfter: undefined } : options;
        return await inner.list(prefix, sent);
      } finally {
        if (--inFlight === 0) roundOpen = false;
      }
    },
  };
  return { adapter, calls, get rounds() {
    return rounds;
  } };
}

async function collect(it: AsyncIterable<ObjectMeta>): Promise<ObjectMeta[]> {
  const out: ObjectMeta[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const view = (entries: ObjectMeta[]) => entries.map((e) => `${e.kind}:${e.key}:${e.size}`);

/** What one flat paged listing gives: the reference every plan must reproduce exactly. */
async function flat(adapter: StorageAdapter, prefix: string): Promise<string[]> {
  return view(await collect(listEntries(adapter, prefix)));
}

async function planned(adapter: StorageAdapter, prefix: string, options: PlannerOptions = {}) {
  const decisions: PlanDecision[] = [];
  const entries = await collect(listRecursive(adapter, prefix, { onDecision: (d) => decisions.push(d), ...options }));
  return { entries: view(entries), decisions };
}

const pad = (n: number, w = 4) => String(n).padStart(w, '0');

/** 1,000 model folders of 8 objects (a TF2 detection zoo tarball, extracted), under `zoo/`. */
function zoo(models: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < models; i++) {
    const m = `zoo/model-${pad(i)}`;
    keys.push(
      `${m}/pipeline.config`,
      `${m}/checkpoint/checkpoint`,
      `${m}/checkpoint/ckpt-0.index`,
      `${m}/checkpoint/ckpt-0.data-00000-of-00001`,
      `${m}/saved_model/saved_model.pb`,
      `${m}/saved_model/variables/variables.index`,
      `${m}/saved_model/variables/variables.data-00000-of-00001`,
      `${m}/saved_model/assets/`,
    );
  }
  return keys;
}

describe('listRecursive', () => {
  it('a listing of one page is one request, as a flat listing', async () => {
    const store = await storeOf(zoo(10));
    const t = instrument(store);
    const r = await planned(t.adapter, 'zoo/');
    expect(r.entries).toEqual(await flat(store, 'zoo/'));
    expect(t.calls).toHaveLength(1);
    expect(r.decisions).toEqual([]);
  });

  it('stays flat until it has shown minKeysBeforeSplit keys', async () => {
    const store = await storeOf(zoo(20));
    const t = instrument(store);
    // 160 keys in pages of 10, with the default threshold (the store's largest page, 1,000): 16 sequential pages.
    const r = await planned(t.adapter, 'zoo/', { pageSize: 10 });
    expect(r.entries).toEqual(await flat(store, 'zoo/'));
    expect(t.calls).toHaveLength(16);
    expect(t.rounds).toBe(16);
  });

  it('a wide shallow tree: ranges in parallel, the same entries in far fewer round trips', async () => {
    const store = await storeOf(zoo(1000), 100);
    const t = instrument(store);
    const r = await planned(t.adapter, 'zoo/', { minKeysBeforeSplit: 100 });
    expect(r.entries).toEqual(await flat(store, 'zoo/'));
    // The floor is 80 pages of 100, one after the other.
    expect(r.decisions.some((d) => d.kind === 'ranges')).toBe(true);
    expect(t.rounds).toBeLessThanOrEqual(16);
    expect(t.calls.length).toBeLessThanOrEqual(Math.ceil(80 * 1.5));
    // Only the zoo level was asked for boundaries (its folders are small, seen whole on the first
    // page): its delimiter listing, 1,000 folders in pages of 100, carried on page by page.
    const delimiter = t.calls.filter((c) => c.options.delimiter);
    expect(delimiter.every((c) => c.prefix === 'zoo/')).toBe(true);
    expect(delimiter.length).toBeLessThanOrEqual(10);
  });

  it('all keys under one prefix, deep and narrow: boundaries come from the deeper levels', async () => {
    const keys: string[] = [];
    for (let s = 0; s < 300; s++) for (let f = 0; f < 5; f++) keys.push(`a/b/c/run/step-${pad(s)}/shard-${f}`);
    const store = await storeOf(keys, 50);
    const t = instrument(store);
    const r = await planned(t.adapter, '', { minKeysBeforeSplit: 50 });
    expect(r.entries).toEqual(await flat(store, ''));
    expect(r.decisions.find((d) => d.kind === 'ranges')).toMatchObject({ levels: 5 });
    // Floor: 30 sequential pages.
    expect(t.rounds).toBeLessThanOrEqual(10);
  });

  it("one flat directory of files: nothing to split on, exactly the flat listing's requests", async () => {
    const keys = Array.from({ length: 2001 }, (_, i) => `flat/ckpt-${pad(i)}.index`);
    const store = await storeOf(keys, 100);
    const t = instrument(store);
    const r = await planned(t.adapter, 'flat/', { minKeysBeforeSplit: 100 });
    expect(r.entries).toEqual(await flat(store, 'flat/'));
    expect(r.decisions).toEqual([]);
    expect(t.calls).toHaveLength(21);
  });

  it('files, then directories: a delimiter listing that finds only files carries on sequentially', async () => {
    const keys = Array.from({ length: 500 }, (_, i) => `mixed/a/f-${pad(i)}`);
    for (let i = 0; i < 60; i++) keys.push(`mixed/b/g-${pad(i)}`);
    const store = await storeOf(keys, 50);
    const t = instrument(store);
    // The 11th page spans a/ and b/: the one split attempt (a delimiter listing of mixed/ and of
    // mixed/b/) finds 21 files to the right, not worth splitting.
    const r = await planned(t.adapter, 'mixed/', { minKeysBeforeSplit: 50, pageSize: 49 });
    expect(r.entries).toEqual(await flat(store, 'mixed/'));
    expect(r.decisions).toHaveLength(1);
    expect(r.decisions[0]).toMatchObject({ kind: 'sequential', after: 'mixed/b/g-0038' });
    expect(t.calls).toHaveLength(Math.ceil(560 / 49) + 2);
  });

  it('a few big directories of unknown size are split again once their first pages come in', async () => {
    const keys: string[] = [];
    for (const run of ['r1', 'r2', 'r3', 'r4']) for (let s = 0; s < 100; s++) for (let f = 0; f < 3; f++) keys.push(`runs/${run}/s${pad(s)}/f${f}`);
    const store = await storeOf(keys, 40);
    const t = instrument(store);
    const r = await planned(t.adapter, 'runs/', { minKeysBeforeSplit: 40 });
    expect(r.entries).toEqual(await flat(store, 'runs/'));
    expect(r.decisions.filter((d) => d.kind === 'ranges').length).toBeGreaterThan(1);
    // Floor: 30 sequential pages.
    expect(t.rounds).toBeLessThanOrEqual(12);
  });

  it('keys equal to range boundaries, markers, unicode beyond U+FFFF and names sorting around "/"', async () => {
    const names = ['a', 'a-b', 'a.b', 'a/', 'a/x', 'a0', 'a/\u{1F642}', 'a/\uFFFD', 'a/\u00e9', 'b/', 'b', 'b/b/', 'b/b/b', 'ü/日本/🙂', 'ü/日本.x', 'z\u{10FFFF}', 'z\u{10FFFF}/q'];
    const keys: string[] = [];
    for (let i = 0; i < 40; i++) for (const n of names) keys.push(`t/${pad(i, 2)}${n}`);
    for (let i = 0; i < 40; i++) keys.push(`t/${pad(i, 2)}a/`, `t/${pad(i, 2)}a/${pad(i, 2)}`);
    const store = await storeOf(keys, 7);
    for (const parallelism of [2, 16]) {
      const t = instrument(store);
      const r = await planned(t.adapter, 't/', { minKeysBeforeSplit: 7, parallelism });
      expect(r.entries).toEqual(await flat(store, 't/'));
      expect(r.decisions.some((d) => d.kind === 'ranges')).toBe(true);
    }
  });

  it('random trees: every plan gives exactly the flat listing (fast-check)', async () => {
    const segment = fc.constantFrom('a', 'b', 'a-', 'a.', 'ab', '0', 'é', '🙂', 'z\u{10FFFF}', 'x y', '%2F');
    const key = fc.array(segment, { minLength: 1, maxLength: 5 }).chain((parts) => fc.boolean().map((dir) => parts.join('/') + (dir && parts.length > 1 ? '/' : '')));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(key, { minLength: 1, maxLength: 150 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom<'ok' | 'ignored' | 'unsupported'>('ok', 'ignored', 'unsupported'),
        async (keys, pageSize, parallelism, startAfter) => {
          const store = await storeOf(keys, pageSize);
          const t = instrument(store, { startAfter });
          const r = await planned(t.adapter, '', { minKeysBeforeSplit: pageSize, parallelism });
          expect(r.entries).toEqual(await flat(store, ''));
        },
      ),
      { numRuns: 150 },
    );
  });

  describe('one big flat prefix: key ranges guessed from the keys', () => {
    /** The sequential floor and what the planner may spend on top of it: 10%. */
    const budget = (keys: number, pageSize: number) => {
      const floor = Math.ceil(keys / pageSize);
      return { floor, max: floor + Math.floor(floor / 10) };
    };
    const numbered = (n: number) => {
      const keys: string[] = [];
      for (let i = 1; keys.length < n; i++) keys.push(`run/ckpt-${pad(i, 6)}.data-00000-of-00001`, `run/ckpt-${pad(i, 6)}.index`, `run/ckpt-${pad(i, 6)}.meta`);
      return keys.slice(0, n);
    };

    it('200 pages of numbered checkpoints: ranges side by side, within the floor + 10%, a fraction of the round trips', async () => {
      const keys = numbered(4000);
      const store = await storeOf(keys, 20);
      const t = instrument(store);
      const r = await planned(t.adapter, 'run/');
      expect(r.entries).toEqual(await flat(store, 'run/'));
      expect(r.decisions[0]).toMatchObject({ kind: 'key-ranges' });
      expect(r.decisions.filter((d) => d.kind === 'cut').length).toBeGreaterThan(5);
      const { floor, max } = budget(keys.length, 20);
      expect(t.calls.length).toBeGreaterThanOrEqual(floor);
      expect(t.calls.length).toBeLessThanOrEqual(max);
      expect(t.rounds).toBeLessThanOrEqual(0.3 * floor);
    });

    it('below 30 pages a flat prefix is exactly the sequential floor', async () => {
      for (const n of [29 * 20, 30 * 20 - 1, 30 * 20]) {
        const store = await storeOf(numbered(n), 20);
        const t = instrument(store);
        const r = await planned(t.adapter, 'run/');
        expect(r.entries).toEqual(await flat(store, 'run/'));
        expect(t.calls).toHaveLength(Math.ceil(n / 20));
      }
    });

    it('a slow consumer: workers list at most a few pages each ahead of it', async () => {
      const store = await storeOf(numbered(6000), 20);
      let listed = 0;
      let read = 0;
      let ahead = 0;
      const counting: StorageAdapter = {
        ...store,
        async list(prefix, options) {
          const page = await store.list(prefix, options);
          listed += page.entries.length;
          ahead = Math.max(ahead, listed - read);
          return page;
        },
      };
      for await (const e of listRecursive(counting, 'run/', { parallelism: 4 })) {
        void e;
        if (++read % 20 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      expect(read).toBe(6000);
      // Without a bound it is the whole listing (5,000 and more): 4 workers x 8 pages of 20 buffered,
      // plus per worker the page in flight and the keys past a range's end that its last page brought.
      expect(ahead).toBeLessThanOrEqual(4 * 8 * 20 + 3 * 4 * 20);
    });

    it('a failure in one range: the consumer sees a correct beginning, then that failure; a consumer that stops stops the workers', async () => {
      const store = await storeOf(numbered(3000), 10);
      let n = 0;
      const failing: StorageAdapter = {
        ...store,
        async list(prefix, options) {
          if (++n === 45) throw Object.assign(new Error('boom'), { code: 'UNAVAILABLE' });
          await new Promise((r) => setTimeout(r, 1));
          return store.list(prefix, options);
        },
      };
      const got: ObjectMeta[] = [];
      await expect(
        (async () => {
          for await (const e of listRecursive(failing, 'run/')) got.push(e);
        })(),
      ).rejects.toThrow('boom');
      const expected = await flat(store, 'run/');
      expect(got.length).toBeLessThan(expected.length);
      expect(view(got)).toEqual(expected.slice(0, got.length));

      const t = instrument(store);
      let read = 0;
      for await (const e of listRecursive(t.adapter, 'run/')) {
        void e;
        if (++read === 400) break;
      }
      const sent = t.calls.length;
      await new Promise((r) => setTimeout(r, 50));
      expect(t.calls.length).toBeLessThanOrEqual(sent + 16);
      expect(t.calls.length).toBeLessThan(150);
    });

    it('a store that ignores start keys is caught on the first range and the listing carries on flat', async () => {
      const store = await storeOf(numbered(1000), 10);
      const t = instrument(store, { startAfter: 'ignored' });
      const r = await planned(t.adapter, 'run/');
      expect(r.entries).toEqual(await flat(store, 'run/'));
      expect(r.decisions.at(-1)).toMatchObject({ kind: 'fallback' });
    });

    it('without start keys (the GCS emulator) a flat prefix stays one sequential listing', async () => {
      const store = await storeOf(numbered(1000), 10);
      const t = instrument(store, { startAfter: 'unsupported' });
      const r = await planned(t.adapter, 'run/');
      expect(r.entries).toEqual(await flat(store, 'run/'));
      expect(t.calls).toHaveLength(100);
      expect(r.decisions).toEqual([]);
    });

    it('a store with real directories (a local disk) lists one directory sequentially: no round trips to save', async () => {
      const store = await storeOf(numbered(1000), 10);
      const t = instrument(store);
      const disk: StorageAdapter = { ...t.adapter, capabilities: { ...t.adapter.capabilities, directories: 'real' } };
      const r = await planned(disk, 'run/');
      expect(r.entries).toEqual(await flat(store, 'run/'));
      expect(t.calls).toHaveLength(100);
      expect(r.decisions).toEqual([]);
    });

    it('random flat key sets: the flat listing exactly, within the floor + 10% (fast-check)', async () => {
      const dense = fc.integer({ min: 1, max: 3000 }).map((n) => Array.from({ length: n }, (_, i) => `ckpt-${pad(i, 6)}`));
      const sparse = fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 1500 }).map((ns) => ns.map((n) => `s-${n.toString(16)}`));
      // Most keys in a narrow band, a few far out on either side: guesses from the first pages are wrong.
      const skewed = fc
        .tuple(fc.integer({ min: 1, max: 2000 }), fc.uniqueArray(fc.integer({ min: 0, max: 99_999 }), { maxLength: 50 }))
        .map(([n, far]) => [...Array.from({ length: n }, (_, i) => `k-5${pad(i, 5)}`), ...far.map((f) => `k-${f % 2 ? 9 : 0}${pad(f, 5)}`)]);
      // Short keys of a few characters (boundaries are made of the same ones, so keys equal them),
      // unicode beyond U+FFFF, U+FFFD, and characters sorting around the guessed ones.
      const char = fc.constantFrom('0', '1', '9', 'a', 'z', 'A', '.', '-', ' ', 'é', '\uFFFD', '日', '🙂', '\u{10FFFF}');
      const odd = fc.uniqueArray(fc.array(char, { minLength: 1, maxLength: 5 }).map((cs) => cs.join('')), { minLength: 1, maxLength: 1500 });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(dense, sparse, skewed, odd),
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 2, max: 16 }),
          fc.constantFrom<'ok' | 'ignored'>('ok', 'ok', 'ok', 'ignored'),
          async (names, pageSize, parallelism, startAfter) => {
            const keys = names.map((n) => `flat/${n}`);
            const store = await storeOf(keys, pageSize);
            const t = instrument(store, { startAfter });
            const r = await planned(t.adapter, 'flat/', { parallelism });
            expect(r.entries).toEqual(await flat(store, 'flat/'));
            if (startAfter === 'ok') expect(t.calls.length).toBeLessThanOrEqual(budget(new Set(keys).size, pageSize).max);
          },
        ),
        { numRuns: 80 },
      );
    }, 120_000);
  });

  it('a store that ignores start keys is caught and the listing falls back to flat pages', async () => {
    const store = await storeOf(zoo(100), 50);
    const t = instrument(store, { startAfter: 'ignored' });
    const r = await planned(t.adapter, 'zoo/', { minKeysBeforeSplit: 50 });
    expect(r.entries).toEqual(await flat(store, 'zoo/'));
    expect(r.decisions.at(-1)).toMatchObject({ kind: 'fallback' });
  });

  it('without start keys: small folders stay one flat listing, never a request per folder', async () => {
    const store = await storeOf(zoo(100), 50);
    const t = instrument(store, { startAfter: 'unsupported' });
    const r = await planned(t.adapter, 'zoo/', { minKeysBeforeSplit: 50 });
    expect(r.entries).toEqual(await flat(store, 'zoo/'));
    expect(r.decisions.some((d) => d.kind === 'walk')).toBe(false);
    expect(t.calls).toHaveLength(16);
  });

  it('without start keys: big folders are walked, each listed on its own in parallel', async () => {
    const keys: string[] = [];
    for (const run of ['r1', 'r2', 'r3', 'r4', 'r5']) for (let s = 0; s < 210; s++) keys.push(`runs/${run}/s${pad(s)}`);
    const store = await storeOf(keys, 50);
    const t = instrument(store, { startAfter: 'unsupported' });
    const r = await planned(t.adapter, 'runs/', { minKeysBeforeSplit: 50 });
    expect(r.entries).toEqual(await flat(store, 'runs/'));
    expect(r.decisions).toContainEqual({ kind: 'walk', dir: 'runs/' });
    // Floor: 21 sequential pages. The 5th spans r1/ and r2/: from there r2 to r5 are listed each on
    // its own (5 pages), next to a delimiter listing of runs/ and the rest of r2.
    expect(t.rounds).toBeLessThanOrEqual(12);
    expect(t.calls.length).toBeLessThanOrEqual(21 + 5 + 1);
  });

  it('parallelism 1 keeps one flat listing', async () => {
    const store = await storeOf(zoo(100), 50);
    const t = instrument(store);
    const r = await planned(t.adapter, 'zoo/', { minKeysBeforeSplit: 50, parallelism: 1 });
    expect(r.entries).toEqual(await flat(store, 'zoo/'));
    expect(t.calls).toHaveLength(16);
    expect(t.calls.every((c) => !c.options.delimiter && c.options.startAfter === undefined)).toBe(true);
  });

  it('the first failure is what the consumer sees, after a correct beginning of the listing', async () => {
    const store = await storeOf(zoo(200), 50);
    let n = 0;
    const failing: StorageAdapter = {
      ...store,
      async list(prefix, options) {
        if (++n === 6) throw Object.assign(new Error('boom'), { code: 'UNAVAILABLE' });
        await new Promise((r) => setTimeout(r, 1));
        return store.list(prefix, options);
      },
    };
    const got: ObjectMeta[] = [];
    let error: unknown;
    try {
      for await (const e of listRecursive(failing, 'zoo/', { minKeysBeforeSplit: 50 })) got.push(e);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe('boom');
    const expected = await flat(store, 'zoo/');
    expect(got.length).toBeLessThan(expected.length);
    expect(view(got)).toEqual(expected.slice(0, got.length));
  });

  it('a consumer that stops early stops the workers', async () => {
    const store = await storeOf(zoo(500), 50);
    const t = instrument(store);
    let i = 0;
    for await (const e of listRecursive(t.adapter, 'zoo/', { minKeysBeforeSplit: 50 })) {
      void e;
      if (++i === 120) break;
    }
    const sent = t.calls.length;
    await new Promise((r) => setTimeout(r, 50));
    // Requests already in flight may land; nothing new is started.
    expect(t.calls.length).toBeLessThanOrEqual(sent + 16);
    expect(t.calls.length).toBeLessThan(80);
  });

  it('entries come out in key order whatever the order of the answers', async () => {
    const store = await storeOf(zoo(300), 40);
    const slowFirst: StorageAdapter = {
      ...store,
      async list(prefix, options) {
        // Answers to later ranges come back first.
        const delay = options?.startAfter ? Math.max(0, 30 - (options.startAfter.charCodeAt(12) % 10) * 3) : 1;
        await new Promise((r) => setTimeout(r, delay));
        return store.list(prefix, options);
      },
    };
    const entries = await collect(listRecursive(slowFirst, 'zoo/', { minKeysBeforeSplit: 40 }));
    expect(view(entries)).toEqual(await flat(store, 'zoo/'));
    for (let i = 1; i < entries.length; i++) expect(compareKeys(entries[i - 1]!.key, entries[i]!.key)).toBeLessThan(0);
  });
});
