/**
 * Unreadable parts of a listing (issue 17): left out and reported once each, with their own URI,
 * through every recursive listing of the facade (walk, list, glob), also when the listing planner
 * splits a big listing into parallel parts; without `onSkipped` they fail the listing as before.
 */
import { describe, expect, it } from 'vitest';
import type { ListOptions, ListPage, StorageAdapter } from './adapter.js';
import { CkptError, isCkptError } from './errors.js';
import { createGFile } from './gfile.js';
import { createMemoryAdapter } from './memory-adapter.js';
import { createRegistry } from './registry.js';

/** A memory store where everything under `locked/` directories may not be read, as a local disk would answer. */
function lockedStore(name: string, pageSize: number): StorageAdapter {
  const inner = createMemoryAdapter(name, { maxPageSize: pageSize });
  const lockedDir = (key: string) => /^(.*?\/)?locked\//.exec(key)?.[0];
  return {
    ...inner,
    async list(prefix: string, o?: ListOptions): Promise<ListPage> {
      const whole = lockedDir(prefix);
      const deny = (key: string) => new CkptError('PERMISSION_DENIED', { operation: 'list', uri: inner.uriOf(key), message: 'permission denied (EACCES)' });
      if (whole) {
        if (!o?.skipUnreadable) throw deny(whole);
        return { entries: [], skipped: [{ key: whole, error: deny(whole) }] };
      }
      const page = await inner.list(prefix, o);
      const hidden = page.entries.filter((e) => lockedDir(e.key) !== undefined && e.key !== lockedDir(e.key));
      if (hidden.length === 0) return page;
      if (!o?.skipUnreadable) throw deny(lockedDir(hidden[0]!.key)!);
      // Reported on every page that reaches it: the listing layer reports it once.
      const skipped = [...new Set(hidden.map((e) => lockedDir(e.key)!))].map((key) => ({ key, error: deny(key) }));
      return { ...page, entries: page.entries.filter((e) => !hidden.includes(e)), skipped };
    },
  };
}

const decisions: string[] = [];
const READABLE = ['a', 'c', 'd0', 'd1', 'd2', 'd3', 'd4', 'd5', 'z'];
const DIRS = [...READABLE, 'b/locked', 'locked'];

async function setup(store: string, pageSize: number, parallel: boolean) {
  const adapter = lockedStore(store, pageSize);
  const g = createGFile({
    registry: createRegistry().register('memory', () => () => adapter),
    onPlanDecision: (d) => decisions.push(d.kind),
    ...(parallel ? { listingParallelism: 4, minKeysBeforeSplit: 4 } : { listingParallelism: 1 }),
  });
  for (const d of DIRS) for (let i = 0; i < 2; i++) await g.writeText(`memory://${store}/r/${d}/f${i}`, 'x');
  return g;
}

describe.each([
  ['one flat listing', false],
  ['the planner splitting it', true],
])('onSkipped (%s)', (_, parallel) => {
  it('walk, recursive list and glob leave each unreadable directory out and report it once, by its own URI', async () => {
    const store = `skip-${parallel ? 'p' : 'f'}-${Math.random()}`;
    const g = await setup(store, 3, parallel);
    const root = `memory://${store}/r`;
    const want = READABLE.flatMap((d) => [0, 1].map((i) => `${root}/${d}/f${i}`)).sort();
    const skippedBy = async (run: (onSkipped: (e: CkptError) => void) => Promise<string[]>) => {
      const skipped: CkptError[] = [];
      const got = await run((e) => skipped.push(e));
      return { got: got.sort(), skipped: skipped.map((e) => [e.code, e.uri]).sort() };
    };
    const expected = { got: want, skipped: [['PERMISSION_DENIED', `${root}/b/locked`], ['PERMISSION_DENIED', `${root}/locked`]] };
    expect(
      await skippedBy(async (onSkipped) => {
        const out: string[] = [];
        for await (const d of g.walk(root, { onSkipped })) out.push(...d.files.map((f) => f.uri));
        return out;
      }),
    ).toEqual(expected);
    expect(
      await skippedBy(async (onSkipped) => {
        const out: string[] = [];
        for await (const f of g.list(root, { recursive: true, onSkipped })) if (f.kind === 'file') out.push(f.uri);
        return out;
      }),
    ).toEqual(expected);
    expect(await skippedBy(async (onSkipped) => (await g.glob(`${root}/**/f*`, { onSkipped })).map((f) => f.uri))).toEqual(expected);
    // The parallel case really was split into parts listed side by side.
    expect(decisions.some((d) => d === 'ranges' || d === 'walk'), decisions.join()).toBe(parallel);
    decisions.length = 0;
  });

  it('without onSkipped the listing fails with the error, as before; the directory named itself always does', async () => {
    const store = `strict-${parallel ? 'p' : 'f'}-${Math.random()}`;
    const g = await setup(store, 3, parallel);
    const root = `memory://${store}/r`;
    await expect((async () => {
      for await (const _ of g.walk(root)) void _;
    })()).rejects.toSatisfy((e) => isCkptError(e, 'PERMISSION_DENIED'));
    const seen: CkptError[] = [];
    await expect((async () => {
      for await (const _ of g.walk(`${root}/locked`, { onSkipped: (e) => seen.push(e) })) void _;
    })()).rejects.toSatisfy((e) => isCkptError(e, 'PERMISSION_DENIED') && (e as CkptError).uri === `${root}/locked`);
    expect(seen).toEqual([]);
  });
});
