/**
 * The few completeness rules that depend on the store: Orbax needs commit_success.txt on GCS (and
 * where sibling steps have one), T5X needs each array's .zarray on GCS. A memory store registered
 * as `gs` stands in for GCS.
 */
import { describe, expect, it } from 'vitest';
import { createGFile, createMemoryAdapter, createRegistry } from '@ckptkit/gfile';
import { findCheckpoints } from '../discovery/find.js';

async function tree(scheme: string, files: string[]) {
  const g = createGFile({ registry: createRegistry().register(scheme, () => (name: string) => createMemoryAdapter(`${scheme}-${name}`)) });
  const root = `${scheme}://rules-${Math.random().toString(16).slice(2)}/run`;
  for (const f of files) await g.writeText(`${root}/${f}`, '{}');
  const found = await findCheckpoints(root, { gfile: g });
  return found.map((c) => `${c.prefix.slice(root.length + 1)} ${c.complete ? 'complete' : 'incomplete'}`);
}

describe('store-dependent completeness', () => {
  const legacyOrbax = ['100/_CHECKPOINT_METADATA', '100/default/_METADATA', '200/_CHECKPOINT_METADATA', '200/default/_METADATA'];
  it('Orbax without any commit file: complete on a renaming store, not finalized on GCS', async () => {
    expect(await tree('mem', legacyOrbax)).toEqual(['100 complete', '200 complete']);
    expect(await tree('gs', legacyOrbax)).toEqual(['100 incomplete', '200 incomplete']);
  });
  it('Orbax with commit files on some steps: the others are not finalized, on every store', async () => {
    const files = [...legacyOrbax, '100/commit_success.txt'];
    expect(await tree('mem', files)).toEqual(['100 complete', '200 incomplete']);
    expect(await tree('gs', files)).toEqual(['100 complete', '200 incomplete']);
  });
  it('T5X arrays without .zarray: a partial copy on GCS only', async () => {
    const files = ['checkpoint_5/checkpoint', 'checkpoint_5/target.w/0.0'];
    expect(await tree('mem', files)).toEqual(['checkpoint_5 complete']);
    expect(await tree('gs', files)).toEqual(['checkpoint_5 incomplete']);
  });
});
