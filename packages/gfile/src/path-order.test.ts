import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListOptions, StorageAdapter } from './adapter.js';
import { createGFile, type FileInfo, type GFile } from './gfile.js';
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
    const n = 5_000;
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
    // Pages are listed ahead of the consumer (the planner's parallel parts), but what is held waits
    // for at most a few questions: far less than the listing.
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
