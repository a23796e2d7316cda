import { describe, expect, it } from 'vitest';
import { withListing, type Lister } from './directory.js';
import { NotListedError, addEntry, isFullyListed, makeNode, makeUnlistedNode, requireListed } from './tree.js';
import type { DirNode } from './types.js';

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
