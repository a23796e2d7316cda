import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListOptions, StorageAdapter } from './adapter.js';
import { createGFile, type FileInfo, type GFile } from './gfile.js';
import { literalPrefix, planGlob, segmentMatcher } from './glob.js';
import { baseName, dirPrefix, stripSlash } from './keys.js';
import { listEntries } from './listing.js';
import { presentEntry } from './placeholders.js';
import type { ObjectMeta } from './adapter.js';
import { compareKeys } from './keys.js';
import { clearMemoryStore, createMemoryAdapter } from './memory-adapter.js';
import { createRegistry } from './registry.js';

let counter = 0;

/** A facade over one fresh memory store holding `keys`, with its list requests counted. */
async function storeOf(keys: Iterable<string>, pageSize: number): Promise<{ g: GFile; name: string; lists: () => number }> {
  const name = `path-order-${process.pid}-${counter++}`;
  clearMemoryStore(name);
  const inner = createMemoryAdapter(name, { maxPageSize: pageSize });
  let lists = 0;
  const adapter: StorageAdapter = {
    ...inner,
    list: (prefix: string, o?: ListOptions) => {
      lists++;
      return inner.list(prefix, o);
    },
  };
  for (const key of keys) await inner.write(key, new TextEncoder().encode(key));
  const registry = createRegistry().register('memory', () => () => adapter);
  return { g: createGFile({ registry, retry: false, pageSize, listingParallelism: 4, minKeysBeforeSplit: 2 * pageSize }), name, lists: () => lists };
}

/** What `ls -R` printed before it streamed: every entry of the walk, sorted by URI (stable: a directory before a file of one path). */
async function walkSorted(g: GFile, uri: string): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for await (const dir of g.walk(uri)) {
    for (const d of dir.dirs) out.push(d);
    for (const f of dir.files) out.push(f);
  }
  return out.sort((a, b) => compareKeys(a.uri, b.uri));
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const shape = (xs: FileInfo[]) => xs.map((x) => `${x.kind[0]} ${x.uri} ${x.size} ${x.mtime?.getTime() ?? '-'} ${x.generation ?? '-'}`);

// Names that exercise the order: characters below `/` (`-`, `.`, `$`, space), `_` and `$folder$`
// placeholders, directory markers, a file and a directory of the same path.
const segment = fc.constantFrom('a', 'a-b', 'a.txt', 'a b', 'a0', 'ab', 'a_', 'a_$folder$', 'b', 'b-1', 'ckpt', 'ckpt-1', 'ckpt-10.index', 'ckpt-1.index', 'é', '_$folder$', 'Z');
const key = fc.array(segment, { minLength: 1, maxLength: 4 }).chain((parts) => fc.constantFrom(parts.join('/'), `${parts.join('/')}/`));

describe('walkEntries: the walk in path order, streamed', () => {
  it('gives exactly the entries and order of the sorted walk, for any keys, page size and held bound', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key, { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), fc.constantFrom(1, 2, 3, 5, 8, 1000, 1000), fc.constantFrom('', 'a', 'a-b'), async (keys, pageSize, maxHeld, sub) => {
        const { g, name } = await storeOf(keys, pageSize);
        const uri = `memory://${name}/${sub}`;
        let expected: FileInfo[] | Error;
        try {
          expected = await walkSorted(g, uri);
        } catch (error) {
          expected = error as Error;
        }
        const got = await collect(g.walkEntries(uri, { maxHeld })).catch((error: unknown) => error as Error);
        clearMemoryStore(name);
        if (expected instanceof Error || got instanceof Error) {
          expect(got).toBeInstanceOf(Error);
          return;
        }
        // The walk of a missing directory yields nothing; walkEntries says NOT_FOUND (see below).
        expect(shape(got)).toEqual(shape(expected));
      }),
      { numRuns: 1500 },
    );
  });

  it('holds back only what the order requires: a large flat directory streams with a bounded number held', async () => {
    const n = 40_000;
    const keys = Array.from({ length: n }, (_, i) => `run/ckpt-${i}.index`);
    const { g, name, lists } = await storeOf([...keys, 'run/ckpt/x', 'run_$folder$'], 100);
    let maxAhead = 0;
    let given = 0;
    const seen: string[] = [];
    for await (const e of g.walkEntries(`memory://${name}/`, { maxHeld: 200 })) {
      given++;
      seen.push(e.uri);
      // Requests so far against entries handed out: the stream never runs far ahead of the consumer.
      maxAhead = Math.max(maxAhead, lists() * 100 - given);
    }
    expect(given).toBe(n + 3);
    expect(seen.slice(0, 3)).toEqual([`memory://${name}/run`, `memory://${name}/run/ckpt`, `memory://${name}/run/ckpt-0.index`]);
    expect(seen).toEqual([...seen].sort(compareKeys));
    // Pages are listed ahead of the consumer (the planner's parallel parts and, past 30 pages of
    // one flat prefix, its key ranges: at most parallelism x 8 pages, a constant), but what is held
    // waits for at most a few questions: far less than the listing once it outgrows that constant.
    expect(maxAhead).toBeLessThan(n / 2);
    clearMemoryStore(name);
  });

  it('NOT_FOUND for a directory that does not exist; an empty prefix root lists nothing', async () => {
    const { g, name } = await storeOf(['x/y'], 10);
    await expect(collect(g.walkEntries(`memory://${name}/nope`))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await collect(g.walkEntries(`memory://${name}/`))).map((e) => e.uri)).toEqual([`memory://${name}/x`, `memory://${name}/x/y`]);
    clearMemoryStore(name);
  });
});

