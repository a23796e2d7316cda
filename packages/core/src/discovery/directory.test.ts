import { describe, expect, it } from 'vitest';
import { DirectoryCheckpoints, withListing, type Lister } from './directory.js';
import { NotListedError, addEntry, isFullyListed, makeNode, makeUnlistedNode, requireListed } from './tree.js';
import type { CheckpointFormat, DetectContext, DirNode } from './types.js';

/** A parent listed by name only: `a/` listed with one file, `b/` unlisted. */
function lazyParent(): { parent: DirNode; a: DirNode; b: DirNode } {
  const parent = makeNode('run', 'mem://s/run', 0, undefined, false);
  const a = makeNode('a', 'mem://s/run/a', 1, parent, true);
  a.files.set('x', { name: 'x', uri: 'mem://s/run/a/x', size: 1 });
  const b = makeUnlistedNode('b', 'mem://s/run/b', 1, parent);
  parent.dirs.set('a', a);
  parent.dirs.set('b', b);
  return { parent, a, b };
}

/** Lists a node as a recursive listing would: `b/y` appears under `run/b/`. */
function fakeLister(loaded: DirNode[]): Lister {
  return {
    load(node) {
      loaded.push(node);
      // A loop would never yield to a timer: end it here, so the test fails instead of hanging.
      if (loaded.length > 5) return Promise.reject(new Error('withListing listed the same tree again and again'));
      const b = node.name === 'b' ? node : node.dirs.get('b');
      if (b) {
        b.files = new Map();
        b.dirs = new Map();
        addEntry(b, 'y', { kind: 'file', size: 2 });
        b.loaded = true;
      }
      return Promise.resolve();
    },
  };
}

describe('isFullyListed / requireListed', () => {
  it('a subtree is fully listed only when no directory in it is known by name alone', () => {
    const { parent, a, b } = lazyParent();
    expect(isFullyListed(a)).toBe(true);
    expect(isFullyListed(b)).toBe(false);
    expect(isFullyListed(parent)).toBe(false);
    expect(() => requireListed(parent)).toThrow(NotListedError);
    expect(() => requireListed(a)).not.toThrow();
  });
});

describe('withListing', () => {
  it('a layout requiring the whole parent: the parent is listed, and the layout asked again', async () => {
    const { parent } = lazyParent();
    const loaded: DirNode[] = [];
    const sizes = await withListing(fakeLister(loaded), () => {
      requireListed(parent);
      return [...parent.dirs.values()].map((d) => d.files.size);
    });
    expect(sizes).toEqual([1, 1]);
    expect(loaded.map((n) => n.name)).toEqual(['run']);
  });

  it('a lister that leaves part of a required subtree unlisted: the NotListedError, never an endless loop', async () => {
    const { parent } = lazyParent();
    const loaded: DirNode[] = [];
    // The pick lists `a` (already listed) and never `b`, so the parent is never fully listed.
    const run = withListing(fakeLister(loaded), () => requireListed(parent), () => parent.dirs.get('a')!);
    await expect(run).rejects.toBeInstanceOf(NotListedError);
    expect(loaded).toHaveLength(1);
  });
});

describe('DirectoryCheckpoints: file checkpoints held compactly', () => {
  const ctxOf = (contentChecks: boolean): DetectContext => ({
    scheme: 'mem',
    contentChecks,
    metadata: contentChecks,
    stateFileName: undefined,
    states: new Map(),
    readText: () => Promise.resolve(undefined),
    readBytes: () => Promise.resolve(undefined),
    exists: () => Promise.resolve(false),
  });
  const noListing: Lister = { load: () => Promise.reject(new Error('nothing to list')) };
  let claims = 0;
  // A contrived layout that breaks the rule the layouts keep: `a.bin` is a checkpoint only while
  // `b.bin` is still unclaimed beside it, so the claimed file alone does not make it again.
  const pairLayout: CheckpointFormat = {
    id: 'pair-test',
    ids: ['pair-test'],
    description: 'test layout',
    claimFiles(node, unclaimed) {
      claims++;
      if (!unclaimed.has('a.bin') || !unclaimed.has('b.bin')) return [];
      const file = node.files.get('a.bin')!;
      return [{ format: 'pair-test', prefix: file.uri, dir: node.uri, step: 3, complete: true, problems: ['seen with b.bin'], files: [file], temporary: false, claimed: ['a.bin'] }];
    },
  };

  it('a layout that needs more than the claimed files: the names pass is run again, the same checkpoint', async () => {
    for (const contentChecks of [false, true]) {
      const node = makeNode('run', 'mem://s/run', 0, undefined, true);
      addEntry(node, 'a.bin', { kind: 'file', size: 4 });
      addEntry(node, 'b.bin', { kind: 'file', size: 5 });
      const dir = new DirectoryCheckpoints(node, ctxOf(contentChecks), noListing, { formats: [pairLayout] });
      claims = 0;
      const [c] = await dir.candidates();
      expect(c).toMatchObject({ kind: 'file', name: 'a.bin', known: true, prefix: 'mem://s/run/a.bin' });
      expect(c!.facts).toEqual({ step: 3, epoch: null, pointer: undefined, conversion: false, version: 0, temporary: false, mtime: undefined, name: 'a.bin' });
      const found = await dir.judge(c!);
      expect(found).toMatchObject({ prefix: 'mem://s/run/a.bin', step: 3, problems: ['seen with b.bin'], files: [{ name: 'a.bin', size: 4 }] });
      // The names pass, the re-run on the claimed file (and its content-checked twin), the whole pass again.
      expect(claims).toBe(contentChecks ? 4 : 3);
    }
  });
});
