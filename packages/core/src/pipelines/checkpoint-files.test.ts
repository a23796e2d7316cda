/**
 * The resolver runs layouts on a parent listed by name only (its subdirectories unlisted): a layout
 * whose rule reads beyond that listing (Orbax's sibling commit files, Flax's `checkpoint_N_gda/`)
 * gets what it reads listed, and judges the checkpoint exactly as `find` does over a full listing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clearMemoryStore, createGFile, createMemoryAdapter, createRegistry, type GFile, type ListOptions, type StorageAdapter } from '@ckptkit/gfile';
import { findCheckpoints } from '../discovery/find.js';
import { resolveCheckpoint } from './checkpoint-files.js';

const STORE = 'checkpoint-files-test';
const ROOT = `memory://${STORE}/jax`;
afterEach(() => clearMemoryStore(STORE));

/** The memory store, with every list request recorded (key prefix, delimiter or recursive). */
function countingGFile(): { gfile: GFile; lists: string[] } {
  const lists: string[] = [];
  const wrap = (inner: StorageAdapter): StorageAdapter => ({
    ...inner,
    list(prefix: string, o?: ListOptions) {
      lists.push(`${o?.delimiter ? 'delimiter' : 'recursive'} ${prefix}`);
      return inner.list(prefix, o);
    },
  });
  const registry = createRegistry().register('memory', () => (store: string) => wrap(createMemoryAdapter(store)));
  return { gfile: createGFile({ registry }), lists };
}

async function write(g: GFile, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) await g.writeText(`${ROOT}/${rel}`, text);
}

// The round trip's Orbax run (test/checkpoints/trees.ts F17): step 1000 committed, step 2000 not.
const ORBAX_RUN = {
  'run1/checkpoint_1000/_CHECKPOINT_METADATA': '{"commit_timestamp_nsecs":1}',
  'run1/checkpoint_1000/commit_success.txt': 'Checkpoint commit was successful',
  'run1/checkpoint_1000/default/_METADATA': '{}',
  'run1/checkpoint_1000/default/manifest.ocdbt': 'm'.repeat(20),
  'run1/checkpoint_2000/_CHECKPOINT_METADATA': '{}',
  'run1/checkpoint_2000/default/ocdbt.process_3/d/0a1b2c': 'd'.repeat(150),
};

/** What `find` says of `prefix` over a full listing of the root. */
async function foundByFind(g: GFile, prefix: string) {
  const all = await findCheckpoints(ROOT, { gfile: g });
  const info = all.find((c) => c.prefix === prefix);
  expect(info, `find lists ${prefix}`).toBeDefined();
  return info!;
}

describe('resolveCheckpoint: layouts that read beyond the parent listing', () => {
  it('an Orbax step without commit_success.txt beside a committed one: incomplete, as find says, not an internal error', async () => {
    const { gfile: g, lists } = countingGFile();
    await write(g, ORBAX_RUN);
    const uri = `${ROOT}/run1/checkpoint_2000`;
    const r = await resolveCheckpoint(uri, { gfile: g });
    expect(r.kind).toBe('directory');
    expect(r.found.format).toBe('orbax');
    expect(r.found.step).toBe(2000);
    expect(r.found.complete).toBe(false);
    expect(r.found.problems).toEqual(['no commit_success.txt, which its sibling steps have: not finalized']);
    // Its own files only, never the sibling's the parent listing brought in.
    expect(r.files.map((f) => f.rel).sort()).toEqual(['checkpoint_2000/_CHECKPOINT_METADATA', 'checkpoint_2000/default/ocdbt.process_3/d/0a1b2c']);
    const viaFind = await foundByFind(g, uri);
    expect([r.found.complete, r.found.problems]).toEqual([viaFind.complete, viaFind.problems]);
    // The sibling steps are evidence: one recursive listing of the parent, once.
    expect(lists.filter((l) => l === `recursive jax/run1/`)).toHaveLength(1);
  });

  it('the committed step needs no sibling: complete, and the parent is not listed recursively', async () => {
    const { gfile: g, lists } = countingGFile();
    await write(g, ORBAX_RUN);
    const r = await resolveCheckpoint(`${ROOT}/run1/checkpoint_1000`, { gfile: g });
    expect([r.found.format, r.found.step, r.found.complete, r.found.problems]).toEqual(['orbax', 1000, true, []]);
    expect(lists.filter((l) => l.startsWith('recursive jax/run1/') && l !== 'recursive jax/run1/checkpoint_1000/')).toEqual([]);
  });

  it('a zero-padded Orbax step without commit_success.txt beside a committed one: incomplete, as find says', async () => {
    const { gfile: g } = countingGFile();
    await write(g, {
      'run2/step_00000500/commit_success.txt': 'ok',
      'run2/step_00000500/default/_METADATA': '{}',
      'run2/step_00001500/default/_METADATA': '{}',
    });
    const r = await resolveCheckpoint(`${ROOT}/run2/step_00001500`, { gfile: g });
    expect(r.found.complete).toBe(false);
    expect(r.found.problems).toEqual((await foundByFind(g, `${ROOT}/run2/step_00001500`)).problems);
  });

  it("a Flax checkpoint_N file with its checkpoint_N_gda/ arrays: the arrays' directory is listed and its files belong to it", async () => {
    const { gfile: g } = countingGFile();
    await write(g, {
      'flax/checkpoint_100': 'x'.repeat(50),
      'flax/checkpoint_100_gda/commit_success.txt': 'ok',
      'flax/checkpoint_100_gda/arr': 'd',
      'flax/checkpoint_200': 'x'.repeat(50),
    });
    const uri = `${ROOT}/flax/checkpoint_100`;
    const r = await resolveCheckpoint(uri, { gfile: g });
    expect([r.kind, r.found.format, r.found.step, r.found.complete]).toEqual(['file', 'flax', 100, true]);
    expect(r.files.map((f) => f.rel).sort()).toEqual(['checkpoint_100', 'checkpoint_100_gda/arr', 'checkpoint_100_gda/commit_success.txt']);
    expect(r.found.files.map((f) => f.uri).sort()).toEqual((await foundByFind(g, uri)).files.slice().sort());
  });

  it('a Flax checkpoint whose arrays were never committed: incomplete, as find says', async () => {
    const { gfile: g } = countingGFile();
    await write(g, { 'flax/checkpoint_7': 'x'.repeat(50), 'flax/checkpoint_7_gda/arr': 'd' });
    const uri = `${ROOT}/flax/checkpoint_7`;
    const r = await resolveCheckpoint(uri, { gfile: g });
    expect(r.found.complete).toBe(false);
    expect(r.found.problems).toEqual((await foundByFind(g, uri)).problems);
    expect(r.found.problems).toEqual(['checkpoint_7_gda/ has no commit_success.txt: multiprocess arrays not committed']);
  });
});
