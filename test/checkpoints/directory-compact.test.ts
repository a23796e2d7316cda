/**
 * A directory's file checkpoints wait to be judged held compactly (discovery/directory.ts): their
 * order facts and the places of their claimed files in the listing, not each layout's whole
 * names-only result; judging one runs its layout again on those files (issue 23). The reference
 * holds every names-only result, as discovery did before, which it still does for a directory
 * whose files are not held in columns (a plain Map): the same tree judged both ways must give the
 * same checkpoints, byte for byte, in the same order, with content checks and without.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearMemoryStore, createGFile } from '@ckptkit/gfile';
import { type DirNode, DirectoryCheckpoints, type Found, createDetectContext, detectInOrder, listTree, storeLister, toCheckpointInfo } from '@ckptkit/core';
import { layoutDirectory, placedDirectory } from './layout-arbitraries.js';
import { AUTOMODEL, HF_HUB, KERAS_NAMES, ORBAX_V1, PLACEHOLDERS } from './layouts.js';
import { F01, F03, F03B, F05, F07, F13, F15, F17, F19, F21, F23, HIDDEN, ORDER, ORDER_RUNS, OTHERS, ZOO, filler } from './trees.js';
import { writeTree } from './suite.js';
import { bundle, hdf5, stateFile, truncatedZip, zip, type TreeSpec } from './bytes.js';

const under = (dir: string, spec: TreeSpec): TreeSpec => Object.fromEntries(Object.entries(spec).map(([k, v]) => [dir === '' ? k : `${dir}/${k}`, v]));

/**
 * Directories whose layouts' names interact: files one layout claims beside another's (a V1 file
 * and its `.meta`, a bundle and a V1 file of the same name, tf-slim's siblings, Keras backups, a
 * NeMo marker two checkpoints share, S3 `.part-` shards, `.tempstate` files), pointers (the state
 * file naming an older complete checkpoint, so the newer one is not committed), a worker's
 * scratch directory, shards whose key order is not their number order.
 */
const MIXED: TreeSpec = {
  ...under('mixed/run', {
    checkpoint: stateFile('model.ckpt-20', ['model.ckpt-10', 'model.ckpt-20', 'v1-3']),
    ...bundle('model.ckpt-10', { meta: true }),
    ...bundle('model.ckpt-20'),
    ...bundle('model.ckpt-30'),
    ...bundle('ckpt-7'),
    'ckpt-8.index': 40,
    'ckpt-8.data-100000-of-200000': 64,
    'ckpt-8.data-99999-of-200000': 64,
    'ckpt-8.data-00000-of-00003': 64,
    'v1-3': filler(48),
    'v1-3.meta': 30,
    'v1-sharded-00000-of-00002': 32,
    'v1-sharded-00001-of-00002': 32,
    'v1-sharded.meta': 30,
    'gone-4.meta': 30,
    'model.ckpt': 40,
    'model.ckpt.index': 40,
    'model.ckpt.data-00000-of-00001': 64,
    'graph.pbtxt': 12,
    'ckpt-9.index.tempstate7093432498217658117': 40,
    'ckpt-9.data-00000-of-00001.tempstate2284702301711612937': 64,
    'ckpt-11.part-00000-of-00002.index': 40,
    'ckpt-11.part-00000-of-00002.data-00000-of-00001': 64,
    'ckpt-11.part-00001-of-00002.index': 40,
    'weights.05.h5': hdf5(128),
    'weights.05.h5.bak': 20,
    'latest.weights.h5': hdf5(128),
    'training_metadata.json': '{"epoch": 4, "batch": 0}',
    'model.weights.json': '{"a": "model_00000.weights.h5", "b": "model_00001.weights.h5"}',
    'model_00000.weights.h5': hdf5(64),
    'model_00001.weights.h5': hdf5(64),
    'megatron_gpt--val_loss=1.5-step=100-consumed_samples=800.0.ckpt': zip(80),
    'megatron_gpt--val_loss=1.5-step=100-consumed_samples=800.0-EMA.ckpt': zip(80),
    'megatron_gpt--val_loss=1.5-step=100-consumed_samples=800.0-unfinished': 0,
    'model.nemo': zip(80),
    'epoch=1-step=50.ckpt': zip(80),
    'epoch=1-step=50-v1.ckpt': truncatedZip(),
    'checkpoint_12': 64,
    'checkpoint_tmp': 10,
  }),
  ...under('mixed/run/temp_worker_001', { ...bundle('ckpt-5'), ...bundle('ckpt-6') }),
  ...under('mixed/run/workertemp_2', { ...bundle('ckpt-5') }),
  ...under('mixed/variables', { ...bundle('variables') }),
};

/** The same tree with every directory's files in a plain Map: the names-only results held, as before. */
function plainCopy(node: DirNode, parent: DirNode | undefined = undefined): DirNode {
  const copy: DirNode = { ...node, files: new Map(node.files), dirs: new Map(), parent };
  for (const [name, d] of node.dirs) copy.dirs.set(name, plainCopy(d, copy));
  return copy;
}