describe('globEntries: matches streamed in the order of the sorted result', () => {
  it('gives what glob gave when it collected and sorted its matches, for any keys and patterns', async () => {
    const patterns = ['*', '*/*', 'a*', 'a*/*', '**', '**/a*', 'a/**', '*-*', 'ckpt-*', '*/ckpt*', 'a*/', '**/', 'a/*/'];
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key, { maxLength: 30 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom(...patterns), async (keys, pageSize, pattern) => {
        const { g, name } = await storeOf(keys, pageSize);
        const base = `memory://${name}/`;
        const expected = await legacyGlob(g, `${base}${pattern}`);
        const got = await collect(g.globEntries(`${base}${pattern}`));
        clearMemoryStore(name);
        expect(got.map((e) => `${e.kind[0]} ${e.uri}`)).toEqual(expected.map((e) => `${e.kind[0]} ${e.uri}`));
      }),
      { numRuns: 600 },
    );
  });
});

/**
 * glob as it was before it streamed (commit f759562): every match collected in a map, then sorted.
 * The reference the streamed one must agree with (directory metadata aside: a `**` listing now
 * gives a directory its placeholder's metadata, as the walk does).
 */
async function legacyGlob(g: GFile, pattern: string): Promise<FileInfo[]> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the facade's private helpers, as the old method used them
  const f = g as any;
  const { adapter, parsed } = await g.locate(pattern, 'glob');
  const plan = planGlob(parsed.key);
  const onlyDirs = parsed.trailingSlash;
  const results = new Map<string, FileInfo>();
  const rest0 = parsed.key.slice(plan.root.length);
  const rootParsed = { ...parsed, key: plan.root, base: parsed.base.endsWith(rest0) ? parsed.base.slice(0, parsed.base.length - rest0.length) : '' };
  const add = (raw: ObjectMeta) => {
    const meta = presentEntry(raw);
    if (!meta || (onlyDirs && meta.kind !== 'directory')) return;
    const info = g.info(rootParsed, adapter, meta);
    results.set(`${meta.kind}:${info.uri}`, info);
  };
  let candidates = [plan.root];
  for (const [i, step] of plan.steps.entries()) {
    if (candidates.length === 0) break;
    if (step.kind === 'descend') {
      candidates = candidates.map((c) => (c === '' ? step.segment : `${c}/${step.segment}`));
      continue;
    }
    if (step.kind === 'flat') {
      for (const dir of candidates) await f.globFlatBounded(adapter, dir, dirPrefix(dir), step.pattern, Infinity, undefined, add);
      break;
    }
    const matches = segmentMatcher(step.segment);
    const lit = literalPrefix(step.segment);
    const next: string[] = [];
    for (const dir of candidates) {
      const prefix = dirPrefix(dir);
      for await (const raw of listEntries(adapter, prefix + lit, { delimiter: true, pageSize: f.options.pageSize })) {
        const meta = presentEntry(raw);
        if (!meta || meta.key === prefix) continue;
        if (!matches(baseName(meta.key))) continue;
        if (step.last) add(meta);
        else if (meta.kind === 'directory') next.push(stripSlash(meta.key));
      }
    }
    if (i === 0 && !step.last && next.length > 2 * (f.options.concurrency ?? 16)) {
      const rest = plan.root === '' ? parsed.key : parsed.key.slice(plan.root.length + 1);
      const flat = await f.globFlatBounded(adapter, plan.root, dirPrefix(plan.root) + lit, rest, Math.ceil(next.length / 2), undefined, undefined);
      if (flat) {
        for (const meta of flat) add(meta);
        break;
      }
    }
    candidates = next;
  }
  return [...results.values()].sort((a, b) => compareKeys(a.uri, b.uri) || (a.kind < b.kind ? -1 : 1));
}
