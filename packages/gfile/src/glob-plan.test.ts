import { describe, expect, it } from 'vitest';
import { createGFile } from './gfile.js';
import { clearMemoryStore, createMemoryAdapter } from './memory-adapter.js';
import { createRegistry } from './registry.js';

/** A facade over one memory store, with its own metrics. */
function facade(store: string, options: { concurrency: number; pageSize?: number }) {
  return createGFile({ registry: createRegistry().register('memory', () => (name: string) => createMemoryAdapter(name, { maxPageSize: 1000 })), retry: false, ...options });
}

async function seed(store: string, keys: string[]) {
  clearMemoryStore(store);
  const g = facade(store, { concurrency: 64 });
  await Promise.all(keys.map((k) => (k.endsWith('/') ? g.makeDirs(`memory://${store}/${k.slice(0, -1)}`) : g.writeText(`memory://${store}/${k}`, k))));
}

const pad = (n: number) => String(n).padStart(4, '0');

describe('glob: many directories at the first wildcard level', () => {
  const zoo: string[] = [];
  for (let i = 0; i < 120; i++) {
    const m = `zoo/m${pad(i)}`;
    zoo.push(`${m}/pipeline.config`, `${m}/checkpoint/checkpoint`, `${m}/checkpoint/ckpt-0.index`, `${m}/checkpoint/ckpt-0.data-00000-of-00001`, `${m}/saved_model/assets/`, `${m}/saved_model/saved_model.pb`);
  }
  zoo.push('zoo/readme.md', 'zoo/mfile', 'zoo/m0007/checkpoint/nested/ckpt-9.index', 'other/m0001/checkpoint/ckpt-0.index');
  const patterns = ['zoo/*/checkpoint/ckpt-*.index', 'zoo/m*/checkpoint', 'zoo/m00?[0-4]/saved_model/*', 'zoo/*/saved_model/', 'zoo/*/checkpoint/*/ckpt-*.index', 'zoo/*/nothing/*'];

  it('one planned flat listing gives exactly the per-level results, in far fewer requests', async () => {
    await seed('glob-flat', zoo);
    for (const pattern of patterns) {
      // Concurrency 200: more than the matched directories, so the per-level plan is kept.
      const perLevel = facade('glob-flat', { concurrency: 200, pageSize: 50 });
      const flat = facade('glob-flat', { concurrency: 4, pageSize: 50 });
      const a = await perLevel.glob(`memory://glob-flat/${pattern}`);
      const b = await flat.glob(`memory://glob-flat/${pattern}`);
      expect(b.map((f) => [f.uri, f.kind]), pattern).toEqual(a.map((f) => [f.uri, f.kind]));
      expect(flat.metrics.requests.list, pattern).toBeLessThan(perLevel.metrics.requests.list);
    }
  });

  it('gives the flat listing up when it costs more than the per-level plan would', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 20; i++) for (let f = 0; f < 300; f++) keys.push(`runs/r${pad(i)}/events/e${pad(f)}`);
    for (let i = 0; i < 20; i++) keys.push(`runs/r${pad(i)}/ckpt/ckpt-1.index`);
    await seed('glob-bound', keys);
    const perLevel = facade('glob-bound', { concurrency: 200, pageSize: 10 });
    const flat = facade('glob-bound', { concurrency: 4, pageSize: 10 });
    const a = await perLevel.glob('memory://glob-bound/runs/*/ckpt/ckpt-*.index');
    const b = await flat.glob('memory://glob-bound/runs/*/ckpt/ckpt-*.index');
    expect(b.map((f) => f.uri)).toEqual(a.map((f) => f.uri));
    expect(b).toHaveLength(20);
    // 6,020 keys in pages of 10 would be 602 pages: stopped after 10 (20 directories / 2), then per level.
    expect(flat.metrics.requests.list).toBeLessThanOrEqual(perLevel.metrics.requests.list + 12);
  });
});