function text(f: Found): string {
  return JSON.stringify(toCheckpointInfo(f));
}

async function inOrder(root: DirNode, contentChecks: boolean, window: number): Promise<string[]> {
  const g = createGFile();
  const ctx = createDetectContext(g, root.uri, { contentChecks });
  const out: string[] = [];
  for await (const f of detectInOrder(root, ctx, { window, directories: 4 })) out.push(text(f));
  return out;
}

function* directories(node: DirNode): Generator<DirNode> {
  yield node;
  for (const d of node.dirs.values()) yield* directories(d);
}

/** Every directory's file candidates judged, forgotten and judged again; with their names-level facts. */
async function judgedFiles(root: DirNode, contentChecks: boolean): Promise<string[]> {
  const g = createGFile();
  const ctx = createDetectContext(g, root.uri, { contentChecks });
  const out: string[] = [];
  for (const node of directories(root)) {
    const dir = new DirectoryCheckpoints(node, ctx, storeLister(g));
    for (const c of await dir.candidates()) {
      if (c.kind !== 'file') continue;
      const first = await dir.judge(c);
      dir.forget(c);
      const again = await dir.judge(c);
      expect(again && text(again)).toBe(first && text(first));
      if (first) {
        expect(c.prefix).toBe(first.prefix);
        expect(c.facts.step).toBe(first.step);
      }
      out.push(JSON.stringify({ name: c.name, facts: c.facts, known: c.known, prefix: c.prefix, format: c.format?.id, judged: first && text(first) }));
    }
  }
  return out;
}

async function compareBothWays(uri: string, windows: number[]): Promise<number> {
  const g = createGFile();
  let count = 0;
  for (const contentChecks of [true, false]) {
    for (const window of windows) {
      const compact = await listTree(g, uri);
      const held = plainCopy(await listTree(g, uri));
      const got = await inOrder(compact, contentChecks, window);
      expect(got).toEqual(await inOrder(held, contentChecks, window));
      count += got.length;
    }
    const compact = await listTree(g, uri);
    const held = plainCopy(await listTree(g, uri));
    expect(await judgedFiles(compact, contentChecks)).toEqual(await judgedFiles(held, contentChecks));
  }
  return count;
}

describe('file checkpoints held compactly are judged as from the names-only results', () => {
  it('directories whose layouts interact, pointers, a state-file commit, worker scratch directories', async () => {
    const store = `compact-mixed-${process.pid}`;
    clearMemoryStore(store);
    try {
      await writeTree(createGFile(), `memory://${store}`, MIXED);
      expect(await compareBothWays(`memory://${store}/`, [1, 64])).toBeGreaterThan(40);
      // The state file names model.ckpt-20: the newer complete model.ckpt-30 is not committed.
      const g = createGFile();
      const found = await inOrder(await listTree(g, `memory://${store}/`), true, 64);
      const ckpt30 = found.map((f) => JSON.parse(f) as { prefix: string; complete: boolean; problems: string[] }).find((f) => f.prefix.endsWith('/mixed/run/model.ckpt-30'));
      expect(ckpt30?.complete).toBe(false);
      expect(ckpt30?.problems.join(' ')).toMatch(/not committed/);
    } finally {
      clearMemoryStore(store);
    }
  }, 120_000);

  it('every fixture tree of the checkpoint suite', async () => {
    const store = `compact-fixtures-${process.pid}`;
    clearMemoryStore(store);
    try {
      await writeTree(createGFile(), `memory://${store}`, { ...ZOO, ...F01, ...F03, ...F03B, ...F05, ...F07, ...F13, ...F15, ...F17, ...F19, ...F21, ...F23, ...HIDDEN, ...OTHERS, ...ORDER, ...ORDER_RUNS, ...HF_HUB, ...AUTOMODEL, ...ORBAX_V1, ...KERAS_NAMES, ...PLACEHOLDERS });
      expect(await compareBothWays(`memory://${store}/`, [2, 64])).toBeGreaterThan(100);
    } finally {
      clearMemoryStore(store);
    }
  }, 120_000);

  it('random directories mixing every layout', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof({ weight: 4, arbitrary: layoutDirectory }, { weight: 1, arbitrary: placedDirectory }), { minLength: 1, maxLength: 3 }), async (parts) => {
        const store = `compact-random-${process.pid}-${run++}`;
        clearMemoryStore(store);
        try {
          const spec: TreeSpec = {};
          // Side by side in one directory, so that their names meet.
          for (const p of parts) Object.assign(spec, p.spec);
          await writeTree(createGFile(), `memory://${store}/t`, spec);
          await compareBothWays(`memory://${store}/t`, [3]);
        } finally {
          clearMemoryStore(store);
        }
      }),
      { numRuns: 80 },
    );
  }, 300_000);
});
