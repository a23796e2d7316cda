/**
 * `find` hands checkpoints out directory by directory as they are judged (discovery/in-order.ts)
 * instead of judging the whole tree and sorting: the same checkpoints, in the order of the sort,
 * whatever the tree and whatever the schedule (directories at once, window of file checkpoints).
 * The reference is the whole-tree pass (`detectTree`, then the sort), which `find` used before.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearMemoryStore, createGFile } from '@ckptkit/gfile';
import { compareFound, createDetectContext, detectInOrder, detectTree, findCheckpoints, listTree, toCheckpointInfo } from '@ckptkit/core';
import { layoutDirectory, placedDirectory, selfDirectory } from './layout-arbitraries.js';
import { ZOO, F01, F03, F13, HIDDEN, OTHERS } from './trees.js';
import { writeTree } from './suite.js';
import type { TreeSpec } from './bytes.js';

const under = (dir: string, spec: TreeSpec): TreeSpec => Object.fromEntries(Object.entries(spec).map(([k, v]) => [dir === '' ? k : `${dir}/${k}`, v]));

// Directory names that sort apart in key order and path order (`a` < `a-b` < `a/x` < `a0`), so
// that a subdirectory found late sorts before directories already being judged.
const place = fc.constantFrom('', 'a', 'a-b', 'a/x', 'a/x/y', 'a0', 'b', 'b/c', 'zz');

const tree = fc.array(fc.tuple(place, fc.oneof({ weight: 8, arbitrary: layoutDirectory }, { weight: 1, arbitrary: selfDirectory }, { weight: 1, arbitrary: placedDirectory })), { minLength: 1, maxLength: 4 });

function text(f: ReturnType<typeof toCheckpointInfo>): string {
  return JSON.stringify(f);
}

/** The old answer: the whole tree judged, then sorted. */
async function reference(uri: string, contentChecks: boolean): Promise<string[]> {
  const g = createGFile();
  const root = await listTree(g, uri);
  const ctx = createDetectContext(g, root.uri, { contentChecks });
  const found = await detectTree(root, ctx);
  return found.sort(compareFound).map((f) => text(toCheckpointInfo(f)));
}

async function inOrder(uri: string, contentChecks: boolean, directories: number, window: number): Promise<string[]> {
  const g = createGFile();
  const root = await listTree(g, uri);
  const ctx = createDetectContext(g, root.uri, { contentChecks });
  const out: string[] = [];
  let previous: Parameters<typeof compareFound>[0] | undefined;
  for await (const f of detectInOrder(root, ctx, { directories, window })) {
    // Handed out sorted: never a checkpoint that sorts before the one before it.
    if (previous) expect(compareFound(previous, f)).toBeLessThanOrEqual(0);
    previous = f;
    out.push(text(toCheckpointInfo(f)));
  }
  return out;
}

describe('find in order: the whole-tree answer, sorted, handed out as judged', () => {
  it('random trees of every layout, at every schedule', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(tree, fc.boolean(), fc.constantFrom(1, 2, 16), fc.constantFrom(1, 2, 64), async (parts, contentChecks, directories, window) => {
        const store = `in-order-${process.pid}-${run++}`;
        clearMemoryStore(store);
        try {
          const spec: TreeSpec = {};
          for (const [where, p] of parts) Object.assign(spec, under(where, p.spec));
          await writeTree(createGFile(), `memory://${store}/t`, spec);
          const want = await reference(`memory://${store}/t`, contentChecks);
          const got = await inOrder(`memory://${store}/t`, contentChecks, directories, window);
          // The same checkpoints; ties (same directory, step and prefix) may come in either order.
          expect([...got].sort()).toEqual([...want].sort());
          expect(got.length).toBe(want.length);
        } finally {
          clearMemoryStore(store);
        }
      }),
      { numRuns: 120 },
    );
  }, 300_000);

  it('the fixture trees: findCheckpoints answers exactly what the whole-tree pass does', async () => {
    const store = `in-order-fixtures-${process.pid}`;
    clearMemoryStore(store);
    try {
      await writeTree(createGFile(), `memory://${store}`, { ...ZOO, ...F01, ...F03, ...F13, ...HIDDEN, ...OTHERS });
      const want = await reference(`memory://${store}/`, true);
      const got = (await findCheckpoints(`memory://${store}/`, { gfile: createGFile(), archives: false })).map(text);
      expect(want.length).toBeGreaterThan(20);
      expect(got).toEqual(want);
    } finally {
      clearMemoryStore(store);
    }
  });

  it('a directory of many checkpoints comes out in step order, not key order, through a small window', async () => {
    const store = `in-order-flat-${process.pid}`;
    clearMemoryStore(store);
    try {
      const g = createGFile();
      const spec: TreeSpec = {};
      // Steps whose key order is not their order: ckpt-10 sorts before ckpt-9 as a key.
      for (let i = 0; i < 2_000; i++) spec[`run/ckpt-${i}.index`] = 1;
      await writeTree(g, `memory://${store}`, spec);
      const root = await listTree(g, `memory://${store}/`);
      const ctx = createDetectContext(g, root.uri, { contentChecks: false });
      const steps: number[] = [];
      for await (const f of detectInOrder(root, ctx, { window: 16 })) steps.push(f.step as number);
      expect(steps).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
    } finally {
      clearMemoryStore(store);
    }
  });
});
