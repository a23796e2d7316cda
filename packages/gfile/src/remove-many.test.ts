import { afterEach, describe, expect, it } from 'vitest';
import { createGFile, createRegistry, isCkptError } from './index.js';
import { clearMemoryStore, createMemoryAdapter } from './memory-adapter.js';
import type { StorageAdapter } from './adapter.js';

const STORE = 'remove-many-test';
afterEach(() => clearMemoryStore(STORE));

/** A memory store without `deleteMany` (as GCS and local disks): single deletes, counted with their concurrency. */
function singleDeletes(maxDeleteBatch = 1) {
  const seen = { inFlight: 0, peak: 0, deletes: 0 };
  const registry = createRegistry().register('memory', () => (name: string) => {
    const inner = createMemoryAdapter(name);
    const adapter: StorageAdapter = {
      ...inner,
      capabilities: { ...inner.capabilities, maxDeleteBatch },
      uriOf: (k) => inner.uriOf(k),
      stat: (k, o) => inner.stat(k, o),
      read: (k, o) => inner.read(k, o),
      write: (k, b, o) => inner.write(k, b, o),
      list: (p, o) => inner.list(p, o),
      copy: (s, d, o) => inner.copy(s, d, o),
      async delete(k, o) {
        seen.inFlight++;
        seen.peak = Math.max(seen.peak, seen.inFlight);
        seen.deletes++;
        await new Promise((r) => setTimeout(r, 2));
        try {
          await inner.delete(k, o);
        } finally {
          seen.inFlight--;
        }
      },
    };
    delete (adapter as { deleteMany?: unknown }).deleteMany;
    return adapter;
  });
  return { g: createGFile({ registry, concurrency: 4 }), seen };
}

describe('GFile.removeMany', () => {
  it('batches keys into deleteMany requests of maxDeleteBatch (1,000 on the memory store)', async () => {
    const g = createGFile();
    const uris = Array.from({ length: 2500 }, (_, i) => `memory://${STORE}/run/f-${i}`);
    await Promise.all(uris.map((u) => g.writeText(u, 'x')));
    const before = g.metrics.snapshot().requests.delete;
    const told: number[] = [];
    await g.removeMany(uris, { onDeleted: (n) => told.push(n) });
    expect(g.metrics.snapshot().requests.delete - before).toBe(3);
    expect(told.sort((a, b) => a - b)).toEqual([500, 1000, 1000]);
    expect(await g.exists(`memory://${STORE}/run/f-0`)).toBe(false);
    // Gone already: no error (a rerun converges).
    await g.removeMany(uris);
  });

  it('sends a key the batch cannot carry (batchDeletable false) in a deleteMany of its own, counted as one request each', async () => {
    const calls: string[][] = [];
    const registry = createRegistry().register('memory', () => (name: string) => {
      const inner = createMemoryAdapter(name);
      return {
        ...inner,
        uriOf: (k: string) => inner.uriOf(k),
        batchDeletable: (k: string) => !k.includes('!'),
        async deleteMany(keys: string[], o) {
          calls.push(keys);
          await inner.deleteMany!(keys, o);
        },
      } satisfies StorageAdapter;
    });
    const g = createGFile({ registry });
    const names = [...Array.from({ length: 1500 }, (_, i) => `f-${i}`), 'odd!1', 'odd!2'];
    await Promise.all(names.map((n) => g.writeText(`memory://${STORE}/run/${n}`, 'x')));
    const before = g.metrics.snapshot().requests.delete;
    await g.removeMany(names.map((n) => `memory://${STORE}/run/${n}`));
    expect(g.metrics.snapshot().requests.delete - before).toBe(4);
    expect(calls.map((c) => c.length).sort((a, b) => a - b)).toEqual([1, 1, 500, 1000]);
    expect(calls.filter((c) => c.some((k) => k.includes('!'))).every((c) => c.length === 1)).toBe(true);
    expect(await g.listDir(`memory://${STORE}/run`).catch((e: unknown) => (isCkptError(e) ? e.code : e))).toBe('NOT_FOUND');
  });

  it('falls back to single deletes, at most `concurrency` in flight, missing keys ignored', async () => {
    const { g, seen } = singleDeletes();
    const uris = Array.from({ length: 40 }, (_, i) => `memory://${STORE}/run/f-${i}`);
    await Promise.all(uris.slice(0, 30).map((u) => g.writeText(u, 'x')));
    await g.removeMany(uris);
    expect(seen.deletes).toBe(40);
    expect(seen.peak).toBeLessThanOrEqual(4);
    expect(seen.peak).toBeGreaterThan(1);
    expect(await g.exists(`memory://${STORE}/run/f-1`)).toBe(false);
  });

  it('removes directory markers after files, and refuses a store root or URIs of two stores', async () => {
    const g = createGFile();
    await g.makeDirs(`memory://${STORE}/run/d`);
    await g.writeText(`memory://${STORE}/run/d/x`, 'x');
    await g.removeMany([`memory://${STORE}/run/d/`, `memory://${STORE}/run/d/x`]);
    expect(await g.exists(`memory://${STORE}/run/d`)).toBe(false);
    for (const bad of [[`memory://${STORE}/`], [`memory://${STORE}/a`, `memory://other/b`]]) {
      let caught: unknown;
      await g.removeMany(bad).catch((e: unknown) => (caught = e));
      expect(isCkptError(caught, 'INVALID_PATH'), bad.join()).toBe(true);
    }
  });

  it('honours an aborted signal', async () => {
    const g = createGFile();
    await g.writeText(`memory://${STORE}/run/a`, 'x');
    const ac = new AbortController();
    ac.abort();
    await expect(g.removeMany([`memory://${STORE}/run/a`], { signal: ac.signal })).rejects.toSatisfy((e: unknown) => isCkptError(e, 'ABORTED'));
    expect(await g.exists(`memory://${STORE}/run/a`)).toBe(true);
  });
});
