/**
 * Prune over every example tree of docs/layouts.md and checkpoint-layouts.md (test/checkpoints),
 * every directory of them in turn, on the memory store. For each directory, with `--keep-last 1`:
 * the checkpoint robust `latest` answers is kept (and answered again after the prune); nothing
 * outside the directory or of a kept checkpoint is deleted; and deleting only the commit files the
 * plan puts first makes every complete checkpoint it deletes incomplete by its own layout's rule
 * (what a prune killed after that step leaves is never taken for a complete checkpoint).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findCheckpoints, latestCheckpoint, planPrune, pruneCheckpoints } from '@ckptkit/core';
import { clearMemoryStore, createGFile } from '@ckptkit/gfile';
import type { TreeSpec } from '../checkpoints/bytes.js';
import { AUTOMODEL, HF_HUB, KERAS_NAMES, ORBAX_V1, PLACEHOLDERS } from '../checkpoints/layouts.js';
import { writeTree } from '../checkpoints/suite.js';
import { F01, F03, F05, F07, F13, F15, F17, F19, F21, F23, HIDDEN, ORDER, ORDER_RUNS, OTHERS, ZOO } from '../checkpoints/trees.js';

const TREES: TreeSpec = Object.assign({}, F01, F03, F05, F07, ZOO, F13, F15, F17, F19, F21, F23, OTHERS, HIDDEN, ORDER, ORDER_RUNS, AUTOMODEL, ORBAX_V1, KERAS_NAMES, PLACEHOLDERS, HF_HUB);

/** Every directory of the trees (each parent of a key). */
function directories(spec: TreeSpec): string[] {
  const dirs = new Set<string>();
  for (const key of Object.keys(spec)) {
    const parts = key.replace(/\/$/, '').split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort();
}

function subtree(spec: TreeSpec, dir: string): TreeSpec {
  return Object.fromEntries(Object.entries(spec).filter(([k]) => k.startsWith(`${dir}/`)).map(([k, v]) => [k.slice(dir.length + 1), v]));
}

describe('prune over every layout tree (memory)', () => {
  const dirs = directories(TREES);

  it('covers the trees', () => {
    expect(dirs.length).toBeGreaterThan(80);
  });

  it('keeps what latest answers, deletes only inside the directory and never a kept file, and commit files first make a deleted checkpoint incomplete', { timeout: 120_000 }, async () => {
    let withDeletes = 0;
    const commitChecked = new Set<string>();
    for (const dir of dirs) {
      const store = `prune-layouts-${randomBytes(4).toString('hex')}`;
      const g = createGFile();
      const root = `memory://${store}/${dir}`;
      try {
        await writeTree(g, root, subtree(TREES, dir));
        const latest = (await latestCheckpoint(root, { gfile: g })).checkpoint?.prefix;
        const plan = await planPrune(root, { gfile: g, rules: { keepLast: 1 } });
        if (plan.notes.some((n) => n.includes('is itself one checkpoint'))) {
          // A directory that is one checkpoint (a zoo tarball, a SavedModel) is nobody's to prune from inside.
          expect(plan.checkpoints, dir).toEqual([]);
          continue;
        }
        const kept = plan.checkpoints.filter((c) => c.action === 'keep');
        const doomed = plan.checkpoints.filter((c) => c.action === 'delete');
        if (latest !== undefined && latest.startsWith(`${root}/`) && latest.slice(root.length + 1).indexOf('/') < 0) {
          expect(kept.map((c) => c.prefix), `${dir}: latest ${latest} kept`).toContain(latest);
        }
        const keptFiles = new Set(kept.flatMap((c) => c.files));
        for (const c of doomed) {
          for (const f of c.files) {
            expect(f.startsWith(`${root}/`), `${dir}: ${f} inside`).toBe(true);
            expect(keptFiles.has(f), `${dir}: ${f} of a kept checkpoint`).toBe(false);
          }
        }
        if (doomed.length === 0) continue;
        withDeletes++;
        // Only the markers and commit files of the checkpoints to delete: each complete one must now be incomplete (or gone).
        const wasComplete = doomed.filter((c) => c.complete && !c.temporary);
        for (const m of doomed.flatMap((c) => c.markers)) await g.writeFile(m, new Uint8Array(0));
        await g.removeMany(doomed.flatMap((c) => c.commitFiles));
        const after = await findCheckpoints(root, { gfile: g, maxDepth: 0 });
        for (const c of wasComplete) {
          const now = after.find((a) => a.prefix === c.prefix);
          expect(now?.complete ?? false, `${dir}: ${c.name} (${c.format}) still complete without ${c.commitFiles.join(', ')}`).toBe(false);
          commitChecked.add(c.format);
        }
        const result = await pruneCheckpoints(root, { gfile: g, rules: { keepLast: 1 }, execute: true });
        expect(result.executed).toBe(true);
        if (latest !== undefined) expect((await latestCheckpoint(root, { gfile: g })).checkpoint?.prefix, `${dir}: latest after`).toBe(latest);
      } finally {
        clearMemoryStore(store);
      }
    }
    expect(withDeletes).toBeGreaterThan(10);
    expect([...commitChecked].sort()).toEqual(expect.arrayContaining(['hf-trainer', 'tf2-checkpoint', 'tf1-saver']));
    console.log(`prune layouts: ${dirs.length} directories, ${withDeletes} with deletions, commit files checked for ${[...commitChecked].sort().join(', ')}`);
  });
});
